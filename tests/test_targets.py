"""The portfolio's contribution to the action plan's 2027 targets (DOMAIN.md section 7): only
milestones dated after the fund's first investment in their company count, companies brought
in or grown count once, and a year's cluster revenue is, for each company first invested in by
the year's end, its annual KPI row, else the sum of its four quarters, else missing."""

import html
from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from fundcrm.domain import targets
from fundcrm.domain.kpis import ANNUAL, QUARTERS
from fundcrm.domain.targets import MilestoneFact, PortfolioCompany
from fundcrm.models import CompanyKpi, Milestone
from tests import factories
from tests.conftest import page_text
from tests.ic_fixtures import ENGLISH, client_of
from tests.kpi_fixtures import build_world, frozen, invest, page


@pytest.fixture
def kpi_world(staff, dbs):
    with frozen():
        yield build_world(staff, dbs)


A = PortfolioCompany(1, "甲机器人", date(2025, 3, 1))
B = PortfolioCompany(2, "乙智能", date(2025, 6, 1))


def by_code(result) -> dict:
    return {t.code: t for t in result.milestone_targets}


def test_the_action_plans_targets_are_the_citys():
    assert targets.TARGET_YEAR == 2027 and targets.MILESTONE_TARGET == 30
    assert targets.CLUSTER_REVENUE_TARGET_YUAN == Decimal("30000000000")  # ¥300亿


def test_only_milestones_strictly_after_the_first_investment_count():
    facts = [
        MilestoneFact(1, "technology", "投资前的突破", date(2025, 2, 28)),
        MilestoneFact(1, "technology", "投资当天的突破", date(2025, 3, 1)),
        MilestoneFact(1, "technology", "投资后的突破", date(2025, 3, 2)),
        MilestoneFact(1, "product", "样机", date(2025, 9, 1)),
        MilestoneFact(2, "product", "量产", date(2025, 7, 1)),
        MilestoneFact(2, "scenario", "投资前的场景", date(2025, 5, 1)),
        MilestoneFact(9, "technology", "不在组合中", date(2025, 7, 1)),
    ]
    found = by_code(targets.contribution([A, B], facts, {}, 2025))
    technology = found["technology"]
    assert technology.count == 1 and technology.target == 30
    assert [(b.company.id, [m.title for m in b.milestones]) for b in technology.behind] == [
        (1, ["投资后的突破"])
    ]
    assert found["product"].count == 2 and found["scenario"].count == 0
    assert found["product"].share_pct == Decimal("6.7")


def test_well_known_companies_count_each_company_once():
    facts = [
        MilestoneFact(1, "introduced", "迁入两江新区", date(2025, 4, 1)),
        MilestoneFact(1, "recognised", "入选独角兽", date(2025, 12, 1)),
        MilestoneFact(1, "recognised", "小巨人", date(2026, 5, 1)),
        MilestoneFact(2, "recognised", "瞪羚企业", date(2026, 1, 1)),
    ]
    companies = by_code(targets.contribution([A, B], facts, {}, 2025))["companies"]
    assert companies.count == 2 and companies.counts_companies
    assert {b.company.id: len(b.milestones) for b in companies.behind} == {1: 3, 2: 1}


