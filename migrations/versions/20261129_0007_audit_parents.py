"""Audit parents: the entries of a record's parts carry the record they belong to

A deal's sub-fund shares, team, stage moves and DD items, and a company's application fields
and contacts, are recorded on their own tables; `parent_table`/`parent_id` name the deal or
company, so a record's history reads its parts' entries through `ix_audit_log_parent`
instead of matching row ids with LIKE. Existing entries are filled in batches: a `create`
entry holds the parent's id as [null, id], a `delete` entry as [id, null]; an `update` entry
takes it from the live row (or, for a row deleted since, from its create or delete entry);
the keys of company_fields and deal_team start with it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The parts of records as the models declared them at this revision (`__audit_parent__`):
# table -> (parent table, column holding the parent's id).
PARENTS = {
    "deal_sub_funds": ("deals", "deal_id"),
    "deal_team": ("deals", "deal_id"),
    "stage_moves": ("deals", "deal_id"),
    "dd_items": ("deals", "deal_id"),
    "company_fields": ("companies", "company_id"),
    "contacts": ("companies", "company_id"),
}
# Tables whose row id is "<parent id>/<…>".
KEYED_BY_PARENT = {"deal_team", "company_fields"}
BATCH = 1000

audit_log = sa.table(
    "audit_log",
    sa.column("id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("table_name", sa.String),
    sa.column("row_id", sa.String),
    sa.column("changes", sa.Text),
    sa.column("parent_table", sa.String),
    sa.column("parent_id", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("parent_table", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(
            sa.Column("parent_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.create_index(
            "ix_audit_log_parent", ["parent_table", "parent_id", "id"], unique=False
        )
    _backfill(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_parent")
        batch_op.drop_column("parent_id")
        batch_op.drop_column("parent_table")


def _backfill(connection) -> None:
    """Every existing entry of a part gets its parent, a batch of entries at a time."""
    last = 0
    while True:
        rows = connection.execute(
            sa.select(
                audit_log.c.id,
                audit_log.c.action,
                audit_log.c.table_name,
                audit_log.c.row_id,
                audit_log.c.changes,
            )
            .where(audit_log.c.table_name.in_(PARENTS), audit_log.c.id > last)
            .order_by(audit_log.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        last = rows[-1].id
        found = {row.id: _from_entry(row) for row in rows}
        _from_live_rows(connection, rows, found)
        _from_other_entries(connection, rows, found)
        updates = [
            {"entry_id": row.id, "table": PARENTS[row.table_name][0], "parent": found[row.id]}
            for row in rows
            if found[row.id] is not None
        ]
        if updates:
            connection.execute(
                audit_log.update()
                .where(audit_log.c.id == sa.bindparam("entry_id"))
                .values(parent_table=sa.bindparam("table"), parent_id=sa.bindparam("parent")),
                updates,
            )


def _from_entry(row) -> str | None:
    """The parent's id as the entry itself holds it (its key, or its create/delete values)."""
    if row.table_name in KEYED_BY_PARENT:
        return row.row_id.split("/", 1)[0]
    if row.action not in ("create", "delete"):
        return None
    return _held(row.changes, PARENTS[row.table_name][1], row.action)


def _held(changes: str, column: str, action: str) -> str | None:
    try:
        pair = json.loads(changes or "{}").get(column)
    except (ValueError, AttributeError):
        return None
    if not isinstance(pair, list) or len(pair) != 2:
        return None
    value = pair[1] if action == "create" else pair[0]
    return None if value is None else str(value)


def _ids(rows, found, table) -> list[int]:
    return sorted(
        {
            int(row.row_id)
            for row in rows
            if found[row.id] is None and row.table_name == table and row.row_id.isdigit()
        }
    )


def _from_live_rows(connection, rows, found) -> None:
    """Updates of parts that still exist: the parent column of the row."""
    for table, (_parent, column) in PARENTS.items():
        ids = _ids(rows, found, table)
        if not ids:
            continue
        part = sa.table(table, sa.column("id", sa.Integer), sa.column(column, sa.Integer))
        query = sa.select(part.c.id, part.c[column]).where(part.c.id.in_(ids))
        live = {part_id: parent for part_id, parent in connection.execute(query)}
        for row in rows:
            if found[row.id] is None and row.table_name == table and row.row_id.isdigit():
                value = live.get(int(row.row_id))
                found[row.id] = None if value is None else str(value)


def _from_other_entries(connection, rows, found) -> None:
    """Updates of parts deleted since: the parent their create or delete entry holds."""
    for table, (_parent, column) in PARENTS.items():
        row_ids = sorted({r.row_id for r in rows if found[r.id] is None and r.table_name == table})
        if not row_ids:
            continue
        held = {}
        for other in connection.execute(
            sa.select(audit_log.c.row_id, audit_log.c.action, audit_log.c.changes).where(
                audit_log.c.table_name == table,
                audit_log.c.row_id.in_(row_ids),
                audit_log.c.action.in_(("create", "delete")),
            )
        ):
            value = _held(other.changes, column, other.action)
            if value is not None:
                held.setdefault(other.row_id, value)
        for row in rows:
            if found[row.id] is None and row.table_name == table:
                found[row.id] = held.get(row.row_id)
