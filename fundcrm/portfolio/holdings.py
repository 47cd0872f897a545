"""A holding's transactions and valuation marks (DOMAIN.md section 6), and its figures.

Transactions: proceeds (a partial or full exit; after a full exit or a write-off, escrow,
earn-out or recovery with no exit), dividends, write-offs (no cash: the amount is 0 or
informational) and, for risk or an administrator with an override reason, a direct
investment (history, corrections; a deal's investments come through the closing form).
Marks: entered on the web they wait for a second person with the risk role; only counted
marks enter any figure, and a counted mark never changes (a correction is a new mark).
Nothing is recorded, nor a mark approved, dated in a closed period (fundcrm.compliance.periods).
Services flush; the view commits."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from fundcrm import clock
from fundcrm.compliance import periods
from fundcrm.db import lock_for_edit
from fundcrm.domain import holding_rules as rules
from fundcrm.domain import metrics
from fundcrm.domain.vocab import VALUATION_METHODS
from fundcrm.errors import ServiceError
from fundcrm.models import Holding, PortfolioTransaction, ValuationMark
from fundcrm.permissions import user_can


class HoldingError(ServiceError):
    pass


class CountedMark(RuntimeError):
    """A flush that would change a counted mark."""


@event.listens_for(OrmSession, "before_flush")
def _counted_marks_never_change(session, _context, _instances) -> None:
    for obj in session.dirty:
        if isinstance(obj, ValuationMark) and session.is_modified(obj):
            status = inspect(obj).attrs.status.history
            before = (status.deleted or status.unchanged or [None])[0]
            if before in ("counted", "rejected"):
                raise CountedMark(f"valuation mark {obj.id} is {before}")


MESSAGES = {
    rules.NO_DATE: _l("Give the date."),
    rules.FUTURE: _l("The date is today or earlier."),
    rules.BEFORE_OPENING: _l("Nothing is dated before the holding's first investment."),
    rules.AMOUNT: _l("The amount is above zero (zero only for a write-off)."),
    rules.ENDED: _l(
        "The holding is fully exited or written off: only recoveries and dividends follow."
    ),
    rules.END_NOT_LAST: _l("A full exit or a write-off is dated after every transaction."),
    rules.EXIT_NEEDED: _l("Proceeds before the end of a holding are a partial or a full exit."),
    rules.OWNERSHIP_UP: "",  # quotes the ownership: see message()
    rules.MARK_AFTER_END: _l("A fully exited or written-off holding is not marked."),
    rules.MARK_VALUE: _l("The fair value is zero or more."),
}


def message(problem: rules.Problem) -> str:
    """The problem in the user's language."""
    if problem.code == rules.OWNERSHIP_UP:
        return _l("After a partial exit the ownership is below what it was (%(pct)s%%).",
                  pct=format(problem.value.normalize(), "f"))  # fmt: skip
    return MESSAGES[problem.code]


def entries(holding: Holding) -> list[rules.Entry]:
    """The holding's recorded transactions as the rules read them."""
    return [
        rules.Entry(t.made_on, t.kind, t.amount_yuan, t.exit, t.equity_pct)
        for t in holding.transactions
    ]


def ended_on(holding: Holding) -> date | None:
    """The date of its full exit or write-off, if it has one."""
    return rules.ended_on(entries(holding))


def status(holding: Holding) -> str:
    return rules.status(holding.transactions)


@dataclass(frozen=True)
class TransactionValues:
    made_on: date | None
    kind: str
    amount_yuan: Decimal | None
    exit: str | None = None
    equity_pct: Decimal | None = None
    override_reason: str = ""
    note: str = ""


def _refuse_problems(problems: list[rules.Problem]) -> None:
    if problems:
        raise HoldingError(message(problems[0]), problems[0].field)


def record(db: Session, holding: Holding, values: TransactionValues, user) -> PortfolioTransaction:
    lock_for_edit(db, holding, "transactions")
    periods.check_open(db, values.made_on, "made_on")
    if values.kind == "investment":
        if not user_can(user, "record_direct_investments"):
            raise HoldingError(_l("A direct investment is for risk or an administrator."), "kind")
        if not values.override_reason.strip():
            raise HoldingError(_l("Give the reason for a direct investment."), "override_reason")
    exit_ = values.exit if values.kind == "proceeds" else None
    amount = values.amount_yuan
    if values.kind == "write_off" and amount is None:
        amount = Decimal(0)
    new = rules.Entry(values.made_on, values.kind, amount, exit_, values.equity_pct, new=True)
    _refuse_problems(rules.check_transactions([*entries(holding), new], clock.today()))
    txn = PortfolioTransaction(
        holding_id=holding.id,
        made_on=values.made_on,
        kind=values.kind,
        amount_yuan=amount,
        exit=exit_,
        equity_pct=values.equity_pct,
        override_reason=values.override_reason.strip() or None,
        note=values.note.strip(),
        created_by_id=user.id if user else None,
    )
    db.add(txn)
    if values.made_on < holding.opened_on:  # a direct investment before the first one
        holding.opened_on = values.made_on
    db.flush()
    return txn


def add_mark(db: Session, holding: Holding, values: dict, user, counted: bool = False):
    """A new mark; `counted` for the command line's imports and risk's web imports."""
    lock_for_edit(db, holding, "transactions")
    marked_on, value = values.get("marked_on"), values.get("fair_value_yuan")
    periods.check_open(db, marked_on, "marked_on")
    _refuse_problems(rules.check_mark(entries(holding), marked_on, value, clock.today()))
    if values.get("method") not in VALUATION_METHODS:
        raise HoldingError(_l("Choose the valuation method."), "method")
    mark = ValuationMark(
        holding_id=holding.id,
        marked_on=marked_on,
        fair_value_yuan=value,
        method=values["method"],
        note=(values.get("note") or "").strip(),
        status="counted" if counted else "pending",
        author_id=user.id if user else None,
    )
    db.add(mark)
    db.flush()
    return mark


def review_mark(db: Session, mark: ValuationMark, user, approve: bool, reason: str = ""):
    """Risk's second pair of eyes: approve (the mark counts from now on) or reject, with a
    reason. Never the mark's author."""
    lock_for_edit(db, mark)
    if mark.status != "pending":
        raise HoldingError(_l("This mark is reviewed already: a correction is a new mark."))
    if not user_can(user, "review_marks"):
        raise HoldingError(_l("A mark is reviewed by risk."))
    if mark.author_id == user.id:
        raise HoldingError(_l("A mark is reviewed by someone other than its author."))
    if not approve and not (reason or "").strip():
        raise HoldingError(_l("Give the reason for rejecting the mark."), "reason")
    if approve:  # a counted mark would change the closed period's figures
        periods.check_open(db, mark.marked_on)
    mark.status = "counted" if approve else "rejected"
    mark.reviewer_id, mark.reviewed_at = user.id, clock.now()
    mark.reject_reason = None if approve else reason.strip()[:1000]
    db.flush()


def engine_inputs(holding: Holding, marks: list[ValuationMark]):
    """The holding's transactions and counted marks as the metrics engine reads them."""
    txns = [
        metrics.Txn(t.made_on, t.kind, t.amount_yuan, t.exit, t.equity_pct, t.id)
        for t in holding.transactions
    ]
    counted = [
        metrics.Mark(m.marked_on, m.fair_value_yuan, m.id) for m in marks if m.status == "counted"
    ]
    return txns, counted


def figures(holding: Holding, marks: list[ValuationMark], as_of: date) -> metrics.HoldingFigures:
    return metrics.holding(*engine_inputs(holding, marks), as_of)