def test_a_years_revenue_is_the_annual_row_else_the_four_quarters_else_missing():
    wan = Decimal(10000)
    c = PortfolioCompany(3, "丙科技", date(2024, 1, 1))
    d = PortfolioCompany(4, "丁装备", date(2024, 1, 1))
    in_year = PortfolioCompany(5, "戊年末", date(2025, 12, 31))  # the whole year counts
    late = PortfolioCompany(6, "己新投", date(2026, 1, 1))  # not in the portfolio in 2025
    revenue = {
        1: {"2025": 100 * wan, "2025Q1": 10 * wan, "2025Q2": 10 * wan},  # the annual row wins
        2: {f"2025Q{q}": 25 * wan for q in (1, 2, 3, 4)},  # the four quarters
        3: {"2025Q1": wan, "2025Q2": wan, "2025Q3": wan},  # three quarters: missing
        4: {"2025": None, **{f"2025Q{q}": wan for q in (1, 2, 3, 4)}},  # annual row, no figure
        5: {"2025": 50 * wan},
        6: {"2025": 900 * wan},  # its revenue before the fund's money: not counted
    }
    result = targets.contribution([A, B, c, d, in_year, late], [], revenue, 2025).revenue
    lines = {line.company.id: (line.cq_revenue_yuan, line.source) for line in result.lines}
    assert lines == {
        1: (100 * wan, ANNUAL), 2: (100 * wan, QUARTERS), 4: (4 * wan, QUARTERS),
        5: (50 * wan, ANNUAL),
    }  # fmt: skip
    assert [c.id for c in result.missing] == [3]
    assert [c.id for c in result.later] == [6]
    assert result.total_yuan == Decimal("2540000.00") and result.year == 2025
    assert result.share_pct == Decimal("0.0")
    # a year later it counts, and a company without that year's figure is missing
    after = targets.revenue_in([late, in_year], {6: {"2026": 900 * wan}}, 2026)
    assert [(line.company.id, line.cq_revenue_yuan) for line in after.lines] == [(6, 900 * wan)]
    assert [c.id for c in after.missing] == [5] and after.later == ()


def _kpi(dbs, company, period: str, end: date, cq_wan: int | None) -> None:
    value = Decimal(cq_wan * 10000) if cq_wan is not None else None
    dbs.add(CompanyKpi(company_id=company.id, period=period, period_end=end, cq_revenue_yuan=value,
                       revenue_yuan=value))  # fmt: skip


@pytest.fixture
def portfolio(kpi_world, dbs):
    """擎天 (ANGEL since 2025-03-01) and 双投 (INDUSTRY since 2024-01-01, ANGEL since
    2025-03-01), 未报 (ANGEL, no KPI); milestones and KPIs around those dates."""
    robot = kpi_world["robot"]
    both = factories.company(dbs, "重庆双投智能有限公司", factories.make_uscc(5))
    silent = factories.company(dbs, "重庆未报数据科技有限公司", factories.make_uscc(6))
    invest(dbs, kpi_world["industry"], both, date(2024, 1, 1))
    invest(dbs, kpi_world["angel"], both, date(2025, 3, 1))
    invest(dbs, kpi_world["angel"], silent, date(2025, 5, 1))
    dbs.add_all([
        Milestone(company_id=robot.id, kind="technology", title="具身智能控制器",
                  achieved_on=date(2025, 8, 1)),
        Milestone(company_id=robot.id, kind="technology", title="投资前的专利",
                  achieved_on=date(2024, 8, 1)),
        Milestone(company_id=both.id, kind="scenario", title="轨道交通巡检",
                  achieved_on=date(2024, 6, 1)),
        Milestone(company_id=both.id, kind="introduced", title="总部迁入重庆",
                  achieved_on=date(2024, 3, 1)),
    ])  # fmt: skip
    _kpi(dbs, robot, "2025", date(2025, 12, 31), 3000)
    for q, end in ((1, date(2025, 3, 31)), (2, date(2025, 6, 30)), (3, date(2025, 9, 30)),
                   (4, date(2025, 12, 31))):  # fmt: skip
        _kpi(dbs, both, f"2025Q{q}", end, 500)
    _kpi(dbs, robot, "2026Q1", date(2026, 3, 31), 900)
    dbs.commit()
    return {**kpi_world, "both": both, "silent": silent}


def _row(text: str, target: str) -> str:
    start = text.index(">", text.index(f'data-target="{target}"')) + 1
    return page_text(text[start : text.index("</tr>", start)])


