"""An LP's calls and distributions, and a sub-fund's fees and expenses (DOMAIN.md section 1).

Refused, with the reason, and nothing written: a date after today (the fund's clock), an
amount of zero or less, an LP without a commitment to the sub-fund in force on the date, calls
above the commitment. The commitment's row is locked, so two simultaneous calls cannot pass
the check together. Services flush; the view commits."""

from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from fundcrm import clock
from fundcrm.db import lock_for_edit
from fundcrm.domain.vocab import EXPENSE_KINDS, LP_FLOW_KINDS
from fundcrm.errors import ServiceError
from fundcrm.funds import queries
from fundcrm.models import FundExpense, LpFlow, SubFund


class FlowError(ServiceError):
    pass


def _checked(on: date | None, amount: Decimal | None, field: str) -> None:
    if on is None:
        raise FlowError(_l("Give the date."), field)
    if on > clock.today():
        raise FlowError(_l("The date is today or earlier."), field)
    if amount is None or amount <= 0:
        raise FlowError(_l("The amount is above zero."), "amount")


def record_flow(db: Session, values: dict) -> LpFlow:
    """values: lp_id, sub_fund_id, flow_on, kind, amount_yuan, note."""
    _checked(values["flow_on"], values["amount_yuan"], "flow_on")
    if values["kind"] not in LP_FLOW_KINDS:
        raise FlowError(_l("A call or a distribution."), "kind")
    commitment = queries.commitment_of(db, values["lp_id"], values["sub_fund_id"])
    fund = db.get(SubFund, values["sub_fund_id"])
    since = commitment and (commitment.committed_on or fund.first_close)
    if commitment is None or (since is not None and since > values["flow_on"]):
        raise FlowError(_l("This LP has no commitment to this sub-fund on that date."), "lp_id")
    lock_for_edit(db, commitment)
    if values["kind"] == "call":
        called = queries.called_yuan(db, values["lp_id"], values["sub_fund_id"])
        if called + values["amount_yuan"] > commitment.committed_yuan:
            raise FlowError(_l("The calls would exceed the LP's commitment."), "amount")
    keys = ("lp_id", "sub_fund_id", "flow_on", "kind", "amount_yuan")
    flow = LpFlow(**{k: values[k] for k in keys}, note=(values.get("note") or "").strip())
    db.add(flow)
    db.flush()
    return flow


def record_expense(db: Session, values: dict) -> FundExpense:
    """values: sub_fund_id, spent_on, kind, amount_yuan, note."""
    _checked(values["spent_on"], values["amount_yuan"], "spent_on")
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
