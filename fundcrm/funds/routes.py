from flask import Blueprint, current_app, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from fundcrm import db
from fundcrm.funds import queries, services
from fundcrm.funds.forms import CommitmentForm, FundSettingsForm, LPForm, SubFundForm
from fundcrm.models import Commitment, LimitedPartner, SubFund
from fundcrm.permissions import requires
from fundcrm.views import get_or_404, submit

bp = Blueprint("funds", __name__, url_prefix="/funds")


@bp.get("")
@requires("read_funds")
def overview():
    session = db.session()
    return render_template(
        "funds/overview.html",
        settings=queries.fund_settings(session),
        sub_funds=queries.sub_funds(session),
        committed=queries.committed_by_sub_fund(session),
        lps=queries.lps(session),
        commitments=queries.commitments(session),
        users=queries.users_by_id(session),
    )


def _save(form, action, title, notices=()):
    """The one form flow (fundcrm.views.submit), back to the overview; `notices` are what
    the service said besides saving (e.g. commitments whose terms a flag change set)."""
    done = submit(
        form, action, lambda _saved: " ".join([_("Saved."), *notices]), url_for("funds.overview")
    )
    return done or render_template("funds/form.html", form=form, title=title)


@bp.route("/settings", methods=["GET", "POST"])
@requires("manage_funds")
def edit_settings():
    session = db.session()
    settings = queries.fund_settings(session)
    form = FundSettingsForm(obj=settings)
    if settings is not None and not form.is_submitted():
        form.target_wan.data = settings.target_yuan
    return _save(
        form, lambda: services.save_fund_settings(session, form.values()), _l("Fund settings")
    )


@bp.route("/sub-funds/new", methods=["GET", "POST"], defaults={"sub_fund_id": None})
@bp.route("/sub-funds/<int:sub_fund_id>", methods=["GET", "POST"])
@requires("manage_funds")
def edit_sub_fund(sub_fund_id):
    session = db.session()
    record = (
        get_or_404(SubFund, sub_fund_id)
        if sub_fund_id
        else SubFund(code="", name="", target_yuan=0)
    )
    form = SubFundForm(obj=record if sub_fund_id else None)
    form.veto_holder_ids.choices = [
        (u.id, f"{u.name} ({u.email})") for u in queries.ic_members(session)
    ]
    if not form.is_submitted():
        if sub_fund_id:
            form.target_wan.data = record.target_yuan
        form.defaults(services.sub_fund_defaults(current_app.config))
    title = _l("Edit sub-fund") if sub_fund_id else _l("New sub-fund")
    return _save(form, lambda: services.save_sub_fund(session, record, form.values()), title)


@bp.route("/lps/new", methods=["GET", "POST"], defaults={"lp_id": None})
@bp.route("/lps/<int:lp_id>", methods=["GET", "POST"])
@requires("manage_funds")
def edit_lp(lp_id):
    record = get_or_404(LimitedPartner, lp_id) if lp_id else LimitedPartner(name="", lp_type="")
    form = LPForm(obj=record if lp_id else None)
    notices: list[str] = []  # what the flag did to the LP's commitments
    return _save(
        form,
        lambda: services.save_lp(db.session(), record, form.values(), notices),
        _l("Edit LP") if lp_id else _l("New LP"),
        notices,
    )


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
    form.lp_id.choices = [(lp.id, lp.name) for lp in queries.lps(session, LimitedPartner.name)]
    form.sub_fund_id.choices = [(f.id, f"{f.code} {f.name}") for f in queries.sub_funds(session)]
    if not form.is_submitted():
        if commitment_id:
            form.committed_wan.data = record.committed_yuan
        form.defaults(services.default_terms(current_app.config))
    title = _l("Edit commitment") if commitment_id else _l("New commitment")
    return _save(form, lambda: services.save_commitment(session, record, form.values()), title)
