"""Requests to override a mandate breach: the manager's request (reached from a refused move),
its withdrawal, and the page where risk and administrators perform or decline them."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from fundcrm import db
from fundcrm.compliance import overrides, queries
from fundcrm.compliance.override_forms import DecisionForm, OverrideRequestForm, WithdrawForm
from fundcrm.domain.stages import ALL_STAGES
from fundcrm.errors import ExplainedBadRequest, ServiceError
from fundcrm.models import Deal, OverrideRequest
from fundcrm.permissions import RecordRefused, authorize, requires
from fundcrm.views import get_or_404, posted, submit

bp = Blueprint("overrides", __name__)


def request_url(deal: Deal, to_stage: str) -> str:
    """Where a refused move's author asks for the override (the stage seen goes along)."""
    return url_for("overrides.new_request", deal_id=deal.id, to=to_stage, seen=deal.stage)


def _back_to_deal(deal_id: int) -> str:
    return url_for("deals.show", deal_id=deal_id) + "#override-requests"


@bp.route("/deals/<int:deal_id>/override-request", methods=["GET", "POST"])
@requires("request_overrides")
def new_request(deal_id: int):
    """The refused move's breaches, judged again, and the form asking risk to override them."""
    session, deal = db.session(), get_or_404(Deal, deal_id)
    authorize("request_overrides", deal)
    form = OverrideRequestForm()
    if not form.is_submitted():
        form.to_stage.data, form.from_stage.data = request.args.get("to"), request.args.get("seen")
        if form.to_stage.data not in ALL_STAGES:
            raise ExplainedBadRequest(_("Name the stage the deal was to move to."))
    saved = submit(
        form,
        lambda: overrides.request_override(
            session, deal, form.to_stage.data, current_user, form.note.data, form.from_stage.data
        ),
        _("Your request is sent to risk: you will be told when it is decided."),
        _back_to_deal(deal.id),
    )
    if saved:
        return saved
    waiting = queries.pending_request(session, deal.id, form.to_stage.data or "")
    try:
        breaches = overrides.breaches_of(session, deal, form.to_stage.data, current_user)
    except ServiceError as refusal:  # the move is possible now, or refused for another reason
        if waiting is None:
            flash(str(refusal.message), "warning")
            return redirect(url_for("deals.show", deal_id=deal.id))
        breaches = waiting.breaches
    return render_template(
        "compliance/override_request.html", deal=deal, form=form, breaches=breaches,
        waiting=waiting, may_request=overrides.may_request(current_user, deal),
    )  # fmt: skip


@bp.post("/overrides/<int:request_id>/withdraw")
@requires("request_overrides")
def withdraw(request_id: int):
    asked = get_or_404(OverrideRequest, request_id)
    authorize("request_overrides", get_or_404(Deal, asked.deal_id))
    if asked.requested_by_id != current_user.id:
        raise RecordRefused(description=_("Only whoever asked for an override withdraws it."))
    action = lambda: overrides.withdraw(db.session(), asked, current_user)  # noqa: E731
    return posted(WithdrawForm(), action, asked, "withdraw_override",
                  _("The request is withdrawn."), _back_to_deal(asked.deal_id))  # fmt: skip


@bp.get("/overrides")
@requires("override_mandate")
def index():
    session = db.session()
    pending = queries.pending_requests(session)
    forms = {}
    for row in pending:
        forms[row.request.id] = DecisionForm(formdata=None)
        forms[row.request.id].seen.data = str(row.request.version)
    return render_template(
        "compliance/overrides.html",
        pending=pending,
        forms=forms,
        decided=queries.recent_decisions(session),
    )


@bp.post("/overrides/<int:request_id>/perform")
@requires("override_mandate")
def perform(request_id: int):
    asked, form = _decision(request_id)
    action = lambda: overrides.perform(db.session(), asked, current_user, form.reason.data,  # noqa: E731
                                       form.seen_version())  # fmt: skip
    saved = _("The move is made with the override: the requester is told.")
    return posted(
        form, action, asked, "perform_override", saved, url_for("overrides.index"), _to_list(asked)
    )


@bp.post("/overrides/<int:request_id>/decline")
@requires("override_mandate")
def decline(request_id: int):
    asked, form = _decision(request_id)
    action = lambda: overrides.decline(db.session(), asked, current_user, form.reason.data,  # noqa: E731
                                       form.seen_version())  # fmt: skip
    saved = _("The request is declined: the requester is told.")
    return posted(
        form, action, asked, "decline_override", saved, url_for("overrides.index"), _to_list(asked)
    )


def _to_list(asked: OverrideRequest) -> str:
    return url_for("overrides.index") + f"#request-{asked.id}"


def _decision(request_id: int) -> tuple[OverrideRequest, DecisionForm]:
    asked = get_or_404(OverrideRequest, request_id)
    return asked, DecisionForm()
