"""An LP's calls and distributions, and a sub-fund's fees and expenses (DOMAIN.md section 1).

Refused, with the reason, and nothing written: a date after today (the fund's clock), an
amount of zero or less, a date in a closed period, an LP without a commitment to the sub-fund
in force on the date, calls above the commitment. The commitment's row is locked, so two
simultaneous calls cannot pass the check together. Services flush; the view commits."""

from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from fundcrm import clock
from fundcrm.compliance import periods
from fundcrm.db import lock_for_edit
from fundcrm.domain import holding_rules as rules
from fundcrm.domain.vocab import EXPENSE_KINDS, LP_FLOW_KINDS
from fundcrm.errors import ServiceError
from fundcrm.funds import queries
from fundcrm.models import FundExpense, LpFlow


class FlowError(ServiceError):
    pass


def check_dated(on: date | None, amount: Decimal | None, field: str) -> None:
    """A flow is dated today or earlier (the fund's clock), its amount above zero."""
    if on is None:
        raise FlowError(_l("Give the date."), field)
    if on > clock.today():
        raise FlowError(_l("The date is today or earlier."), field)
    if amount is None or amount <= 0:
        raise FlowError(_l("The amount is above zero."), "amount")


NO_COMMITMENT = _l("This LP has no commitment to this sub-fund on that date.")
CALLS_ABOVE = _l("The calls would exceed the LP's commitment.")


def record_flow(db: Session, values: dict) -> LpFlow:
    """values: lp_id, sub_fund_id, flow_on, kind, amount_yuan, note."""
    check_dated(values["flow_on"], values["amount_yuan"], "flow_on")
    periods.check_open(db, values["flow_on"], "flow_on")
    if values["kind"] not in LP_FLOW_KINDS:
        raise FlowError(_l("A call or a distribution."), "kind")
    commitment = queries.commitment_of(db, values["lp_id"], values["sub_fund_id"])
    if commitment is None:
        raise FlowError(NO_COMMITMENT, "lp_id")
    lock_for_edit(db, commitment)  # then its changes and calls are read as they stand
    amounts = queries.schedule_of(db, commitment)  # in force on each date (dated changes)
    if not amounts.started(values["flow_on"]):
        raise FlowError(NO_COMMITMENT, "lp_id")
    if values["kind"] == "call":
        calls = [
            (f.flow_on, f.amount_yuan, None)
            for f in queries.calls_of(db, values["lp_id"], values["sub_fund_id"])
        ]
        calls.append((values["flow_on"], values["amount_yuan"], "new"))
        if rules.calls_above_commitment(calls, amounts.on):
            raise FlowError(CALLS_ABOVE, "amount")
    keys = ("lp_id", "sub_fund_id", "flow_on", "kind", "amount_yuan")
    flow = LpFlow(**{k: values[k] for k in keys}, note=(values.get("note") or "").strip())
    db.add(flow)
    db.flush()
    return flow


def record_expense(db: Session, values: dict) -> FundExpense:
    """values: sub_fund_id, spent_on, kind, amount_yuan, note."""
    check_dated(values["spent_on"], values["amount_yuan"], "spent_on")
    periods.check_open(db, values["spent_on"], "spent_on")
    if values["kind"] not in EXPENSE_KINDS:
        raise FlowError(_l("A management fee or a fund expense."), "kind")
    expense = FundExpense(
        sub_fund_id=values["sub_fund_id"],
        spent_on=values["spent_on"],
        kind=values["kind"],
        amount_yuan=values["amount_yuan"],
        note=(values.get("note") or "").strip(),
    )
    db.add(expense)
    db.flush()
    return expense
