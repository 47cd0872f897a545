"""The list filters of /deals and /companies: parsed from query parameters named as the DOMAIN
codes, checked, and turned into SELECTs that run a fixed number of statements per page."""

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload
from sqlmodel import Session, func, select

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
from fundcrm.models import (
    Activity,
    Company,
    CompanyField,
    Deal,
    DealMember,
    DealSubFund,
    StageGate,
    StageMove,
    SubFund,
    Task,
    User,
    UserRole,
)
from fundcrm.models.deals import DUE_UNSET, ROUND_ORDER, STAGE_ORDER
from fundcrm.permissions import roles_with, user_can

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
    "created_from": _l("Created from"),
    "created_to": _l("Created to"),
}
# Each sort key orders ascending and its `-key` descending; the id breaks ties the same way.
# Every order is one index scan: see the indexes of models.deals.Deal.
DEAL_ORDERS = {
    "ref": (Deal.deal_ref,),
    "company": (Company.name, Company.id, Deal.id),
    "stage": (STAGE_ORDER, Deal.id),
    "round": (ROUND_ORDER, Deal.id),
    "proposed": (Deal.proposed_total_yuan, Deal.id),
    "owner": (User.name, User.id, Deal.id),
    "due": (DUE_UNSET, Deal.next_step_due, Deal.id),
    "updated": (Deal.updated_at, Deal.id),
    "created": (Deal.created_on, Deal.id),
}
DEAL_SORTS = {**dict.fromkeys(DEAL_ORDERS, False), **{f"-{k}": True for k in DEAL_ORDERS}}
DEFAULT_DEAL_SORT = "-updated"
MAX_SEARCH = 100  # characters of `q`


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
    for name in ("focus_area", "enterprise_stage", "zone", "district"):
        if codes := filters.get(name):
            conditions.append(getattr(Company, name).in_(codes))
    if codes := filters.get("application_fields"):
        conditions.append(
            sa.exists().where(CompanyField.company_id == Company.id, CompanyField.field.in_(codes))
        )
    return conditions


def contains(column, text: str):
    """Substring match: case-insensitive only where case exists (Latin letters), since ILIKE
    costs about twice LIKE on Chinese text and folds nothing there."""
    if any("a" <= ch.lower() <= "z" for ch in text):
        return column.icontains(text, autoescape=True)
    return column.contains(text, autoescape=True)


def company_search(q: str) -> list:
    logged = select(Activity.company_id).where(contains(Activity.summary, q))
    conditions = [
        Company.id.in_(logged),
        contains(Company.name, q),
        contains(Company.description, q),
    ]
    if part := uscc_part(q):
        conditions.append(Company.uscc.contains(part, autoescape=True))
    return conditions


def uscc_part(q: str) -> str | None:
    """`q` as a piece of a USCC (any part, spaces and case ignored), if it can be one."""
    code = uscc.normalise(q)
    return code if code.isascii() and code.isalnum() else None


def deal_conditions(filters: ListFilters) -> list:
    """WHERE clauses on `deals` alone; company filters become `company_id IN (…)`, so no join
    is made unless the order needs the company's name."""
    conditions = []
    if company := company_conditions(filters):
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
        matching_companies = select(Company.id).where(sa.or_(*company_search(q)))
        logged = select(Activity.deal_id).where(contains(Activity.summary, q))
        conditions.append(
            sa.or_(
                Deal.company_id.in_(matching_companies),
                contains(Deal.notes, q),
                Deal.deal_ref == q.upper(),
                Deal.id.in_(logged),
            )
        )
    return conditions


def deal_query(filters: ListFilters, *conditions):
    return select(Deal).where(*deal_conditions(filters), *conditions)


def with_deal_details(query):
    """Load what a deal row shows in a fixed number of statements, whatever the page size."""
    return query.options(
        selectinload(Deal.company).selectinload(Company.fields),
        selectinload(Deal.owner),
        selectinload(Deal.participations).selectinload(DealSubFund.sub_fund),
        selectinload(Deal.team),  # the record rule deciding who may edit
    )


