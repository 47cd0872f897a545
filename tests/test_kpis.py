"""A portfolio company's KPIs (DOMAIN.md sections 7 and 9): recorded on the holding page (a
blank field leaves the recorded value), edited with an optimistic lock, refused with a field
message and nothing written (a company not held, a bad or future period, a closed period, a
revenue in Chongqing above the revenue), shown as a table and a trend chart, imported and
exported."""

import html
import json
import re
from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from fundcrm.models import CompanyKpi, PeriodClose
from tests.conftest import page_text
from tests.kpi_fixtures import build_world, count, entries, frozen, page, post
from tests.test_imports import audit_count, run, write


@pytest.fixture
def kpi_world(staff, dbs):
    with frozen():
        yield build_world(staff, dbs)


KPI_HEAD = (
    "company_uscc,period,revenue_wan,cq_revenue_wan,net_profit_wan,headcount,rd_wan,patents\n"
)


def kpis(dbs) -> dict[str, CompanyKpi]:
    dbs.expire_all()
    return {k.period: k for k in dbs.exec(select(CompanyKpi)).all()}


def test_a_period_is_recorded_then_only_its_given_values_change(app, dbs, kpi_world):
    holding, manager = kpi_world["holding"], kpi_world["manager"]
    url = f"/portfolio/{holding.id}/kpis"
    answer = post(app, manager, url, {
        "period": "2025", "revenue": "8600.5", "cq_revenue": "5200", "net_profit": "-320.25",
        "headcount": "135", "rd": "1450.123456", "patents": "42",
    })  # fmt: skip
    assert answer.status_code == 302 and answer.location == f"/portfolio/{holding.id}#kpis"
    kpi = kpis(dbs)["2025"]
    assert kpi.period_end == date(2025, 12, 31) and kpi.company_id == kpi_world["robot"].id
    assert (kpi.revenue_yuan, kpi.cq_revenue_yuan, kpi.net_profit_yuan, kpi.rd_yuan) == (
        Decimal("86005000.00"), Decimal("52000000.00"), Decimal("-3202500.00"),
        Decimal("14501234.56"),
    )  # fmt: skip
    assert (kpi.headcount, kpi.patents) == (135, 42)
    # the same period again with R&D only: the other values stay as recorded
    post(app, kpi_world["risk"], url, {"period": "2025", "rd": "1500", "patents": ""})
    kpi = kpis(dbs)["2025"]
    assert kpi.rd_yuan == Decimal("15000000.00") and kpi.revenue_yuan == Decimal("86005000.00")
    assert (kpi.patents, kpi.version) == (42, 2)
    assert [e.action for e in entries(dbs, "company_kpis")] == ["create", "update"]
    # a quarter, written loosely, ends on the quarter's last day
    post(app, manager, url, {"period": " 2026 q3 ", "revenue": "100"})
    assert kpis(dbs)["2026Q3"].period_end == date(2026, 9, 30)


REFUSED = [
    ({"period": "2025Q5", "revenue": "1"}, "Write the period as a year (2026) or a quarter"),
    ({"period": "2027", "revenue": "1"}, "the period 2027 has not begun"),
    ({"period": "2027Q1", "revenue": "1"}, "the period 2027Q1 has not begun"),
    ({"period": "2025", "revenue": "100", "cq_revenue": "100.01"},
     "The revenue in Chongqing is at most the revenue."),
]  # fmt: skip


@pytest.mark.parametrize(("form", "message"), REFUSED)
def test_a_refused_period_writes_nothing_and_is_kept_in_the_audit_trail(
    app, dbs, kpi_world, form, message
):
    holding = kpi_world["holding"]
    shown = post(app, kpi_world["manager"], f"/portfolio/{holding.id}/kpis", form, follow=True)
    assert message in html.unescape(shown.get_data(as_text=True))
    assert count(dbs, CompanyKpi) == 0
    refused = entries(dbs, "companies", "refused")
    assert len(refused) == 1 and "record_kpi" in refused[0].changes


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"period": "", "revenue": "1"}, "Give the period: 2026 or 2026Q3."),
        ({"period": "2025", "revenue": "-5"}, "Amounts are positive"),
        ({"period": "2025", "headcount": "-1"}, "Enter a whole number from 0 to 10,000,000."),
        ({"period": "2025", "rd": "1.1234567"}, "At most 6 decimals in 万元"),
    ],
)
def test_a_form_with_a_bad_field_writes_nothing(app, dbs, kpi_world, form, message):
    holding = kpi_world["holding"]
    shown = post(app, kpi_world["risk"], f"/portfolio/{holding.id}/kpis", form, follow=True)
    assert message in html.unescape(shown.get_data(as_text=True))
    assert count(dbs, CompanyKpi) == 0


