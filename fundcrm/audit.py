"""The audit trail: one session hook records every create, update and delete of business data.

A table opts out with `__audit__ = False` (the audit log itself, the login throttle). Secrets
are recorded as changed, never with their values.
"""

import json
from datetime import date, datetime
from decimal import Decimal

from flask import has_request_context
from sqlalchemy import event, insert, inspect
from sqlmodel import Session, select

from fundcrm.models import AuditEntry, utcnow

MASKED_COLUMNS = {"password_hash", "session_token"}
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
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value)
    return value


def _audited(obj) -> bool:
    return getattr(type(obj), "__audit__", True) and hasattr(type(obj), "__table__")


def _row_id(obj) -> str:
    # In after_flush new rows have their keys on the object but no identity yet.
    return "/".join(str(part) for part in inspect(obj).mapper.primary_key_from_instance(obj))


def _shown(column: str, value):
    return "***" if column in MASKED_COLUMNS and value is not None else _plain(value)


def _column_changes(obj, action: str) -> dict:
    state = inspect(obj)
    changes = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        hist = state.attrs[key].history
        if action == "create":
            value = getattr(obj, key)
            if value is not None:
                changes[key] = [None, _shown(key, value)]
        elif action == "delete":
            old = (
                hist.unchanged[0] if hist.unchanged else (hist.deleted[0] if hist.deleted else None)
            )
            changes[key] = [_shown(key, old), None]
        elif hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old != new:
                changes[key] = [_shown(key, old), _shown(key, new)]
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


def entry(db_session: Session, action: str, table: str, row_id: str, changes: dict) -> dict:
    """One audit row, in the form every writer of the trail uses."""
    actor_id, label = actor(db_session)
    return {
        "at": utcnow(),
        "actor_id": actor_id,
        "actor_label": label,
        "action": action,
        "table_name": table,
        "row_id": row_id,
        "changes": json.dumps(changes, ensure_ascii=False, sort_keys=True, default=_plain),
    }


def created_entries(db_session: Session, table, rows: list[dict]) -> list[dict]:
    """The `create` entries for rows written without the ORM (bulk imports), each row with its
    primary key filled in: the same entries the flush hook would have written."""
    key = [c.name for c in table.primary_key.columns]
    return [
        entry(
            db_session,
            "create",
            table.name,
            "/".join(str(row[k]) for k in key),
            {k: [None, _shown(k, v)] for k, v in row.items() if v is not None},
        )
        for row in rows
    ]


def _record(db_session: Session, flush_context) -> None:
    rows = []
    for action, objects in (
        ("create", db_session.new),
        ("update", db_session.dirty),
        ("delete", db_session.deleted),
    ):
        for obj in objects:
            if not _audited(obj):
                continue
            changes = _column_changes(obj, action)
            if action == "update":
                _add_counted_version(obj, changes)
                if not changes:
                    continue
            rows.append(entry(db_session, action, obj.__tablename__, _row_id(obj), changes))
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
    """One record's audit entries, newest first: its own and, for each table in `children`,
    those of the rows whose key starts with the record's id (a company's application fields
    are "<company id>/<field>"). `actions` keeps only those actions (create, update, delete)."""
    row_id = str(row_id)
    record = (AuditEntry.table_name == table) & (AuditEntry.row_id == row_id)
    for child in children:
        record |= (AuditEntry.table_name == child) & AuditEntry.row_id.startswith(
            f"{row_id}/", autoescape=True
        )
    query = select(AuditEntry).where(record)
    if actions:
        query = query.where(AuditEntry.action.in_(actions))
    return list(db.exec(query.order_by(AuditEntry.id.desc()).limit(limit)).all())


def changes_by(db: Session, actor_id: int, limit: int = 10) -> list[AuditEntry]:
    """The latest entries one user made, newest first (the home page's recent changes)."""
    query = select(AuditEntry).where(AuditEntry.actor_id == actor_id)
    return list(db.exec(query.order_by(AuditEntry.id.desc()).limit(limit)).all())


event.listen(Session, "before_flush", _note_versions)
event.listen(Session, "after_flush", _record)
