"""The list filters of /deals and /companies: parsed from query parameters named as the DOMAIN
codes, checked, and turned into SELECTs that run a fixed number of statements per page."""

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload
from sqlmodel import Session, func, select

from fundcrm import clock
from fundcrm.domain import uscc
from fundcrm.domain.stages import ALL_STAGES
from fundcrm.domain.vocab import (
    APPLICATION_FIELDS,
    DISTRICTS,
    ENTERPRISE_STAGES,
    FOCUS_AREAS,
    ROUNDS,
    SOURCES,
    STAGES,
    ZONES,
)
from fundcrm.models import Activity, Company, CompanyField, Deal, DealSubFund, SubFund, User

VOCAB_FILTERS = {
    "stage": STAGES,
    "focus_area": FOCUS_AREAS,
    "enterprise_stage": ENTERPRISE_STAGES,
    "application_fields": APPLICATION_FIELDS,
    "zone": ZONES,
    "district": DISTRICTS,
    "round": ROUNDS,
    "source": SOURCES,
}
COMPANY_FILTERS = ("focus_area", "enterprise_stage", "application_fields", "zone", "district")
DEAL_SORTS = {
    "updated": Deal.updated_at.desc(),
    "-updated": Deal.updated_at.asc(),
    "created": Deal.created_on.desc(),
    "-created": Deal.created_on.asc(),
    "ref": Deal.deal_ref.asc(),
    "company": Company.name.asc(),
    "stage": Deal.stage.asc(),
}
COMPANY_SORTS = {
    "name": Company.name.asc(),
    "-name": Company.name.desc(),
    "created": Company.created_at.desc(),
    "-created": Company.created_at.asc(),
}


@dataclass
class ListFilters:
    values: dict = field(default_factory=dict)  # code → list of codes / text / date
    errors: list[str] = field(default_factory=list)
    sort: str = "updated"

    def get(self, name, default=None):
        return self.values.get(name, default)

    @property
    def active(self) -> bool:
        return bool(self.values)


def parse_filters(args, db: Session, sorts: dict, default_sort: str) -> ListFilters:
    """Read the filters; each unknown code or bad date becomes a message and filters nothing."""
    filters = ListFilters(sort=default_sort)
    for name, vocabulary in VOCAB_FILTERS.items():
        codes = [c for c in args.getlist(name) if c]
        bad = [c for c in codes if c not in vocabulary]
        if bad:
            filters.errors.append(
                str(_l("Unknown code for %(name)s: %(code)s", name=name, code=", ".join(bad)))
            )
        elif codes:
            filters.values[name] = codes
    _parse_sub_funds(args, db, filters)
    _parse_owner(args, db, filters)
    for name in ("created_from", "created_to"):
        if text := args.get(name, "").strip():
            try:
                filters.values[name] = date.fromisoformat(text)
            except ValueError:
                filters.errors.append(str(_l("%(name)s must be a date as YYYY-MM-DD.", name=name)))
    if q := args.get("q", "").strip():
        filters.values["q"] = q[:100]
    sort = args.get("sort", default_sort)
    if sort not in sorts:
        filters.errors.append(str(_l("Unknown sort: %(sort)s", sort=sort)))
    else:
        filters.sort = sort
    return filters


def _parse_sub_funds(args, db, filters):
    codes = [c.strip().upper() for c in args.getlist("sub_fund") if c.strip()]
    if not codes:
        return
    found = dict(db.exec(select(SubFund.code, SubFund.id).where(SubFund.code.in_(codes))).all())
    missing = [c for c in codes if c not in found]
    if missing:
        filters.errors.append(str(_l("Unknown sub-fund: %(code)s", code=", ".join(missing))))
    else:
        filters.values["sub_fund"] = [found[c] for c in codes]


def _parse_owner(args, db, filters):
    email = args.get("owner_email", "").strip().lower()
    if not email:
        return
    user_id = db.exec(select(User.id).where(User.email == email)).first()
    if user_id is None:
        filters.errors.append(str(_l("No user has the email %(email)s.", email=email)))
    else:
        filters.values["owner_email"] = user_id


def _company_conditions(filters: ListFilters) -> list:
    conditions = []
    for name in ("focus_area", "enterprise_stage", "zone", "district"):
        if codes := filters.get(name):
            conditions.append(getattr(Company, name).in_(codes))
    if codes := filters.get("application_fields"):
        conditions.append(
            sa.exists().where(CompanyField.company_id == Company.id, CompanyField.field.in_(codes))
        )
    return conditions


