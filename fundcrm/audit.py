"""The audit trail: one session hook records every create, update and delete of business data.

A table opts out with `__audit__ = False` (the audit log itself, the login throttle). Secrets
are recorded as changed, never with their values. A table whose rows are parts of another
record declares `__audit_parent__ = (parent table, column holding its id)`: its entries carry
that parent, so a record's history reads its parts' entries through an index
(`ix_audit_log_parent`) instead of matching row ids.
"""

import json
from datetime import date, datetime, time
from decimal import Decimal

from flask import has_request_context
from flask_babel import force_locale
from sqlalchemy import event, insert, inspect
from sqlmodel import Session, SQLModel, select

from fundcrm.models import AuditEntry, utcnow

MASKED_COLUMNS = {"password_hash", "session_token", "token_hash"}
ACTOR_KEY = "audit_actor"
SEEN_VERSION = "audit_seen_version"


def set_actor(db_session: Session, actor_id: int | None, label: str) -> None:
    """Name who is changing data outside a request (CLI, seeding, imports)."""
    db_session.info[ACTOR_KEY] = (actor_id, label)


def actor(db_session: Session) -> tuple[int | None, str]:
    if ACTOR_KEY in db_session.info:
        return db_session.info[ACTOR_KEY]
    if has_request_context():
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return current_user.id, current_user.email
    return None, "system"


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value)
    return value


def _audited(obj) -> bool:
    return getattr(type(obj), "__audit__", True) and hasattr(type(obj), "__table__")


def _row_id(obj) -> str:
    # In after_flush new rows have their keys on the object but no identity yet.
    return "/".join(str(part) for part in inspect(obj).mapper.primary_key_from_instance(obj))


def _masked(obj) -> set[str]:
    """The columns recorded as changed, never with their values: secrets, and what a model
    keeps from the trail's readers (`__audit_masked__`: a vote until its item closes)."""
    return MASKED_COLUMNS | set(getattr(type(obj), "__audit_masked__", ()))


def _shown(column: str, value, masked=MASKED_COLUMNS):
    return "***" if column in masked and value is not None else _plain(value)


def _column_changes(obj, action: str) -> dict:
    state = inspect(obj)
    masked = _masked(obj)
    changes = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        hist = state.attrs[key].history
        if action == "create":
            value = getattr(obj, key)
            if value is not None:
                changes[key] = [None, _shown(key, value, masked)]
        elif action == "delete":
            old = (
                hist.unchanged[0] if hist.unchanged else (hist.deleted[0] if hist.deleted else None)
            )
            changes[key] = [_shown(key, old, masked), None]
        elif hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old != new:
                changes[key] = [_shown(key, old, masked), _shown(key, new, masked)]
    return changes


def _version_key(obj) -> str | None:
    mapper = inspect(obj).mapper
    column = mapper.version_id_col
    return None if column is None else mapper.get_property_by_column(column).key


def _note_versions(db_session: Session, _context, _instances) -> None:
    """Before a flush: the version each changed record is at (see _add_counted_version)."""
    for obj in db_session.dirty:
        key = _version_key(obj)
        if key is not None:
            inspect(obj).info[SEEN_VERSION] = getattr(obj, key)


def _add_counted_version(obj, changes: dict) -> None:
    """The mapper counts a `version_id_col` up inside the UPDATE, past the attribute history:
    record that step too, so the trail says which version each change made (see versioning)."""
    key = _version_key(obj)
    seen = inspect(obj).info.pop(SEEN_VERSION, None)
    if key is not None and key not in changes and seen is not None and seen != getattr(obj, key):
        changes[key] = [seen, getattr(obj, key)]


def parent_of(model, values) -> tuple[str | None, str | None]:
    """The (table, id) of the record a row is a part of, from the row's values (an object or a
    dict); (None, None) for a table of whole records or a row without its parent's id."""
    declared = getattr(model, "__audit_parent__", None)
    if declared is None:
        return None, None
    table, key = declared
    value = values.get(key) if isinstance(values, dict) else getattr(values, key, None)
    return (table, str(value)) if value is not None else (None, None)


def _parent_model(table) -> type | None:
    """The model class mapped to a Core table (bulk imports pass tables)."""
    for mapper in SQLModel._sa_registry.mappers:
        if mapper.local_table is table:
            return mapper.class_
    return None


def entry(
    db_session: Session,
    action: str,
    table: str,
    row_id: str,
    changes: dict,
    parent: tuple[str | None, str | None] = (None, None),
    *,
    who: tuple[int | None, str] | None = None,
    at: datetime | None = None,
) -> dict:
    """One audit row, in the form every writer of the trail uses (`who`, `at`: the actor and
    the time, when the caller writes many entries at once)."""
    actor_id, label = who or actor(db_session)
    return {
        "at": at or utcnow(),
        "actor_id": actor_id,
        "actor_label": label,
        "action": action,
        "table_name": table,
        "row_id": row_id,
        "parent_table": parent[0],
        "parent_id": parent[1],
        "changes": _CHANGES.encode(changes),
    }