def test_a_company_the_fund_does_not_hold_gets_no_kpis(app, dbs, kpi_world):
    """A holding with no investment: the company is not in the portfolio."""
    url = f"/portfolio/{kpi_world['empty_holding'].id}/kpis"
    answer = post(app, kpi_world["admin"], url, {"period": "2025", "revenue": "10"})
    assert answer.status_code == 302
    assert count(dbs, CompanyKpi) == 0
    (refused,) = entries(dbs, "companies", "refused")
    assert "The fund holds no investment in this company" in refused.changes


def test_a_blank_revenue_keeps_the_recorded_one_for_the_chongqing_check(app, dbs, kpi_world):
    url = f"/portfolio/{kpi_world['holding'].id}/kpis"
    post(app, kpi_world["manager"], url, {"period": "2025", "revenue": "100"})
    shown = post(app, kpi_world["manager"], url, {"period": "2025", "cq_revenue": "120"}, True)
    assert "The revenue in Chongqing is at most the revenue." in shown.get_data(as_text=True)
    assert kpis(dbs)["2025"].cq_revenue_yuan is None
    post(app, kpi_world["manager"], url, {"period": "2025", "cq_revenue": "80"})
    assert kpis(dbs)["2025"].cq_revenue_yuan == Decimal("800000.00")


def test_a_closed_period_refuses_its_kpis_until_reopened(app, dbs, kpi_world):
    dbs.add(CompanyKpi(company_id=kpi_world["robot"].id, period="2025",
                       period_end=date(2025, 12, 31), revenue_yuan=Decimal("1000000")))  # fmt: skip
    dbs.add(PeriodClose(closed_through=date(2025, 12, 31), note="2025 年报"))
    dbs.commit()
    holding, manager = kpi_world["holding"], kpi_world["manager"]
    url = f"/portfolio/{holding.id}/kpis"
    for period in ("2025", "2025Q4", "2024"):
        shown = post(app, manager, url, {"period": period, "revenue": "200"}, follow=True)
        assert "The period through 2025-12-31 is closed" in shown.get_data(as_text=True), period
    kpi = kpis(dbs)["2025"]
    edit = f"{url}/{kpi.id}"
    shown = post(app, manager, edit, {"revenue": "300", "version": str(kpi.version)})
    assert shown.status_code == 200 and "The period through 2025-12-31 is closed" in html.unescape(
        shown.get_data(as_text=True)
    )
    assert set(kpis(dbs)) == {"2025"} and kpis(dbs)["2025"].revenue_yuan == Decimal("1000000.00")
    assert post(app, manager, url, {"period": "2026Q1", "revenue": "200"}).status_code == 302
    assert set(kpis(dbs)) == {"2025", "2026Q1"}


