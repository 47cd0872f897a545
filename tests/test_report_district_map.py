"""Section 5's district table and map (issue 16, item 5): on the capital-account fixture plus
holdings in 江北区, a second one in 渝北区, one in 深圳 and one without a district (in the other
sub-fund), the table's figures are the sums of the schedule's holdings by place, its shares are
of the total, the map draws exactly the table's districts, the PDF shows the map with the
districts' names, the workbook the table in exact yuan, and the LP edition only its sub-funds."""

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pdfplumber
import pytest
import time_machine
from flask_babel import force_locale

from fundcrm.domain import places
from fundcrm.models import Holding, PortfolioTransaction
from fundcrm.reports import annual, pdf_charts, pdf_map
from fundcrm.reports.context import Ask, refusals
from fundcrm.reports.model import Chart
from tests import factories
from tests.test_capital_accounts import fund as fund  # noqa: F401 - the fixture

Y = Decimal
# company → (district, city, sub-fund, invested on 2025-03-01); the fixture's 擎天 is in 渝北区
# with 4,000 万元 invested and marked at 5,500 万元
ADDED = {
    "重庆江北智造科技有限公司": ("江北区", None, "angel", Y("10000000.00")),
    "重庆渝北视觉科技有限公司": ("渝北区", None, "angel", Y("5000000.01")),
    "深圳灵巧手科技有限公司": (None, "深圳市", "angel", Y("3000000.00")),
    "无地区机器人有限公司": (None, None, "industry", Y("2000000.00")),
}


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel("2026-01-15T15:30:00Z", tick=False):
        yield


@pytest.fixture
def placed(app, dbs, fund):
    with app.app_context():
        for n, (name, (district, city, sub_fund, yuan)) in enumerate(ADDED.items(), start=2):
            zone = "liangjiang" if district else None
            company = factories.company(
                dbs, name, factories.make_uscc(n), district=district, city=city, zone=zone
            )
            holding = Holding(
                sub_fund_id=fund[sub_fund].id, company_id=company.id, opened_on=date(2025, 3, 1)
            )
            dbs.add(holding)
            dbs.flush()
            dbs.add(PortfolioTransaction(holding_id=holding.id, made_on=date(2025, 3, 1),
                                         kind="investment", amount_yuan=yuan))  # fmt: skip
        dbs.commit()
    return fund


def build(app, dbs, language="en", **asked):
    with app.test_request_context(), force_locale(language):
        ask = Ask(**{"year": 2025, "language": language, **asked})
        assert refusals(dbs, ask, date(2026, 1, 16)) == []
        return annual.build(dbs, ask, app.config, "tester")


def _place(company: str) -> str:
    district, city, _fund, _yuan = ADDED.get(company, ("渝北区", None, None, None))
    labels = {"江北区": "Jiangbei District", "渝北区": "Yubei District"}
    if district:
        return labels[district]
    return f"{city} (outside Chongqing)" if city else "No district"


def _map(report) -> Chart:
    (chart,) = [c for c in report.section("allocation").charts() if c.kind == "map"]
    return chart


def test_the_district_table_sums_each_places_holdings_with_shares(app, dbs, placed):
    report = build(app, dbs)
    schedule, table = report.table("schedule"), report.table("allocation_district")
    expected: dict[str, list] = {}
    for row in schedule.rows:
        sums = expected.setdefault(_place(row[0]), [Y(0), Y(0)])
        sums[0] += row[schedule.column("invested")]
        sums[1] += row[schedule.column("fair_value")]
    # the districts in the vocabulary's order, then the cities, then no district
    assert table.values("label") == [
        "Jiangbei District",
        "Yubei District",
        "深圳市 (outside Chongqing)",
        "No district",
    ]
    assert expected["Yubei District"] == [Y("45000000.01"), Y("60000000.01")]
    cost, fair = Y("60000000.01"), Y("75000000.01")
    for row in table.rows:
        label = row[0]
        assert row[table.column("cost")] == expected[label][0], label
        assert row[table.column("fair_value")] == expected[label][1], label
        assert row[table.column("cost_share")] == expected[label][0] / cost, label
        assert row[table.column("fair_value_share")] == expected[label][1] / fair, label
    assert table.total[1:] == [cost, Y(1), fair, Y(1)]
    # the same holdings as the cluster zones' table
    zones = report.table("allocation_zone")
    assert zones.total[zones.column("cost")] == cost


