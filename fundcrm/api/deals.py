"""`/api/v1/deals`: the deal list (the same filters, search and sorts as /deals), one deal,
create and update through the deal services, and a move through the stage gates."""

from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import BaseModel, Field

from fundcrm import db, listing
from fundcrm.api import bp
from fundcrm.api import queries as api_queries
from fundcrm.api.common import commit, page_of, record_or_404, refusals_answered
from fundcrm.api.errors import ApiError
from fundcrm.api.fields import (
    Body,
    Day,
    PageInfo,
    Patch,
    RecordId,
    WanIn,
    WanOut,
    code_of,
    integer,
    long_text,
    page_info,
    text,
)
from fundcrm.api.filters import ListQuery, codes_of, parsed_filters, sort_of
from fundcrm.api.spec import operation
from fundcrm.auth.queries import normalise_email
from fundcrm.deals import moves, queries, services
from fundcrm.domain import uscc
from fundcrm.funds.services import sub_funds
from fundcrm.models import Company, Deal
from fundcrm.permissions import authorize, requires

TAG = "deals"
# The deal services' field names → the API's.
API_FIELDS = {"sub_fund": "sub_funds", "team": "team_emails", "company_uscc": "company_uscc"}


class DealSubFundOut(BaseModel):
    code: str
    proposed_wan: WanOut | None


class DealOut(BaseModel):
    id: int
    version: int = Field(description="Send it back with an update: a stale one gets 409.")
    deal_ref: str
    company_id: int
    company_uscc: str
    company_name: str
    round: str | None
    stage: str
    source: str | None
    owner_email: str
    team_emails: list[str] = Field(description="The deal team, the owner included.")
    sub_funds: list[DealSubFundOut]
    ask_wan: WanOut | None
    pre_money_wan: WanOut | None
    proposed_wan: WanOut = Field(description="The sub-funds' proposed amounts together.")
    next_step: str | None
    next_step_due: date | None
    pass_reason: str | None
    notes: str | None
    created_on: date = Field(description="The fund's date (Asia/Shanghai) it was created.")
    updated_at: datetime


class DealList(BaseModel):
    items: list[DealOut]
    page: PageInfo


class DealSubFundIn(Body):
    code: text(20, min_length=1)
    proposed_wan: WanIn | None = None


class DealFields(Body):
    """The fields a deal is written with (DOMAIN.md section 9, `deals`)."""

    round: code_of("round") | None = None
    source: code_of("source") | None = None
    team_emails: list[text(254)] | None = None
    ask_wan: WanIn | None = None
    pre_money_wan: WanIn | None = None
    next_step: text(300) | None = None
    next_step_due: Day | None = None
    notes: long_text(10_000) | None = None


class DealIn(DealFields):
    company_id: RecordId | None = Field(default=None, description="Or `company_uscc`.")
    company_uscc: text(40, min_length=1) | None = Field(
        default=None, description="An existing company's USCC; or `company_id`."
    )
    owner_email: text(254, min_length=1) | None = Field(
        default=None, description="A user who may see the pipeline; yourself when left out."
    )
    sub_funds: list[DealSubFundIn] = Field(min_length=1, max_length=50)


class DealPatch(DealFields, Patch):
    """Left out: kept. The company, owner and sub-funds cannot be emptied (no null)."""

    version: integer(1) = Field(description="The version the change is based on.")
    company_id: RecordId = Field(default=None, description="Or `company_uscc`.")
    company_uscc: text(40, min_length=1) = None
    owner_email: text(254, min_length=1) = None
    sub_funds: list[DealSubFundIn] = Field(default=None, min_length=1, max_length=50)


class DealStageIn(Body):
    stage: code_of("stage") = Field(description="The stage to move to.")
    reason: text(500) | None = Field(default=None, description="Why, when passing (`passed`).")
    override_reason: text(500) | None = Field(
        default=None, description="Risk or admin: accept a mandate breach with a reason."
    )
    seen_stage: code_of("stage") | None = Field(
        default=None, description="The stage you saw: refused if the deal moved meanwhile."
    )


