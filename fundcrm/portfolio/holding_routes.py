"""The portfolio: its holdings with their figures, a holding's page (transactions, marks,
fair value over time), recording transactions and marks, and risk's review of marks."""

import json
from datetime import date
from types import SimpleNamespace

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from fundcrm import db
from fundcrm.compliance.kpi_routes import holding_sections
from fundcrm.domain import metrics
from fundcrm.funds.queries import sub_funds
from fundcrm.ic import queries as ic_queries
from fundcrm.models import Holding, ValuationMark
from fundcrm.pagination import Page, requested_page
from fundcrm.permissions import authorize, requires, user_can
from fundcrm.portfolio import holdings, listing, queries
from fundcrm.portfolio.forms import MarkForm, ReviewMarkForm, TransactionForm
from fundcrm.portfolio.routes import bp
from fundcrm.views import as_of_date, get_or_404, posted


@bp.get("/portfolio")
@requires("read_portfolio")
def portfolio():
    """Every holding's figures as of a date (from the metrics cache), filtered, sorted, paged."""
    session, as_of = db.session(), as_of_date()
    sort = request.args.get("sort", "company")
    found = listing.ordered(listing.rows(session, as_of, request.args), sort)
    number, per_page = requested_page(), int(current_app.config["PER_PAGE"])
    start = (number - 1) * per_page
    page = Page(found[start : start + per_page], number, per_page, len(found))
    return render_template(
        "portfolio/index.html",
        page=page,
        total=listing.total(session, as_of, found) if found else None,
        as_of=as_of,
        sort=sort,
        sub_funds=[f.code for f in sub_funds(session)],
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
    session, as_of = db.session(), as_of_date()
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
        **holding_sections(holding),
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
