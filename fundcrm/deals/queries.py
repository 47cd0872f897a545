"""The SELECTs of deals: the list (its filters from `fundcrm.listing`, its sorts, My deals), the
board, the deal page and its workspace, each a fixed number of statements per page."""

from dataclasses import replace

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload
from sqlmodel import Session, func, select

from fundcrm.domain.stages import ALL_STAGES
from fundcrm.listing import (
    ListFilters,
    company_conditions,
    company_holds,
    company_ids,
    company_logged,
    contains,
    indexed,
)
from fundcrm.models import (
    Activity,
    Company,
    Deal,
    DealMember,
    DealSubFund,
    IcAgendaItem,
    IcMeetingMember,
    StageGate,
    StageMove,
    SubFund,
    Task,
    User,
    UserRole,
)
from fundcrm.models.deals import DUE_UNSET, ROUND_ORDER, STAGE_ORDER
from fundcrm.models.records import Row
from fundcrm.permissions import roles_with, user_can

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


def deal_conditions(filters: ListFilters, gathered=None, company_joined: bool = False) -> list:
    """WHERE clauses on `deals` alone; company filters become `company_id IN (…)`, so no join
    is made. `company_joined`: the query joins the deal's company, and the company filters
    are said of it (the list, see deal_query). `gathered`: the search's matches already
    gathered (a SELECT of ids), in place of search_matches."""
    conditions = []
    if company := company_conditions(filters):
        if company_joined:  # the caller joins the deal's company (deal_query)
            conditions.extend(company)
        else:
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
    if (q := filters.get("q")) and filters.broad:
        conditions.append(_holds(q))
    elif q:
        conditions.append(Deal.id.in_(gathered if gathered is not None else search_matches(q)))
    return conditions


def search_matches(q: str):
    """The ids of the deals the search `q` finds, gathered from the search indexes: one
    SELECT per index, united (an OR across them would scan every deal)."""
    return sa.union(
        select(Deal.id).where(Deal.company_id.in_(company_ids(q))),
        select(Deal.id).where(indexed(Deal, Deal.notes, q)),
        select(Deal.id).where(Deal.deal_ref == q.upper()),
        select(Activity.deal_id).where(indexed(Activity, Activity.summary, q)),
    )


def _holds(q: str):
    """The search's match checked on each deal, for a broad search (listing.search_is_broad):
    the same rows as the index union above, found while walking the list in its order."""
    # the company's columns as a value read per deal through its key: as an EXISTS,
    # PostgreSQL would first check every company ("hashed SubPlan"), 80 ms at 80,000
    company = (
        select(sa.or_(*company_holds(q)))
        .where(Company.id == Deal.company_id)
        .correlate_except(Company)  # its own company row, even when the page joins one
    )
    return sa.or_(
        company.scalar_subquery(),
        company_logged(Deal.company_id, q),
        contains(Deal.notes, q),
        Deal.deal_ref == q.upper(),
        sa.exists().where(Activity.deal_id == Deal.id, contains(Activity.summary, q)),
    )


def deal_query(filters: ListFilters, *conditions):
    """The filtered deals; a company filter joins the deal's company and is said of it. As
    `company_id IN (…)` SQLite always began with the matching companies, then counted or
    sorted all their deals; joined, its planner may instead walk the deals of a stage in the
    page's order and check each one's company (a stage, focus and sub-fund filter at 100,000
    deals: the page 50 → 1.4 ms, the count 50 → 20 ms; PostgreSQL plans both alike)."""
    joined = bool(company_conditions(filters))
    query = select(Deal).where(*deal_conditions(filters, company_joined=joined), *conditions)
    return query.join(Company, Deal.company_id == Company.id) if joined else query


def deal_rows(db: Session, shown) -> list[Row]:
    """What a list row or a board card shows of the deals `shown` (a SELECT of ids, or a list
    of ids whose order is kept), newest first, as rows of columns (models.records.Row), not ORM
    objects: a board builds 180 cards, and as ORM objects (deals, companies, owners, sub-fund
    shares, team members: about 870) they cost a third of its time. Three statements: the deals
    with their company's name and focus and their owner's name, their sub-funds, their team
    (the record rules deciding who may edit or move read the owner and the team, as on a Deal)."""
    columns = [getattr(Deal, c) for c in ROW_COLUMNS]
    query = (
        select(*columns, Company.name, Company.focus_area, User.name)
        .join(Company, Company.id == Deal.company_id)
        .join(User, User.id == Deal.owner_id)
        .where(Deal.id.in_(shown))
        .order_by(Deal.updated_at.desc(), Deal.id.desc())
    )
    deals = {}
    for *values, company_name, focus_area, owner_name in db.exec(query):
        deal = Row(zip(ROW_COLUMNS, values, strict=True))
        deal.company = Row(name=company_name, focus_area=focus_area)
        deal.owner = Row(name=owner_name)
        deal.participations, deal.team = [], []
        deals[deal.id] = deal
    ids = list(deals)
    shares = select(DealSubFund.deal_id, SubFund.code).join(SubFund)
    for deal_id, code in db.exec(
        shares.where(DealSubFund.deal_id.in_(ids)).order_by(DealSubFund.id)
    ):
        deals[deal_id].participations.append(Row(sub_fund=Row(code=code)))
    members = select(DealMember.deal_id, DealMember.user_id).where(DealMember.deal_id.in_(ids))
    for deal_id, user_id in db.exec(members):
        deals[deal_id].team.append(Row(user_id=user_id))
    return [deals[i] for i in shown] if isinstance(shown, list) else list(deals.values())


