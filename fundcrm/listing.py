"""The lists' filters, shared by /deals, /companies and the exports: query parameters named as
the DOMAIN codes, checked into `ListFilters`, and the company conditions and search every list
applies."""

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from fundcrm.domain import places, uscc
from fundcrm.domain.location import CHONGQING_CITY
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
from fundcrm.models import Activity, Company, CompanyField, SubFund, User
from fundcrm.search import token_match

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
# What the filter bar calls each filter: a refusal names the field the user sees.
FILTER_LABELS = {
    "stage": _l("Stage"),
    "focus_area": _l("Focus area"),
    "enterprise_stage": _l("Enterprise stage"),
    "application_fields": _l("Application field"),
    "zone": _l("Cluster zone"),
    "district": _l("District"),
    "round": _l("Round"),
    "source": _l("Source"),
    "city": _l("City"),
    "created_from": _l("Created from"),
    "created_to": _l("Created to"),
}
MAX_SEARCH = 500  # characters of `q` (its index tokens are bounded: search.MAX_QUERY_TOKENS)
MAX_CITY = 50  # characters of a company's city


@dataclass
class ListFilters:
    values: dict = field(default_factory=dict)  # code → list of codes / text / date
    errors: list[str] = field(default_factory=list)
    sort: str = "updated"
    # `q` is held by so many records that the list walks its order instead of asking the
    # index, and counts at most `count_cap` rows (search_is_broad)
    broad: bool = False

    def get(self, name, default=None):
        return self.values.get(name, default)

    @property
    def count_cap(self) -> int | None:
        """How far a page counts: SEARCH_COUNT_CAP for a broad search, else every row."""
        return current_app.config["SEARCH_COUNT_CAP"] if self.broad else None

    @property
    def gathers(self) -> bool:
        """A narrow search: its matches are gathered from the index and sorted for any page
        (pagination.paginate's `gathered`)."""
        return bool(self.get("q")) and not self.broad

    @property
    def active(self) -> bool:
        return bool(self.values)


def parse_filters(args, db: Session, sorts: dict, default_sort: str) -> ListFilters:
    """Read the filters; each unknown code or bad date becomes a message and filters nothing."""
    filters = ListFilters(sort=default_sort)
    for name, vocabulary in VOCAB_FILTERS.items():
        codes = [c for c in args.getlist(name) if c]
        bad = [c for c in codes if c not in vocabulary and not _no_district(name, c)]
        if bad:
            filters.errors.append(
                str(
                    _l(
                        "Unknown code for %(name)s: %(code)s",
                        name=FILTER_LABELS[name],
                        code=", ".join(bad),
                    )
                )
            )
        elif codes:
            filters.values[name] = codes
    _parse_sub_funds(args, db, filters)
    _parse_owner(args, db, filters)
    if city := args.get("city", "").strip():
        if len(city) > MAX_CITY:
            filters.errors.append(str(_l("A city is at most %(max)s characters.", max=MAX_CITY)))
        else:
            filters.values["city"] = city
    for name in ("created_from", "created_to"):
        if text := args.get(name, "").strip():
            try:
                filters.values[name] = date.fromisoformat(text)
            except ValueError:
                label = FILTER_LABELS[name]
                filters.errors.append(str(_l("%(name)s must be a date as YYYY-MM-DD.", name=label)))
    if q := args.get("q", "").strip():
        if len(q) > MAX_SEARCH:
            filters.errors.append(
                str(
                    _l(
                        "Search for at most %(max)s characters (%(given)s given).",
                        max=MAX_SEARCH,
                        given=len(q),
                    )
                )
            )
        else:
            filters.values["q"] = q
            filters.broad = search_is_broad(db, q, current_app.config["SEARCH_BROAD_OVER"])
    sort = args.get("sort", "").strip() or default_sort
    if sort not in sorts:
        filters.errors.append(
            str(
                _l("Unknown sort: %(sort)s (sort by %(known)s)", sort=sort, known=_sort_keys(sorts))
            )
        )
    else:
        filters.sort = sort
    return filters


def search_is_broad(db: Session, q: str, limit: int) -> bool:
    """Whether more than `limit` companies hold `q`'s tokens (a count from the index that stops
    at limit + 1). A narrow search gathers its matches from the indexes (company_ids), which
    costs in proportion to the matches; a broad one (`机器人`, held by half the companies)
    walks the list in its order and checks each row, stopping at the page's end — cheap
    exactly when matches are many — and its count stops at the cap ("1,000+")."""
    match = token_match(Company, q)
    if match is None:  # no letter or digit: only the substring check can answer
        return True
    found = select(Company.id).where(match).limit(limit + 1).subquery()
    connection = db.connection()
    postgresql = connection.dialect.name == "postgresql"
    if postgresql:
        # For a term most companies hold, PostgreSQL would rather read every company and
        # compute its tsvector (a second at 80,000 companies) than walk the GIN index (50 ms):
        # for this one count, the index.
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    try:
        return db.exec(select(sa.func.count()).select_from(found)).one() > limit
    finally:
        if postgresql:
            connection.exec_driver_sql("RESET enable_seqscan")


