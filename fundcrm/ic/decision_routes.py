"""An agenda item's page, votes, closing a vote into a decision, the decision's conditions,
and historical decisions (DOMAIN.md section 4)."""

from dataclasses import replace
from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from fundcrm import audit, db
from fundcrm.deals import queries as deal_queries
from fundcrm.errors import ServiceError
from fundcrm.funds.queries import users_by_id
from fundcrm.i18n import vocab_label
from fundcrm.ic import conditions, decisions, queries, votes
from fundcrm.ic.blueprint import bp
from fundcrm.ic.forms import (
    CONDITION_ROWS,
    CloseVoteForm,
    ResolveConditionForm,
    VoteForm,
    decision_form,
)
from fundcrm.models import IcAgendaItem, IcCondition
from fundcrm.permissions import authorize, requires, sees_votes, user_can
from fundcrm.views import get_or_404, posted, refused_and_audited

# -- an agenda item: votes and the decision ----------------------------------------------------


def _item(item_id: int) -> tuple[IcAgendaItem, queries.Seat]:
    item = get_or_404(IcAgendaItem, item_id)
    seat = queries.item_seat(db.session(), item)
    authorize("read_meetings", seat)
    return item, seat


@bp.get("/ic/items/<int:item_id>")
@requires("read_meetings")
def show_item(item_id: int):
    item, seat = _item(item_id)
    session = db.session()
    decision = queries.decisions_of_items(session, [item.id]).get(item.id)
    mine = queries.vote_of(session, item.id, current_user.id)
    vote_form = VoteForm(obj=mine)
    may_close = user_can(current_user, "chair_meetings", seat)
    # a closed item's recusals are its decision's, as they stood at the close
    recused = frozenset(decision.recused) if decision else seat.recused_ids
    return render_template(
        "ic/item.html",
        item=item,
        seat=seat,
        deal=deal_queries.deal_for_page(session, item.deal_id),
        version=item.memo_version,
        decision=decision,
        recused=recused,
        sees_votes=sees_votes(current_user, replace(seat, recused_ids=recused)),
        may_vote=item.is_open and user_can(current_user, "cast_votes", seat),
        mine=mine,
        vote_form=vote_form,
        votes=queries.votes_of(session, item.id),
        tally=_tally(session, item) if may_close or not item.is_open else None,
        may_close=may_close,
        close_form=CloseVoteForm(),
        people=users_by_id(session),
        funds=_funds(session, item.memo_version.proposed),
        resolve_form=ResolveConditionForm(),
    )


def _tally(session, item: IcAgendaItem):
    """The item's tally now; None for a memo version that proposes no amount (no rule)."""
    try:
        return decisions.preview(session, item)
    except decisions.DecisionError:
        return None


def _funds(session, proposed: dict) -> list:
    """(sub-fund, the memo's amount) of a memo version."""
    return [(f, Decimal(proposed[str(f.id)])) for f in queries.rules_of(session, proposed.keys())]


def _decision_form(session, item: IcAgendaItem, formdata=None):
    """The closer's form after the close: the memo's amounts, the conditions the approving
    votes attached (read now that the votes are closed)."""
    tally = decisions.preview(session, item)
    funds = _funds(session, item.memo_version.proposed)
    texts = [text for _member, text in tally.conditions]
    kwargs = {} if formdata is not None else {"formdata": None}
    form = decision_form(funds, texts, closing=True, **kwargs)
    if formdata is None:
        for fund, amount in funds:
            form[f"amount_{fund.id}"].data = amount
    return form, tally, len(texts)


def _posted_to(item_id: int) -> tuple[IcAgendaItem, str]:
    """The item a vote or a closing is posted to, and where its answer goes: the item's page,
    or the IC's for someone who may not read it."""
    item = get_or_404(IcAgendaItem, item_id)
    readable = user_can(current_user, "read_meetings", queries.item_seat(db.session(), item))
    return item, url_for("ic.show_item", item_id=item.id) if readable else url_for("ic.index")


@bp.post("/ic/items/<int:item_id>/vote")
@requires("cast_votes")
def vote(item_id: int):
    # not authorised here: the service says why a vote is refused, and the refusal is audited
    item, to = _posted_to(item_id)
    form = VoteForm()
    return posted(
        form,
        lambda: votes.cast(db.session(), item, current_user, form.choice.data, form.condition.data),
        item,
        "vote",
        _("Your vote is recorded: you may change it until the vote closes."),
        to,
    )


