import json

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload
from sqlmodel import select

from fundcrm import db
from fundcrm.auth.services import users_who_can
from fundcrm.companies import services as company_services
from fundcrm.deals import queries, services
from fundcrm.deals.forms import deal_form
from fundcrm.domain import stages, uscc
from fundcrm.funds.services import sub_funds
from fundcrm.models import Activity, AuditEntry, Company, Deal, DealSubFund, Task, User, UserRole
from fundcrm.pagination import paginate
from fundcrm.permissions import requires
from fundcrm.versioning import StaleEdit, VersionMissing, form_version
from fundcrm.views import apply_error, get_or_404, record_id
from fundcrm.workspace import services as workspace_services

bp = Blueprint("deals", __name__, url_prefix="/deals")


def filters_from_request():
    return queries.parse_filters(request.args, db.session(), queries.DEAL_SORTS, "updated")


@bp.get("")
@requires("read_pipeline")
def index():
    session = db.session()
    filters = filters_from_request()
    query = queries.ordered_deals(filters)
    if filters.errors:
        query = query.where(Deal.id.is_(None))
    page = paginate(session, query)
    context = list_context(session)
    return render_template("deals/index.html", page=page, filters=filters, **context), (
        400 if filters.errors else 200
    )


def list_context(session) -> dict:
    owners = session.exec(
        select(User)
        .join(UserRole)
        .where(UserRole.role.in_(["manager", "admin"]))
        .distinct()
        .order_by(User.name)
    ).all()
    return {"sub_funds": sub_funds(session), "owners": owners}


@bp.get("/mine")
@requires("read_pipeline")
def mine():
    return redirect(url_for("deals.index", owner_email=current_user.email))


def _prepare_form(session, deal: Deal | None):
    funds = sub_funds(session)
    form = deal_form(funds, obj=deal)
    people = users_who_can(session, "read_pipeline")
    by_email = {u.email: u for u in people}
    form.owner_email.choices = [(u.email, f"{u.name} ({u.email})") for u in people]
    form.team.choices = [(u.id, f"{u.name} ({u.email})") for u in people]
    if not form.is_submitted():
        if deal is not None:
            form.company_uscc.data = deal.company.uscc
            form.owner_email.data = deal.owner.email
            form.team.data = [m.user_id for m in deal.team]
            form.sub_fund.data = [p.sub_fund.code for p in deal.participations]
            for p in deal.participations:
                getattr(form, f"proposed_wan_{p.sub_fund.code}").data = p.proposed_yuan
            form.ask_wan.data, form.pre_money_wan.data = deal.ask_yuan, deal.pre_money_yuan
            form.version.data = str(deal.version)
        else:
            form.owner_email.data = current_user.email
            if company_id := request.args.get("company", type=record_id):
                company = session.get(Company, company_id)
                form.company_uscc.data = company.uscc if company else ""
    return form, by_email, funds


def _resolve_company(session, form) -> Company:
    """The deal's company: an existing one by USCC, or a new one from the form's fields."""
    code = uscc.normalise(form.company_uscc.data or "")
    if code:
        company = session.exec(select(Company).where(Company.uscc == code)).first()
        if company is not None:
            return company
    if not (form.company_name.data or "").strip():
        field = form.company_uscc if code else form.company_name
        raise services.DealError(
            _(
                "No company has this USCC: fill in the new company's name, focus area and "
                "enterprise stage to create it."
            )
            if code
            else _("Enter the USCC of an existing company, or a new company's name and USCC."),
            field.name,
        )
    if not form.focus_area.data or not form.enterprise_stage.data:
        raise services.DealError(
            _("A new company needs its focus area and enterprise stage."), "focus_area"
        )
    company = Company(name="", name_key="", uscc="", focus_area="", enterprise_stage="")
    values = {
        "name": form.company_name.data,
        "uscc": code,
        "focus_area": form.focus_area.data,
        "enterprise_stage": form.enterprise_stage.data,
        "zone": form.zone.data,
    }
    try:
        return company_services.save_company(
            session,
            company,
            values,
            user=current_user,
            confirmed_similar=form.confirm_similar.data == "1",
        )
    except company_services.CompanyError as error:
        raise services.DealError(error.message, "company_uscc") from None


