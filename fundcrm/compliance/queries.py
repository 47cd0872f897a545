"""The SELECTs of the override requests and the closed periods."""

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from fundcrm.models import (
    Company,
    Deal,
    Holding,
    OverrideRequest,
    PeriodClose,
    SubFund,
    User,
    ValuationMark,
)

RECENT_DECISIONS = 50


@dataclass(frozen=True)
class RequestRow:
    """An override request with its deal, company and the names of who asked and decided."""

    request: OverrideRequest
    deal: Deal
    company: Company
    requester: str
    decider: str | None


def pending_request(db: Session, deal_id: int, to_stage: str) -> OverrideRequest | None:
    """The request to move the deal to `to_stage` still waiting, if any."""
    query = select(OverrideRequest).where(
        OverrideRequest.deal_id == deal_id,
        OverrideRequest.to_stage == to_stage,
        OverrideRequest.status == "pending",
    )
    return db.exec(query.order_by(OverrideRequest.id.desc())).first()


def _request_rows(db: Session, query) -> list[RequestRow]:
    rows = db.exec(
        query.join(Deal, Deal.id == OverrideRequest.deal_id).join(
            Company, Company.id == Deal.company_id
        )
    ).all()
    names = names_of(db, [i for r, _d, _c in rows for i in (r.requested_by_id, r.decided_by_id)])
    return [
        RequestRow(r, d, c, names.get(r.requested_by_id, ""), names.get(r.decided_by_id))
        for r, d, c in rows
    ]


def pending_requests(db: Session) -> list[RequestRow]:
    """The requests waiting for risk or an administrator, oldest first."""
    query = (
        select(OverrideRequest, Deal, Company)
        .where(OverrideRequest.status == "pending")
        .order_by(OverrideRequest.id)
    )
    return _request_rows(db, query)


def recent_decisions(db: Session, limit: int = RECENT_DECISIONS) -> list[RequestRow]:
    """The latest requests performed, declined or withdrawn, newest first."""
    query = (
        select(OverrideRequest, Deal, Company)
        .where(OverrideRequest.status != "pending")
        .order_by(OverrideRequest.decided_at.desc(), OverrideRequest.id.desc())
        .limit(limit)
    )
    return _request_rows(db, query)


def requests_of_deal(db: Session, deal_id: int) -> list[RequestRow]:
    """A deal's requests, newest first (its page shows them)."""
    query = (
        select(OverrideRequest, Deal, Company)
        .where(OverrideRequest.deal_id == deal_id)
        .order_by(OverrideRequest.id.desc())
    )
    return _request_rows(db, query)


def period_closes(db: Session) -> list[PeriodClose]:
    """Every close, the latest first."""
    query = select(PeriodClose).order_by(PeriodClose.closed_through.desc(), PeriodClose.id.desc())
    return list(db.exec(query).all())


def names_of(db: Session, ids) -> dict[int, str]:
    """User id → name, for the ids given (None ignored)."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return dict(db.exec(select(User.id, User.name).where(User.id.in_(wanted))).all())


@dataclass(frozen=True)
class PendingMark:
    """A mark waiting for risk's review, with what names it."""

    mark: ValuationMark
    holding_id: int
    company: str
    sub_fund: str


def pending_marks_through(db: Session, through: date) -> list[PendingMark]:
    """The marks dated on or before `through` still waiting for risk's review."""
    query = (
        select(ValuationMark, Company.name, SubFund.code)
        .join(Holding, Holding.id == ValuationMark.holding_id)
        .join(Company, Company.id == Holding.company_id)
        .join(SubFund, SubFund.id == Holding.sub_fund_id)
        .where(ValuationMark.status == "pending", ValuationMark.marked_on <= through)
        .order_by(ValuationMark.marked_on, ValuationMark.id)
    )
    return [PendingMark(m, m.holding_id, name, code) for m, name, code in db.exec(query).all()]
