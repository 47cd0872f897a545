"""`/api/v1/companies`: the company list (the same filters and search as /companies), one
company, create and update through the company services."""

from datetime import date, datetime

from flask_babel import gettext as _
from flask_login import current_user
from pydantic import BaseModel, Field

from fundcrm import db
from fundcrm.api import bp
from fundcrm.api.common import commit, page_of, record_or_404, refusals_answered
from fundcrm.api.fields import (
    Body,
    Day,
    PageInfo,
    Patch,
    code_of,
    integer,
    long_text,
    page_info,
    text,
)
from fundcrm.api.filters import ListQuery, codes_of, parsed_filters, sort_of
from fundcrm.api.spec import operation
from fundcrm.companies import queries, services
from fundcrm.companies.queries import COMPANY_SORTS, DEFAULT_SORT
from fundcrm.models import Company
from fundcrm.permissions import requires, user_can

TAG = "companies"


class CompanyOut(BaseModel):
    id: int
    version: int = Field(description="Send it back with an update: a stale one gets 409.")
    uscc: str
    name: str
    name_en: str | None
    district: str | None
    city: str | None
    zone: str | None
    founded_on: date | None
    headcount: int | None
    website: str | None
    focus_area: str
    application_fields: list[str]
    enterprise_stage: str
    specialized_level: str | None
    description: str | None
    created_at: datetime


class CompanyList(BaseModel):
    items: list[CompanyOut]
    page: PageInfo


class CompanyFields(Body):
    """The fields a company is written with (DOMAIN.md section 9, `companies`)."""

    name_en: text(200) | None = None
    district: code_of("district") | None = None
    city: text(50) | None = None
    zone: code_of("zone") | None = None
    founded_on: Day | None = None
    headcount: integer(0, 10_000_000) | None = None
    website: text(200) | None = None
    application_fields: list[code_of("application_field")] | None = None
    specialized_level: code_of("specialized_level") | None = None
    description: long_text(20_000) | None = None
    uscc_override_reason: text(500) | None = Field(
        default=None, description="Risk or admin: accept a pilot-era USCC failing the checksum."
    )
    confirm_similar: bool = Field(
        default=False, description="Save although a company with a similar name exists."
    )


class CompanyIn(CompanyFields):
    name: text(200, min_length=1)
    uscc: text(40, min_length=1)
    focus_area: code_of("focus_area")
    enterprise_stage: code_of("enterprise_stage")


class CompanyPatch(CompanyFields, Patch):
    """Left out: kept. Those required on create cannot be emptied (no null)."""

    version: integer(1) = Field(description="The version the change is based on.")
    name: text(200, min_length=1) = None
    uscc: text(40, min_length=1) = None
    focus_area: code_of("focus_area") = None
    enterprise_stage: code_of("enterprise_stage") = None


class CompanyQuery(ListQuery):
    focus_area: codes_of("focus_area")
    enterprise_stage: codes_of("enterprise_stage")
    application_fields: codes_of("application_fields")
    zone: codes_of("zone")
    district: codes_of("district", "`none`: no district.")
    sort: sort_of(COMPANY_SORTS) = None


def company_out(company: Company) -> CompanyOut:
    return CompanyOut(**{name: getattr(company, name) for name in CompanyOut.model_fields})


@bp.get("/companies")
@requires("read_pipeline")
@operation(TAG, {200: CompanyList}, query=CompanyQuery, errors=(422,))
def list_companies(query: CompanyQuery):
    """The companies matching the filters, in a stable order."""
    filters = parsed_filters(COMPANY_SORTS, DEFAULT_SORT)
    page = page_of(
        queries.company_query(filters), query, cap=filters.count_cap, gathered=filters.gathers
    )
    return CompanyList(items=[company_out(c) for c in page.items], page=page_info(page))


@bp.get("/companies/<int:company_id>")
@requires("read_pipeline")
@operation(TAG, {200: CompanyOut})
def get_company(company_id: int):
    """One company."""
    return company_out(record_or_404(Company, company_id, _("company")))


@bp.post("/companies")
@requires("edit_companies")
@operation(TAG, {201: CompanyOut}, json=CompanyIn, errors=(422,))
def create_company(json: CompanyIn):
    """A new company, through the same rules as the company form (USCC, similar names)."""
    values = json.model_dump(exclude={"uscc_override_reason", "confirm_similar"})
    with refusals_answered():
        company = services.create_company(db.session(), values, **_options(json))
    commit()
    return company_out(company), 201


@bp.patch("/companies/<int:company_id>")
@requires("edit_companies")
@operation(TAG, {200: CompanyOut}, json=CompanyPatch, errors=(409, 422))
def update_company(company_id: int, json: CompanyPatch):
    """Change the fields sent; the others keep their values. `version` must be current."""
    session = db.session()
    company = record_or_404(Company, company_id, _("company"))
    values = _current_values(company)
    values.update(
        json.model_dump(
            exclude_unset=True, exclude={"version", "uscc_override_reason", "confirm_similar"}
        )
    )
    with refusals_answered(lambda: _fresh(company_id).model_dump(mode="json")):
        services.update_company(
            session, company, values, expected_version=json.version, **_options(json)
        )
    commit()
    return company_out(company)


def _options(json: CompanyFields) -> dict:
    override = json.uscc_override_reason if user_can(current_user, "accept_pilot_uscc") else None
    return {
        "user": current_user,
        "override_reason": override,
        "confirmed_similar": json.confirm_similar,
    }


def _current_values(company: Company) -> dict:
    values = {name: getattr(company, name) for name in services.COMPANY_FIELDS}
    values["uscc"] = company.uscc
    values["application_fields"] = company.application_fields
    return values


def _fresh(company_id: int) -> CompanyOut:
    return company_out(db.session().get(Company, company_id))
