"""Closed periods (DOMAIN.md section 8): an administrator or risk closes the books through a
date; transactions, marks, LP flows, expenses and KPIs dated on or before it are then refused
everywhere they are written (forms, imports, the API) until the close is reopened with a
reason. The periods in force are the closes not reopened; the latest date among them is what
every write is checked against."""

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from fundcrm.errors import ServiceError
from fundcrm.models import PeriodClose


class PeriodClosed(ServiceError):
    """A record dated in a closed period."""


def closed_through(db: Session) -> date | None:
    """The last date of the closed periods in force, or None when none is closed."""
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
    """Refuse (PeriodClosed, on `field`) a record dated in a closed period."""
    closed = closed_through(db)
    if refused(closed, on):
        raise PeriodClosed(message(closed), field)