def _no_district(name: str, code: str) -> bool:
    """`district=none`: the companies without a district that are not known to be outside
    Chongqing (fundcrm.domain.places)."""
    return name == "district" and code == places.NO_DISTRICT


def _sort_keys(sorts: dict) -> str:
    return ", ".join(key for key in sorts if not key.startswith("-"))


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


def company_conditions(filters: ListFilters) -> list:
    conditions = []
    for name in ("focus_area", "enterprise_stage", "zone"):
        if codes := filters.get(name):
            conditions.append(getattr(Company, name).in_(codes))
    if codes := filters.get("district"):
        conditions.append(in_districts(codes))
    if city := filters.get("city"):
        # a city outside Chongqing, as fundcrm.domain.places counts it (重庆… is "no district")
        outside = sa.false() if city.startswith(CHONGQING_CITY) else Company.city == city
        conditions.append(sa.and_(_in_another_city(), outside))
    if codes := filters.get("application_fields"):
        conditions.append(
            sa.exists().where(CompanyField.company_id == Company.id, CompanyField.field.in_(codes))
        )
    return conditions


def _no_district_set():
    return sa.or_(Company.district.is_(None), Company.district == "")


def _in_another_city():
    """No district, and a city outside Chongqing (fundcrm.domain.places.bucket's CITY)."""
    outside = sa.and_(
        sa.func.trim(Company.city) != "",
        sa.not_(Company.city.startswith(CHONGQING_CITY, autoescape=True)),
    )
    return sa.and_(_no_district_set(), Company.city.is_not(None), outside)


def in_districts(codes: list[str]):
    """Registered in one of the districts (`none`: where fundcrm.domain.places counts a
    company under "no district": not one of the 38, and not in a city outside Chongqing)."""
    real = [c for c in codes if c != places.NO_DISTRICT]
    either = [Company.district.in_(real)] if real else []
    if places.NO_DISTRICT in codes:
        not_one = sa.or_(Company.district.is_(None), Company.district.not_in(DISTRICTS.codes))
        either.append(sa.and_(not_one, sa.not_(_in_another_city())))
    return sa.or_(*either)


def contains(column, text: str):
    """Substring match: case-insensitive only where case exists (Latin letters), since ILIKE
    costs about twice LIKE on Chinese text and folds nothing there."""
    if any("a" <= ch.lower() <= "z" for ch in text):
        return column.icontains(text, autoescape=True)
    return column.contains(text, autoescape=True)


def indexed(model, column, q: str):
    """`column` holds `q`: asked of the search index first (fundcrm.search), then rechecked
    as a plain substring, so the rows are exactly those of the substring match."""
    plain = contains(column, q)
    narrowed = token_match(model, q)
    return plain if narrowed is None else sa.and_(narrowed, plain)


def company_search(q: str, broad: bool = False) -> list:
    """The conditions of a company the search `q` finds: its id is among `company_ids`, or for
    a broad search (search_is_broad) the same match checked on the company itself."""
    if broad:
        return [sa.or_(*company_holds(q), company_logged(Company.id, q))]
    return [Company.id.in_(company_ids(q))]


def company_holds(q: str) -> list:
    """The substring conditions on a company's own columns: name, description, USCC (any
    part, spaces and case ignored)."""
    plain = [contains(Company.name, q), contains(Company.description, q)]
    if part := uscc_part(q):
        plain.append(Company.uscc.contains(part, autoescape=True))
    return plain


def company_logged(company_id, q: str):
    """An activity logged on the company `company_id` (a column) holds `q`."""
    return sa.exists().where(Activity.company_id == company_id, contains(Activity.summary, q))


def company_ids(q: str):
    """The ids of the companies whose name, description, USCC (any part) or an activity's
    summary holds `q`. A union of one SELECT per index, so each is answered from its index
    (an OR across tables would make the database scan them all)."""
    plain = company_holds(q)
    narrowed = token_match(Company, q)
    own = sa.or_(*plain) if narrowed is None else sa.and_(narrowed, sa.or_(*plain))
    logged = select(Activity.company_id).where(indexed(Activity, Activity.summary, q))
    return sa.union(select(Company.id).where(own), logged)


def uscc_part(q: str) -> str | None:
    """`q` as a piece of a USCC (any part, spaces and case ignored), if it can be one."""
    code = uscc.normalise(q)
    return code if code.isascii() and code.isalnum() else None
