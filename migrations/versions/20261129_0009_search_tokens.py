"""Search tokens: the list search answers from an index instead of scanning every company

Companies (name, USCC, description), deals (notes) and activities (summary) get
`search_tokens`, their unigrams and bigrams (fundcrm.domain.search), kept by fundcrm.search on
every write. PostgreSQL indexes them with a GIN index on `to_tsvector('simple', …)`; SQLite
with an FTS5 (unicode61) external-content table `<table>_fts`, kept in step by the triggers
made here. Existing rows get their tokens in batches, computed in Python as the app does.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fundcrm.domain.search import company_tokens, text_tokens
from fundcrm.search import drop_sqlite_fts, sqlite_fts

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 2000
# table → its searched columns and how their values become tokens
SEARCHED = {
    "companies": (("name", "uscc", "description"), company_tokens),
    "deals": (("notes",), text_tokens),
    "activities": (("summary",), text_tokens),
}


def upgrade() -> None:
    for name in SEARCHED:
        op.add_column(name, sa.Column("search_tokens", sa.Text(), nullable=True))
        _backfill(name)
        if op.get_bind().dialect.name == "postgresql":
            op.create_index(
                f"ix_{name}_search_tokens",
                name,
                [sa.literal_column("to_tsvector('simple', search_tokens)")],
                unique=False,
                postgresql_using="gin",
            )
        else:
            _create_fts(name)


def downgrade() -> None:
    for name in SEARCHED:
        if op.get_bind().dialect.name == "postgresql":
            op.drop_index(f"ix_{name}_search_tokens", table_name=name, postgresql_using="gin")
        else:
            for statement in drop_sqlite_fts(name):
                op.execute(statement)
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_column("search_tokens")


def _backfill(name: str) -> None:
    """Each row's tokens, a batch of rows at a time, walking the primary key."""
    columns, tokens_of = SEARCHED[name]
    table = sa.table(name, sa.column("id"), sa.column("search_tokens"), *map(sa.column, columns))
    update = (
        table.update()
        .where(table.c.id == sa.bindparam("row_id"))
        .values(search_tokens=sa.bindparam("tokens"))
    )
    connection, last = op.get_bind(), 0
    while True:
        rows = connection.execute(
            sa.select(table.c.id, *(table.c[c] for c in columns))
            .where(table.c.id > last)
            .order_by(table.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(update, [{"row_id": r[0], "tokens": tokens_of(*r[1:])} for r in rows])
        last = rows[-1][0]


def _create_fts(name: str) -> None:
    """SQLite: the FTS5 table over the tokens, filled from the rows, and its triggers."""
    for statement in sqlite_fts(name, detail="full"):
        op.execute(statement)