class DealQuery(ListQuery):
    q: text(listing.MAX_SEARCH) | None = Field(
        default=None, description="Company name, USCC (any part), notes, activities, reference."
    )
    stage: codes_of("stage")
    focus_area: codes_of("focus_area")
    enterprise_stage: codes_of("enterprise_stage")
    application_fields: codes_of("application_fields")
    zone: codes_of("zone")
    district: codes_of("district", "`none`: no district.")
    round: codes_of("round")
    source: codes_of("source")
    sub_fund: list[text(20)] = Field(
        default_factory=list, description="A sub-fund's code (an unknown one: 422)."
    )
    owner_email: text(254) | None = Field(
        default=None, description="The owner's email (a user who is not: 422)."
    )
    sort: sort_of(queries.DEAL_SORTS) = None


def deal_out(deal) -> DealOut:
    """A deal as api_queries.deals_with_parts reads it."""
    values = {name: deal[name] for name in DealOut.model_fields if name in deal}
    return DealOut(
        **values,
        sub_funds=[DealSubFundOut(code=code, proposed_wan=wan) for code, wan in deal.shares],
        ask_wan=deal.ask_yuan,
        pre_money_wan=deal.pre_money_yuan,
        proposed_wan=deal.proposed_total_yuan or Decimal(0),
    )


def _loaded(deal_id: int):
    found = api_queries.deals_with_parts(db.session(), [deal_id])
    if not found:
        raise ApiError(404, _("No %(name)s has the id %(id)s.", name=_("deal"), id=deal_id))
    return found[0]


def _fresh(deal_id: int) -> dict:
    return deal_out(_loaded(deal_id)).model_dump(mode="json")


@bp.get("/deals")
@requires("read_pipeline")
@operation(TAG, {200: DealList}, query=DealQuery, errors=(422,))
def list_deals(query: DealQuery):
    """The deals matching the filters, in the list's order (the id breaks ties): /deals's."""
    session = db.session()
    filters = parsed_filters(queries.DEAL_SORTS, queries.DEFAULT_DEAL_SORT)
    counted = queries.filtered_deals(filters)
    page = page_of(
        queries.ordered_deal_ids(filters),
        query,
        counted=counted,
        cap=filters.count_cap,
        gathered=filters.gathers,
    )
    deals = api_queries.deals_with_parts(session, list(page.items))
    return DealList(items=[deal_out(d) for d in deals], page=page_info(page))


@bp.get("/deals/<int:deal_id>")
@requires("read_pipeline")
@operation(TAG, {200: DealOut})
def get_deal(deal_id: int):
    """One deal."""
    return deal_out(_loaded(deal_id))


@bp.post("/deals")
@requires("edit_pipeline")
@operation(TAG, {201: DealOut}, json=DealIn, errors=(422,))
def create_deal(json: DealIn):
    """A new deal in sourcing, of an existing company, through the deal form's rules."""
    session = db.session()
    sent = json.model_dump(exclude_unset=True)
    sent["owner_email"] = sent.get("owner_email") or current_user.email
    values = _values(sent, json)
    if "company_id" not in values:
        raise ApiError(
            422,
            _("Give the deal's company: `company_id` or `company_uscc`."),
            fields={"company_id": _("This field is required.")},
        )
    with _service_fields(), refusals_answered():
        deal = services.create_deal(
            session, values, current_user, prefix=current_app.config["DEAL_REF_PREFIX"]
        )
    commit()
    return deal_out(_loaded(deal.id)), 201


@bp.patch("/deals/<int:deal_id>")
@requires("edit_pipeline")
@operation(TAG, {200: DealOut}, json=DealPatch, errors=(409, 422))
def update_deal(deal_id: int, json: DealPatch):
    """Change the fields sent; the others keep their values. `version` must be current."""
    session = db.session()
    deal = record_or_404(Deal, deal_id, _("deal"))
    authorize("edit_pipeline", deal)
    sent = json.model_dump(exclude_unset=True, exclude={"version"})
    values = _values(sent, json)
    if "owner_id" in values and "team_ids" not in values:
        # as on the deal form, which sends the team as it is: the new owner joins it
        values["team_ids"] = [member.user_id for member in deal.team]
    with _service_fields(), refusals_answered(lambda: _fresh(deal_id)):
        services.update_deal(session, deal, values, json.version)
    commit()
    return deal_out(_loaded(deal_id))


