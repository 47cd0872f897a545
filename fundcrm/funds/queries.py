"""The fund setup's reads: settings, sub-funds, LPs, commitments and the clashes of their keys."""

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import aliased, selectinload
from sqlmodel import Session, func, or_, select

from fundcrm.domain.commitments import Schedule, schedule, signed, start_of
from fundcrm.models import (
    Commitment,
    CommitmentChange,
    FundExpense,
    FundSettings,
    LimitedPartner,
    LpFlow,
    SubFund,
    User,
    UserRole,
)


def fund_settings(db: Session) -> FundSettings | None:
    return db.exec(select(FundSettings).order_by(FundSettings.id)).first()


def sub_funds(db: Session, lock: bool = False) -> list[SubFund]:
    """Every sub-fund; `lock`: for an import that adds to them, so two at once run in turn."""
    query = select(SubFund).order_by(SubFund.id)
    return list(db.exec(query.with_for_update() if lock else query).all())


def lock_commitments(db: Session) -> None:
    """Lock every commitment (in id order): an import of LP flows checks calls against them."""
    db.exec(select(Commitment.id).order_by(Commitment.id).with_for_update()).all()


def lps(db: Session, order_by=LimitedPartner.id) -> list[LimitedPartner]:
    return list(db.exec(select(LimitedPartner).order_by(order_by)).all())


def commitments(db: Session) -> list[Commitment]:
    """Every commitment with its LP and sub-fund (two statements more, whatever their number)."""
    query = select(Commitment).options(
        selectinload(Commitment.lp), selectinload(Commitment.sub_fund)
    )
    return list(db.exec(query.order_by(Commitment.sub_fund_id, Commitment.id)).all())


def committed_by_sub_fund(db: Session) -> dict[int, Decimal]:
    """Each sub-fund's commitments with every change counted (none is dated after today),
    whatever their start: the size the LPA's cap is a share of."""
    totals: dict[int, Decimal] = {}
    for (_lp_id, sub_fund_id), found in commitment_schedules(db).items():
        totals[sub_fund_id] = totals.get(sub_fund_id, Decimal(0)) + found.latest()
    return totals


def users_by_id(db: Session) -> dict[int, User]:
    return {u.id: u for u in db.exec(select(User)).all()}


def ic_members(db: Session) -> list[User]:
    """The users who may hold a veto: IC members."""
    query = select(User).join(UserRole).where(UserRole.role == "ic_member").order_by(User.name)
    return list(db.exec(query).all())


def sub_fund_by_code(db: Session, code: str) -> SubFund | None:
    return db.exec(select(SubFund).where(SubFund.code == code)).first()


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


def calls_of(db: Session, lp_id: int, sub_fund_id: int) -> list[LpFlow]:
    """The LP's calls to the sub-fund, oldest first."""
    query = (
        select(LpFlow)
        .where(LpFlow.lp_id == lp_id, LpFlow.sub_fund_id == sub_fund_id, LpFlow.kind == "call")
        .order_by(LpFlow.flow_on, LpFlow.id)
    )
    return list(db.exec(query).all())


def called_yuan(db: Session, lp_id: int, sub_fund_id: int) -> Decimal:
    """What the LP has paid in to the sub-fund so far (its calls)."""
    query = select(func.coalesce(func.sum(LpFlow.amount_yuan), 0)).where(
        LpFlow.lp_id == lp_id, LpFlow.sub_fund_id == sub_fund_id, LpFlow.kind == "call"
    )
    return Decimal(db.exec(query).one())


def all_lp_flows(db: Session) -> list[LpFlow]:
    return list(db.exec(select(LpFlow).order_by(LpFlow.flow_on, LpFlow.id)).all())


def all_expenses(db: Session) -> list[FundExpense]:
    query = select(FundExpense).order_by(FundExpense.spent_on, FundExpense.id)
    return list(db.exec(query).all())


# -- commitments in force on a date (fundcrm.domain.commitments) --------------------------------


def _steps(changes) -> dict[int, list[tuple[date, Decimal]]]:
    """Each commitment's signed changes: a transfer counts out of one and into the other."""
    steps: dict[int, list[tuple[date, Decimal]]] = {}
    for change in changes:
        step = (change.changed_on, signed(change.kind, change.amount_yuan))
        steps.setdefault(change.commitment_id, []).append(step)
        if change.to_commitment_id is not None:
            step = (change.changed_on, signed(change.kind, change.amount_yuan, received=True))
            steps.setdefault(change.to_commitment_id, []).append(step)
    return steps


