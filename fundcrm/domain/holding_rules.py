"""What a holding's transactions and marks may be (DOMAIN.md section 6), pure: no Flask, no
database. The web's forms and the imports ask the same questions here, so every rule is
written once.

A holding's transactions are checked as one sequence in date order (those of a day in the
order they were entered, the new ones after): it opens with an investment; until it ends,
proceeds are a partial or a full exit; a full exit or a write-off ends it, and after its end
only recoveries (proceeds with no exit) and dividends follow; a partial exit lowers the
ownership when both are known. Each problem names the entry (its `key`), the field and a
message code that the caller words in the user's language.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

INVESTMENT, PROCEEDS, DIVIDEND, WRITE_OFF = "investment", "proceeds", "dividend", "write_off"
PARTIAL, FULL = "partial", "full"

# message codes (worded by fundcrm.portfolio.holdings.MESSAGES)
NO_DATE = "no_date"
FUTURE = "future"
BEFORE_OPENING = "before_opening"
AMOUNT = "amount"
ENDED = "ended"
END_NOT_LAST = "end_not_last"
EXIT_NEEDED = "exit_needed"
OWNERSHIP_UP = "ownership_up"
MARK_AFTER_END = "mark_after_end"
MARK_VALUE = "mark_value"


@dataclass(frozen=True)
class Entry:
    """A transaction: `new` for one being added (only those get problems); `key` is the
    caller's handle (a row number, or None for a form)."""

    on: date | None
    kind: str
    amount: Decimal | None
    exit: str | None = None
    equity_pct: Decimal | None = None
    new: bool = False
    key: object = None


@dataclass(frozen=True)
class Problem:
    key: object
    field: str  # made_on, kind, amount, exit, equity_pct (marked_on, fair_value for marks)
    code: str
    value: object = None  # what the message quotes


def ends(entry: Entry) -> bool:
    return entry.kind == WRITE_OFF or (entry.kind == PROCEEDS and entry.exit == FULL)


def _own_problems(entry: Entry, today: date) -> list[Problem]:
    """What is wrong with the entry whatever the others."""
    found = []
    if entry.on is None:
        found.append(Problem(entry.key, "made_on", NO_DATE))
    elif entry.on > today:
        found.append(Problem(entry.key, "made_on", FUTURE))
    amount = entry.amount
    if entry.kind == WRITE_OFF:
        amount = amount if amount is not None else Decimal(0)
    if amount is None or amount < 0 or (amount == 0 and entry.kind != WRITE_OFF):
        found.append(Problem(entry.key, "amount", AMOUNT))
    return found


def in_order(entries: Iterable[Entry]) -> list[Entry]:
    """Date order; on one day, the recorded ones first, then the new ones as given."""
    listed = list(entries)
    return sorted(listed, key=lambda e: (e.on, e.new, listed.index(e)))


def check_transactions(entries: Iterable[Entry], today: date) -> list[Problem]:
    """The problems of the new entries in the holding's whole sequence (none: they may be
    written)."""
    listed = list(entries)
    found = [p for e in listed if e.new for p in _own_problems(e, today)]
    dated = in_order(e for e in listed if e.on is not None)
    ended: Entry | None = None
    owned: Decimal | None = None
    for index, entry in enumerate(dated):
        if index == 0 and entry.kind != INVESTMENT:
            if entry.new:
                found.append(Problem(entry.key, "made_on", BEFORE_OPENING))
            continue
        if ended is not None and (entry.kind in (INVESTMENT, WRITE_OFF) or entry.exit):
            if entry.new:
                found.append(Problem(entry.key, "kind", ENDED))
            elif ended.new:
                found.append(Problem(ended.key, "made_on", END_NOT_LAST))
        if ended is None and entry.kind == PROCEEDS and not entry.exit and entry.new:
            found.append(Problem(entry.key, "exit", EXIT_NEEDED))
        if entry.exit == PARTIAL and entry.new and None not in (entry.equity_pct, owned):
            if entry.equity_pct >= owned:
                found.append(Problem(entry.key, "equity_pct", OWNERSHIP_UP, owned))
        if entry.kind in (INVESTMENT, PROCEEDS):
            owned = entry.equity_pct
        elif entry.equity_pct is not None:
            owned = entry.equity_pct
        if ended is None and ends(entry):
            ended = entry
    return _first_per_field(found)


def _first_per_field(found: list[Problem]) -> list[Problem]:
    seen, kept = set(), []
    for problem in found:
        if (problem.key, problem.field) not in seen:
            seen.add((problem.key, problem.field))
            kept.append(problem)
    return kept


def status(transactions: Iterable) -> str:
    """`written_off`, `exited` (a full exit) or `active`: of anything with a kind and an exit
    (entries, the engine's transactions, the records)."""
    for txn in transactions:
        if txn.kind == WRITE_OFF:
            return "written_off"
        if txn.kind == PROCEEDS and txn.exit == FULL:
            return "exited"
    return "active"


def ended_on(entries: Iterable[Entry]) -> date | None:
    """The date of the holding's end (its first full exit or write-off), if any."""
    return next((e.on for e in in_order(entries) if e.on is not None and ends(e)), None)


def check_mark(
    entries: Iterable[Entry], on: date | None, fair_value: Decimal | None, today: date, key=None
) -> list[Problem]:
    """A mark is dated from the holding's first investment to today, before its end, and its
    value is zero or more."""
    found = []
    listed = [e for e in in_order(entries) if e.on is not None]
    if on is None:
        found.append(Problem(key, "marked_on", NO_DATE))
    elif on > today:
        found.append(Problem(key, "marked_on", FUTURE))
    elif not listed or on < listed[0].on:
        found.append(Problem(key, "marked_on", BEFORE_OPENING))
    elif (end := ended_on(listed)) is not None and on >= end:
        found.append(Problem(key, "marked_on", MARK_AFTER_END))
    if fair_value is None or fair_value < 0:
        found.append(Problem(key, "fair_value", MARK_VALUE))
    return found


def calls_above_commitment(
    calls: Iterable[tuple[date, Decimal, object]], committed_on: Callable[[date], Decimal]
) -> list[object]:
    """The keys of the calls after which the LP's calls to date exceed the commitment in force
    on that date (`committed_on(d)`): each call is checked with every call dated on or before
    it, so a call added before later ones is checked against them too. Keys None (recorded
    calls) are never returned; an excess first reached at a recorded call is laid on the
    latest new call before it."""
    ordered = sorted(calls, key=lambda c: c[0])
    total, last_new, over = Decimal(0), None, []
    for index, (on, amount, key) in enumerate(ordered):
        total += amount
        if key is not None:
            last_new = key
        later_same_day = index + 1 < len(ordered) and ordered[index + 1][0] == on
        if later_same_day or total <= committed_on(on):
            continue
        if last_new is not None and last_new not in over:
            over.append(last_new)
    return over
