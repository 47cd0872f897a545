"""Moving deals through the pipeline: the board, the move form and the gates' settings."""

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from fundcrm import clock, db
from fundcrm.compliance import overrides
from fundcrm.compliance.override_routes import request_url
from fundcrm.deals import moves, queries, refusals
from fundcrm.deals.forms import GateForm, MoveForm
from fundcrm.deals.routes import bp, filters_from_request, list_context
from fundcrm.domain import stages
from fundcrm.domain.vocab import STAGES
from fundcrm.i18n import current_locale
from fundcrm.models import Deal
from fundcrm.permissions import RECORD_REFUSALS, authorize, requires, user_can
from fundcrm.views import get_or_404, submit


@bp.get("/board")
@requires("read_pipeline")
def board():
    session = db.session()
    filters = filters_from_request()
    if filters.errors:
        totals, cards = {}, []
    else:
        totals, cards = queries.board_columns(
            session, filters, current_app.config["BOARD_CARDS_PER_STAGE"]
        )
    columns = {stage: [] for stage in stages.ALL_STAGES}
    for deal in cards:
        columns[deal.stage].append(deal)
    today = clock.today()
    return render_template(
        "deals/board.html",
        filters=filters,
        columns=columns,
        totals=totals,
        today=today,
        days_in_stage={d.id: (today - clock.local_date(d.stage_entered_at)).days for d in cards},
        menu_groups=stages.menu_groups,
        suggested_target=stages.suggested_target,
        can_move=user_can(current_user, "move_deals"),
        **list_context(session),
    ), (400 if filters.errors else 200)


def move_form_for(deal: Deal) -> MoveForm:
    """The deal page's move form, the next forward stage (or the stage a deal on hold or
    passed returns to) chosen; never a backward one."""
    form = MoveForm()
    form.from_stage.data = deal.stage
    suggested = stages.suggested_target(deal.stage, deal.return_stage)
    choices = [
        (s, STAGES.label(s, current_locale()))
        for s in stages.menu_targets(deal.stage, deal.return_stage)
    ]
    if choices and suggested is None:  # a browser would show the first, a backward move
        choices.insert(0, ("", _("Choose a stage")))
    form.to_stage.choices = choices
    form.to_stage.data = suggested or ""
    return form


@bp.post("/<int:deal_id>/move")
@requires("move_deals")
def move(deal_id: int):
    """Move a deal: from the deal page's form, or as JSON from the board."""
    session = db.session()
    deal = get_or_404(Deal, deal_id)
    if request.is_json and not user_can(current_user, "move_deals", deal):
        return jsonify(ok=False, errors=[str(RECORD_REFUSALS["move_deals"])]), 403
    authorize("move_deals", deal)
    form = _posted_move()
    if form is None:
        return jsonify(ok=False, errors=[_("Send the move as JSON.")]), 400
    if not form.validate():
        return _move_refused(deal, _field_messages(form), False)
    to_stage = form.to_stage.data
    try:
        moves.move_stage(
            session,
            deal,
            to_stage,
            current_user,
            seen_stage=form.from_stage.data or None,
            pass_reason=form.pass_reason.data,
            override_reason=form.override_reason.data,
        )
    except moves.MoveRefused as refused:
        session.rollback()
        asking = _asking_risk(deal, to_stage, refused)
        return _move_refused(deal, [str(m) for m in refused.messages], refused.overridable, asking)
    session.commit()
    message = _(
        "%(ref)s moved to %(stage)s.",
        ref=deal.deal_ref,
        stage=STAGES.label(to_stage, current_locale()),
    )
    if request.is_json:
        return jsonify(ok=True, stage=to_stage, message=message)
    flash(message, "success")
    return redirect(url_for("deals.show", deal_id=deal.id))


def _posted_move() -> MoveForm | None:
    """The move as MoveForm read it, from the deal page's form or the board's JSON object of
    texts; None for JSON of any other shape."""
    if not request.is_json:
        return MoveForm()
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str | None) for k, v in data.items()
    ):
        return None
    formdata = MultiDict({k: v.strip() for k, v in data.items() if v is not None})
    return MoveForm(formdata=formdata, meta={"csrf": False})  # CSRFProtect checked the header


def _field_messages(form) -> list[str]:
    return [f"{field.label.text}: {error}" for field in form for error in field.errors]


def _asking_risk(deal: Deal, to_stage: str, refused: moves.MoveRefused) -> str | None:
    """Where the user asks risk to override the refusal: a move refused only for mandate
    breaches, by someone who may ask but not override."""
    if refused.breaches and not refused.overridable and overrides.may_request(current_user, deal):
        return request_url(deal, to_stage)
    return None


def _move_refused(deal: Deal, messages: list[str], overridable: bool, asking: str | None = None):
    """The refusal: as JSON for the board (with where to ask for an override), else flashed on
    the deal's page, or the override request's form when the user may ask for one."""
    if request.is_json:
        return jsonify(ok=False, errors=messages, overridable=overridable, request_url=asking), 422
    if asking:
        return redirect(asking)
    for message in messages:
        flash(message, "danger")
    return redirect(url_for("deals.show", deal_id=deal.id))


@bp.route("/gates", methods=["GET", "POST"])
@requires("manage_gates")
def gates():
    session = db.session()
    form = GateForm()
    saved = submit(
        form,
        lambda: moves.save_gate(
            session, form.to_stage.data, form.required_fields.data, form.conditions.data
        ),
        _("Gate saved: the next move obeys it."),
        url_for("deals.gates"),
    )
    if saved:
        return saved
    for error in (e for f in form for e in f.errors):  # each stage's form posts here:
        flash(str(error), "danger")  # its messages go above them all
    return render_template(
        "deals/gates.html",
        rules=moves.gates(session),
        path=stages.PATH,
        fields=stages.GATE_FIELDS,
        conditions=stages.GATE_CONDITIONS,
        field_labels=refusals.FIELD_LABELS,
        condition_labels=refusals.CONDITION_LABELS,
    )