def test_the_targets_page_counts_the_whole_fund_and_one_sub_fund(app, portfolio):
    reader = portfolio["ic_member"]
    text = page(app, reader, "/funds/targets")
    # the default year is the latest with any KPI: 2026, where only a first quarter exists
    assert 'name="year" value="2026"' in text
    missing = page_text(text, 'id="revenue-missing"')
    assert all(name in missing for name in ("擎天", "双投", "未报"))
    whole = page(app, reader, "/funds/targets?year=2025")
    assert _row(whole, "technology").startswith("Key core technologies broken through 1 30+")
    assert _row(whole, "scenario").startswith("Application scenarios with national influence 1")
    assert _row(whole, "companies").startswith("Well-known companies brought in or grown 1")
    assert "0.50 300.00+" in _row(whole, "revenue")  # 3,000 + 4 × 500 万元 = ¥0.5亿
    behind = page_text(whole, 'id="target-technology"')
    assert "具身智能控制器" in behind and "投资前的专利" not in behind
    lines = page_text(whole, 'id="revenue-lines"')
    assert "3,000.00 the annual row" in lines and "2,000.00 the sum of the four quarters" in lines
    assert "未报" in page_text(whole, 'id="revenue-missing"')
    # the angel fund invested in 双投 only in 2025: its earlier milestones are not the angel's
    angel = page(app, reader, "/funds/targets?year=2025&sub_fund=angel")
    assert _row(angel, "scenario").startswith("Application scenarios with national influence 0")
    assert _row(angel, "companies").startswith("Well-known companies brought in or grown 0")
    assert "Scope: ANGEL 子基金 (ANGEL)." in page_text(angel)


def _part(text: str, element_id: str, end: str) -> str:
    start = text.index(">", text.index(f'id="{element_id}"')) + 1
    return page_text(text[start : text.index(end, start)])


@pytest.fixture
def year_end_and_late(portfolio, dbs):
    """年末 (INDUSTRY since 2025-12-31) and 新投 (ANGEL since 2026-01-01), each with an annual
    row for 2025; 新投 also with its first quarter of 2026."""
    year_end = factories.company(dbs, "重庆年末投资机器人有限公司", factories.make_uscc(7))
    late = factories.company(dbs, "重庆新投具身智能有限公司", factories.make_uscc(8))
    invest(dbs, portfolio["industry"], year_end, date(2025, 12, 31))
    invest(dbs, portfolio["angel"], late, date(2026, 1, 1))
    _kpi(dbs, year_end, "2025", date(2025, 12, 31), 1000)
    _kpi(dbs, late, "2025", date(2025, 12, 31), 9000)
    _kpi(dbs, late, "2026Q1", date(2026, 3, 31), 2500)
    dbs.commit()
    return portfolio


@pytest.mark.parametrize("role", ["manager", "risk"])
def test_a_years_revenue_counts_the_companies_first_invested_in_by_its_end(
    app, year_end_and_late, role
):
    user = year_end_and_late[role]
    text = page(app, user, "/funds/targets?year=2025")
    # 擎天 3,000 + 双投 4 × 500 + 年末 1,000 (invested on 31 December: the year in full) = 0.6亿;
    # 新投's 9,000 of 2025 came before the fund's first investment on 2026-01-01
    assert "0.60 300.00+ 0.2%" in _row(text, "revenue")
    assert "¥0.60亿 / ¥300.00亿+" in page_text(text, 'id="target-revenue"')
    lines = _part(text, "revenue-lines", "</table>")
    assert "擎天" in lines and "3,000.00 the annual row" in lines
    assert "双投" in lines and "2,000.00 the sum of the four quarters" in lines
    assert "重庆年末投资机器人有限公司 1,000.00 the annual row" in lines
    assert "新投" not in lines and "9,000.00" not in lines
    missing = _part(text, "revenue-missing", "</div>")
    assert "未报" in missing and "新投" not in missing
    later = _part(text, "revenue-later", "</p>")
    assert later == "Companies first invested after 2025, so not counted for it: 1."
    # in 2026 新投 is in the portfolio: missing its figure (one quarter), none set aside
    text = page(app, user, "/funds/targets?year=2026")
    assert "新投" in _part(text, "revenue-missing", "</div>")
    assert 'id="revenue-later"' not in text
    assert "0.00 300.00+" in _row(text, "revenue")


