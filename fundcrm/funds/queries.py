"""The fund setup's reads: settings, sub-funds, LPs, commitments and the clashes of their keys."""

from decimal import Decimal

from sqlalchemy.orm import selectinload
from sqlmodel import Session, func, select

from fundcrm.models import Commitment, FundSettings, LimitedPartner, LpFlow, SubFund, User, UserRole


def fund_settings(db: Session) -> FundSettings | None:
    return db.exec(select(FundSettings).order_by(FundSettings.id)).first()


def sub_funds(db: Session) -> list[SubFund]:
    return list(db.exec(select(SubFund).order_by(SubFund.id)).all())


def lps(db: Session, order_by=LimitedPartner.id) -> list[LimitedPartner]:
    return list(db.exec(select(LimitedPartner).order_by(order_by)).all())


def commitments(db: Session) -> list[Commitment]:
    """Every commitment with its LP and sub-fund (two statements more, whatever their number)."""
    query = select(Commitment).options(
        selectinload(Commitment.lp), selectinload(Commitment.sub_fund)
    )
    return list(db.exec(query.order_by(Commitment.sub_fund_id, Commitment.id)).all())


def committed_by_sub_fund(db: Session) -> dict[int, Decimal]:
    rows = db.exec(
        select(Commitment.sub_fund_id, func.sum(Commitment.committed_yuan)).group_by(
            Commitment.sub_fund_id
        )
    ).all()
    return {sub_fund_id: total or Decimal(0) for sub_fund_id, total in rows}


def users_by_id(db: Session) -> dict[int, User]:
    return {u.id: u for u in db.exec(select(User)).all()}


def ic_members(db: Session) -> list[User]:
    """The users who may hold a veto: IC members."""
    query = select(User).join(UserRole).where(UserRole.role == "ic_member").order_by(User.name)
    return list(db.exec(query).all())


def code_taken(db: Session, code: str, sub_fund_id: int | None) -> bool:
    query = select(SubFund.id).where(SubFund.code == code, SubFund.id != sub_fund_id)
    return db.exec(query).first() is not None


def lp_name_taken(db: Session, name: str, lp_id: int | None) -> bool:
    query = select(LimitedPartner.id).where(LimitedPartner.name == name, LimitedPartner.id != lp_id)
    return db.exec(query).first() is not None


def commitment_taken(db: Session, lp_id: int, sub_fund_id: int, commitment_id) -> bool:
    """Another commitment of the LP to the sub-fund (an LP commits once to a sub-fund)."""
    query = select(Commitment.id).where(
        Commitment.lp_id == lp_id,
        Commitment.sub_fund_id == sub_fund_id,
        Commitment.id != commitment_id,
    )
    return db.exec(query).first() is not None


def commitments_of(db: Session, lp_id: int) -> list[Commitment]:
    query = (
        select(Commitment)
        .where(Commitment.lp_id == lp_id)
        .options(selectinload(Commitment.sub_fund))
    )
    return list(db.exec(query.order_by(Commitment.id)).all())


def commitment_of(db: Session, lp_id: int, sub_fund_id: int) -> Commitment | None:
    query = select(Commitment).where(
        Commitment.lp_id == lp_id, Commitment.sub_fund_id == sub_fund_id
    )
    return db.exec(query).first()


def called_yuan(db: Session, lp_id: int, sub_fund_id: int) -> Decimal:
    """What the LP has paid in to the sub-fund so far (its calls)."""
    query = select(func.coalesce(func.sum(LpFlow.amount_yuan), 0)).where(
        LpFlow.lp_id == lp_id, LpFlow.sub_fund_id == sub_fund_id, LpFlow.kind == "call"
    )
    return Decimal(db.exec(query).one())
