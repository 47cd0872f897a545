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


def deal_counts(db: Session) -> list[tuple[str, str | None, str | None, int]]:
    """(stage, company's focus area, company's cluster zone, deals) of every deal, grouped:
    the deals by stage, by focus area and by zone all come from these few rows."""
    query = (
        select(Deal.stage, Company.focus_area, Company.zone, func.count())
        .join(Company, Company.id == Deal.company_id)
        .group_by(Deal.stage, Company.focus_area, Company.zone)
    )
    return [(stage, focus, zone, int(n)) for stage, focus, zone, n in db.exec(query).all()]


def stage_counts(db: Session, condition: sa.ColumnElement) -> dict[str, int]:
    """The deals meeting `condition` per stage."""
    query = select(Deal.stage, func.count()).where(condition).group_by(Deal.stage)
    return {stage: int(n) for stage, n in db.exec(query).all()}


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
