"""Select builders and lookups for the IC pages."""

from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from fundcrm.models import (
    Commitment,
    Company,
    DDItem,
    IcConflict,
    IcMemo,
    IcMemoVersion,
    LimitedPartner,
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
