"""Deployment against commitment over time (DOMAIN.md section 8): at each quarter's end, the
investment cost to date against the commitments in force. The annual report's chart and table
and the home dashboard's chart call this one function."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

QUARTER_ENDS = ((3, 31), (6, 30), (9, 30), (12, 31))


@dataclass(frozen=True)
class Point:
    on: date
    invested: Decimal  # investment cost dated on or before `on`
    committed: Decimal  # the commitments in force on `on`

    @property
    def share(self) -> Decimal | None:
        return self.invested / self.committed if self.committed else None


def quarter_ends(start: date, end: date) -> list[date]:
    """The end of `start`'s quarter and of each quarter after it up to `end`, and `end` itself
    when it is not a quarter's end (nothing when `start` is after `end`)."""
    found, point = [], _quarter_end(start)
    while point <= end:
        found.append(point)
        point = _quarter_end(date(point.year + point.month // 12, point.month % 12 + 1, 1))
    if start <= end and (not found or found[-1] != end):
        found.append(end)
    return found


def _quarter_end(day: date) -> date:
    month, last = next((m, d) for m, d in QUARTER_ENDS if m >= day.month)
    return date(day.year, month, last)


def deployment(
    investments: Iterable[tuple[date, Decimal]],
    committed_on: Callable[[date], Decimal],
    points: Iterable[date],
) -> list[Point]:
    """The cost invested to each point and the commitments in force on it."""
    dated = sorted(investments)
    found, at, invested = [], 0, Decimal(0)
    for point in sorted(points):
        while at < len(dated) and dated[at][0] <= point:
            invested += dated[at][1]
            at += 1
        found.append(Point(point, invested, committed_on(point)))
    return found
