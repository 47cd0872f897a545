"""The portfolio's contribution to the action plan's 2027 targets (DOMAIN.md section 7), of
the whole fund or of one sub-fund: the records read here, the counting done by the pure
fundcrm.domain.targets.contribution (which the annual report calls the same way)."""

from sqlmodel import Session

from fundcrm import clock
from fundcrm.compliance import kpi_queries
from fundcrm.domain import targets
from fundcrm.models import SubFund


def portfolio_companies(db: Session, sub_fund: SubFund | None) -> list[targets.PortfolioCompany]:
    """The companies held (by the sub-fund, when given) with the first investment in each."""
    first = kpi_queries.first_investments(db, sub_fund_id=sub_fund.id if sub_fund else None)
    names = kpi_queries.companies_by_id(db, first)
    return [targets.PortfolioCompany(i, names[i].name, on) for i, on in first.items()]


def default_year(db: Session, companies: list[targets.PortfolioCompany]) -> int:
    """The latest year with any KPI row of a portfolio company, else this year."""
    years = kpi_queries.kpi_years(db, [c.id for c in companies])
    return max(years) if years else clock.today().year


def contribution_of(
    db: Session, year: int | None = None, sub_fund: SubFund | None = None
) -> targets.Contribution:
    """The contribution of the portfolio (of one sub-fund when given) to every target, the
    cluster revenue of `year` (default: default_year)."""
    companies = portfolio_companies(db, sub_fund)
    ids = [c.id for c in companies]
    year = year if year is not None else default_year(db, companies)
    facts = [
        targets.MilestoneFact(m.company_id, m.kind, m.title, m.achieved_on)
        for m in kpi_queries.milestones_of(db, ids)
    ]
    return targets.contribution(companies, facts, kpi_queries.cq_revenue_of(db, ids, year), year)
