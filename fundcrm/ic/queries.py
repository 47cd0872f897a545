"""Select builders and lookups for the IC pages."""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload
from sqlmodel import Session, select

from fundcrm.models import (
    Commitment,
    Company,
    DDItem,
    Deal,
    IcAgendaItem,
    IcCondition,
    IcConflict,
    IcDecision,
    IcMeeting,
    IcMeetingMember,
    IcMemo,
    IcMemoVersion,
    IcQuestion,
    IcVote,
    LimitedPartner,
    SubFund,
    User,
)


def memo_of_deal(db: Session, deal_id: int) -> IcMemo | None:
    return db.exec(select(IcMemo).where(IcMemo.deal_id == deal_id)).first()


def has_submitted_memo(db: Session, deal_id: int) -> bool:
    """A submitted version of one of the deal's memos: the 投决 gate's memo condition."""
    submitted = (
        select(IcMemoVersion.id)
        .join(IcMemo, IcMemo.id == IcMemoVersion.memo_id)
        .where(IcMemo.deal_id == deal_id, IcMemoVersion.status == "submitted")
        .limit(1)
    )
    return db.exec(submitted).first() is not None


def dd_items(db: Session, deal_id: int) -> list[DDItem]:
    return list(db.exec(select(DDItem).where(DDItem.deal_id == deal_id)).all())


def government_commitments(db: Session, sub_fund_ids: list[int]) -> list[Commitment]:
    """The commitments of government LPs to these sub-funds (each has its re-investment area)."""
    query = (
        select(Commitment)
        .join(LimitedPartner, LimitedPartner.id == Commitment.lp_id)
        .where(Commitment.sub_fund_id.in_(sub_fund_ids), LimitedPartner.is_government)
        .order_by(Commitment.sub_fund_id, LimitedPartner.name)
    )
    return list(db.exec(query).all())


def conflicts(db: Session):
    """The register, newest first, with the member's and the company's names."""
    member = aliased(User)
    return (
        select(IcConflict, member.name, Company.name, Company.id)
        .join(member, member.id == IcConflict.member_id)
        .join(Company, Company.id == IcConflict.company_id)
        .order_by(IcConflict.declared_on.desc(), IcConflict.id.desc())
    )


def questions_of(db: Session, memo_id: int) -> list[IcQuestion]:
    """A memo's questions, oldest first, each with its answers."""
    query = select(IcQuestion).where(IcQuestion.memo_id == memo_id).order_by(IcQuestion.id)
    return list(db.exec(query).all())


# -- meetings, seats and votes ----------------------------------------------------------------


@dataclass(frozen=True)
class Seat:
    """Who sits on an agenda item: the meeting's chair and members, and those recused on the
    item's company (a conflict in the register). Record rules (permissions) read it."""

    meeting_id: int
    chair_id: int
    member_ids: frozenset[int]
    recused_ids: frozenset[int] = frozenset()

    @property
    def eligible_ids(self) -> frozenset[int]:
        return self.member_ids - self.recused_ids


def meeting_seat(meeting: IcMeeting) -> Seat:
    return Seat(meeting.id, meeting.chair_id, frozenset(meeting.member_ids))


def item_seat(db: Session, item: IcAgendaItem) -> Seat:
    meeting = item.meeting
    members = frozenset(meeting.member_ids)
    conflicted = select(IcConflict.member_id).where(
        IcConflict.company_id
        == select(Deal.company_id).where(Deal.id == item.deal_id).scalar_subquery(),
        IcConflict.member_id.in_(members),
    )
    return Seat(meeting.id, meeting.chair_id, members, frozenset(db.exec(conflicted).all()))


def meetings(db: Session, member_id: int | None, upcoming: bool, today: date):
    """Meetings from today on (soonest first) or before it (latest first); a member's only."""
    query = select(IcMeeting).options(selectinload(IcMeeting.items))
    if member_id is not None:
        sits = select(IcMeetingMember.meeting_id).where(IcMeetingMember.member_id == member_id)
        query = query.where(IcMeeting.id.in_(sits))
    if upcoming:
        return query.where(IcMeeting.held_on >= today).order_by(IcMeeting.held_on, IcMeeting.id)
    return query.where(IcMeeting.held_on < today).order_by(
        IcMeeting.held_on.desc(), IcMeeting.id.desc()
    )