def test_the_edit_form_refuses_a_save_based_on_an_old_version(app, dbs, kpi_world):
    kpi = CompanyKpi(company_id=kpi_world["robot"].id, period="2025",
                     period_end=date(2025, 12, 31), revenue_yuan=Decimal("10000000"),
                     cq_revenue_yuan=Decimal("5000000"))  # fmt: skip
    dbs.add(kpi)
    dbs.commit()
    url = f"/portfolio/{kpi_world['holding'].id}/kpis/{kpi.id}"
    form = page(app, kpi_world["manager"], url)
    assert 'name="version" type="hidden" value="1"' in form and 'value="1000"' in form
    saved = post(app, kpi_world["risk"], url, {"revenue": "1200", "cq_revenue": "500",
                                              "version": "1"})  # fmt: skip
    assert saved.status_code == 302 and saved.location.endswith("#kpis")
    late = post(app, kpi_world["manager"], url, {"revenue": "1300", "cq_revenue": "500",
                                                "version": "1"})  # fmt: skip
    text = html.unescape(late.get_data(as_text=True))
    assert late.status_code == 200 and "Someone else saved this record after you opened it" in text
    assert kpis(dbs)["2025"].revenue_yuan == Decimal("12000000.00")
    # the edit form saves what it shows: a cleared field clears the value
    post(app, kpi_world["manager"], url, {"revenue": "1200", "cq_revenue": "", "version": "2"})
    assert kpis(dbs)["2025"].cq_revenue_yuan is None
    # a row of another company is not this holding's
    other = CompanyKpi(company_id=kpi_world["unheld"].id, period="2025",
                       period_end=date(2025, 12, 31))  # fmt: skip
    dbs.add(other)
    dbs.commit()
    missing = f"/portfolio/{kpi_world['holding'].id}/kpis/{other.id}"
    assert post(app, kpi_world["manager"], missing, {"version": "1"}).status_code == 404


def _record(dbs, company_id: int, period: str, end: date, **wan) -> None:
    values = {f"{k}_yuan": Decimal(v) * 10000 for k, v in wan.items() if k not in ("headcount",)}
    dbs.add(CompanyKpi(company_id=company_id, period=period, period_end=end,
                       headcount=wan.get("headcount"), **values))  # fmt: skip


