"""The demo's closed period: risk closed the books through the end of last year (in January,
while last year's books are still open, the year before), so that year's annual report is
issued (kept) when generated and this year's is a draft."""

from datetime import date, timedelta

from sqlmodel import Session, select

from fundcrm.auth.queries import find_user
from fundcrm.compliance import periods
from fundcrm.models import PeriodClose

NOTE = "上年度账目已结账，年度投资组合报告据此出具。"


def seed_closed_year(db: Session, today: date) -> int:
    """Close the books through the latest 31 December at least a month ago; 0 if any close
    exists already or the close is refused (a mark of that year still waiting for review)."""
    if db.exec(select(PeriodClose.id).limit(1)).first() is not None:
        return 0
    risk = find_user(db, "risk@example.com")
    try:
        with db.begin_nested():
            periods.close_period(db, year_closed(today), risk, NOTE)
    except periods.PeriodError:
        return 0
    return 1


def year_closed(today: date) -> date:
    """The latest 31 December at least a month before today."""
    month_ago = today - timedelta(days=31)
    return date(month_ago.year - 1, 12, 31)
