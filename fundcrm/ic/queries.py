"""Select builders and lookups for the IC pages."""

from sqlmodel import Session, select

from fundcrm.models import Commitment, DDItem, IcMemo, IcMemoVersion, LimitedPartner


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