def test_the_map_draws_its_tables_districts_only(app, dbs, placed):
    report = build(app, dbs, language="zh")
    table = report.table("allocation_district")
    chart = _map(report)
    assert chart.table is table and chart.values == ["cost"]
    labels = table.values("label")  # a district's Chinese label is its code
    assert labels[:2] == ["江北区", "渝北区"] and "深圳市" in labels[2] and len(labels) == 4
    assert chart.keys == ["江北区", "渝北区", None, None]
    valued, bounds, picked = pdf_map.fills(chart)
    assert valued == {"江北区": Y("10000000.00"), "渝北区": Y("45000000.01")}
    assert bounds == [(Y("10000000.00"), Y("10000000.00")), (Y("45000000.01"), Y("45000000.01"))]
    assert picked["江北区"] == 0 and picked["渝北区"] == 1
    assert [c for c, i in picked.items() if i is not None] == ["江北区", "渝北区"]
    categories, (drawn,) = pdf_charts.figures(chart)
    assert categories == table.values("label")
    assert drawn == [float(v / 10000) for v in table.values("cost")]
    assert chart.note  # says where the cities and "no district" are


def test_the_classes_split_the_values_into_five_ranges():
    values = [Y(n * 100) for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10)]
    bounds = places.classes(values)
    assert bounds == [(Y(100), Y(200)), (Y(300), Y(400)), (Y(500), Y(600)), (Y(700), Y(800)),
                      (Y(900), Y(1000))]  # fmt: skip
    assert places.classes([Y(5)]) == [(Y(5), Y(5))]


def test_the_pdf_shows_the_map_and_the_workbook_the_table(app, dbs, placed):
    for language, names, legend in (
        ("zh", ("江北区", "渝北区"), "1,000.00 万元"),
        ("en", ("Jiangbei", "Yubei"), "1,000.00 万元"),
    ):
        report = build(app, dbs, language=language)
        with app.app_context():
            data = annual.render(report)
        with pdfplumber.open(io.BytesIO(data)) as paper:
            pages = [p.extract_text() or "" for p in paper.pages]
        (page,) = [p for p in pages if _map(report).title in p]
        for name in names:
            assert name in page, (language, name)
        assert legend in page and "4,500.00 万元" in page
        drawn = pdf_map.drawing(_map(report))
        assert drawn.width <= pdf_charts.PAGE_WIDTH
    report.file_format = "xlsx"
    with app.app_context():
        book = openpyxl.load_workbook(io.BytesIO(annual.render(report)))
    (sheet,) = [ws for ws in book.worksheets if ws["A1"].value == "By district"]
    rows = {r[0]: r[1:] for r in sheet.iter_rows(min_row=4, values_only=True) if r[0]}
    table = report.table("allocation_district")
    assert list(rows) == [*table.values("label"), "Total"]
    for row in table.rows:  # cost and fair value in yuan to the fen (a float holds them)
        cells = rows[row[0]]
        assert Y(str(cells[0])) == row[1] and Y(str(cells[2])) == row[3], row[0]
    assert Y(str(rows["Yubei District"][0])) == Y("45000000.01")
    assert Y(str(rows["Total"][0])) == Y("60000000.01")
    assert sheet.cell(4, 2).number_format == "#,##0.00"


def test_the_lp_edition_maps_only_its_sub_funds(app, dbs, placed):
    report = build(app, dbs, edition="lp", lp_id=placed["b"].id)
    table = report.table("allocation_district")
    # B committed to ANGEL only: the holding without a district is INDUSTRY's
    assert table.values("label") == [
        "Jiangbei District",
        "Yubei District",
        "深圳市 (outside Chongqing)",
    ]
    assert _map(report).keys == ["江北区", "渝北区", None]