def steps_of(changes, commitment_id: int) -> list[tuple[date, Decimal]]:
    """One commitment's signed changes, from the changes touching it (changes_touching)."""
    return _steps(changes).get(commitment_id, [])


def commitment_schedules(db: Session) -> dict[tuple[int, int], Schedule]:
    """Every commitment's schedule by (lp_id, sub_fund_id): `.on(d)` is its amount in force on
    d. Two statements, whatever the number of commitments and changes."""
    query = select(
        Commitment.id,
        Commitment.lp_id,
        Commitment.sub_fund_id,
        Commitment.committed_yuan,
        Commitment.committed_on,
        SubFund.first_close,
    ).join(SubFund, SubFund.id == Commitment.sub_fund_id)
    rows = db.exec(query).all()
    steps = _steps(db.exec(select(CommitmentChange)).all())
    return {
        (lp_id, fund_id): schedule(start_of(on, first_close), amount, steps.get(key, ()))
        for key, lp_id, fund_id, amount, on, first_close in rows
    }


def _touching(commitment_id: int):
    return or_(
        CommitmentChange.commitment_id == commitment_id,
        CommitmentChange.to_commitment_id == commitment_id,
    )


def changes_touching(db: Session, commitment_id: int) -> list[CommitmentChange]:
    """The commitment's changes and the transfers it received, oldest first."""
    query = select(CommitmentChange).where(_touching(commitment_id))
    return list(db.exec(query.order_by(CommitmentChange.changed_on, CommitmentChange.id)).all())


def schedule_of(db: Session, commitment: Commitment) -> Schedule:
    """One commitment's schedule (two statements)."""
    query = select(SubFund.first_close).where(SubFund.id == commitment.sub_fund_id)
    start = start_of(commitment.committed_on, db.exec(query).one())
    steps = steps_of(changes_touching(db, commitment.id), commitment.id)
    return schedule(start, commitment.committed_yuan, steps)


def committed_in_force(db: Session, lp_id: int, sub_fund_id: int, on: date) -> Decimal:
    """The LP's commitment to the sub-fund in force on a date (0 without one)."""
    commitment = commitment_of(db, lp_id, sub_fund_id)
    return Decimal(0) if commitment is None else schedule_of(db, commitment).on(on)


def changes_with_lps(db: Session, commitment_id: int) -> list[tuple[CommitmentChange, str, str]]:
    """The changes touching a commitment (changes_touching), each with the names of the LP
    giving it and of the LP receiving it ('' for an increase or a decrease)."""
    receiving = aliased(Commitment)
    giver, receiver = aliased(LimitedPartner), aliased(LimitedPartner)
    query = (
        select(CommitmentChange, giver.name, func.coalesce(receiver.name, ""))
        .join(Commitment, Commitment.id == CommitmentChange.commitment_id)
        .join(giver, giver.id == Commitment.lp_id)
        .outerjoin(receiving, receiving.id == CommitmentChange.to_commitment_id)
        .outerjoin(receiver, receiver.id == receiving.lp_id)
        .where(_touching(commitment_id))
        .order_by(CommitmentChange.changed_on, CommitmentChange.id)
    )
    return [tuple(row) for row in db.exec(query).all()]


def paid_in_by_commitment(db: Session, until: date) -> dict[tuple[int, int], Decimal]:
    """Each LP's calls to each sub-fund dated on or before `until`, by (lp_id, sub_fund_id),
    added up exactly (SQLite would add the amounts as floats)."""
    query = select(LpFlow.lp_id, LpFlow.sub_fund_id, LpFlow.amount_yuan).where(
        LpFlow.kind == "call", LpFlow.flow_on <= until
    )
    paid: dict[tuple[int, int], Decimal] = {}
    for lp_id, fund_id, amount in db.exec(query).all():
        paid[(lp_id, fund_id)] = paid.get((lp_id, fund_id), Decimal(0)) + amount
    return paid


def receiving_commitment_ids(db: Session) -> set[int]:
    """The commitments that received a transfer (their own amount may be 0)."""
    query = select(CommitmentChange.to_commitment_id).where(
        CommitmentChange.to_commitment_id.is_not(None)
    )
    return set(db.exec(query).all())