def test_the_holding_page_shows_the_table_and_the_charts_data(app, dbs, kpi_world):
    robot = kpi_world["robot"].id
    _record(dbs, robot, "2024", date(2024, 12, 31), revenue=5000, cq_revenue=3000,
            net_profit=-800, headcount=80)  # fmt: skip
    quarters = [(1, 1000, 90), (2, 1200, 95), (3, 1500, 100), (4, 2000, 110)]
    for q, revenue, people in quarters:
        end = date(2025, 3 * q, 30 if q in (2, 3) else 31)
        _record(dbs, robot, f"2025Q{q}", end, revenue=revenue, cq_revenue=revenue / 2,
                net_profit=100, headcount=people)  # fmt: skip
    _record(dbs, robot, "2026Q1", date(2026, 3, 31), revenue=2100, headcount=120)
    dbs.commit()
    text = page(app, kpi_world["ic_member"], f"/portfolio/{kpi_world['holding'].id}")
    periods = re.findall(r'class="kpi" data-period="([^"]+)"', text)
    assert periods == ["2024", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1"]
    table = page_text(text, 'id="kpi-table"')
    assert "5,000.00 3,000.00 -800.00 80" in table
    data = json.loads(re.search(r'id="kpi-trend"[^>]*>([^<]+)</script>', text).group(1))
    assert data["yearly"] == {
        "periods": ["2024", "2025", "2026"],
        "revenue_yuan": [5000.0, 5700.0, None],  # 2025: its four quarters; 2026: two only
        "cq_revenue_yuan": [3000.0, 2850.0, None],
        "net_profit_yuan": [-800.0, 400.0, None],
        "headcount": [80, 110, None],  # the year's end
    }
    assert data["quarterly"]["periods"] == ["2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1"]
    assert data["quarterly"]["revenue_yuan"] == [1000.0, 1200.0, 1500.0, 2000.0, 2100.0]
    assert 'id="kpi-chart-yearly"' in text and "js/kpi-chart.js" in text
    # an IC member reads the KPIs but records none
    assert 'id="kpi-form"' not in text and "/kpis/" not in text
    manager = page(app, kpi_world["manager"], f"/portfolio/{kpi_world['holding'].id}")
    assert 'id="kpi-form"' in manager and 'id="milestone-form"' in manager


def test_a_kpi_file_imports_reimports_unchanged_and_updates_given_cells(
    app, dbs, kpi_world, tmp_path
):
    robot = kpi_world["robot"].uscc
    path = write(tmp_path, "kpis.csv", KPI_HEAD + (
        f"{robot},2024,5000,3000.5,-800.25,80,900,12\n"
        f"{robot},2025q1,1000,,,90,,\n"
    ))  # fmt: skip
    result = run(app, "import", "kpis", path)
    assert result.exit_code == 0, result.output
    assert "created 2, updated 0, unchanged 0" in result.output
    found = kpis(dbs)
    assert found["2024"].net_profit_yuan == Decimal("-8002500.00")
    assert found["2025Q1"].period_end == date(2025, 3, 31) and found["2025Q1"].rd_yuan is None
    entries_before = audit_count(dbs)
    again = run(app, "import", "kpis", path)
    assert (
        "created 0, updated 0, unchanged 2" in again.output and audit_count(dbs) == entries_before
    )
    # a row with one cell updates that cell only
    update = write(tmp_path, "update.csv", KPI_HEAD + f"{robot},2024,,,,85,,\n")
    assert "created 0, updated 1, unchanged 0" in run(app, "import", "kpis", update).output
    assert kpis(dbs)["2024"].headcount == 85 and kpis(dbs)["2024"].revenue_yuan == Decimal(
        "50000000.00"
    )
    # exports (a loss is protected from spreadsheets as text) re-import unchanged
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"export.{fmt}"
        assert run(app, "export", "kpis", "--out", out).exit_code == 0
        if fmt == "csv":
            assert "'-800.25" in out.read_text("utf-8-sig")
        entries_before = audit_count(dbs)
        result = run(app, "import", "kpis", out)
        assert "created 0, updated 0, unchanged 2" in result.output, result.output
        assert audit_count(dbs) == entries_before
    # and the export follows the sub-fund filter: 擎天 is held by ANGEL only
    out = tmp_path / "industry.csv"
    run(app, "export", "kpis", "--sub-fund", "INDUSTRY", "--out", out)
    assert out.read_text("utf-8-sig").strip() == KPI_HEAD.strip()


def test_a_bad_kpi_file_reports_every_row_and_writes_nothing(app, dbs, kpi_world, tmp_path):
    robot, stranger = kpi_world["robot"].uscc, kpi_world["stranger"].uscc
    dbs.add(PeriodClose(closed_through=date(2024, 12, 31)))
    dbs.commit()
    path = write(tmp_path, "bad.csv", KPI_HEAD + (
        "91500112MA60ABCD0X,2025,1,,,,,\n"      # row 2: no such company (nor a valid USCC)
        f"{stranger},2025,1,,,,,\n"             # row 3: not held
        f"{robot},2025Q7,1,,,,,\n"               # row 4: bad period
        f"{robot},2027,1,,,,,\n"                 # row 5: not begun
        f"{robot},2025,100,120,,,,\n"            # row 6: Chongqing above the revenue
        f"{robot},2024Q2,1,,,,,\n"               # row 7: closed period
        f"{robot},2026Q1,1,,,,,\n"               # row 8: fine…
        f"{robot},2026Q1,2,,,,,\n"               # row 9: …but twice
        f"{robot},,1,,,,,\n"                     # row 10: no period
        f"{robot},2026Q2,abc,,,-3,,\n"           # row 11: bad cells
    ))  # fmt: skip
    result = run(app, "import", "kpis", path)
    assert result.exit_code == 1
    out = result.output
    for expected in (
        "row 2, column company_uscc:",
        "row 3, column company_uscc: The fund holds no investment in this company",
        "row 4, column period: Write the period as a year (2026) or a quarter (2026Q3).",
        "row 5, column period: KPIs are actual figures: the period 2027 has not begun.",
        "row 6, column cq_revenue_wan: The revenue in Chongqing is at most the revenue.",
        "row 7, column period: The period through 2024-12-31 is closed",
        "row 9, column period:",
        "row 10, column period: A value is needed here",
        "row 11, column revenue_wan:",
        "row 11, column headcount: Write a whole number, 0 or more.",
    ):
        assert expected in out, (expected, out)
    assert "row 8," not in out
    assert count(dbs, CompanyKpi) == 0
