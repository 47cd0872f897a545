"""The SELECTs of companies: the list (filters, search, sorts), the company picker's lookup,
a company's deals and activities, and the lookups the company rules need."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select

from fundcrm import clock
from fundcrm.domain import uscc
from fundcrm.listing import (
    ListFilters,
    company_conditions,
    company_search,
    contains,
    uscc_part,
)
from fundcrm.models import Activity, ActivityContact, Company, Contact, Deal, Holding, Relocation
from fundcrm.models.deals import unset_last
from fundcrm.search import token_match

LOOKUP_LIMIT = 10
LOOKUP_MIN, LOOKUP_MAX = 2, 100  # characters of a picker's search, after trimming


FIELD_UNSET = unset_last("companies.first_field")  # companies without fields last going up


def _sorts(key: str, column, nullable: bool = False) -> dict:
    """`key` ascending and `-key` descending, the id breaking ties the same way, so each order
    is one walk of the (column, id) index forwards or backwards. Empty values come last going
    up and first going down on every database, as PostgreSQL's index keeps them."""
    up = [column.asc().nulls_last() if nullable else column.asc(), Company.id.asc()]
    down = [column.desc().nulls_first() if nullable else column.desc(), Company.id.desc()]
    return {key: up, f"-{key}": down}


COMPANY_SORTS = {
    **_sorts("name", Company.name),
    **_sorts("uscc", Company.uscc),
    **_sorts("focus_area", Company.focus_area),
    **_sorts("enterprise_stage", Company.enterprise_stage),
    # the first field as the list shows it, stored on the company: see ix_companies_first_field_id
    "application_fields": [FIELD_UNSET, Company.first_field.asc(), Company.id.asc()],
    "-application_fields": [
        sa.desc(FIELD_UNSET),
        Company.first_field.desc(),
        Company.id.desc(),
    ],
    **_sorts("zone", Company.zone, nullable=True),
    **_sorts("district", Company.district, nullable=True),
    **_sorts("created", Company.created_at),
}
DEFAULT_SORT = "-created"  # the newest first


def company_query(filters: ListFilters):
    """The companies matching the list filters, in the chosen order."""
    query = select(Company).where(*company_conditions(filters))
    start, end = clock.day_range(filters.get("created_from"), filters.get("created_to"))
    if start:
        query = query.where(Company.created_at >= start)
    if end:
        query = query.where(Company.created_at < end)
    if q := filters.get("q"):
        query = query.where(*company_search(q, filters.broad))  # any part of the USCC too
    return query.order_by(*COMPANY_SORTS[filters.sort])


def no_companies(filters: ListFilters):
    """The list's query matching nothing: a page with bad filters shows them, not every row."""
    return company_query(filters).where(sa.false())


def lookup(db: Session, q: str) -> list:
    """At most LOOKUP_LIMIT companies whose name holds `q` or whose USCC holds it (any part):
    the exact USCC first, then names starting with `q`, then the rest; one statement."""
    text, code = q.strip(), uscc.normalise(q)
    matches = [contains(Company.name, text)]
    if part := uscc_part(text):
        matches.append(Company.uscc.contains(part, autoescape=True))
    if (narrowed := token_match(Company, text)) is not None:
        matches = [sa.and_(narrowed, sa.or_(*matches))]  # the index first, then the substring
    rank = sa.case(
        (Company.uscc == code, 0),
        (Company.name.startswith(text, autoescape=True), 1),
        else_=2,
    )
    query = (
        select(Company.id, Company.name, Company.uscc, Company.district, Company.city)
        .where(sa.or_(*matches))
        .order_by(rank, Company.name, Company.id)
        .limit(LOOKUP_LIMIT)
    )
    return list(db.exec(query).all())


def deals_of(db: Session, company_id: int) -> list[Deal]:
    return list(
        db.exec(
            select(Deal).where(Deal.company_id == company_id).order_by(Deal.created_on.desc())
        ).all()
    )


def activities_of(db: Session, company_id: int) -> list[Activity]:
    return list(
        db.exec(
            select(Activity)
            .where(Activity.company_id == company_id)
            .order_by(Activity.occurred_on.desc(), Activity.id.desc())
            # the Edit link asks each activity's deal team (permissions.RECORD_RULES)
            .options(selectinload(Activity.deal).selectinload(Deal.team))
        ).all()
    )


def by_uscc(db: Session, code: str, other_than: int | None = None) -> Company | None:
    """The company holding this (normalised) USCC, other than `other_than`."""
    query = select(Company).where(Company.uscc == code)
    if other_than is not None:
        query = query.where(Company.id != other_than)
    return db.exec(query).first()


def similar_by_key(db: Session, keys, other_than: int | None = None) -> dict[str, list]:
    """Name key → the companies (rows with id, USCC and name) with that loose name key."""
    found: dict[str, list] = {}
    keys = list(dict.fromkeys(keys))
    query = (
        select(Company.name_key, Company.id, Company.uscc, Company.name)
        .where(Company.name_key.in_(keys))
        .order_by(Company.id)
    )
    if other_than is not None:
        query = query.where(Company.id != other_than)
    for company in db.exec(query).all():
        found.setdefault(company.name_key, []).append(company)
    return found


def rows_of(db: Session, model, company_id: int) -> list:
    """A model's rows that belong to the company (deals, contacts, activities, documents,
    IC conflicts)."""
    return list(db.exec(select(model).where(model.company_id == company_id)).all())


def contact_took_part(db: Session, contact: Contact) -> bool:
    """Whether the contact is among the participants of a logged activity."""
    query = select(ActivityContact.activity_id).where(ActivityContact.contact_id == contact.id)
    return db.exec(query.limit(1)).first() is not None


def relocations_of(db: Session, company_id: int) -> list[Relocation]:
    """The company's relocations in the order they took effect (and were recorded)."""
    query = (
        select(Relocation)
        .where(Relocation.company_id == company_id)
        .order_by(Relocation.effective_on, Relocation.id)
    )
    return list(db.exec(query).all())


def is_held(db: Session, company_id: int) -> bool:
    """Whether a sub-fund holds (or held) the company."""
    query = select(Holding.id).where(Holding.company_id == company_id).limit(1)
    return db.exec(query).first() is not None


def held_among(db: Session, company_ids) -> set[int]:
    """The companies among these that a sub-fund holds (or held)."""
    query = select(Holding.company_id).where(Holding.company_id.in_(list(company_ids)))
    return set(db.exec(query.distinct()).all())