def ordered_deals(filters: ListFilters, *conditions):
    """The filtered deals in the list's order; `conditions` narrow them further (My deals).
    Filters with errors match nothing: the page shows the messages, not every deal."""
    query = deal_query(filters, *conditions)
    if filters.errors:
        query = query.where(sa.false())
    key = filters.sort.removeprefix("-")
    if key == "company":
        query = query.join(Company, Deal.company_id == Company.id)
    elif key == "owner":
        query = query.join(User, Deal.owner_id == User.id)
    direction = sa.desc if DEAL_SORTS[filters.sort] else sa.asc
    return with_deal_details(query.order_by(*(direction(c) for c in DEAL_ORDERS[key])))


def on_team(user) -> sa.ColumnElement:
    """The deals the user owns or is on the team of."""
    team = select(DealMember.deal_id).where(DealMember.user_id == user.id)
    return sa.or_(Deal.owner_id == user.id, Deal.id.in_(team))


def mandate_flagged(_user=None) -> sa.ColumnElement:
    """The deals with a move that broke a sub-fund's mandate or overrode a breach."""
    flagged = select(StageMove.deal_id).where(
        sa.or_(
            StageMove.override_reason.is_not(None),
            func.json_array_length(StageMove.breaches) > 0,
        )
    )
    return Deal.id.in_(flagged)


# Why a deal is among someone's "My deals": (the ability that brings it in, None for everyone;
# what it means, shown above the list; the condition for the user). A capability adding a
# reason (an IC member's meetings) appends its entry here.
MY_DEALS_REASONS = [
    (None, _l("deals you own or are on the team of"), on_team),
    (
        "review_mandates",
        _l("deals with a mandate breach or an override on a move"),
        mandate_flagged,
    ),
]


def my_deals(user) -> tuple[sa.ColumnElement, list[str]]:
    """The condition of the user's "My deals" and what it includes, in words."""
    reasons = [
        (label, condition(user))
        for ability, label, condition in MY_DEALS_REASONS
        if ability is None or user_can(user, ability)
    ]
    return sa.or_(*(c for _, c in reasons)), [str(label) for label, _ in reasons]


def pipeline_owners(db: Session) -> list[User]:
    """The users who may own deals, for the list's owner filter."""
    return db.exec(
        select(User)
        .join(UserRole)
        .where(UserRole.role.in_(roles_with("edit_pipeline")))
        .distinct()
        .order_by(User.name)
    ).all()


def company_by_uscc(db: Session, code: str) -> Company | None:
    return db.exec(select(Company).where(Company.uscc == code)).first()


def deal_for_page(db: Session, deal_id: int) -> Deal | None:
    """One deal with what its page shows, in a fixed number of statements."""
    return db.exec(
        select(Deal)
        .where(Deal.id == deal_id)
        .options(
            selectinload(Deal.participations).selectinload(DealSubFund.sub_fund),
            selectinload(Deal.moves),
            selectinload(Deal.company),
            selectinload(Deal.team).selectinload(DealMember.user),
        )
    ).first()


def deal_activities(db: Session, deal_id: int) -> list[Activity]:
    return db.exec(
        select(Activity)
        .where(Activity.deal_id == deal_id)
        .order_by(Activity.occurred_on.desc(), Activity.id.desc())
    ).all()


def deal_tasks(db: Session, deal_id: int) -> list[Task]:
    """A deal's tasks, open ones first, each by due date."""
    return db.exec(
        select(Task).where(Task.deal_id == deal_id).order_by(Task.status.desc(), Task.due_on)
    ).all()


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


def saved_gates(db: Session) -> list[StageGate]:
    """The gates an administrator has saved (the others keep DOMAIN.md's default)."""
    return list(db.exec(select(StageGate)).all())