@bp.post("/ic/items/<int:item_id>/close")
@requires("chair_meetings")
def close_item(item_id: int):
    item, to = _posted_to(item_id)
    if not CloseVoteForm().validate_on_submit():
        abort(400)
    session = db.session()
    try:
        decision = decisions.close_vote(session, item, current_user)
    except ServiceError as refusal:
        attempt = "change_decision" if not item.is_open else "close"
        refused_and_audited(item, attempt, refusal)
        return redirect(to)
    session.commit()
    if decision is None:
        flash(
            _("The vote is closed and approves: set the approved amounts and the conditions."),
            "info",
        )
        return redirect(url_for("ic.decide_item", item_id=item.id))
    flash(
        _("The vote is closed: %(outcome)s.", outcome=_outcome_label(decision.outcome)), "success"
    )
    return redirect(to)


@bp.route("/ic/items/<int:item_id>/decide", methods=["GET", "POST"])
@requires("chair_meetings")
def decide_item(item_id: int):
    item, to = _posted_to(item_id)
    session = db.session()
    seat = queries.item_seat(session, item)
    decided = queries.decisions_of_items(session, [item.id])
    if item.is_open or decided or not user_can(current_user, "chair_meetings", seat):
        refusal = decisions.DecisionError(
            _("This vote is closed and its decision never changes.") if decided
            else _("Close the vote first.") if item.is_open
            else _("Only the meeting's chair (unless recused on this item) or an administrator "
                   "may do this.")
        )  # fmt: skip
        if request.method == "POST":
            refused_and_audited(item, "change_decision" if decided else "close", refusal)
        else:
            flash(str(refusal.message), "danger")
        return redirect(to)
    form, tally, rows = _decision_form(session, item, formdata=request.form or None)
    if request.method == "POST" and form.validate_on_submit():
        try:
            decision = decisions.decide(
                session, item, current_user, form.amounts(), form.drafts(rows)
            )
        except ServiceError as refusal:
            session.rollback()
            audit.refusal(session, item, "close", refusal.message)
            session.commit()
            refusal.show_on(form)
        else:
            session.commit()
            flash(
                _(
                    "The decision is recorded: %(outcome)s.",
                    outcome=_outcome_label(decision.outcome),
                ),
                "success",
            )
            return redirect(to)
    return render_template("ic/close.html", item=item, form=form, tally=tally, rows=rows,
                           people=users_by_id(session))  # fmt: skip


def _outcome_label(outcome: str) -> str:
    return vocab_label("decision_outcome", outcome)


# -- conditions and historical decisions ---------------------------------------------------------


@bp.post("/ic/conditions/<int:condition_id>")
@requires("resolve_conditions")
def resolve_condition(condition_id: int):
    condition = get_or_404(IcCondition, condition_id)
    form = ResolveConditionForm()
    item_id = condition.decision.item_id
    if request.form.get("next_item") and item_id is not None:
        to = url_for("ic.show_item", item_id=item_id)
    else:
        to = url_for("deals.show", deal_id=condition.deal_id) + "#ic"
    return posted(
        form,
        lambda: conditions.resolve(
            db.session(), condition, current_user, form.action.data, form.text.data, form.seen.data
        ),
        condition,
        "resolve_condition",
        _("The condition is resolved."),
        to,
    )


@bp.route("/deals/<int:deal_id>/decision", methods=["GET", "POST"])
@requires("record_decisions")
def record_decision(deal_id: int):
    session = db.session()
    deal = deal_queries.deal_for_page(session, deal_id) or abort(404)
    funds = [(p.sub_fund, p.proposed_yuan) for p in deal.participations]
    form = decision_form(funds, [""] * CONDITION_ROWS, closing=False)
    if request.method == "GET":
        for fund, amount in funds:
            form[f"amount_{fund.id}"].data = amount
    if form.validate_on_submit():
        values = {
            "decided_on": form.decided_on.data,
            "outcome": form.outcome.data,
            "amounts": form.amounts(),
            "note": form.note.data,
            "conditions": form.drafts(CONDITION_ROWS),
        }
        try:
            decisions.record_historical(session, deal, values, current_user)
        except ServiceError as refusal:
            session.rollback()
            audit.refusal(session, deal, "record_decision", refusal.message)
            session.commit()
            refusal.show_on(form)
        else:
            session.commit()
            flash(_("The historical decision is recorded."), "success")
            return redirect(url_for("deals.show", deal_id=deal.id) + "#ic")
    return render_template(
        "ic/record_decision.html", deal=deal, form=form, rows=CONDITION_ROWS, funds=funds
    )