@bp.post("/deals/<int:deal_id>/stage")
@requires("move_deals")
@operation(TAG, {200: DealOut}, json=DealStageIn, errors=(422,))
def move_deal(deal_id: int, json: DealStageIn):
    """Move the deal through the stage gates, as the deal page's move form does. A refused
    move is 422 `gate_refused` with each of the gate's reasons; closing is the closing form's."""
    session = db.session()
    deal = record_or_404(Deal, deal_id, _("deal"))
    authorize("move_deals", deal)
    with refusals_answered():
        moves.move_stage(
            session,
            deal,
            json.stage,
            current_user,
            seen_stage=json.seen_stage,
            pass_reason=json.reason or "",
            override_reason=json.override_reason or "",
        )
    commit()
    return deal_out(_loaded(deal_id))


# -- the body as the deal services' values ---------------------------------------------------


def _values(sent: dict, json: DealFields) -> dict:
    """The deal services' values of the fields sent (deals.routes._deal_values' names); an
    unknown company, sub-fund or user is refused naming its field."""
    session = db.session()
    values = {k: sent[k] for k in ("round", "source", "next_step", "next_step_due") if k in sent}
    if "notes" in sent:
        values["notes"] = sent["notes"] or None
    if "next_step" in sent:
        values["next_step"] = (sent["next_step"] or "").strip() or None
    for name in ("ask", "pre_money"):
        if f"{name}_wan" in sent:
            values[f"{name}_yuan"] = getattr(json, f"{name}_wan")
    if (company_id := _company_id(session, sent)) is not None:
        values["company_id"] = company_id
    if "owner_email" in sent:
        values["owner_id"] = _user_ids(session, [sent["owner_email"]], "owner_email")[0]
    if "team_emails" in sent:
        values["team_ids"] = _user_ids(session, sent["team_emails"] or [], "team_emails")
    if json.sub_funds is not None:
        values["participations"] = _participations(session, json.sub_funds)
    return values


def _company_id(session, sent: dict) -> int | None:
    if sent.get("company_id") is not None and sent.get("company_uscc"):
        message = _("Give `company_id` or `company_uscc`, not both.")
        raise ApiError(422, message, fields={"company_uscc": message})
    if (company_id := sent.get("company_id")) is not None:
        if session.get(Company, company_id) is None:
            message = _("No company has the id %(id)s.", id=company_id)
            raise ApiError(422, message, fields={"company_id": message})
        return company_id
    if code := sent.get("company_uscc"):
        company = queries.company_by_uscc(session, uscc.normalise(code))
        if company is None:
            message = _("No company has the USCC %(uscc)s.", uscc=code)
            raise ApiError(422, message, fields={"company_uscc": message})
        return company.id
    return None


def _user_ids(session, emails: list[str], field: str) -> list[int]:
    found = api_queries.user_ids_by_email(session, emails)
    missing = [e for e in emails if normalise_email(e) not in found]
    if missing:
        message = _("No user has the email %(email)s.", email=", ".join(missing))
        raise ApiError(422, message, fields={field: message})
    return [found[normalise_email(e)] for e in emails]


def _participations(session, shares: list[DealSubFundIn]) -> list[tuple[int, Decimal | None]]:
    by_code = {fund.code: fund.id for fund in sub_funds(session)}
    unknown = [s.code for s in shares if s.code.upper() not in by_code]
    if unknown:
        message = _("Unknown sub-fund: %(code)s", code=", ".join(unknown))
        raise ApiError(422, message, fields={"sub_funds": message})
    return [(by_code[s.code.upper()], s.proposed_wan) for s in shares]


@contextmanager
def _service_fields():
    """A deal service's refusal names its field as the API does (`sub_funds`, not sub_fund)."""
    try:
        yield
    except ApiError as error:
        error.fields = {API_FIELDS.get(k, k): v for k, v in error.fields.items()}
        raise