# the changes as sorted JSON; Decimal, dates and sets through _plain
_CHANGES = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=_plain)


def refusal(db_session: Session, record, attempt: str, reason) -> None:
    """Keep an attempt the rules refused (action `refused`): what was tried (a code of
    history.columns.ATTEMPTS) and why, the message in English (read back in the reader's
    language). Written on its own after the refused change was rolled back."""
    with force_locale("en"):
        text = str(reason)
    changes = {"refused": [None, attempt], "reason": [None, text]}
    row = entry(
        db_session,
        "refused",
        record.__tablename__,
        _row_id(record),
        changes,
        parent_of(type(record), record),
    )
    db_session.connection().execute(insert(AuditEntry.__table__), [row])


def created_entries(db_session: Session, table, rows: list[dict]) -> list[dict]:
    """The `create` entries for rows written without the ORM (bulk imports), each row with its
    primary key filled in: the same entries the flush hook would have written."""
    key = [c.name for c in table.primary_key.columns]
    model = _parent_model(table)
    who, at = actor(db_session), utcnow()
    masked = MASKED_COLUMNS.intersection(table.c.keys())
    entries = []
    for row in rows:
        # what _shown does, in bulk: values as they are (the encoder converts them), secrets
        # masked
        changes = {k: [None, v] for k, v in row.items() if v is not None}
        for column in masked.intersection(changes):
            changes[column] = [None, "***"]
        row_id = "/".join(str(row[k]) for k in key)
        parent = parent_of(model, row)
        entries.append(
            entry(db_session, "create", table.name, row_id, changes, parent, who=who, at=at)
        )
    return entries


def _deleted(db_session: Session, flush_context) -> list:
    """What the flush deleted: the session's deletions and the orphans a delete-orphan
    cascade removed with them (a sub-fund share or team member taken off a deal), which the
    unit of work finds only inside the flush."""
    deleted = list(db_session.deleted)
    seen = {id(obj) for obj in deleted}
    for state, (is_delete, list_only) in flush_context.states.items():
        obj = state.obj()
        if is_delete and not list_only and obj is not None and id(obj) not in seen:
            deleted.append(obj)
            seen.add(id(obj))
    return deleted


def _record(db_session: Session, flush_context) -> None:
    rows = []
    for action, objects in (
        ("create", db_session.new),
        ("update", db_session.dirty),
        ("delete", _deleted(db_session, flush_context)),
    ):
        for obj in objects:
            if not _audited(obj):
                continue
            changes = _column_changes(obj, action)
            if action == "update":
                _add_counted_version(obj, changes)
                if not changes:
                    continue
            rows.append(
                entry(
                    db_session,
                    action,
                    obj.__tablename__,
                    _row_id(obj),
                    changes,
                    parent_of(type(obj), obj),
                )
            )
    if rows:
        db_session.connection().execute(insert(AuditEntry.__table__), rows)


def history(
    db: Session,
    table: str,
    row_id,
    *,
    children: tuple[str, ...] = (),
    actions: tuple[str, ...] = (),
    limit: int = 50,
) -> list[AuditEntry]:
    """One record's audit entries, newest first: its own and those of its parts in the tables
    named in `children` (entries whose parent is this record, e.g. a company's application
    fields). `actions` keeps only those actions (create, update, delete)."""
    row_id = str(row_id)
    record = (AuditEntry.table_name == table) & (AuditEntry.row_id == row_id)
    if children:
        record |= (
            (AuditEntry.parent_table == table)
            & (AuditEntry.parent_id == row_id)
            & AuditEntry.table_name.in_(children)
        )
    query = select(AuditEntry).where(record)
    if actions:
        query = query.where(AuditEntry.action.in_(actions))
    return list(db.exec(query.order_by(AuditEntry.id.desc()).limit(limit)).all())


def first_part_entry(db: Session, parent_table: str, parent_id, table: str) -> AuditEntry | None:
    """The oldest entry of a record's parts in one table (a deal's first stage move: its
    creation), if the trail holds one."""
    query = select(AuditEntry).where(
        AuditEntry.parent_table == parent_table,
        AuditEntry.parent_id == str(parent_id),
        AuditEntry.table_name == table,
    )
    return db.exec(query.order_by(AuditEntry.id).limit(1)).first()


def changes_by(db: Session, actor_id: int, limit: int = 10) -> list[AuditEntry]:
    """The latest entries one user made, newest first (the home page's recent changes)."""
    query = select(AuditEntry).where(AuditEntry.actor_id == actor_id)
    return list(db.exec(query.order_by(AuditEntry.id.desc()).limit(limit)).all())


event.listen(Session, "before_flush", _note_versions)
event.listen(Session, "after_flush", _record)
