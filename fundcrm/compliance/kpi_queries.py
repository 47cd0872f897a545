"""Reads of the portfolio companies' KPIs and milestones (DOMAIN.md sections 2, 7 and 9): who
the fund holds and since when, the records of some companies, the documents a milestone may
cite, and the rows the targets page counts."""

from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

from fundcrm.models import (
    Company,
    CompanyKpi,
    Deal,
    Document,
    Holding,
    Milestone,
    PortfolioTransaction,
    Relocation,
    SubFund,
)
from fundcrm.portfolio.queries import chunks


def first_investments(
    db: Session, company_ids: Iterable[int] | None = None, sub_fund_id: int | None = None
) -> dict[int, date]:
    """The date of the fund's first investment in each company it holds (of one sub-fund when
    given; of these companies when given): a company without an investment is not held."""
    query = (
        select(Holding.company_id, sa.func.min(PortfolioTransaction.made_on))
        .join(PortfolioTransaction, PortfolioTransaction.holding_id == Holding.id)
        .where(PortfolioTransaction.kind == "investment")
        .group_by(Holding.company_id)
    )
    if sub_fund_id is not None:
        query = query.where(Holding.sub_fund_id == sub_fund_id)
    if company_ids is None:
        return dict(db.exec(query).all())
    found: dict[int, date] = {}
    for chunk in chunks(company_ids):
        found.update(db.exec(query.where(Holding.company_id.in_(chunk))).all())
    return found


def held_since(db: Session, company_id: int) -> date | None:
    """The fund's first investment in the company, or None when the fund does not hold it."""
    return first_investments(db, [company_id]).get(company_id)


def kpis_of(db: Session, company_ids: Iterable[int], lock: bool = False) -> list[CompanyKpi]:
    """The KPI rows of these companies (locked for the import that updates them)."""
    found = []
    for chunk in chunks(company_ids):
        query = select(CompanyKpi).where(CompanyKpi.company_id.in_(chunk)).order_by(CompanyKpi.id)
        if lock:
            query = query.with_for_update()
        found.extend(db.exec(query).all())
    return found


def kpi_of(db: Session, company_id: int, period: str) -> CompanyKpi | None:
    query = select(CompanyKpi).where(
        CompanyKpi.company_id == company_id, CompanyKpi.period == period
    )
    return db.exec(query.with_for_update()).first()


def milestones_of(db: Session, company_ids: Iterable[int]) -> list[Milestone]:
    """The milestones of these companies, oldest first."""
    found = []
    for chunk in chunks(company_ids):
        query = (
            select(Milestone)
            .where(Milestone.company_id.in_(chunk))
            .order_by(Milestone.achieved_on, Milestone.id)
        )
        found.extend(db.exec(query).all())
    return found


def company_documents(db: Session, company_id: int) -> list[Document]:
    """The documents stored on the company or on one of its deals, newest first: what a
    milestone's evidence may cite."""
    on_deals = select(Deal.id).where(Deal.company_id == company_id)
    query = (
        select(Document)
        .where(sa.or_(Document.company_id == company_id, Document.deal_id.in_(on_deals)))
        .order_by(Document.uploaded_at.desc(), Document.id.desc())
    )
    return list(db.exec(query).all())


def companies_by_id(db: Session, company_ids: Iterable[int]) -> dict[int, Company]:
    found = {}
    for chunk in chunks(company_ids):
        found.update({c.id: c for c in db.exec(select(Company).where(Company.id.in_(chunk)))})
    return found


def companies_by_uscc(db: Session, usccs: Iterable[str]) -> dict[str, Company]:
    found = {}
    for chunk in chunks(u for u in usccs if u):
        found.update({c.uscc: c for c in db.exec(select(Company).where(Company.uscc.in_(chunk)))})
    return found


def moved_into_chongqing(db: Session, company_ids: Iterable[int]) -> dict[int, date]:
    """The date each company's registration first moved into a Chongqing district, if it did."""
    found: dict[int, date] = {}
    for chunk in chunks(company_ids):
        query = (
            select(Relocation.company_id, sa.func.min(Relocation.effective_on))
            .where(Relocation.company_id.in_(chunk), Relocation.to_district.is_not(None))
            .group_by(Relocation.company_id)
        )
        found.update(db.exec(query).all())
    return found


def kpi_years(db: Session, company_ids: Iterable[int]) -> set[int]:
    """The years any KPI row of these companies covers."""
    years: set[int] = set()
    for chunk in chunks(company_ids):
        query = select(CompanyKpi.period_end).where(CompanyKpi.company_id.in_(chunk)).distinct()
        years.update(d.year for d in db.exec(query).all())
    return years


def cq_revenue_of(db: Session, company_ids: Iterable[int], year: int) -> dict[int, dict]:
    """Each company's Chongqing revenue in the year's KPI rows, by period code."""
    found: dict[int, dict] = {}
    for chunk in chunks(company_ids):
        query = select(CompanyKpi.company_id, CompanyKpi.period, CompanyKpi.cq_revenue_yuan).where(
            CompanyKpi.company_id.in_(chunk),
            CompanyKpi.period_end >= date(year, 1, 1),
            CompanyKpi.period_end <= date(year, 12, 31),
        )
        for company_id, period, value in db.exec(query).all():
            found.setdefault(company_id, {})[period] = value
    return found


# -- exports ----------------------------------------------------------------------------------


def _held_by(codes: list[str], company_id):
    """Companies with a holding of one of these sub-funds (every company when none given)."""
    if not codes:
        return sa.true()
    holding, fund = Holding.__table__, SubFund.__table__
    return sa.exists(
        sa.select(holding.c.id)
        .join(fund, fund.c.id == holding.c.sub_fund_id)
        .where(holding.c.company_id == company_id, fund.c.code.in_(codes))
    )


def kpis_to_export(codes: list[str]):
    """KPI rows in the import's columns, by company and period."""
    kpi, company = CompanyKpi.__table__, Company.__table__
    return (
        sa.select(
            company.c.uscc.label("company_uscc"),
            kpi.c.period,
            kpi.c.revenue_yuan.label("revenue_wan"),
            kpi.c.cq_revenue_yuan.label("cq_revenue_wan"),
            kpi.c.net_profit_yuan.label("net_profit_wan"),
            kpi.c.headcount,
            kpi.c.rd_yuan.label("rd_wan"),
            kpi.c.patents,
        )
        .join(company, company.c.id == kpi.c.company_id)
        .where(_held_by(codes, kpi.c.company_id))
        .order_by(company.c.uscc, kpi.c.period_end, kpi.c.period, kpi.c.id)
    )


def milestones_to_export(codes: list[str]):
    """Milestones in the import's columns, by company and date."""
    milestone, company = Milestone.__table__, Company.__table__
    return (
        sa.select(
            company.c.uscc.label("company_uscc"),
            milestone.c.kind,
            milestone.c.title,
            milestone.c.achieved_on.label("date"),
            sa.func.nullif(milestone.c.evidence, "").label("evidence"),
        )
        .join(company, company.c.id == milestone.c.company_id)
        .where(_held_by(codes, milestone.c.company_id))
        .order_by(company.c.uscc, milestone.c.achieved_on, milestone.c.id)
    )
