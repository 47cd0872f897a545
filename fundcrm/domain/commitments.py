"""What a commitment has in force on a date (DOMAIN.md section 1), pure: no Flask, no database.

On a date D a commitment holds 0 before its start date (its own date, else its sub-fund's first
close; no date at all: in force on any date); from its start, its committed amount plus the
increases, less the decreases, less the transfers out, plus the transfers in, dated on or
before D. Every as-of figure (the committed size, an LP's unfunded amount, the call check)
asks a `Schedule` so the rule is written once.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

INCREASE, DECREASE, TRANSFER = "increase", "decrease", "transfer"
ZERO = Decimal(0)


def start_of(committed_on: date | None, first_close: date | None) -> date | None:
    """A commitment's start: its own date, else its sub-fund's first close."""
    return committed_on or first_close


def signed(kind: str, amount: Decimal, received: bool = False) -> Decimal:
    """What a change does to a commitment's amount: + for an increase or a transfer received,
    − for a decrease or a transfer given."""
    if kind == INCREASE or (kind == TRANSFER and received):
        return amount
    return -amount


@dataclass(frozen=True)
class Schedule:
    """A commitment's amount from its start, and its dated changes (signed, in date order)."""

    start: date | None
    committed: Decimal
    steps: tuple[tuple[date, Decimal], ...] = ()

    def on(self, day: date) -> Decimal:
        """The amount in force on `day`."""
        if self.start is not None and day < self.start:
            return ZERO
        return self.committed + sum((delta for on, delta in self.steps if on <= day), ZERO)

    def latest(self) -> Decimal:
        """The amount once every change counts (changes are never dated after today)."""
        return self.committed + sum((delta for _on, delta in self.steps), ZERO)

    def started(self, day: date) -> bool:
        return self.start is None or self.start <= day

    def with_step(self, on: date, delta: Decimal) -> "Schedule":
        return schedule(self.start, self.committed, [*self.steps, (on, delta)])


def schedule(
    start: date | None, committed: Decimal, steps: Iterable[tuple[date, Decimal]] = ()
) -> Schedule:
    return Schedule(start, committed, tuple(sorted(steps, key=lambda step: step[0])))


@dataclass(frozen=True)
class Shortfall:
    """A date on which the amount in force is below the LP's calls paid by then."""

    on: date
    in_force: Decimal
    called: Decimal


def first_shortfall(
    commitment: Schedule, calls: Iterable[tuple[date, Decimal]], since: date
) -> Shortfall | None:
    """The first date from `since` on where the amount in force is below the calls dated on
    or before it (below zero where none): looked at on `since` and on each later date where
    the amount or the calls move."""
    calls = sorted(calls, key=lambda call: call[0])
    moves = {on for on, _delta in commitment.steps} | {on for on, _amount in calls}
    for day in sorted({since, *(d for d in moves if d > since)}):
        called = sum((amount for on, amount in calls if on <= day), ZERO)
        if commitment.on(day) < called:
            return Shortfall(day, commitment.on(day), called)
    return None


@dataclass(frozen=True)
class Position:
    """Committed (in force), paid-in (calls) and unfunded on a date, in yuan."""

    committed: Decimal = ZERO
    paid_in: Decimal = ZERO

    @property
    def unfunded(self) -> Decimal:
        return self.committed - self.paid_in

    def __add__(self, other: "Position") -> "Position":
        return Position(self.committed + other.committed, self.paid_in + other.paid_in)


def total(positions: Iterable[Position]) -> Position:
    return sum(positions, Position())
