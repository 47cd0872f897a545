"""The guidance-fund rules of DOMAIN.md section 1 as of a date, pure: no Flask, no database.

Re-investment (返投), per government commitment: required = ratio × base (the commitment in
force, or that LP's calls, on the date); achieved = the commitment's own sub-fund's investment
cost dated on or before the date in companies registered in its area on that date, a company
that relocated into the area after the sub-fund's first investment in it counting all that
cost × the multiplier from the relocation's date. Before the deadline a shortfall is progress;
from the deadline on it is a breach; "at risk" below a share of the requirement within some
months of the deadline. The mandate (stage, focus, investment period, single-project cap) is
fundcrm.domain.stages': `holding_breaches` runs those rules on each investment of a holding.
"""

import calendar
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate

from fundcrm.domain import stages
from fundcrm.domain.location import Move, Place, location_on
from fundcrm.domain.reinvest import in_area

FEN = Decimal("0.01")
ZERO = Decimal(0)

# a company's standing toward one commitment on a date
COUNTED, OUTSIDE, UNKNOWN = "counted", "outside", "unknown"
# a commitment's standing on a date
NOT_REQUIRED, MET, PROGRESS = "not_required", "met", "progress"
AT_RISK, BREACH = "at_risk", "breach"


def fen(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (the month's last day where it has
    fewer days)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


@dataclass(frozen=True)
class Terms:
    """A government commitment's re-investment requirement as in force."""

    ratio: Decimal
    area: tuple[str, ...]
    base: str  # committed / paid_in
    multiplier: Decimal
    deadline: date | None


def terms(ratio, area, base, multiplier, deadline, default_multiplier, investment_end) -> Terms:
    """The commitment's terms, blanks read as DOMAIN.md says: the multiplier the setting's
    default, the deadline the sub-fund's investment period end."""
    return Terms(
        Decimal(ratio),
        tuple(area or ()),
        base or "committed",
        Decimal(multiplier) if multiplier is not None else Decimal(default_multiplier),
        deadline or investment_end,
    )


def required(t: Terms, committed: Decimal, paid_in: Decimal) -> Decimal:
    """Ratio × the base on the date."""
    return fen(t.ratio * (paid_in if t.base == "paid_in" else committed))


@dataclass(frozen=True)
class Count:
    """What one company counts toward one commitment on a date, and why."""

    status: str  # counted / outside / unknown
    place: Place
    cost: Decimal  # the sub-fund's investment cost in it dated on or before the date
    multiplier: Decimal = Decimal(1)
    relocated_on: date | None = None  # the move into the area the multiplier counts from

    @property
    def counted(self) -> Decimal:
        return fen(self.cost * self.multiplier) if self.status == COUNTED else ZERO


def entered_area(area: Sequence[str], moves: Sequence[Move], day: date) -> Move | None:
    """The latest relocation on or before `day` that brought the company into the area: from a
    place known to be outside it (a relocation from an unknown place records where the company
    was all along, and earns no multiplier)."""
    entries = [
        m
        for m in moves
        if m.effective_on <= day
        and in_area(list(area), m.destination.district, m.destination.city) is True
        and in_area(list(area), m.origin.district, m.origin.city) is False
    ]
    return max(entries, key=lambda m: m.effective_on, default=None)


def company_count(
    t: Terms, present: Place, moves: Sequence[Move], first_on: date, cost: Decimal, day: date
) -> Count:
    """One company's count toward a commitment on `day` (`first_on`: the sub-fund's first
    investment in it; `cost`: its investment cost dated on or before `day`)."""
    place = location_on(present, moves, day)
    inside = in_area(list(t.area), place.district, place.city)
    if inside is None:
        return Count(UNKNOWN, place, cost)
    if not inside:
        return Count(OUTSIDE, place, cost)
    entry = entered_area(t.area, moves, day)
    if entry is not None and entry.effective_on > first_on:
        return Count(COUNTED, place, cost, t.multiplier, entry.effective_on)
    return Count(COUNTED, place, cost)


@dataclass(frozen=True)
class Standing:
    """A commitment's re-investment on a date."""

    required: Decimal
    achieved: Decimal
    status: str
    deadline: date | None
    risk_from: date | None  # from this date a shortfall below the share is "at risk"

    @property
    def progress(self) -> Decimal | None:
        """Achieved ÷ required (None when nothing is required)."""
        return self.achieved / self.required if self.required > 0 else None


def standing(
    t: Terms, required_yuan: Decimal, achieved: Decimal, day: date, risk_pct, risk_months: int
) -> Standing:
    """Met, progress, at risk or breach; nothing required for a ratio of 0, or while the base
    is nothing (a commitment not yet in force, or nothing paid in on a paid-in base)."""
    risk_from = months_before(t.deadline, risk_months) if t.deadline else None
    found = Standing(required_yuan, achieved, PROGRESS, t.deadline, risk_from)
    if t.ratio == 0 or required_yuan == 0:
        return replace(found, status=NOT_REQUIRED)
    if achieved >= required_yuan:
        return replace(found, status=MET)
    if t.deadline and day >= t.deadline:
        return replace(found, status=BREACH)
    if risk_from and day >= risk_from and achieved * 100 < required_yuan * Decimal(risk_pct):
        return replace(found, status=AT_RISK)
    return found


# -- the single-project cap and the mandate, judged on each investment ---------------------


@dataclass(frozen=True)
class Mandate:
    """A sub-fund's LPA settings the mandate rules read."""

    label: str  # the sub-fund as messages name it
    allowed_stages: list[str]
    focus_areas: list[str]
    cap_pct: Decimal
    investment_end: date | None


@dataclass(frozen=True)
class Judged:
    """A breach of a holding, with the investment it was judged on (None: the company's
    stage or focus, judged as of the date)."""

    breach: stages.Breach
    made_on: date | None = None
    seq: int | None = None  # the investment's id


def _facts(m: Mandate, size: Decimal, invested: Decimal, amount: Decimal, new: bool):
    return stages.MandateFacts(
        m.label, m.allowed_stages, m.focus_areas, m.cap_pct, size, invested, amount,
        m.investment_end, new,
    )  # fmt: skip


def holding_breaches(
    m: Mandate,
    company_stage: str | None,
    company_focus: str | None,
    investments: Sequence[tuple[date, Decimal, int]],
    size_on: Callable[[date], Decimal],
    day: date,
) -> list[Judged]:
    """The stage and focus of the company (once), then per investment (date, amount, id; in
    date order) the investment period for the first and the cap on its cumulative cost, each
    judged on the investment's own date with the sub-fund's committed size then."""
    if not investments:
        return []
    found = []
    case = stages.MandateCase(["closed"], company_stage, company_focus, day)
    first = _facts(m, size_on(investments[0][0]), ZERO, investments[0][1], True)
    for rule in (stages.outside_stages, stages.outside_focus):
        if breach := rule(first, case):
            found.append(Judged(breach))
    invested = ZERO
    for made_on, amount, seq in investments:
        facts = _facts(m, size_on(made_on), invested, amount, invested == 0)
        on = stages.MandateCase(case.entered, company_stage, company_focus, made_on)
        for rule in (stages.after_investment_period, stages.over_cap):
            if breach := rule(facts, on):
                found.append(Judged(breach, made_on, seq))
        invested += amount
    return found


def size_timeline(schedules: Mapping, sub_fund_id: int, target: Decimal) -> Callable:
    """The sub-fund's committed size on any date (its commitments in force then; `schedules` by
    (lp_id, sub_fund_id)), which its cap is a share of; its target while nothing is committed.
    What Schedule.on says, summed: each commitment counts from its start, each change from its
    date (never before the start)."""
    events = []
    for (_lp, fund_id), s in schedules.items():
        if fund_id == sub_fund_id:
            events.append((s.start or date.min, s.committed))
            events += [(max(on, s.start or date.min), delta) for on, delta in s.steps]
    events.sort(key=lambda event: event[0])
    days = [on for on, _delta in events]
    totals = list(accumulate((delta for _on, delta in events), initial=ZERO))

    def size(day: date) -> Decimal:
        return totals[bisect_right(days, day)] or target

    return size


def committed_size(schedules: Mapping, sub_fund_id: int, day: date, target: Decimal) -> Decimal:
    """The sub-fund's committed size on one date (see size_timeline)."""
    return size_timeline(schedules, sub_fund_id, target)(day)


def cap_share(cost: Decimal, limit: Decimal) -> Decimal | None:
    """The share of the cap used (cost ÷ limit), None without a limit."""
    return cost / limit if limit > 0 else None


def near_cap(cost: Decimal, limit: Decimal, near_pct) -> bool:
    """Cost at or above `near_pct` percent of the cap (over it included)."""
    return limit > 0 and cost * 100 >= limit * Decimal(near_pct)
