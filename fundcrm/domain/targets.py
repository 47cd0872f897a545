"""The action plan's 2027 targets (DOMAIN.md section 7; 重庆市AI及服务机器人产业集群高质量发展行动
计划 2023—2027) and the portfolio's contribution to them, computed from plain facts with no
database: the targets page and the annual report call the same function.

What counts: a milestone dated strictly after the fund's first investment in its company
(the first investment of any sub-fund in scope; a milestone on the day of that investment was
reached before the fund's money could contribute to it). Key core technologies, high-tech
products and application scenarios count milestones; well-known companies brought in or grown
count companies (an `introduced` or `recognised` milestone, a company once however many it
has). Cluster revenue of year Y is the Chongqing revenue in Y of the companies the fund had first
invested in (any sub-fund in scope) on or before 31 December of Y: the year of the first
investment counts in full, since the figure is yearly and not split by date. A company's figure
is its annual KPI row's, else the sum of its four quarters', else it is missing and listed so; a
company first invested after Y was not in the portfolio in Y, so it is neither counted nor
missing (only set aside, to say how many)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from fundcrm.domain.kpis import year_figure

TARGET_YEAR = 2027
MILESTONE_TARGET = 30  # each of the four counted targets: 30+ by 2027
CLUSTER_REVENUE_TARGET_YUAN = Decimal(300) * Decimal(100_000_000)  # ¥300亿

# target code → the milestone kinds it counts, and whether it counts companies (not milestones)
MILESTONE_TARGETS: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    ("technology", ("technology",), False),
    ("companies", ("introduced", "recognised"), True),
    ("product", ("product",), False),
    ("scenario", ("scenario",), False),
)


@dataclass(frozen=True)
class PortfolioCompany:
    id: int
    name: str
    first_invested_on: date  # the first investment of any sub-fund in scope


@dataclass(frozen=True)
class MilestoneFact:
    company_id: int
    kind: str
    title: str
    achieved_on: date


@dataclass(frozen=True)
class Behind:
    """A company behind a number and the milestones of it that were counted."""

    company: PortfolioCompany
    milestones: tuple[MilestoneFact, ...]


@dataclass(frozen=True)
class MilestoneTarget:
    code: str
    kinds: tuple[str, ...]
    counts_companies: bool
    count: int
    target: int
    behind: tuple[Behind, ...]

    @property
    def share_pct(self) -> Decimal:
        """The share of the city's target contributed, in percent (display: 1 decimal)."""
        return _percent(Decimal(self.count), Decimal(self.target))


@dataclass(frozen=True)
class RevenueLine:
    company: PortfolioCompany
    cq_revenue_yuan: Decimal | None
    source: str | None  # kpis.ANNUAL, kpis.QUARTERS, or None: missing


@dataclass(frozen=True)
class RevenueTarget:
    year: int
    total_yuan: Decimal
    target_yuan: Decimal
    lines: tuple[RevenueLine, ...]  # companies with a figure
    missing: tuple[PortfolioCompany, ...]
    later: tuple[PortfolioCompany, ...] = ()  # first invested after the year: not counted

    @property
    def share_pct(self) -> Decimal:
        return _percent(self.total_yuan, self.target_yuan)


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    return (part * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Contribution:
    milestone_targets: tuple[MilestoneTarget, ...]
    revenue: RevenueTarget


def counted(
    companies: Iterable[PortfolioCompany], milestones: Iterable[MilestoneFact]
) -> dict[int, list[MilestoneFact]]:
    """Each company's milestones dated after its first investment, oldest first."""
    first = {c.id: c.first_invested_on for c in companies}
    found: dict[int, list[MilestoneFact]] = {}
    for fact in sorted(milestones, key=lambda m: (m.achieved_on, m.title)):
        if fact.company_id in first and fact.achieved_on > first[fact.company_id]:
            found.setdefault(fact.company_id, []).append(fact)
    return found


def _milestone_target(
    code: str, kinds: tuple, by_company: bool, companies: list, facts: dict
) -> MilestoneTarget:
    behind = tuple(
        Behind(c, tuple(m for m in facts.get(c.id, []) if m.kind in kinds)) for c in companies
    )
    behind = tuple(b for b in behind if b.milestones)
    count = len(behind) if by_company else sum(len(b.milestones) for b in behind)
    return MilestoneTarget(code, kinds, by_company, count, MILESTONE_TARGET, behind)


def held_in(company: PortfolioCompany, year: int) -> bool:
    """Whether the fund's first investment in the company is dated on or before 31 December of
    the year: its revenue of that year counts, in full."""
    return company.first_invested_on <= date(year, 12, 31)


def revenue_in(
    companies: Iterable[PortfolioCompany],
    cq_revenue: Mapping[int, Mapping[str, Decimal | None]],
    year: int,
) -> RevenueTarget:
    """The year's Chongqing revenue of the companies the fund had first invested in by 31
    December of the year; `cq_revenue` gives each company's Chongqing revenue by period code."""
    lines, missing, later = [], [], []
    for company in companies:
        if not held_in(company, year):
            later.append(company)
            continue
        value, source = year_figure(cq_revenue.get(company.id, {}), year)
        if source is None:
            missing.append(company)
        else:
            lines.append(RevenueLine(company, value, source))
    total = sum((line.cq_revenue_yuan for line in lines), Decimal(0))
    return RevenueTarget(
        year, total, CLUSTER_REVENUE_TARGET_YUAN, tuple(lines), tuple(missing), tuple(later)
    )


def contribution(
    companies: Iterable[PortfolioCompany],
    milestones: Iterable[MilestoneFact],
    cq_revenue: Mapping[int, Mapping[str, Decimal | None]],
    year: int,
) -> Contribution:
    """The portfolio's contribution to each target: the counts with the companies and
    milestones behind them, and the year's cluster revenue with the companies missing it."""
    ordered = sorted(companies, key=lambda c: (c.name, c.id))
    facts = counted(ordered, milestones)
    targets = tuple(
        _milestone_target(code, kinds, by_company, ordered, facts)
        for code, kinds, by_company in MILESTONE_TARGETS
    )
    return Contribution(targets, revenue_in(ordered, cq_revenue, year))
