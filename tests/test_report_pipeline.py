"""The annual report's section 7, the pipeline in the year (DOMAIN.md 8.7), on deals with known
move dates: the deals reaching each stage (a stage passed through included), conversions by 31
December, median days (re-entries summed), pass reasons and sources; the scope's sub-funds only;
the LP edition without any company name or reason."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from flask_babel import force_locale

from fundcrm.deals import moves
from fundcrm.reports.context import Ask, context
from fundcrm.reports.sections_pipeline import pipeline
from tests import factories
from tests.factories import make_uscc

TODAY = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(TODAY, tick=False):
        yield


def at(day: date, hour: int = 2) -> datetime:
    """10:00 in Chongqing (or later: hour 17 UTC is 01:00 the next day there)."""
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)


def deal_of(dbs, staff, n, name, created, source="own", fund="angel"):
    company = factories.company(dbs, name, make_uscc(n))
    return factories.deal(dbs, company, staff["manager"], [(staff[fund], "10000000")],
                          source=source, at=at(created))  # fmt: skip


def move(dbs, deal, stage, day, reason=None, hour=2):
    moves.record_import_move(dbs, deal, stage, at(day, hour), pass_reason=reason)
    dbs.flush()


COMPANIES = ["重庆一号智能科技有限公司", "重庆二号机器人有限公司", "重庆三号具身智能有限公司",
             "重庆四号大模型有限公司", "重庆五号本体有限公司"]  # fmt: skip


@pytest.fixture
def year(dbs, staff):
    """2025 for the angel fund. D1: created 03-01, 初筛 03-11, straight to 尽调 03-21 (through
    立项), back to 初筛 04-20, 立项 05-10. D2 (机构推荐): created 2024-12-01, 初筛 2025-01-06,
    passed 02-01 (估值过高). D3 (政府推荐): created 2025-12-20, 初筛 in 2026. D4: created 02-01,
    passed 06-01 (估值过高). D5: created 01-10, passed 01-20 (团队不完整), reopened and passed
    again 2026-01-10 (another year). D6: the industry fund's only, created 04-01, 初筛 04-05."""
    d1 = deal_of(dbs, staff, 21, COMPANIES[0], date(2025, 3, 1))
    for stage, day in (
        ("screening", date(2025, 3, 11)),
        ("due_diligence", date(2025, 3, 21)),
        ("screening", date(2025, 4, 20)),
        ("approved", date(2025, 5, 10)),
    ):
        move(dbs, d1, stage, day)  # fmt: skip
    d2 = deal_of(dbs, staff, 22, COMPANIES[1], date(2024, 12, 1), source="referral")
    move(dbs, d2, "screening", date(2025, 1, 6))
    move(dbs, d2, "passed", date(2025, 2, 1), "估值过高")
    d3 = deal_of(dbs, staff, 23, COMPANIES[2], date(2025, 12, 20), source="government")
    move(dbs, d3, "screening", date(2026, 1, 5))
    d4 = deal_of(dbs, staff, 24, COMPANIES[3], date(2025, 2, 1))
    move(dbs, d4, "passed", date(2025, 6, 1), "估值过高")
    d5 = deal_of(dbs, staff, 25, COMPANIES[4], date(2025, 1, 10))
    move(dbs, d5, "passed", date(2025, 1, 19), "团队不完整", hour=17)  # 01-20 in Chongqing
    move(dbs, d5, "sourcing", date(2026, 1, 5))
    move(dbs, d5, "passed", date(2026, 1, 10), "技术路线不符")
    d6 = deal_of(dbs, staff, 26, "重庆六号产业有限公司", date(2025, 4, 1), fund="industry")
    move(dbs, d6, "screening", date(2025, 4, 5))
    dbs.commit()
    return staff


def section(app, dbs, language="en", **ask):
    with app.app_context(), force_locale("en" if language == "en" else "zh_Hans_CN"):
        return pipeline(context(dbs, Ask(year=2025, language=language, **ask), app.config))


