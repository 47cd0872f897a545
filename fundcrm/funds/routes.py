from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from fundcrm import db
from fundcrm.funds import services
from fundcrm.funds.forms import CommitmentForm, FundSettingsForm, LPForm, SubFundForm
from fundcrm.models import Commitment, LimitedPartner, SubFund, User, UserRole
from fundcrm.permissions import requires
from fundcrm.views import apply_error, get_or_404

bp = Blueprint("funds", __name__, url_prefix="/funds")


@bp.get("")
@requires("read_funds")
def overview():
    session = db.session()
    lps = session.exec(select(LimitedPartner).order_by(LimitedPartner.id)).all()
    commitments = session.exec(
        select(Commitment).order_by(Commitment.sub_fund_id, Commitment.id)
    ).all()
    return render_template(
        "funds/overview.html",
        settings=services.fund_settings(session),
        sub_funds=services.sub_funds(session),
        committed=services.committed_by_sub_fund(session),
        lps=lps,
        commitments=commitments,
        users={u.id: u for u in session.exec(select(User)).all()},
    )


def _save(form, record, save, title):
    """Validate, save through the service, commit once; else re-render with the errors."""
    if form.validate_on_submit():
        try:
            save(db.session(), record, form.values())
        except services.SetupError as error:
            db.session().rollback()
            apply_error(form, error)
        else:
            db.session().commit()
            flash(_("Saved."), "success")
            return redirect(url_for("funds.overview"))
    return render_template("funds/form.html", form=form, title=title)


@bp.route("/settings", methods=["GET", "POST"])
@requires("manage_funds")
def edit_settings():
    settings = services.fund_settings(db.session())
    form = FundSettingsForm(obj=settings)
    if settings is not None and not form.is_submitted():
        form.target_wan.data = settings.target_yuan
    return _save(
        form, settings, lambda s, _r, v: services.save_fund_settings(s, v), _l("Fund settings")
    )


def _veto_choices():
    members = (
        db.session()
        .exec(select(User).join(UserRole).where(UserRole.role == "ic_member").order_by(User.name))
        .all()
    )
    return [(u.id, f"{u.name} ({u.email})") for u in members]


@bp.route("/sub-funds/new", methods=["GET", "POST"], defaults={"sub_fund_id": None})
@bp.route("/sub-funds/<int:sub_fund_id>", methods=["GET", "POST"])
@requires("manage_funds")
def edit_sub_fund(sub_fund_id):
    record = (
        get_or_404(SubFund, sub_fund_id)
        if sub_fund_id
        else SubFund(code="", name="", target_yuan=0)
    )
    form = SubFundForm(obj=record if sub_fund_id else None)
    form.veto_holder_ids.choices = _veto_choices()
    if not form.is_submitted():
        if sub_fund_id:
            form.target_wan.data = record.target_yuan
        form.defaults()
    title = _l("Edit sub-fund") if sub_fund_id else _l("New sub-fund")
    return _save(form, record, services.save_sub_fund, title)


@bp.route("/lps/new", methods=["GET", "POST"], defaults={"lp_id": None})
@bp.route("/lps/<int:lp_id>", methods=["GET", "POST"])
@requires("manage_funds")
def edit_lp(lp_id):
    record = get_or_404(LimitedPartner, lp_id) if lp_id else LimitedPartner(name="", lp_type="")
    form = LPForm(obj=record if lp_id else None)
    return _save(form, record, services.save_lp, _l("Edit LP") if lp_id else _l("New LP"))


@bp.route("/commitments/new", methods=["GET", "POST"], defaults={"commitment_id": None})
@bp.route("/commitments/<int:commitment_id>", methods=["GET", "POST"])
@requires("manage_funds")
def edit_commitment(commitment_id):
    session = db.session()
    record = (
        get_or_404(Commitment, commitment_id)
        if commitment_id
        else Commitment(lp_id=0, sub_fund_id=0, committed_yuan=0)
    )
    form = CommitmentForm(obj=record if commitment_id else None)
    form.lp_id.choices = [
        (lp.id, lp.name)
        for lp in session.exec(select(LimitedPartner).order_by(LimitedPartner.name)).all()
    ]
    form.sub_fund_id.choices = [(f.id, f"{f.code} {f.name}") for f in services.sub_funds(session)]
    if not form.is_submitted():
        if commitment_id:
            form.committed_wan.data = record.committed_yuan
        form.defaults()
    title = _l("Edit commitment") if commitment_id else _l("New commitment")
    return _save(form, record, services.save_commitment, title)
