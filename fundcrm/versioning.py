"""Optimistic locking: a save based on an old version is refused, showing what changed since."""

import json

from sqlmodel import Session, select

from fundcrm.models import AuditEntry


class StaleEdit(Exception):
    """Someone saved the record after this form was opened; `changes` says what they did."""

    def __init__(self, changes: list[AuditEntry]):
        super().__init__("stale edit")
        self.changes = changes


def changes_since(db: Session, table: str, record_id: int, version: int) -> list[AuditEntry]:
    """The audited changes made to the record after it reached `version`, oldest first."""
    entries = db.exec(
        select(AuditEntry)
        .where(AuditEntry.table_name == table, AuditEntry.row_id == str(record_id))
        .order_by(AuditEntry.id.desc())
        .limit(100)
    ).all()
    newer = []
    for entry in entries:
        changed = json.loads(entry.changes).get("version")
        if entry.action == "create" or (changed and changed[1] <= version):
            break
        newer.append(entry)
    return list(reversed(newer))


def check_version(db: Session, record, table: str, expected: int | None) -> None:
    if expected is not None and record.id is not None and record.version != expected:
        raise StaleEdit(changes_since(db, table, record.id, expected))
