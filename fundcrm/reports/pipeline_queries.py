"""The reads of the annual report's pipeline and related-party sections (DOMAIN.md 8.6, 8.7):
plain rows for the deals in which a sub-fund in scope participates, each in one statement."""

from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

from fundcrm import clock
from fundcrm.models import (
    Company,
    Deal,
    DealSubFund,
    Holding,
    IcAgendaItem,
    IcConflict,
    IcDecision,
    IcMeeting,
    StageMove,
    User,
)


def _deals_of(fund_ids):
    """The deals in which any of these sub-funds participates (a subquery)."""
    return select(DealSubFund.deal_id).where(DealSubFund.sub_fund_id.in_(sorted(fund_ids)))


def _companies_of(fund_ids, held_only: bool = False):
    """The companies of the scope's deals and those the scope's sub-funds hold (a subquery);
    only the held ones with `held_only` (an LP edition names no pipeline company)."""
    ids = sorted(fund_ids)
    held = select(Holding.company_id).where(Holding.sub_fund_id.in_(ids))
    if held_only:
        return held
    dealt = select(Deal.company_id).where(Deal.id.in_(_deals_of(ids)))
    return sa.union(dealt, held)


def _year(year: int) -> tuple:
    """The UTC bounds [start, end) of the fund's calendar year."""
    return clock.day_range(date(year, 1, 1), date(year, 12, 31))


def moves(db: Session, fund_ids, year: int) -> list:
    """The moves up to the year's end of the scope's deals that moved in the year, each deal's
    in the order they were made: deal_id, from_stage, to_stage, at."""
    start, end = _year(year)
    moved = select(StageMove.deal_id).where(StageMove.at >= start, StageMove.at < end)
    query = (
        select(StageMove.deal_id, StageMove.from_stage, StageMove.to_stage, StageMove.at)
        .where(StageMove.deal_id.in_(_deals_of(fund_ids)), StageMove.deal_id.in_(moved))
        .where(StageMove.at < end)
        .order_by(StageMove.deal_id, StageMove.at, StageMove.id)
    )
    return list(db.exec(query).all())


def created_sources(db: Session, fund_ids, year: int) -> list[str | None]:
    """The source of each of the scope's deals created in the year."""
    query = select(Deal.source).where(
        Deal.id.in_(_deals_of(fund_ids)),
        Deal.created_on >= date(year, 1, 1),
        Deal.created_on <= date(year, 12, 31),
    )
    return list(db.exec(query).all())


def passes(db: Session, fund_ids, year: int) -> list:
    """The scope's deals passed in the year, each once with its last pass of the year: deal_id,
    deal_ref, company, reason, at; in the order they were passed."""
    start, end = _year(year)
    last = (
        select(sa.func.max(StageMove.id))
        .where(StageMove.to_stage == "passed", StageMove.at >= start, StageMove.at < end)
        .where(StageMove.deal_id.in_(_deals_of(fund_ids)))
        .group_by(StageMove.deal_id)
    )
    query = (
        select(
            StageMove.deal_id,
            Deal.deal_ref,
            Company.name.label("company"),
            StageMove.reason,
            StageMove.at,
        )
        .join(Deal, Deal.id == StageMove.deal_id)
        .join(Company, Company.id == Deal.company_id)
        .where(StageMove.id.in_(last))
        .order_by(StageMove.at, StageMove.id)
    )
    return list(db.exec(query).all())


def conflicts(db: Session, fund_ids, year: int, held_only: bool = False) -> list:
    """The conflicts declared in the year with the scope's companies: member, company,
    declared_on, reason."""
    query = (
        select(
            User.name.label("member"),
            Company.name.label("company"),
            IcConflict.declared_on,
            IcConflict.reason,
        )
        .join(User, User.id == IcConflict.member_id)
        .join(Company, Company.id == IcConflict.company_id)
        .where(IcConflict.company_id.in_(_companies_of(fund_ids, held_only)))
        .where(IcConflict.declared_on >= date(year, 1, 1))
        .where(IcConflict.declared_on <= date(year, 12, 31))
        .order_by(IcConflict.declared_on, Company.name, User.name, IcConflict.id)
    )
    return list(db.exec(query).all())


def decisions_with_recusals(db: Session, fund_ids, year: int, held_only: bool = False) -> list:
    """The decisions dated in the year on the scope's deals (of held companies only, with
    `held_only`): deal_ref, company, decided_on, held_on (the meeting's date; None for a
    recorded decision), recused (member ids)."""
    query = (
        select(
            Deal.deal_ref,
            Company.name.label("company"),
            IcDecision.decided_on,
            IcMeeting.held_on,
            IcDecision.recused,
        )
        .join(Deal, Deal.id == IcDecision.deal_id)
        .join(Company, Company.id == Deal.company_id)
        .outerjoin(IcAgendaItem, IcAgendaItem.id == IcDecision.item_id)
        .outerjoin(IcMeeting, IcMeeting.id == IcAgendaItem.meeting_id)
        .where(IcDecision.deal_id.in_(_deals_of(fund_ids)))
        .where(Deal.company_id.in_(_companies_of(fund_ids, True)) if held_only else sa.true())
        .where(IcDecision.decided_on >= date(year, 1, 1))
        .where(IcDecision.decided_on <= date(year, 12, 31))
        .order_by(IcDecision.decided_on, IcDecision.id)
    )
    return [row for row in db.exec(query).all() if row.recused]
