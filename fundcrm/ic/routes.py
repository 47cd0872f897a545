"""IC memos (started from a deal in due diligence, edited as versions, submitted to the IC)
and the register of members' conflicts."""

from decimal import Decimal
from types import SimpleNamespace

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from fundcrm import db
from fundcrm.auth.queries import users_who_can
from fundcrm.deals import queries as deal_queries
from fundcrm.deals.refusals import breach_message
from fundcrm.domain.stages import is_forward
from fundcrm.domain.vocab import MEMO_SECTIONS
from fundcrm.funds.queries import users_by_id
from fundcrm.i18n import current_locale
from fundcrm.ic import conflicts as conflicts_service
from fundcrm.ic import memos, queries
from fundcrm.ic.blueprint import bp
from fundcrm.ic.forms import (
    AnswerForm,
    ConflictForm,
    QuestionForm,
    StartMemoForm,
    SubmitMemoForm,
    memo_form,
)
from fundcrm.models import IcMemo
from fundcrm.pagination import paginate
from fundcrm.permissions import authorize, requires, user_can
from fundcrm.safe_markdown import render
from fundcrm.views import flash_form_errors, get_or_404, refused_and_audited, submit


@bp.post("/deals/<int:deal_id>/memo")
@requires("write_memos")
def start_memo(deal_id: int):
    deal = deal_queries.deal_for_page(db.session(), deal_id) or abort(404)
    authorize("write_memos", deal)
    form = StartMemoForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("deals.show", deal_id=deal_id))
    try:
        memo = memos.start_memo(db.session(), deal, current_user)
    except memos.MemoError as refused:
        db.session().rollback()
        flash(str(refused.message), "danger")
        return redirect(url_for("deals.show", deal_id=deal_id))
    db.session().commit()
    flash(_("The memo's first draft is written from the deal: complete it."), "success")
    return redirect(url_for("ic.edit_memo", memo_id=memo.id))


def _memo(memo_id: int) -> IcMemo:
    return get_or_404(IcMemo, memo_id)


@bp.get("/ic/memos/<int:memo_id>")
@requires("read_memos")
def show_memo(memo_id: int):
    memo = _memo(memo_id)
    number = request.args.get("version", type=int)
    shown = next((v for v in memo.versions if v.number == number), None) or memos.latest(memo)
    return render_template(
        "ic/memo.html",
        memo=memo,
        shown=shown,
        latest=memos.latest(memo),
        sections=[
            (term, render(shown.sections.get(term.code, ""))) for term in MEMO_SECTIONS.terms
        ],
        amounts=_amounts(memo, shown),
        may_write=user_can(current_user, "write_memos", memo.deal),
        mandate_breaches=_mandate_check(memo, shown),
        submit_form=SubmitMemoForm(seen=memos.latest(memo).number),
        questions=queries.questions_of(db.session(), memo.id),
        question_form=QuestionForm(version=shown.number),
        answer_form=AnswerForm(),
        people=users_by_id(db.session()),
    )


def _amounts(memo: IcMemo, version) -> list:
    """(sub-fund, yuan) of the version, in the deal's order of participations."""
    funds = {str(p.sub_fund_id): p.sub_fund for p in memo.deal.participations}
    return [(funds[k], Decimal(v)) for k, v in version.proposed.items() if k in funds]


@bp.route("/ic/memos/<int:memo_id>/edit", methods=["GET", "POST"])
@requires("write_memos")
def edit_memo(memo_id: int):
    memo = _memo(memo_id)
    authorize("write_memos", memo.deal)
    latest = memos.latest(memo)
    form = memo_form(memo.deal.participations, current_locale())
    if request.method == "GET":
        form.seen.data = latest.number
        for code in MEMO_SECTIONS.codes:
            form[code].data = latest.sections.get(code, "")
        for key, value in latest.proposed.items():
            if f"proposed_{key}" in form:
                form[f"proposed_{key}"].data = value
    done = submit(
        form,
        lambda: memos.save(
            db.session(), memo, _seen(form), form.sections(), form.amounts(), current_user
        ),
        lambda version: _("Saved as version %(n)s (a draft).", n=version.number),
        url_for("ic.show_memo", memo_id=memo.id),
    )
    return done or render_template("ic/memo_form.html", memo=memo, latest=latest, form=form)


def _seen(form) -> int:
    try:
        return int(form.seen.data)
    except (TypeError, ValueError):
        return -1  # not a version this memo has: refused as stale


@bp.post("/ic/memos/<int:memo_id>/submit")
@requires("write_memos")
def submit_memo(memo_id: int):
    memo = _memo(memo_id)
    authorize("write_memos", memo.deal)
    form = SubmitMemoForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("ic.show_memo", memo_id=memo.id))
    try:
        version = memos.submit(db.session(), memo, form.seen.data, current_user)
    except memos.MemoError as refused:
        refused_and_audited(memos.latest(memo), "edit_submitted", refused)
        return redirect(url_for("ic.show_memo", memo_id=memo.id))
    db.session().commit()
    flash(_("Version %(n)s is submitted to the IC and frozen.", n=version.number), "success")
    if breaches := _mandate_check(memo, version):
        flash(" ".join([*breaches, str(OVERRIDE_NEEDED)]), "warning")
    return redirect(url_for("ic.show_memo", memo_id=memo.id))


OVERRIDE_NEEDED = _l(
    "The move to IC will need an override by risk or an administrator, with a reason."
)


def _mandate_check(memo: IcMemo, version) -> list[str]:
    """The mandate breaches of the version's amounts, worded, while the deal has still to move
    to IC (memos.mandate_breaches)."""
    if not is_forward(memo.deal.stage, "ic"):
        return []
    return [breach_message(b) for b in memos.mandate_breaches(db.session(), memo, version)]


# -- conflicts ------------------------------------------------------------------------------


@bp.get("/ic/conflicts")
@requires("read_conflicts")
def conflicts():
    page = paginate(db.session(), queries.conflicts(db.session()))
    return render_template("ic/conflicts.html", page=page)


@bp.route("/ic/conflicts/new", methods=["GET", "POST"])
@requires("record_conflicts")
def new_conflict():
    session = db.session()
    form = ConflictForm()
    anyone = user_can(current_user, "record_any_conflict")
    members = users_who_can(session, "sit_on_ic")
    form.member_id.choices = [(u.id, u.name) for u in members if anyone or u.id == current_user.id]
    if request.method == "GET" and not anyone:
        form.member_id.data = current_user.id
    if form.is_submitted() and form.member_id.data is not None:
        authorize("record_conflicts", SimpleNamespace(member_id=form.member_id.data))
    done = submit(
        form,
        lambda: conflicts_service.record_conflict(session, form.values(), current_user),
        _("The conflict is recorded."),
        url_for("ic.conflicts"),
    )
    return done or render_template("ic/conflict_form.html", form=form)
