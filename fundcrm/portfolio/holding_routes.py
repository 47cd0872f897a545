"""The portfolio: its holdings with their figures, a holding's page (transactions, marks,
fair value over time), recording transactions and marks, and risk's review of marks."""

import json
from datetime import date
from types import SimpleNamespace

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from fundcrm import clock, db
from fundcrm.domain import metrics
from fundcrm.errors import ExplainedBadRequest
from fundcrm.ic import queries as ic_queries
from fundcrm.models import Holding, ValuationMark
from fundcrm.permissions import authorize, requires, user_can
from fundcrm.portfolio import holdings, queries
from fundcrm.portfolio.forms import MarkForm, ReviewMarkForm, TransactionForm
from fundcrm.portfolio.routes import bp
from fundcrm.views import get_or_404, posted

SORTS = {
    "company": lambda r: r["holding"].company.name,
    "sub_fund": lambda r: r["holding"].sub_fund.code,
    "invested": lambda r: r["figures"].invested,
    "fair_value": lambda r: r["figures"].fair_value,
    "proceeds": lambda r: r["figures"].proceeds,
    "moic": lambda r: r["figures"].moic if r["figures"].moic is not None else -1,
    "irr": lambda r: r["figures"].gross_irr if r["figures"].gross_irr is not None else -9,
}
FILTERS = {
    "focus_area": lambda h: h.company.focus_area,
    "stage": lambda h: h.company.enterprise_stage,
    "zone": lambda h: h.company.zone,
    "status": holdings.status,
}


def _as_of() -> date:
    text = request.args.get("as_of")
    if not text:
        return clock.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ExplainedBadRequest(_("Give the date as YYYY-MM-DD.")) from None


@bp.get("/portfolio")
@requires("read_portfolio")
def portfolio():
    session, as_of = db.session(), _as_of()
    found = queries.holdings_for_list(session, request.args.get("sub_fund") or None)
    for name, value_of in FILTERS.items():
        if wanted := request.args.get(name):
            found = [h for h in found if value_of(h) == wanted]
    marks = queries.marks_of(session, [h.id for h in found])
    rows = [
        {"holding": h, "status": holdings.status(h),
         "figures": holdings.figures(h, marks.get(h.id, []), as_of)}
        for h in found if h.opened_on <= as_of
    ]  # fmt: skip
    sort = request.args.get("sort", "company")
    key = SORTS.get(sort.lstrip("-"), SORTS["company"])
    rows.sort(key=key, reverse=sort.startswith("-"))
    total = metrics.fund([r["figures"] for r in rows], metrics.FundFlows(), as_of)
    first_flow = min(
        (r["figures"].first_flow for r in rows if r["figures"].first_flow), default=None
    )
    return render_template(
        "portfolio/index.html",
        rows=rows,
        total=total,
        as_of=as_of,
        sort=sort,
        first_flow=first_flow,
        sub_funds=sorted({h.sub_fund.code for h in queries.holdings_for_list(session)}),
    )


def _series(holding: Holding, marks, as_of: date) -> list[list]:
    """Fair value (万元) on each date something happened, and on the as-of date."""
    txns, counted = holdings.engine_inputs(holding, marks)
    dates = sorted({t.on for t in txns} | {m.on for m in counted} | {as_of})
    return [
        [d.isoformat(), float(metrics.fair_value(txns, counted, d).value / 10000)]
        for d in dates
        if d <= as_of
    ]


@bp.get("/portfolio/<int:holding_id>")
@requires("read_portfolio")
def show_holding(holding_id: int):
    session, as_of = db.session(), _as_of()
    holding = get_or_404(Holding, holding_id)
    marks = queries.marks_of(session, [holding.id]).get(holding.id, [])
    deals = queries.deals_of_holding(session, holding)
    conditions = [
        c
        for d in deals
        for c in ic_queries.open_conditions(session, d.id)
        if c.kind == "subsequent"
    ]
    return render_template(
        "portfolio/holding.html",
        holding=holding,
        status=holdings.status(holding),
        figures=holdings.figures(holding, marks, as_of),
        value=metrics.fair_value(*holdings.engine_inputs(holding, marks), as_of),
        marks=marks,
        deals=deals,
        conditions=conditions,
        series=json.dumps(_series(holding, marks, as_of)),
        as_of=as_of,
        may_record=user_can(current_user, "record_transactions", _team(holding)),
        transaction_form=TransactionForm(),
        mark_form=MarkForm(),
        review_form=ReviewMarkForm(),
    )


def _team(holding: Holding) -> SimpleNamespace:
    """Who works on a holding (the record rule of record_transactions): its deals' teams."""
    deals = queries.deals_of_holding(db.session(), holding)
    return SimpleNamespace(
        team_ids={u for d in deals for u in (d.owner_id, *(m.user_id for m in d.team))}
    )


def _back(holding_id: int) -> str:
    return url_for("portfolio.show_holding", holding_id=holding_id)


@bp.post("/portfolio/<int:holding_id>/transactions")
@requires("record_transactions")
def record_transaction(holding_id: int):
    holding = get_or_404(Holding, holding_id)
    authorize("record_transactions", _team(holding))
    form = TransactionForm()

    def record():
        txn = holdings.record(db.session(), holding, form.values(), current_user)
        if txn.exit == "partial" and form.mark_value.data is not None:
            after = {
                "marked_on": txn.made_on,
                "fair_value_yuan": form.mark_value.data,
                "method": form.mark_method.data or "other",
                "note": _("Fair value after the partial exit"),
            }
            holdings.add_mark(db.session(), holding, after, current_user)

    saved = _("The transaction is recorded.")
    return posted(form, record, holding, "record_transaction", saved, _back(holding.id))


@bp.post("/portfolio/<int:holding_id>/marks")
@requires("record_transactions")
def add_mark(holding_id: int):
    holding = get_or_404(Holding, holding_id)
    authorize("record_transactions", _team(holding))
    form = MarkForm()
    return posted(
        form,
        lambda: holdings.add_mark(db.session(), holding, form.values(), current_user),
        holding,
        "add_mark",
        _("The mark is entered: it counts once a second person in risk approves it."),
        _back(holding.id),
    )


@bp.post("/portfolio/marks/<int:mark_id>/review")
@requires("review_marks")
def review_mark(mark_id: int):
    mark = get_or_404(ValuationMark, mark_id)
    form = ReviewMarkForm()
    return posted(
        form,
        lambda: holdings.review_mark(
            db.session(),
            mark,
            current_user,
            form.decision.data == "approve",
            form.reason.data or "",
        ),
        mark,
        "review_mark",
        _("The mark is reviewed."),
        _back(mark.holding_id),
    )


def may_review(mark) -> bool:
    return user_can(current_user, "review_marks") and mark.author_id != current_user.id


bp.add_app_template_global(may_review, "may_review_mark")