ROW_COLUMNS = (
    "id",
    "deal_ref",
    "stage",
    "return_stage",
    "round",
    "proposed_total_yuan",
    "next_step",
    "next_step_due",
    "stage_entered_at",
    "owner_id",
    "updated_at",
    "created_on",
)


def filtered_deals(filters: ListFilters, *conditions):
    """The filtered deals in no order (what a page counts); `conditions` narrow them further
    (My deals). Filters with errors match nothing: the page shows the messages, not every deal."""
    query = deal_query(filters, *conditions)
    return query.where(sa.false()) if filters.errors else query


def ordered_deal_ids(filters: ListFilters, *conditions):
    """The ids of ordered_deals: a list page reads its rows with deal_rows."""
    return ordered_deals(filters, *conditions).with_only_columns(Deal.id)


def ordered_deals(filters: ListFilters, *conditions):
    """The filtered deals in the list's order (joining the company or the owner for theirs)."""
    query = filtered_deals(filters, *conditions)
    key = filters.sort.removeprefix("-")
    if key == "company" and not company_conditions(filters):  # else deal_query joined it
        query = query.join(Company, Deal.company_id == Company.id)
    elif key == "owner":
        query = query.join(User, Deal.owner_id == User.id)
    direction = sa.desc if DEAL_SORTS[filters.sort] else sa.asc
    return query.order_by(*(direction(c) for c in DEAL_ORDERS[key]))


def on_team(user, counting: bool = False) -> sa.ColumnElement:
    """The deals the user owns or is on the team of.

    One rule in two spellings of the same set, for speed at 100,000 deals: a page walking the
    list's sort index asks each deal (EXISTS, stops after a page); a count reads the user's
    deal ids once (IN)."""
    if counting:
        team = select(DealMember.deal_id).where(DealMember.user_id == user.id)
        return sa.or_(Deal.owner_id == user.id, Deal.id.in_(team))
    on_it = sa.exists().where(DealMember.deal_id == Deal.id, DealMember.user_id == user.id)
    return sa.or_(Deal.owner_id == user.id, on_it)


def on_my_meetings(user, counting: bool = False) -> sa.ColumnElement:
    """The deals on the agenda of the IC meetings the user sits on."""
    sits = select(IcMeetingMember.meeting_id).where(IcMeetingMember.member_id == user.id)
    on_agenda = select(IcAgendaItem.deal_id).where(IcAgendaItem.meeting_id.in_(sits))
    return Deal.id.in_(on_agenda)


def mandate_flagged(_user=None, counting: bool = False) -> sa.ColumnElement:
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
    ("sit_on_ic", _l("deals on the agenda of your IC meetings"), on_my_meetings),
]


def my_deals(user, counting: bool = False) -> tuple[sa.ColumnElement, list[str]]:
    """The condition of the user's "My deals" and what it includes, in words (`counting`: the
    spelling a count runs fastest, see on_team)."""
    reasons = [
        (label, condition(user, counting))
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
    (stage, updated_at) index rather than a ranking of every deal. With a broad search
    (listing.search_is_broad) the totals still gather every match from the search index (a
    walk would check each of the 100,000 deals), while each stage's cards walk its index."""
    gathered = None
    if (q := filters.get("q")) and not filters.broad:
        # the matches gathered once for the nine stages' cards (a CTE), not once per stage
        matches = search_matches(q).cte("matches")
        gathered = select(matches.c.id)
    conditions = deal_conditions(filters, gathered)
    every_match = deal_conditions(replace(filters, broad=False))
    totals = db.exec(
        select(Deal.stage, func.count(), func.sum(Deal.proposed_total_yuan))
        .where(*every_match)
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
    cards = deal_rows(db, shown)
    return {stage: (count, total) for stage, count, total in totals}, cards


def saved_gates(db: Session) -> list[StageGate]:
    """The gates an administrator has saved (the others keep DOMAIN.md's default)."""
    return list(db.exec(select(StageGate)).all())