def _deal_values(form, by_email, funds, company: Company) -> dict:
    by_code = {f.code: f for f in funds}
    participations = [
        (by_code[code].id, getattr(form, f"proposed_wan_{code}").data)
        for code in form.sub_fund.data
        if code in by_code
    ]
    owner = by_email.get(form.owner_email.data)
    return {
        "company_id": company.id,
        "round": form.round.data,
        "source": form.source.data,
        "owner_id": owner.id if owner else None,
        "team_ids": form.team.data,
        "participations": participations,
        "ask_yuan": form.ask_wan.data,
        "pre_money_yuan": form.pre_money_wan.data,
        "next_step": (form.next_step.data or "").strip() or None,
        "next_step_due": form.next_step_due.data,
        "notes": form.notes.data or None,
    }


def _save_deal(deal: Deal | None):
    session = db.session()
    form, by_email, funds = _prepare_form(session, deal)
    stale, similar = None, []
    if form.validate_on_submit():
        try:
            company = _resolve_company(session, form)
            values = _deal_values(form, by_email, funds, company)
            if deal is None:
                deal = services.create_deal(
                    session, values, current_user, prefix=current_app.config["DEAL_REF_PREFIX"]
                )
            else:
                version = form_version(form.version)
                services.update_deal(session, deal, values, version)
        except (services.DealError, VersionMissing) as error:
            session.rollback()
            apply_error(form, error)
        except StaleEdit as conflict:
            session.rollback()
            stale = conflict.changes
        except company_services.SimilarNames as found:
            session.rollback()
            similar = found.candidates
            form.confirm_similar.data = "1"
        else:
            session.commit()
            flash(_("Deal %(ref)s saved.", ref=deal.deal_ref), "success")
            return redirect(url_for("deals.show", deal_id=deal.id))
    return render_template("deals/form.html", form=form, deal=deal, stale=stale, similar=similar)


@bp.route("/new", methods=["GET", "POST"])
@requires("edit_pipeline")
def new():
    return _save_deal(None)


@bp.route("/<int:deal_id>/edit", methods=["GET", "POST"])
@requires("edit_pipeline")
def edit(deal_id: int):
    return _save_deal(get_or_404(Deal, deal_id))


def _timeline(session, deal: Deal) -> list[dict]:
    """Moves and edits, newest first."""
    events = [{"at": m.at, "move": m} for m in deal.moves]
    edits = session.exec(
        select(AuditEntry)
        .where(
            AuditEntry.action == "update",
            (AuditEntry.table_name == "deals") & (AuditEntry.row_id == str(deal.id)),
        )
        .order_by(AuditEntry.id.desc())
        .limit(50)
    ).all()
    events += [{"at": e.at, "edit": e, "changes": _shown_changes(e)} for e in edits]
    return sorted(events, key=lambda e: e["at"], reverse=True)


def _shown_changes(entry: AuditEntry) -> dict:
    hidden = {
        "version",
        "updated_at",
        "stage",
        "stage_entered_at",
        "return_stage",
        "proposed_total_yuan",
    }
    return {k: v for k, v in json.loads(entry.changes).items() if k not in hidden}


@bp.get("/<int:deal_id>")
@requires("read_pipeline")
def show(deal_id: int):
    session = db.session()
    deal = session.exec(
        select(Deal)
        .where(Deal.id == deal_id)
        .options(
            selectinload(Deal.participations).selectinload(DealSubFund.sub_fund),
            selectinload(Deal.moves),
            selectinload(Deal.company),
        )
    ).first()
    if deal is None:
        abort(404)
    move_form = move_routes.move_form_for(deal)
    return render_template(
        "deals/show.html",
        deal=deal,
        move_form=move_form,
        timeline=[e for e in _timeline(session, deal) if "move" in e or e["changes"]],
        path=stages.PATH,
        workspace=_workspace(session, deal),
    )


def _workspace(session, deal: Deal) -> dict:
    """Activities, tasks, the DD checklist's state and the documents of one deal."""
    activities = session.exec(
        select(Activity)
        .where(Activity.deal_id == deal.id)
        .order_by(Activity.occurred_on.desc(), Activity.id.desc())
    ).all()
    tasks = session.exec(
        select(Task).where(Task.deal_id == deal.id).order_by(Task.status.desc(), Task.due_on)
    ).all()
    checklist = workspace_services.checklist(session, deal.id)
    return {
        "activities": activities,
        "tasks": tasks,
        "checklist": checklist,
        "red_flags": [i for items in checklist.values() for i in items if i.severity == "red_flag"],
        "closed": workspace_services.workstream_closed,
        "documents": workspace_services.documents_of(session, deal_id=deal.id),
    }


# The board, the move form and the gates register on this blueprint.
from fundcrm.deals import move_routes  # noqa: E402
