"""Closed periods (DOMAIN.md section 8): an administrator or risk closes the books through a
date; transactions, marks, LP flows, expenses and KPIs dated on or before it are then refused
everywhere they are written (forms, imports, the API) until the close is reopened with a
reason. The periods in force are the closes not reopened; the latest date among them is what
every write is checked against.

Check and write are atomic. On PostgreSQL a write checking a date takes `period_closes` in
SHARE mode until its transaction ends, and a close takes it in SHARE ROW EXCLUSIVE mode before
it reads the pending marks: the two conflict, so a close waits for the writes that checked
before it (and then sees their pending marks), and a write waits for a close under way (and
then sees it). Any insert into the table (ROW EXCLUSIVE) conflicts with SHARE too, whatever
path makes it. On SQLite every writing transaction holds the database's write lock from its
start (fundcrm.db), which serialises them already. Services flush; the view commits."""

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlmodel import Session

from fundcrm import clock
from fundcrm.compliance import queries
from fundcrm.db import lock_for_edit
from fundcrm.errors import ServiceError
from fundcrm.models import PeriodClose, User


class PeriodClosed(ServiceError):
    """A record dated in a closed period."""


class PeriodError(ServiceError):
    """A close or a reopening refused."""


class PendingMarks(PeriodError):
    """A close through a date on or before which marks still wait for risk's review: the
    form lists them (`form.pending`)."""

    def __init__(self, marks: list, through: date):
        super().__init__(
            lazy_ngettext(
                "%(num)d valuation mark dated on or before %(date)s waits for risk's review: "
                "approve or reject it first.",
                "%(num)d valuation marks dated on or before %(date)s wait for risk's review: "
                "approve or reject them first.",
                len(marks),
                date=through.isoformat(),
            ),
            "closed_through",
        )
        self.marks = marks

    def show_on(self, form) -> None:
        super().show_on(form)
        form.pending = self.marks


# -- the check every dated write asks ---------------------------------------------------------


def _lock(db: Session, mode: str) -> None:
    """PostgreSQL: take the closes table in this mode until the transaction ends (see above)."""
    connection = db.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"LOCK TABLE {PeriodClose.__tablename__} IN {mode} MODE")


def closed_through(db: Session, lock: bool = False) -> date | None:
    """The last date of the closed periods in force, or None when none is closed. `lock`: no
    close can be made until this transaction ends (a write about to record a dated row)."""
    if lock:
        _lock(db, "SHARE")
    return db.exec(
        sa.select(sa.func.max(PeriodClose.closed_through)).where(PeriodClose.reopened_at.is_(None))
    ).scalar()


def refused(closed: date | None, on: date | None) -> bool:
    """Whether a record dated `on` falls in a period closed through `closed`."""
    return closed is not None and on is not None and on <= closed


def message(closed: date):
    return _l(
        "The period through %(date)s is closed: nothing dated on or before it can be recorded "
        "until it is reopened.",
        date=closed.isoformat(),
    )


def check_open(db: Session, on: date | None, field: str | None = None) -> None:
    """Refuse (PeriodClosed, on `field`) a record dated in a closed period; no close can be
    made until this transaction ends."""
    closed = closed_through(db, lock=True)
    if refused(closed, on):
        raise PeriodClosed(message(closed), field)


# -- closing and reopening ----------------------------------------------------------------------


def close_period(db: Session, through: date | None, user: User | None, note: str = ""):
    """Close the books through a date: today or earlier (the fund's clock), later than the
    period closed already, and no mark dated in it waiting for risk."""
    if through is None:
        raise PeriodError(_l("Give the date to close through."), "closed_through")
    if through > clock.today():
        raise PeriodError(_l("A period is closed through today or an earlier date."),
                          "closed_through")  # fmt: skip
    _lock(db, "SHARE ROW EXCLUSIVE")  # one close at a time, and no write checking meanwhile
    closed = closed_through(db)
    if closed is not None and through <= closed:
        raise PeriodError(
            _l(
                "The books are closed through %(date)s already: close a later date, or reopen "
                "that close first.",
                date=closed.isoformat(),
            ),
            "closed_through",
        )
    pending = queries.pending_marks_through(db, through)
    if pending:
        raise PendingMarks(pending, through)
    close = PeriodClose(
        closed_through=through,
        closed_by_id=user.id if user else None,
        closed_at=clock.now(),
        note=(note or "").strip(),
    )
    db.add(close)
    db.flush()
    return close


def reopen(db: Session, close: PeriodClose, user: User | None, reason: str) -> None:
    """Reopen a close in force, with the reason; the close stays listed with who and why."""
    reason = (reason or "").strip()
    if not reason:
        raise PeriodError(_l("Give the reason for reopening the period."), "reason")
    lock_for_edit(db, close)  # two reopenings at once: the second finds it reopened
    if close.reopened_at is not None:
        raise PeriodError(_l("This close was reopened already."), "reason")
    latest = closed_through(db)
    if latest is not None and latest > close.closed_through:
        # the later close would keep this period closed: reopening this one would change nothing
        raise PeriodError(
            _l(
                "The books are also closed through %(date)s: reopen that later close first.",
                date=latest.isoformat(),
            ),
            "reason",
        )
    close.reopened_by_id = user.id if user else None
    close.reopened_at = clock.now()
    close.reopen_reason = reason
    db.flush()