def test_the_annual_reports_revenue_is_the_targets_pages(app, dbs, year_end_and_late):
    from flask_babel import force_locale

    from fundcrm.reports import annual
    from fundcrm.reports.context import Ask

    text = page(app, year_end_and_late["manager"], "/funds/targets?year=2025")
    with frozen(), app.test_request_context(), force_locale("en"):
        report = annual.build(dbs, Ask(2025, language="en"), app.config, "tester")
    section = next(s for s in report.sections if s.key == "targets")
    table = next(b for b in section.blocks if getattr(b, "key", None) == "targets_revenue")
    assert [(row[0], row[1]) for row in table.rows] == [
        ("重庆双投智能有限公司", Decimal("20000000.00")),
        ("重庆年末投资机器人有限公司", Decimal("10000000.00")),
        ("重庆擎天机器人科技有限公司", Decimal("30000000.00")),
    ]
    assert table.total[1] == Decimal("60000000.00")
    lines = _part(text, "revenue-lines", "</table>")
    assert all(f"{name} {value / 10000:,.2f}" in lines for name, value, _from in table.rows)
    missing = [b.text for b in section.blocks if "Missing the figure" in getattr(b, "text", "")]
    assert missing == ["Missing the figure for 2025: 重庆未报数据科技有限公司."]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("year=20x5", "Give the year as four digits"),
        ("year=1800", "Give the year as four digits"),
        ("year=2025.0", "Give the year as four digits"),
        ("sub_fund=NOPE", "No sub-fund has this code: NOPE."),
    ],
)
def test_a_bad_query_is_a_400_that_says_why(app, portfolio, query, message):
    response = client_of(app, portfolio["manager"]).get(f"/funds/targets?{query}", headers=ENGLISH)
    assert response.status_code == 400
    assert message in html.unescape(response.get_data(as_text=True))


def test_an_empty_portfolio_shows_zeros_and_this_year(app, staff):
    with frozen():
        text = page(app, staff["risk"], "/funds/targets")
    assert 'name="year" value="2026"' in text
    assert _row(text, "technology").startswith("Key core technologies broken through 0 30+")
    assert "0.00 300.00+" in _row(text, "revenue")


def test_the_demo_has_two_years_of_kpis_and_milestones_of_every_kind(app, dbs):
    from fundcrm import db, demo
    from fundcrm.compliance import kpi_queries
    from fundcrm.compliance import targets as contribution
    from fundcrm.demo.kpis import seed_kpis

    with frozen(), app.app_context():
        demo.seed(db.session(), app.config)
        first = kpi_queries.first_investments(db.session())
        rows = kpi_queries.kpis_of(db.session(), first)
        found = contribution.contribution_of(db.session())
        before = contribution.contribution_of(db.session(), 2025)
        assert seed_kpis(db.session(), date(2026, 11, 30)) == 0  # seeded once
    annual = {(k.company_id, k.period) for k in rows}
    assert sum((c, "2024") in annual for c in first) == len(first)
    assert sum((c, "2025") in annual for c in first) == len(first) - 1  # one sums its quarters
    assert {k.period for k in rows} >= {"2025Q1", "2025Q2", "2025Q3", "2025Q4"}
    this_year = {(c, f"2026Q{q}") for c in first for q in (1, 2, 3, 4)}
    assert this_year <= {(k.company_id, k.period) for k in rows}  # its 4th quarter has begun
    assert all(k.cq_revenue_yuan <= k.revenue_yuan for k in rows)
    milestones = dbs.exec(select(Milestone)).all()
    assert {m.kind for m in milestones} == {"technology", "product", "scenario", "introduced",
                                            "recognised"}  # fmt: skip
    assert all(m.achieved_on > first[m.company_id] for m in milestones)
    assert sum(t.count for t in found.milestone_targets if not t.counts_companies) == sum(
        m.kind in ("technology", "product", "scenario") for m in milestones
    )
    # the demo invested this year: the default year (the latest with KPIs) is this year, where
    # every company counts with the sum of its four quarters; last year none was held yet
    revenue = found.revenue
    assert revenue.year == 2026 and revenue.missing == () and revenue.later == ()
    assert {line.company.id for line in revenue.lines} == set(first)
    assert {line.source for line in revenue.lines} == {QUARTERS} and revenue.total_yuan > 0
    assert before.revenue.total_yuan == 0 and before.revenue.lines == ()
    assert {c.id for c in before.revenue.later} == set(first) and before.revenue.missing == ()
