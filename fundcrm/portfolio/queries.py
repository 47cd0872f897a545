"""Lookups for the portfolio."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from sqlmodel import Session, func, select

from fundcrm.domain import metrics
from fundcrm.funds import queries as fund_queries
from fundcrm.models import (
    Commitment,
    Company,
    CompanyField,
    Deal,
    DealSubFund,
    FundExpense,
    Holding,
    LpFlow,
    PortfolioTransaction,
    SubFund,
    ValuationMark,
)

# The commitments in force on a date, as the fund setup reads them: one rule for every figure.
commitment_schedules = fund_queries.commitment_schedules


def holding_of(db: Session, sub_fund_id: int, company_id: int) -> Holding | None:
    query = select(Holding).where(
        Holding.sub_fund_id == sub_fund_id, Holding.company_id == company_id
    )
    return db.exec(query).first()


def invested_yuan(
    db: Session, sub_fund_id: int, company_id: int, until: date | None = None
) -> Decimal:
    """The sub-fund's gross cumulative investment cost in the company (every deal and
    follow-on, exits not deducted), up to a date when given."""
    query = (
        select(func.coalesce(func.sum(PortfolioTransaction.amount_yuan), 0))
        .join(Holding, Holding.id == PortfolioTransaction.holding_id)
        .where(
            Holding.sub_fund_id == sub_fund_id,
            Holding.company_id == company_id,
            PortfolioTransaction.kind == "investment",
        )
    )
    if until is not None:
        query = query.where(PortfolioTransaction.made_on <= until)
    return Decimal(db.exec(query).one())


def holdings_for_list(db: Session, sub_fund_code: str | None = None) -> list[Holding]:
    """Every holding with its company, sub-fund and transactions (a fixed number of
    statements), for the portfolio list."""
    query = select(Holding).options(
        selectinload(Holding.transactions),
        selectinload(Holding.company),
        selectinload(Holding.sub_fund),
    )
    if sub_fund_code:
        query = query.join(SubFund, SubFund.id == Holding.sub_fund_id).where(
            SubFund.code == sub_fund_code
        )
    return list(db.exec(query.order_by(Holding.id)).all())


def marks_of(db: Session, holding_ids: list[int] | None = None) -> dict[int, list[ValuationMark]]:
    """The marks of these holdings (every holding's when None), oldest first, per holding."""
    query = select(ValuationMark).order_by(ValuationMark.marked_on, ValuationMark.id)
    if holding_ids is not None:
        query = query.where(ValuationMark.holding_id.in_(holding_ids))
    found: dict[int, list[ValuationMark]] = {}
    for mark in db.exec(query).all():
        found.setdefault(mark.holding_id, []).append(mark)
    return found


def deals_of_holding(db: Session, holding: Holding) -> list[Deal]:
    """The company's deals that include the holding's sub-fund, newest first."""
    query = (
        select(Deal)
        .join(DealSubFund, DealSubFund.deal_id == Deal.id)
        .where(
            Deal.company_id == holding.company_id, DealSubFund.sub_fund_id == holding.sub_fund_id
        )
        .order_by(Deal.created_on.desc(), Deal.id.desc())
    )
    return list(db.exec(query).all())


def pending_marks(db: Session) -> list[ValuationMark]:
    query = (
        select(ValuationMark).where(ValuationMark.status == "pending").order_by(ValuationMark.id)
    )
    return list(db.exec(query).all())


def lp_flows(db: Session, until: date) -> list[LpFlow]:
    query = select(LpFlow).where(LpFlow.flow_on <= until).order_by(LpFlow.flow_on, LpFlow.id)
    return list(db.exec(query).all())


def expenses(db: Session, until: date) -> list[FundExpense]:
    query = (
        select(FundExpense)
        .where(FundExpense.spent_on <= until)
        .order_by(FundExpense.spent_on, FundExpense.id)
    )
    return list(db.exec(query).all())


def commitments_with_funds(db: Session) -> list[tuple[Commitment, SubFund]]:
    query = select(Commitment, SubFund).join(SubFund, SubFund.id == Commitment.sub_fund_id)
    return list(db.exec(query).all())


def holding_rows(db: Session) -> list:
    """Every holding with what the portfolio list shows and filters on, as plain rows (one
    statement): id, opened_on, company_id, company, uscc, focus_area, enterprise_stage, zone,
    district, city, sub_fund (its code), sub_fund_id."""
    holding, company, fund = Holding.__table__, Company.__table__, SubFund.__table__
    query = (
        sa.select(
            holding.c.id,
            holding.c.opened_on,
            holding.c.company_id,
            company.c.name.label("company"),
            company.c.uscc,
            company.c.focus_area,
            company.c.enterprise_stage,
            company.c.zone,
            company.c.district,
            company.c.city,
            fund.c.code.label("sub_fund"),
            holding.c.sub_fund_id,
        )
        .join(company, company.c.id == holding.c.company_id)
        .join(fund, fund.c.id == holding.c.sub_fund_id)
        .order_by(holding.c.id)
    )
    return db.connection().execute(query).all()


def held_company_fields(db: Session) -> dict[int, list[str]]:
    """The application fields of every held company (one statement)."""
    field = CompanyField.__table__
    held = sa.select(Holding.__table__.c.company_id)
    query = sa.select(field.c.company_id, field.c.field).where(field.c.company_id.in_(held))
    found: dict[int, list[str]] = {}
    for company_id, code in db.connection().execute(query.order_by(field.c.field)):
        found.setdefault(company_id, []).append(code)
    return found


def ledgers(db: Session, holding_ids: list[int] | None = None):
    """(transactions, counted marks) per holding as the metrics engine reads them, from two
    statements of plain rows (no ORM objects): the whole portfolio's when `holding_ids` is
    None."""
    txn, mark = PortfolioTransaction.__table__, ValuationMark.__table__
    txns: dict[int, list] = {}
    marks: dict[int, list] = {}
    query = sa.select(
        txn.c.holding_id,
        txn.c.made_on,
        txn.c.kind,
        txn.c.amount_yuan,
        txn.c.exit,
        txn.c.equity_pct,
        txn.c.id,
    ).order_by(txn.c.made_on, txn.c.id)
    counted = sa.select(mark.c.holding_id, mark.c.marked_on, mark.c.fair_value_yuan,
                        mark.c.id).where(mark.c.status == "counted")  # fmt: skip
    connection = db.connection()
    for chunk in [None] if holding_ids is None else chunks(holding_ids):
        where_t = [] if chunk is None else [txn.c.holding_id.in_(chunk)]
        where_m = [] if chunk is None else [mark.c.holding_id.in_(chunk)]
        for h, on, kind, amount, exit_, pct, seq in connection.execute(query.where(*where_t)).all():
            txns.setdefault(h, []).append(metrics.Txn(on, kind, amount, exit_, pct, seq))
        for h, on, value, seq in connection.execute(counted.where(*where_m)).all():
            marks.setdefault(h, []).append(metrics.Mark(on, value, seq))
    return txns, marks


def chunks(ids, size: int = 2000):
    """The ids (distinct, in order) in lists short enough for one IN (…) each."""
    items = sorted(set(ids))
    for start in range(0, len(items), size):
        yield items[start : start + size]
