"""The SELECTs of the home page (its recent changes come from `audit.changes_by`).

The dashboard's figures are counts and sums grouped in the database: one statement each,
whatever the number of deals, holdings or transactions (no ORM object per deal)."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from sqlmodel import Session, func, select

from fundcrm.models import (
    Company,
    Deal,
    DealMember,
    Holding,
    IcAgendaItem,
    IcMeeting,
    IcMeetingMember,
    PortfolioTransaction,
    SubFund,
    Task,
    User,
    ValuationMark,
)

HOME_TASKS = 20
FEN = Decimal("0.01")


def open_tasks(db: Session, user: User) -> list[Task]:
    """The user's open tasks, soonest due first, each with its deal and the deal's company."""
    return db.exec(
        select(Task)
        .where(Task.assignee_id == user.id, Task.status == "open")
        .order_by(Task.due_on, Task.id)
        .limit(HOME_TASKS)
        .options(selectinload(Task.deal).selectinload(Deal.company))
    ).all()


def stage_counts(db: Session, *conditions: sa.ColumnElement) -> dict[str, int]:
    """The deals (meeting the conditions) per stage: read from the (stage, …) index alone."""
    query = select(Deal.stage, func.count()).where(*conditions).group_by(Deal.stage)
    return {stage: int(n) for stage, n in db.exec(query).all()}


def counts_by_company(db: Session, column) -> dict[str | None, int]:
    """The deals per value of a company's column (focus area, cluster zone). Each is its own
    statement: it walks the column's (value, id) index and each company's deals in
    ix_deals_company_id_id, reading no row of either table (one GROUP BY of the two columns
    together would read every company's row, ten times slower at 100,000 deals)."""
    query = (
        select(column, func.count())
        .select_from(Company)
        .join(Deal, Deal.company_id == Company.id)
        .group_by(column)
    )
    return {value: int(n) for value, n in db.exec(query).all()}


def on_team_ids(user: User):
    """The ids of the deals the user owns or is on the team of, as one UNION of two index
    searches (the OR of deals.queries.on_team walks both indexes too, but a third slower)."""
    return sa.union(
        select(Deal.id).where(Deal.owner_id == user.id),
        select(DealMember.deal_id).where(DealMember.user_id == user.id),
    )


def upcoming_meetings(
    db: Session, member_id: int | None, today: date, limit: int
) -> list[tuple[int, date, object, str, int]]:
    """(id, date, start time, place, agenda items) of the next meetings from today on, soonest
    first; only those `member_id` sits on when given."""
    items = (
        select(func.count())
        .where(IcAgendaItem.meeting_id == IcMeeting.id)
        .correlate(IcMeeting)
        .scalar_subquery()
    )
    query = select(IcMeeting.id, IcMeeting.held_on, IcMeeting.starts_at, IcMeeting.place, items)
    if member_id is not None:
        sits = select(IcMeetingMember.meeting_id).where(IcMeetingMember.member_id == member_id)
        query = query.where(IcMeeting.id.in_(sits))
    query = query.where(IcMeeting.held_on >= today).order_by(IcMeeting.held_on, IcMeeting.id)
    return [tuple(row) for row in db.exec(query.limit(limit)).all()]


def pending_mark_count(db: Session) -> int:
    query = select(func.count()).where(ValuationMark.status == "pending")
    return int(db.exec(query).one())


def pending_marks_by_holding(db: Session, limit: int) -> list[tuple[int, str, str, int]]:
    """(holding id, company, sub-fund code, pending marks) of the holdings with the most marks
    waiting for review."""
    query = (
        select(Holding.id, Company.name, SubFund.code, func.count(ValuationMark.id))
        .join(Holding, Holding.id == ValuationMark.holding_id)
        .join(Company, Company.id == Holding.company_id)
        .join(SubFund, SubFund.id == Holding.sub_fund_id)
        .where(ValuationMark.status == "pending")
        .group_by(Holding.id, Company.name, SubFund.code)
        .order_by(func.count(ValuationMark.id).desc(), Holding.id)
        .limit(limit)
    )
    return [(hid, name, code, int(n)) for hid, name, code, n in db.exec(query).all()]


def investments_by_day(db: Session, until: date) -> list[tuple[date, Decimal]]:
    """The investment cost recorded on each day up to `until` (every sub-fund)."""
    query = (
        select(PortfolioTransaction.made_on, func.sum(PortfolioTransaction.amount_yuan))
        .where(PortfolioTransaction.kind == "investment", PortfolioTransaction.made_on <= until)
        .group_by(PortfolioTransaction.made_on)
        .order_by(PortfolioTransaction.made_on)
    )
    return [(on, Decimal(total).quantize(FEN)) for on, total in db.exec(query).all()]


def first_close(db: Session) -> date | None:
    """The fund's first close: the earliest of its sub-funds'."""
    return db.exec(select(func.min(SubFund.first_close))).one()