def items_with_deals(db: Session, item_ids: list[int]) -> dict[int, tuple]:
    """item id → (deal ref, company name, memo id, version number) for a list of items."""
    if not item_ids:
        return {}
    rows = db.exec(
        select(
            IcAgendaItem.id,
            Deal.deal_ref,
            Company.name,
            IcMemoVersion.memo_id,
            IcMemoVersion.number,
        )
        .join(Deal, Deal.id == IcAgendaItem.deal_id)
        .join(Company, Company.id == Deal.company_id)
        .join(IcMemoVersion, IcMemoVersion.id == IcAgendaItem.memo_version_id)
        .where(IcAgendaItem.id.in_(item_ids))
    ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def decisions_of_items(db: Session, item_ids: list[int]) -> dict[int, IcDecision]:
    if not item_ids:
        return {}
    found = db.exec(select(IcDecision).where(IcDecision.item_id.in_(item_ids))).all()
    return {d.item_id: d for d in found}


def votes_of(db: Session, item_id: int) -> list[IcVote]:
    return list(
        db.exec(select(IcVote).where(IcVote.item_id == item_id).order_by(IcVote.member_id)).all()
    )


def vote_of(db: Session, item_id: int, member_id: int) -> IcVote | None:
    query = select(IcVote).where(IcVote.item_id == item_id, IcVote.member_id == member_id)
    return db.exec(query).first()


def items_with_votes(db: Session, item_ids: list[int]) -> set[int]:
    if not item_ids:
        return set()
    query = select(IcVote.item_id).where(IcVote.item_id.in_(item_ids)).distinct()
    return set(db.exec(query).all())


def voted_on_meeting(db: Session, meeting_id: int) -> set[int]:
    """The members who have voted on any of the meeting's items."""
    query = (
        select(IcVote.member_id)
        .join(IcAgendaItem, IcAgendaItem.id == IcVote.item_id)
        .where(IcAgendaItem.meeting_id == meeting_id)
    )
    return set(db.exec(query).all())


def open_item_of_memo(db: Session, memo_id: int) -> IcAgendaItem | None:
    query = (
        select(IcAgendaItem)
        .join(IcMemoVersion, IcMemoVersion.id == IcAgendaItem.memo_version_id)
        .where(IcMemoVersion.memo_id == memo_id, IcAgendaItem.closed_at.is_(None))
    )
    return db.exec(query).first()


def agenda_candidates(db: Session):
    """The latest submitted version of each memo with no open agenda item and whose deal has
    no approving decision as its latest: what may go on a meeting's agenda."""
    latest = (
        select(IcMemoVersion.memo_id, sa.func.max(IcMemoVersion.number).label("number"))
        .where(IcMemoVersion.status == "submitted")
        .group_by(IcMemoVersion.memo_id)
        .subquery()
    )
    open_items = select(IcAgendaItem.deal_id).where(IcAgendaItem.closed_at.is_(None))
    approved = select(IcDecision.deal_id).where(
        IcDecision.outcome.in_(("approve", "approve_conditions"))
    )
    return db.exec(
        select(IcMemoVersion, Deal.deal_ref, Company.name)
        .join(
            latest,
            (latest.c.memo_id == IcMemoVersion.memo_id) & (latest.c.number == IcMemoVersion.number),
        )
        .join(IcMemo, IcMemo.id == IcMemoVersion.memo_id)
        .join(Deal, Deal.id == IcMemo.deal_id)
        .join(Company, Company.id == Deal.company_id)
        .where(Deal.id.not_in(open_items), Deal.id.not_in(approved))
        .order_by(Deal.deal_ref)
    ).all()


def rules_of(db: Session, sub_fund_ids) -> list[SubFund]:
    ids = [int(i) for i in sub_fund_ids]
    return list(db.exec(select(SubFund).where(SubFund.id.in_(ids)).order_by(SubFund.id)).all())


# -- decisions and conditions ------------------------------------------------------------------


def latest_decision(db: Session, deal_id: int) -> IcDecision | None:
    """The deal's latest closed decision: what the 签约 gate reads (DOMAIN.md section 4)."""
    query = select(IcDecision).where(IcDecision.deal_id == deal_id).order_by(IcDecision.id.desc())
    return db.exec(query.limit(1)).first()


def decisions_of_deal(db: Session, deal_id: int) -> list[IcDecision]:
    query = select(IcDecision).where(IcDecision.deal_id == deal_id).order_by(IcDecision.id.desc())
    return list(db.exec(query).all())


def items_of_deal(db: Session, deal_id: int) -> list[tuple[IcAgendaItem, IcMeeting, int]]:
    """The deal's agenda items with their meeting and memo version number, latest first."""
    query = (
        select(IcAgendaItem, IcMeeting, IcMemoVersion.number)
        .join(IcMeeting, IcMeeting.id == IcAgendaItem.meeting_id)
        .join(IcMemoVersion, IcMemoVersion.id == IcAgendaItem.memo_version_id)
        .where(IcAgendaItem.deal_id == deal_id)
        .order_by(IcMeeting.held_on.desc(), IcAgendaItem.id.desc())
    )
    return list(db.exec(query).all())


def open_conditions(db: Session, deal_id: int) -> list[IcCondition]:
    query = (
        select(IcCondition)
        .where(IcCondition.deal_id == deal_id, IcCondition.status == "open")
        .order_by(IcCondition.due_on, IcCondition.id)
    )
    return list(db.exec(query).all())


def deal_ic(db: Session, deal_id: int) -> dict:
    """What a deal's page shows of the IC: its agenda items, decisions and open conditions."""
    return {
        "items": items_of_deal(db, deal_id),
        "decisions": decisions_of_deal(db, deal_id),
        "open_conditions": open_conditions(db, deal_id),
    }