def rows_by_stage(found):
    table = found.tables()[0]
    assert table.key == "pipeline_stages"
    return {row[0]: row[1:] for row in table.rows}


def test_the_stages_reached_converted_and_median_days(app, dbs, year):
    found = section(app, dbs, sub_fund="ANGEL")
    assert (found.number, found.key) == ("7", "pipeline")
    stages = rows_by_stage(found)
    # reached, converted, conversion, median days
    assert stages["Sourcing"] == [4, 1, Decimal("0.25"), 23]  # D1 D3 D4 D5; 10 36 120 10 days
    assert stages["Screening"] == [2, 1, Decimal("0.5"), 28]  # D1 10 + 20, D2 26
    assert stages["Approved"] == [1, 1, Decimal(1), 0]  # D1 passed through it
    assert stages["Due diligence"] == [1, 0, Decimal(0), 30]
    assert stages["Investment committee"] == [0, 0, None, None]
    assert stages["Closed (invested)"][:3] == [0, None, None]
    assert list(stages) == ["Sourcing", "Screening", "Approved", "Due diligence",
                            "Investment committee", "Signing", "Closed (invested)"]  # fmt: skip


def test_the_funnel_is_drawn_from_the_stage_table(app, dbs, year):
    found = section(app, dbs, sub_fund="ANGEL")
    (chart,) = found.charts()
    assert (chart.key, chart.kind) == ("pipeline_funnel", "funnel")
    assert chart.table is found.tables()[0]
    labels, (reached,) = chart.series()
    assert labels[:4] == ["Sourcing", "Screening", "Approved", "Due diligence"]
    assert reached == [4, 2, 1, 1, 0, 0, 0]


def test_pass_reasons_passed_deals_and_sources(app, dbs, year):
    found = section(app, dbs, sub_fund="ANGEL")
    tables = {t.key: t for t in found.tables()}
    reasons = tables["pipeline_pass_reasons"]
    assert reasons.rows == [["估值过高", 2], ["团队不完整", 1]]
    assert reasons.total == ["Total", 3]
    passed = tables["pipeline_passed"]
    assert [(r[1], r[2], r[3]) for r in passed.rows] == [
        (COMPANIES[4], date(2025, 1, 20), "团队不完整"),
        (COMPANIES[1], date(2025, 2, 1), "估值过高"),
        (COMPANIES[3], date(2025, 6, 1), "估值过高"),
    ]
    sources = tables["pipeline_sources"]
    assert sources.rows == [["Own sourcing", 3], ["Government referral", 1]]  # D2: 2024
    assert sources.total == ["Total", 4]


def test_the_whole_fund_counts_every_sub_funds_deals(app, dbs, year):
    stages = rows_by_stage(section(app, dbs))
    assert stages["Sourcing"][:2] == [5, 2]  # D6 created and moved on in 2025
    assert stages["Screening"][0] == 3


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_lp_edition_shows_counts_without_names_or_reasons(app, dbs, year, language):
    found = section(app, dbs, edition="lp", lp_id=year["lp"].id, language=language)
    assert {t.key for t in found.tables()} == {"pipeline_stages", "pipeline_sources"}
    words = [found.title]
    for block in found.blocks:
        words += [getattr(block, name, "") for name in ("text", "title", "note", "empty")]
    for table in found.tables():
        words += [str(c.label) for c in table.columns]
        words += [str(cell) for row in [*table.rows, table.total or []] for cell in row]
    text = " ".join(str(w) for w in words)
    for secret in [*COMPANIES, "估值过高", "团队不完整", "技术路线不符", "XM"]:
        assert secret not in text
    assert list(rows_by_stage(found).values())[0][:2] == [4, 1]
    assert found.tables()[1].total[1] == 4
    if language == "en":
        assert "Deals passed in the year: 3." in text


def test_a_year_without_moves_says_so(app, dbs, staff):
    found = section(app, dbs, sub_fund="ANGEL")
    stages = found.tables()[0]
    assert stages.rows == [] and stages.empty == "No deal moved in the year."
    assert found.charts() == []
