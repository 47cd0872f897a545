"""A portfolio company's KPIs (DOMAIN.md sections 7 and 9), pure rules with no database: the
period a row covers (a year `2026` or a quarter `2026Q3`) and its last day, the figure of a
year (its annual row, else the sum of its four quarters, else missing), a signed amount in
万元 (a net loss) and the checks every KPI row passes, whether typed in a form or read from a
file."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fundcrm.domain.money import MoneyError, parse_wan

PERIOD_SHAPE = re.compile(r"^(\d{4})(?:Q([1-4]))?$")
FIRST_YEAR, LAST_YEAR = 1950, 2100
QUARTER_ENDS = {1: (3, 31), 2: (6, 30), 3: (9, 30), 4: (12, 31)}
# How a year's figure was found: its annual row, or the sum of its four quarters.
ANNUAL, QUARTERS = "annual", "quarters"
# The amounts a KPI row holds in yuan, and the counts (whole numbers, 0 or more).
MONEY_FIELDS = ("revenue_yuan", "cq_revenue_yuan", "net_profit_yuan", "rd_yuan")
COUNT_FIELDS = ("headcount", "patents")
FIELDS = (*MONEY_FIELDS, *COUNT_FIELDS)
# Flows add up over a year's quarters; stocks (people, patents held) are the year-end's.
STOCKS = frozenset(COUNT_FIELDS)


class PeriodError(ValueError):
    """Not a period: a year (2026) or a quarter (2026Q3)."""


@dataclass(frozen=True)
class Period:
    year: int
    quarter: int | None = None  # None: the whole year

    @property
    def code(self) -> str:
        return f"{self.year}Q{self.quarter}" if self.quarter else str(self.year)

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.quarter - 2 if self.quarter else 1, 1)

    @property
    def end(self) -> date:
        """The period's last day: the date a closed period judges."""
        return date(self.year, *QUARTER_ENDS[self.quarter or 4])

    @property
    def order(self) -> tuple[int, int]:
        """Years in order, each year's quarters before the year itself."""
        return (self.year, self.quarter or 5)


def parse_period(text) -> Period:
    """`2026` or `2026Q3` (spaces and a lower-case q are tidied; a number cell 2026 is a year)."""
    if isinstance(text, int) and not isinstance(text, bool):
        text = str(text)
    if isinstance(text, float) and text.is_integer():
        text = str(int(text))
    found = PERIOD_SHAPE.match("".join(str(text or "").split()).upper())
    if not found or not FIRST_YEAR <= int(found.group(1)) <= LAST_YEAR:
        raise PeriodError(str(text))
    quarter = found.group(2)
    return Period(int(found.group(1)), int(quarter) if quarter else None)


def period_order(code: str) -> tuple[int, int]:
    return parse_period(code).order


def year_figure(
    by_period: Mapping[str, Decimal | int | None], year: int, stock: bool = False
) -> tuple[Decimal | int | None, str | None]:
    """A year's figure and where it came from: the annual row's value, else the four quarters'
    sum (for a stock, such as headcount, the fourth quarter's value), else (None, None)."""
    annual = by_period.get(str(year))
    if annual is not None:
        return annual, ANNUAL
    quarters = [by_period.get(f"{year}Q{q}") for q in (1, 2, 3, 4)]
    if stock:
        return (quarters[3], QUARTERS) if quarters[3] is not None else (None, None)
    if all(value is not None for value in quarters):
        return sum(quarters), QUARTERS
    return None, None


def parse_signed_wan(text) -> Decimal | None:
    """A 万元 amount that may be negative (a net loss) → yuan; MoneyError as parse_wan."""
    if isinstance(text, float):
        text = format(Decimal(repr(text)), "f")
    raw = "" if text is None else str(text).strip()
    if raw.startswith("-"):
        value = parse_wan(raw[1:])
        if value is None:
            raise MoneyError("not_a_number")
        return -value
    return parse_wan(raw)


# What a KPI row may not hold (the field it concerns, a code the services turn into words).
NEGATIVE, CQ_ABOVE_REVENUE = "negative", "cq_above_revenue"


def problems(values: Mapping[str, Decimal | int | None]) -> list[tuple[str, str]]:
    """(field, problem) of a KPI row as it would be recorded: amounts other than net profit
    and the counts are 0 or more, and the Chongqing revenue is at most the revenue."""
    found = [
        (name, NEGATIVE)
        for name in FIELDS
        if name != "net_profit_yuan" and values.get(name) is not None and values[name] < 0
    ]
    revenue, in_cq = values.get("revenue_yuan"), values.get("cq_revenue_yuan")
    if revenue is not None and in_cq is not None and in_cq > revenue:
        found.append(("cq_revenue_yuan", CQ_ABOVE_REVENUE))
    return found
