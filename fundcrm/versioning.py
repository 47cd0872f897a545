"""Optimistic locking: a save based on an old version is refused, showing what changed since."""

import json
from collections.abc import Iterator
from contextlib import contextmanager

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from fundcrm import audit, history
from fundcrm.domain.text import ascii_number
from fundcrm.errors import ServiceError
from fundcrm.models import AuditEntry


class StaleEdit(ServiceError):
    """Someone saved the record after this form was opened: `changes` are their audit entries,
    `shown` the same as people read them (fundcrm.history), put on the form as `form.stale`."""

    def __init__(self, changes: list[AuditEntry], shown: list | None = None):
        super().__init__(
            _l("Someone else saved this record after you opened it: see their change below.")
        )
        self.changes = changes
        self.shown = shown if shown is not None else []

    @classmethod
    def since(cls, db: Session, table: str, record_id: int, version: int) -> "StaleEdit":
        """The refusal naming what changed after `version`, read while the session can (a
        refused form's view rolls back, and the entries with it)."""
        changes = changes_since(db, table, record_id, version)
        return cls(changes, history.readable(db, changes))

    def show_on(self, form) -> None:
        form.stale = self.shown


def changes_since(db: Session, table: str, record_id: int, version: int) -> list[AuditEntry]:
    """The audited changes made to the record after it reached `version`, oldest first."""
    newer = []
    for entry in audit.history(db, table, record_id, limit=100):
        changed = json.loads(entry.changes).get("version")
        if entry.action == "create" or (changed and changed[1] <= version):
            break
        newer.append(entry)
    return list(reversed(newer))


class VersionMissing(ServiceError):
    """An edit form came back without the version it was opened at (shown above the submit
    button: the version is a hidden field)."""

    def __init__(self):
        super().__init__(
            _l(
                "This form does not say which version of the record it was opened at: reload "
                "the page and make the change again."
            )
        )


def form_version(field) -> int:
    """The version an edit form was opened at, as posted in its hidden field (not the
    record's own version, which a form built from the record falls back to when none came)."""
    text = (field.raw_data[0] if field.raw_data else "").strip()
    if not ascii_number(text) or len(text) > 9:
        raise VersionMissing()
    return int(text)


def check_version(db: Session, record, table: str, expected: int | None) -> None:
    """Refuse early when the form's version is not the one just read (the UPDATE checks again)."""
    if expected is not None and record.id is not None and record.version != expected:
        raise StaleEdit.since(db, table, record.id, expected)


@contextmanager
def unless_changed_meanwhile(db: Session, record, table: str) -> Iterator[None]:
    """Write the record's edit in a savepoint; the UPDATE's `WHERE version = :seen` finding
    the row saved by someone else since it was read becomes a StaleEdit naming their change."""
    seen, record_id = record.version, record.id
    try:
        with db.begin_nested():
            yield
    except StaleDataError:
        raise StaleEdit.since(db, table, record_id, seen) from None
