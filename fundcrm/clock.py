"""The fund clock: the one source of "now" and of business dates (DOMAIN.md section 5).

Instants are UTC; a business date (created on, due, overdue, investment period, reference
year, filters) is the calendar date in the fund's time zone, the `FUNDCRM_TIMEZONE` setting.
Nothing else in the code asks the system for the date.
"""

import os
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TIMEZONE = "Asia/Shanghai"


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone() -> ZoneInfo:
    """The fund's time zone: the app's setting, else the environment's, else Beijing time."""
    if has_app_context():
        name = current_app.config.get("BABEL_DEFAULT_TIMEZONE") or DEFAULT_TIMEZONE
    else:
        name = os.environ.get("FUNDCRM_TIMEZONE") or DEFAULT_TIMEZONE
    return _zone(name)


def now() -> datetime:
    """This instant, timezone-aware in UTC (what timestamps store)."""
    return datetime.now(UTC)


def today() -> date:
    """Today's business date: the calendar date in the fund's time zone."""
    return local_date(now())


def local_date(instant: datetime) -> date:
    """The business date of an instant."""
    return instant.astimezone(zone()).date()


def start_of_day(day: date) -> datetime:
    """The UTC instant at which a business date begins in the fund's time zone."""
    return datetime.combine(day, time.min, tzinfo=zone()).astimezone(UTC)


def day_range(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """UTC bounds [start, end) covering whole business days from `first` to `last`."""
    start = start_of_day(first) if first else None
    end = start_of_day(last + timedelta(days=1)) if last else None
    return start, end


def stamp() -> str:
    """Today's business date for file names, e.g. `deals-2027-01-01.xlsx`."""
    return today().isoformat()
