"""A sub-fund's figures as of a date (`/funds/<code>/metrics`), each traced to the dated flows
behind it; an administrator records LP calls and distributions and the fees and expenses."""

from flask import render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from fundcrm import db
from fundcrm.errors import ExplainedNotFound
from fundcrm.funds import flows
from fundcrm.funds.positions import positions
from fundcrm.funds.queries import lps, sub_funds
from fundcrm.permissions import requires, user_can
from fundcrm.portfolio import queries
from fundcrm.portfolio.figures import compute, traces
from fundcrm.portfolio.forms import ExpenseForm, FlowForm
from fundcrm.portfolio.routes import bp
from fundcrm.views import as_of_date, posted


def _fund(code: str):
    found = next((f for f in sub_funds(db.session()) if f.code == code), None)
    if found is None:
        raise ExplainedNotFound(_("No sub-fund has this code."))
    return found


@bp.get("/funds/<code>/metrics")
@requires("read_portfolio")
def metrics_page(code: str):
    session, as_of, fund = db.session(), as_of_date(), _fund(code)
    _total, parts = compute(session, as_of, fund.code)
    (part,) = parts
    names = {lp.id: lp.name for lp in lps(session)}
    mine = [f for f in queries.lp_flows(session, as_of) if f.sub_fund_id == fund.id]
    commitments = [c for c, f in queries.commitments_with_funds(session) if f.id == fund.id]
    calls = [f for f in mine if f.kind == "call"]
    distributions = [f for f in mine if f.kind == "distribution"]
    spent = [e for e in queries.expenses(session, as_of) if e.sub_fund_id == fund.id]
    visible = names if user_can(current_user, "read_lp_accounts") else None
    flow_form = FlowForm()
    flow_form.lp_id.choices = [(c.lp_id, names.get(c.lp_id, "")) for c in commitments]
    return render_template(
        "portfolio/metrics.html",
        fund=fund,
        as_of=as_of,
        figures=part.figures,
        traces=traces(part, calls, distributions, spent, visible, as_of),
        gross_first=min((h.first_flow for _h, h in part.holdings if h.first_flow), default=None),
        calls=calls,
        accounts=positions(session, as_of).of(fund.id),
        flow_form=flow_form,
        expense_form=ExpenseForm(),
    )


@bp.post("/funds/<code>/flows")
@requires("manage_funds")
def record_flow(code: str):
    form, fund = FlowForm(), _fund(code)
    values = lambda: {  # noqa: E731 - read when the form is valid
        "lp_id": form.lp_id.data, "sub_fund_id": fund.id, "flow_on": form.flow_on.data,
        "kind": form.kind.data, "amount_yuan": form.amount.data, "note": form.note.data,
    }  # fmt: skip
    return posted(form, lambda: flows.record_flow(db.session(), values()), fund, "record_flow",
                  _("The call or distribution is recorded."),
                  url_for("portfolio.metrics_page", code=fund.code))  # fmt: skip


@bp.post("/funds/<code>/expenses")
@requires("manage_funds")
def record_expense(code: str):
    form, fund = ExpenseForm(), _fund(code)
    values = lambda: {  # noqa: E731 - read when the form is valid
        "sub_fund_id": fund.id, "spent_on": form.spent_on.data, "kind": form.kind.data,
        "amount_yuan": form.amount.data, "note": form.note.data,
    }  # fmt: skip
    return posted(form, lambda: flows.record_expense(db.session(), values()), fund,
                  "record_expense", _("The fee or expense is recorded."),
                  url_for("portfolio.metrics_page", code=fund.code))  # fmt: skip