def _contains(column, text: str):
    """Substring match: case-insensitive only where case exists (Latin letters), since ILIKE
    costs about twice LIKE on Chinese text and folds nothing there."""
    if any("a" <= ch.lower() <= "z" for ch in text):
        return column.icontains(text, autoescape=True)
    return column.contains(text, autoescape=True)


def _search_company(q: str) -> list:
    logged = select(Activity.company_id).where(_contains(Activity.summary, q))
    return [
        Company.id.in_(logged),
        _contains(Company.name, q),
        Company.uscc == uscc.normalise(q),
        _contains(Company.description, q),
    ]


def deal_conditions(filters: ListFilters) -> list:
    """WHERE clauses on `deals` alone; company filters become `company_id IN (…)`, so no join
    is made unless the order needs the company's name."""
    conditions = []
    if company := _company_conditions(filters):
        conditions.append(Deal.company_id.in_(select(Company.id).where(*company)))
    if codes := filters.get("stage"):
        conditions.append(Deal.stage.in_(codes))
    for name in ("round", "source"):
        if codes := filters.get(name):
            conditions.append(getattr(Deal, name).in_(codes))
    if ids := filters.get("sub_fund"):
        conditions.append(
            sa.exists().where(DealSubFund.deal_id == Deal.id, DealSubFund.sub_fund_id.in_(ids))
        )
    if (owner := filters.get("owner_email")) is not None:
        conditions.append(Deal.owner_id == owner)
    if start := filters.get("created_from"):
        conditions.append(Deal.created_on >= start)
    if end := filters.get("created_to"):
        conditions.append(Deal.created_on <= end)
    if q := filters.get("q"):
        matching_companies = select(Company.id).where(sa.or_(*_search_company(q)))
        logged = select(Activity.deal_id).where(_contains(Activity.summary, q))
        conditions.append(
            sa.or_(
                Deal.company_id.in_(matching_companies),
                _contains(Deal.notes, q),
                Deal.deal_ref == q.upper(),
                Deal.id.in_(logged),
            )
        )
    return conditions


def deal_query(filters: ListFilters):
    return select(Deal).where(*deal_conditions(filters))


def with_deal_details(query):
    """Load what a deal row shows in a fixed number of statements, whatever the page size."""
    return query.options(
        selectinload(Deal.company).selectinload(Company.fields),
        selectinload(Deal.owner),
        selectinload(Deal.participations).selectinload(DealSubFund.sub_fund),
    )


def ordered_deals(filters: ListFilters):
    query = deal_query(filters)
    if filters.sort == "company":
        query = query.join(Company, Deal.company_id == Company.id)
    return with_deal_details(query.order_by(DEAL_SORTS[filters.sort], Deal.id.desc()))


def company_query(filters: ListFilters):
    query = select(Company).where(*_company_conditions(filters))
    start, end = clock.day_range(filters.get("created_from"), filters.get("created_to"))
    if start:
        query = query.where(Company.created_at >= start)
    if end:
        query = query.where(Company.created_at < end)
    if q := filters.get("q"):
        query = query.where(sa.or_(*_search_company(q)))
    return query.order_by(COMPANY_SORTS[filters.sort], Company.id.desc())


def board_columns(db: Session, filters: ListFilters, per_stage: int):
    """Per stage: count, sum of proposed amounts, and the most recently updated cards.

    A fixed number of statements whatever the number of deals: totals from the
    (stage, proposed_total_yuan) index, cards from each stage's top rows of the
    (stage, updated_at) index rather than a ranking of every deal."""
    conditions = deal_conditions(filters)
    totals = db.exec(
        select(Deal.stage, func.count(), func.sum(Deal.proposed_total_yuan))
        .where(*conditions)
        .group_by(Deal.stage)
    ).all()
    newest = [
        select(Deal.id)
        .where(Deal.stage == stage, *conditions)
        .order_by(Deal.updated_at.desc(), Deal.id.desc())
        .limit(per_stage)
        .subquery()
        for stage in ALL_STAGES
    ]
    shown = sa.union_all(*(select(top.c.id) for top in newest))
    cards = db.exec(
        with_deal_details(select(Deal).where(Deal.id.in_(shown))).order_by(
            Deal.updated_at.desc(), Deal.id.desc()
        )
    ).all()
    return {stage: (count, total) for stage, count, total in totals}, cards
