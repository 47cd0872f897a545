"""The pipeline's figures (DOMAIN.md section 8.7): how many deals reached each stage, how many
went on to the next, how long they stayed. Pure functions over plain values: the annual report
and the home dashboard call the same ones."""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from fundcrm.domain.stages import PATH, traversed


@dataclass(frozen=True)
class FunnelStep:
    stage: str
    count: int
    conversion: float | None  # count ÷ the previous step's count (None for the first, or 0)


def funnel(
    counts: Mapping[str, int], stages: tuple[str, ...] | list[str] = PATH
) -> list[FunnelStep]:
    """The stages of the path in order with their counts, each against the step before."""
    steps, previous = [], None
    for stage in stages:
        count = int(counts.get(stage, 0))
        conversion = count / previous if previous else None
        steps.append(FunnelStep(stage, count, conversion))
        previous = count
    return steps


# -- the year's figures (the annual report's section 7) -------------------------------------


@dataclass(frozen=True)
class Move:
    """A stage move as the year's figures read it: the deal, from, to, and its business date
    (the fund's calendar date of the instant it was made)."""

    deal: int
    from_stage: str | None
    to_stage: str
    on: date


@dataclass(frozen=True)
class StageYear:
    """One stage of the path in a year: the deals that reached it, how many of them reached the
    next stage by 31 December (None for the last stage), and the median of the days the deals
    spent in it over the stays completed in the year (None when no stay ended)."""

    stage: str
    reached: int
    converted: int | None
    conversion: Decimal | None
    median_days: Decimal | None
    stays: int  # the deals whose days the median is taken over


def entered(move: Move) -> list[str]:
    """The stages a move enters: those a forward move passes through, then its target."""
    return (traversed(move.from_stage, move.to_stage) if move.from_stage else []) or [move.to_stage]


def by_deal(moves: Iterable[Move]) -> dict[int, list[Move]]:
    """The moves of each deal, in the order given (the order they were made)."""
    found: dict[int, list[Move]] = {}
    for move in moves:
        found.setdefault(move.deal, []).append(move)
    return found


def _arrivals(moves: list[Move]) -> list[tuple[tuple[int, int], str, date]]:
    """Each entry into a stage by one deal: (its place in the sequence, the stage, the date)."""
    return [
        ((i, j), stage, m.on) for i, m in enumerate(moves) for j, stage in enumerate(entered(m))
    ]


def reached(moves: Iterable[Move], year: int) -> dict[str, set[int]]:
    """Stage → the deals that reached it in the year (a move into or through it dated then)."""
    found: dict[str, set[int]] = {}
    for m in moves:
        if m.on.year == year:
            for stage in entered(m):
                found.setdefault(stage, set()).add(m.deal)
    return found


def converted(moves: list[Move], stage: str, following: str, year: int) -> bool:
    """Whether a deal (its moves in order) that reached `stage` in the year then reached
    `following` by 31 December: a move into or through it after the first reaching `stage`."""
    arrivals = _arrivals(moves)
    first = next((at for at, s, on in arrivals if s == stage and on.year == year), None)
    last_day = date(year, 12, 31)
    return first is not None and any(
        at > first and s == following and on <= last_day for at, s, on in arrivals
    )


def stay_days(moves: Iterable[Move], year: int) -> dict[str, dict[int, int]]:
    """Stage → deal → the days it spent in the stage over its stays completed in the year (a stay
    ends with a move out dated in the year; re-entries summed; a stage passed through: 0 days).
    A stay's days are the calendar days between the business dates of the moves in and out."""
    found: dict[str, dict[int, int]] = {}
    for deal, mine in by_deal(moves).items():
        for before, m in zip([None, *mine], mine, strict=False):
            if m.on.year != year:
                continue
            if before is not None and m.from_stage is not None:
                days = max(0, (m.on - before.on).days)
                per_deal = found.setdefault(m.from_stage, {})
                per_deal[deal] = per_deal.get(deal, 0) + days
            for stage in entered(m)[:-1]:
                found.setdefault(stage, {}).setdefault(deal, 0)
    return found


def median(values: Iterable[int]) -> Decimal | None:
    """The exact median (the mean of the middle two of an even count), None of nothing."""
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return Decimal(ordered[middle])
    return (Decimal(ordered[middle - 1]) + Decimal(ordered[middle])) / 2


def share(part: int, whole: int) -> Decimal | None:
    return Decimal(part) / Decimal(whole) if whole else None


def year_stages(moves: Iterable[Move], year: int, path: Sequence[str] = PATH) -> list[StageYear]:
    """Each stage of the path in the year (DOMAIN.md 8.7), from the deals' moves in the order
    they were made (moves of earlier years included: a stay may have begun before the year)."""
    moves = list(moves)
    per_deal, arrived, days = by_deal(moves), reached(moves, year), stay_days(moves, year)
    found = []
    for i, stage in enumerate(path):
        deals = arrived.get(stage, set())
        following = path[i + 1] if i + 1 < len(path) else None
        went_on = None
        if following is not None:
            went_on = sum(1 for d in deals if converted(per_deal[d], stage, following, year))
        stays = days.get(stage, {})
        found.append(StageYear(stage, len(deals), went_on,
                               None if went_on is None else share(went_on, len(deals)),
                               median(stays.values()), len(stays)))  # fmt: skip
    return found


def whole_days(days: Decimal | None) -> int | None:
    """A median of days as the report shows it: whole days, a half rounded up."""
    return None if days is None else int(days.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def tally(keys: Iterable[str | None]) -> list[tuple[str | None, int]]:
    """How many times each key occurs, most first (then by key, no key last)."""
    counts = Counter(keys)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or ""))


def pass_reason_counts(reasons: Iterable[str | None]) -> list[tuple[str | None, int]]:
    """The deals passed per reason (each deal once, with the reason it was last passed for;
    reasons differing only in spacing are one)."""
    return tally(" ".join(r.split()) or None if r else None for r in reasons)
