from flask import Blueprint, current_app, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from fundcrm import clock, db
from fundcrm.domain.commitments import signed
from fundcrm.funds import capital, changes, queries, services
from fundcrm.funds.forms import (
    CommitmentChangeForm,
    CommitmentForm,
    FundSettingsForm,
    LPForm,
    SubFundForm,
)
from fundcrm.funds.positions import positions
from fundcrm.models import Commitment, LimitedPartner, SubFund
from fundcrm.permissions import requires, tied_lp_id, user_can
from fundcrm.views import as_of_date, get_or_404, submit

bp = Blueprint("funds", __name__, url_prefix="/funds")


@bp.get("")
@requires("read_funds")
def overview():
    """The fund's setup, and committed, paid-in and unfunded as of `?as_of` (today by default):
    per sub-fund and in total for everyone, per LP for those who read LP accounts. An LP's
    representative sees only its LP's sub-funds and its own LP."""
    session = db.session()
    held = positions(session, as_of_date())
    lps, commitments = queries.lps(session), queries.commitments(session)
    represented = None if user_can(current_user, "read_lp_accounts") else tied_lp_id(current_user)
    if represented is not None:
        held = capital.seen_by(held, represented, capital.sub_funds_of(session, represented))
        lps = [lp for lp in lps if lp.id == represented]
        commitments = [c for c in commitments if c.lp_id == represented]
    return render_template(
        "funds/overview.html",
        settings=queries.fund_settings(session),
        positions=held,
        sub_funds=[part.sub_fund for part in held.sub_funds],
        lps=lps,
        commitments=commitments,
        represented=represented,
        readable_lps={lp.id for lp in lps if user_can(current_user, "read_lp_account", lp)},
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
@bp.route("/lps/<int:lp_id>/edit", methods=["GET", "POST"])
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


def _commitment_form(session, record: Commitment, **kwargs) -> CommitmentForm:
    """The commitment's form; `formdata=None` shows the record as saved (on a page that
    another form on it was posted to)."""
    form = CommitmentForm(obj=record if record.id else None, **kwargs)
    form.lp_id.choices = [(lp.id, lp.name) for lp in queries.lps(session, LimitedPartner.name)]
    form.sub_fund_id.choices = [(f.id, f"{f.code} {f.name}") for f in queries.sub_funds(session)]
    as_saved = kwargs.get("formdata", True) is None or not form.is_submitted()
    if as_saved:
        if record.id:
            form.committed_wan.data = record.committed_yuan
        form.defaults(services.default_terms(current_app.config))
    return form


def _change_form(session, record: Commitment, **kwargs) -> CommitmentChangeForm:
    form = CommitmentChangeForm(**kwargs)
    others = [lp for lp in queries.lps(session, LimitedPartner.name) if lp.id != record.lp_id]
    form.to_lp_id.choices = [("", "—"), *((lp.id, lp.name) for lp in others)]
    return form


def _commitment_page(session, record: Commitment, form, change_form):
    """The commitment's form and, for a saved one, its dated changes with the form adding one;
    each change's effect on this commitment signed (a transfer received adds)."""
    title = _l("Edit commitment") if record.id else _l("New commitment")
    if record.id is None:
        return render_template("funds/form.html", form=form, title=title)
    rows = [
        (change, giver, receiver, signed(change.kind, change.amount_yuan,
                                         received=change.to_commitment_id == record.id))
        for change, giver, receiver in queries.changes_with_lps(session, record.id)
    ]  # fmt: skip
    return render_template(
        "funds/commitment.html",
        form=form,
        title=title,
        record=record,
        changes=rows,
        in_force=queries.schedule_of(session, record).on(clock.today()),
        change_form=change_form,
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
    form = _commitment_form(session, record)
    done = submit(
        form,
        lambda: services.save_commitment(session, record, form.values()),
        _("Saved."),
        url_for("funds.overview"),
    )
    if done:
        return done
    return _commitment_page(session, record, form, _change_form(session, record, formdata=None))


@bp.post("/commitments/<int:commitment_id>/changes")
@requires("manage_funds")
def add_commitment_change(commitment_id):
    """Record a dated increase, decrease or transfer (funds.changes), back to the commitment."""
    session = db.session()
    record = get_or_404(Commitment, commitment_id)
    form = _change_form(session, record)
    done = submit(
        form,
        lambda: changes.record_change(session, record, form.values(), current_user.id),
        _("The change is recorded."),
        url_for("funds.edit_commitment", commitment_id=record.id),
    )
    if done:
        return done
    return _commitment_page(session, record, _commitment_form(session, record, formdata=None), form)


from fundcrm.funds import lp_routes  # noqa: E402, F401 - its routes are on this blueprint
