"""Lookups for the portfolio."""

from datetime import date
from decimal import Decimal

from sqlmodel import Session, func, select

from fundcrm.models import Holding, PortfolioTransaction


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
