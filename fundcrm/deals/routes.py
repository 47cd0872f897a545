from flask import (
    Blueprint,
    abort,
    current_app,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from fundcrm import audit, db, listing
from fundcrm.auth.services import users_who_can
from fundcrm.companies import services as company_services
from fundcrm.compliance import queries as compliance_queries
from fundcrm.deals import queries, services
from fundcrm.deals.forms import deal_form
from fundcrm.domain import stages, uscc
from fundcrm.funds.services import sub_funds
from fundcrm.history import local_time, readable, who
from fundcrm.history.names import names_of
from fundcrm.ic import conditions as ic_conditions
from fundcrm.ic import queries as ic_queries
from fundcrm.ic.forms import ResolveConditionForm, StartMemoForm
from fundcrm.models import Company, Deal
from fundcrm.pagination import paginate
from fundcrm.permissions import authorize, requires
from fundcrm.versioning import form_version
from fundcrm.views import get_or_404, record_id, submit
from fundcrm.workspace import services as workspace_services

bp = Blueprint("deals", __name__, url_prefix="/deals")


def filters_from_request():
    return listing.parse_filters(
        request.args, db.session(), queries.DEAL_SORTS, queries.DEFAULT_DEAL_SORT
    )


def list_context(session) -> dict:
    return {"sub_funds": sub_funds(session), "owners": queries.pipeline_owners(session)}


def _deal_list(endpoint: str, *conditions, counting=None, reasons=()):
    """A page of the filtered, sorted deals; 400 with the messages for a bad filter or sort.
    `counting`: the conditions in the spelling a count runs fastest (see queries.on_team)."""
    session = db.session()
    filters = filters_from_request()
    counted = queries.filtered_deals(filters, *(conditions if counting is None else counting))
    query = queries.ordered_deal_ids(filters, *conditions)
    page = paginate(
        session, query, counted=counted, cap=filters.count_cap, gathered=filters.gathers
    )
    page.items = queries.deal_rows(session, page.items)
    return render_template(
        "deals/index.html",
        page=page,
        filters=filters,
        endpoint=endpoint,
        reasons=reasons,
        **list_context(session),
    ), (400 if filters.errors else 200)


@bp.get("")
@requires("read_pipeline")
def index():
    return _deal_list("deals.index")


@bp.get("/mine")
@requires("read_pipeline")
def mine():
    """我的项目: the deals the user owns or is on the team of, and what their role adds."""
    condition, reasons = queries.my_deals(current_user)
    counting, _ = queries.my_deals(current_user, counting=True)
    return _deal_list("deals.mine", condition, counting=(counting,), reasons=reasons)


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
        company = queries.company_by_uscc(session, code)
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

    def save() -> Deal:
        version = form_version(form.version) if deal is not None else None
        company = _resolve_company(session, form)
        values = _deal_values(form, by_email, funds, company)
        if deal is None:
            prefix = current_app.config["DEAL_REF_PREFIX"]
            return services.create_deal(session, values, current_user, prefix=prefix)
        return services.update_deal(session, deal, values, version)

    saved = submit(
        form,
        save,
        lambda saved_deal: _("Deal %(ref)s saved.", ref=saved_deal.deal_ref),
        lambda saved_deal: url_for("deals.show", deal_id=saved_deal.id),
    )
    return saved or render_template("deals/form.html", form=form, deal=deal)


@bp.route("/new", methods=["GET", "POST"])
@requires("edit_pipeline")
def new():
    return _save_deal(None)


@bp.route("/<int:deal_id>/edit", methods=["GET", "POST"])
@requires("edit_pipeline")
def edit(deal_id: int):
    deal = get_or_404(Deal, deal_id)
    authorize("edit_pipeline", deal)
    return _save_deal(deal)


# The parts of a deal whose changes its timeline shows next to the deal's own edits.
TIMELINE_PARTS = ("deal_sub_funds", "deal_team")


def _timeline(session, deal: Deal) -> list[dict]:
    """Moves (with who made them, by name) and edits, of the deal and of its sub-fund shares
    and team, newest first."""
    movers = names_of(session, "users", (m.by_id for m in deal.moves))
    events = [
        {"at": m.at, "when": local_time(m.at), "move": m, "by": who(m.by_id, m.by_label, movers)}
        for m in deal.moves
    ]
    entries = audit.history(session, "deals", deal.id, children=TIMELINE_PARTS)
    created = audit.first_part_entry(session, "deals", deal.id, "stage_moves")
    edits = _shown_changes(session, [e for e in entries if _is_edit(e, created)])
    events += [
        {"at": e.at, "when": e.when, "edit": e, "part": e.table != "deals", "changes": e.changes}
        for e in edits
    ]
    return sorted(events, key=lambda e: e["at"], reverse=True)


def _is_edit(entry, creation_move) -> bool:
    """The deal's own updates and every change of its parts but their creation with the deal:
    deals.services.create_deal writes the sub-fund shares and the team before the deal's
    first move (the "created in" line), so a part's create entry older than that move's entry
    is the deal's creation, shown by the move."""
    if entry.table_name == "deals":
        return entry.action == "update"
    return entry.action != "create" or creation_move is None or entry.id > creation_move.id


def _shown_changes(session, entries) -> list:
    """Edits as people read them, without what the moves show (the stage columns and the
    reason a deal was passed, kept on its move), the total of the sub-funds' proposed
    amounts and the deal a part belongs to (the page is the deal's)."""
    moved = {"stage", "stage_entered_at", "return_stage", "pass_reason", "proposed_total_yuan"}
    return readable(session, entries, hide=moved | {"deal_id"})


@bp.get("/<int:deal_id>")
@requires("read_pipeline")
def show(deal_id: int):
    session = db.session()
    deal = queries.deal_for_page(session, deal_id)
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
        memo=ic_queries.memo_of_deal(session, deal.id),
        start_memo_form=StartMemoForm(),
        ic=_ic(session, deal),
        override_requests=compliance_queries.requests_of_deal(session, deal.id),
    )


def _ic(session, deal: Deal) -> dict:
    """The IC on the deal's page, and which of its open conditions the user may waive."""
    ic = ic_queries.deal_ic(session, deal.id)
    waivable = {
        c.id for c in ic["open_conditions"] if ic_conditions.may_waive(session, current_user, c)
    }
    return {**ic, "resolve_form": ResolveConditionForm(), "waivable": waivable}


def _workspace(session, deal: Deal) -> dict:
    """Activities, tasks, the DD checklist's state and the documents of one deal."""
    activities = queries.deal_activities(session, deal.id)
    tasks = queries.deal_tasks(session, deal.id)
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
