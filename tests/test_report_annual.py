"""The annual report (DOMAIN.md section 8) on the capital-account fixture of known dates and
amounts: every figure equals `fundcrm metrics --json` as of 31 December, every total is the
exact sum of its rows, each LP's account is worked out by hand, the LP edition shows no other
LP, a draft is not kept and an issued report is; the command line refuses bad asks and writes
nothing; the files read back (pdfplumber, openpyxl) with the same figures."""

import json
from datetime import date
from decimal import Decimal

import openpyxl
import pdfplumber
import pytest
import time_machine
from flask_babel import force_locale
from sqlmodel import select

from fundcrm.cli import main
from fundcrm.compliance import periods
from fundcrm.models import IssuedReport, Job, User
from fundcrm.portfolio.figures import as_json
from fundcrm.reports import annual
from fundcrm.reports.context import Ask, refusals
from fundcrm.reports.issue import make
from fundcrm.reports.model import Rate, Table, Text
from tests.test_capital_accounts import BALANCES, CALLS, DISTRIBUTED, FEES, NAV
from tests.test_capital_accounts import fund as fund  # noqa: F401 - the fixture

Y = Decimal
AS_OF = date(2025, 12, 31)


@pytest.fixture(autouse=True)
def _frozen():
    # 2026-01-15 23:30 in Beijing is still the 15th in UTC: the fund's date is the 16th
    with time_machine.travel("2026-01-15T15:30:00Z", tick=False):
        yield


def build(app, dbs, **asked):
    with app.test_request_context(), force_locale("en"):
        ask = Ask(**{"year": 2025, "language": "en", **asked})
        assert refusals(dbs, ask, date(2026, 1, 16)) == []
        return annual.build(dbs, ask, app.config, "tester")


def cells(report) -> list:
    found = []
    for section in report.sections:
        for block in section.blocks:
            if isinstance(block, Table):
                found += [block.title, *(c.label for c in block.columns)]
                found += [v for row in block.rows + [block.total or []] for v in row]
            elif isinstance(block, Text):
                found.append(block.text)
    return found


def test_every_figure_is_the_metrics_figure_and_every_total_the_sum_of_its_rows(app, dbs, fund):
    report = build(app, dbs)
    with app.app_context():
        expected = as_json(dbs, AS_OF)
    assert report.figures == expected
    money = report.table("performance_money")
    for row in money.rows:
        (wanted,) = [s for s in expected["sub_funds"] if s["code"] == row[0]]
        for column in money.columns[1:]:
            assert row[money.column(column.key)] == Y(wanted[column.key]), (row[0], column.key)
    for column in money.columns[1:]:  # the total row is the fund's figure
        assert money.total[money.column(column.key)] == Y(expected["fund"][column.key])
    schedule = report.table("schedule")
    (holding,) = expected["holdings"]
    (row,) = schedule.rows
    for key in ("invested", "fair_value", "proceeds", "dividends"):
        assert row[schedule.column(key)] == Y(holding[key])
    # the JSON gives ratios and rates to 6 places
    assert round(float(row[schedule.column("moic")]), 6) == holding["moic"]
    assert round(row[schedule.column("gross_irr")].value, 6) == holding["gross_irr"]
    assert row[schedule.column("equity_pct")] == Y("10")
    ratios = report.table("performance_ratios")
    (angel,) = [s for s in expected["sub_funds"] if s["code"] == "ANGEL"]
    angel_row = next(r for r in ratios.rows if r[0] == "ANGEL")
    assert round(angel_row[ratios.column("net_irr")].value, 6) == angel["net_irr"]
    assert round(float(angel_row[ratios.column("tvpi")]), 6) == angel["tvpi"]
    checked = 0
    for section in report.sections:
        for table in section.tables():
            if table.total is None or table.key.startswith("allocation_application"):
                continue
            for i, column in enumerate(table.columns):
                if column.kind == "money" and table.total[i] is not None:
                    assert table.total[i] == sum((r[i] or 0 for r in table.rows), Y(0)), table.key
                    checked += 1
    assert checked > 20


def test_each_lps_capital_account_to_the_fen(app, dbs, fund):
    report = build(app, dbs)
    table, balances = report.table("capital_ANGEL"), report.table("capital_ANGEL_balance")
    names = {key: fund[key].name for key in BALANCES}
    rows = {r[0]: r for r in table.rows}
    shares = {r[0]: r for r in balances.rows}
    for key, name in names.items():
        assert shares[name][balances.column("balance")] == BALANCES[key]
        assert shares[name][balances.column("fees")] == FEES[key]
        assert rows[name][table.column("calls")] == CALLS[key]
        assert rows[name][table.column("distributions_year")] == DISTRIBUTED[key]
    assert balances.total[balances.column("balance")] == NAV
    assert table.total[table.column("calls")] == sum(CALLS.values())
    # a 2025 call in the year: B's 6,000,000 of 2025-06-01
    assert rows[names["b"]][table.column("calls_year")] == Y("6000000")
    fees = build(app, dbs).table("fees")
    angel = next(r for r in fees.rows if r[0] == "ANGEL")
    assert angel[1:5] == [Y(0), Y("2000000"), Y("333333.33"), Y("333333.33")]


def test_the_lp_edition_shows_its_own_account_and_the_others_as_one_line(app, dbs, fund):
    report = build(app, dbs, edition="lp", lp_id=fund["b"].id)
    table = report.table("capital_ANGEL_balance")
    assert [r[0] for r in table.rows] == [fund["b"].name, "Other LPs (3)"]
    assert table.rows[0][table.column("balance")] == BALANCES["b"]
    others = sum(v for k, v in BALANCES.items() if k != "b")
    assert table.rows[1][table.column("balance")] == others
    assert table.total[table.column("balance")] == NAV
    text = json.dumps([str(c) for c in cells(report)], ensure_ascii=False)
    for key in ("a", "g", "late"):
        assert fund[key].name not in text
    assert fund["b"].name in text
    # B committed to ANGEL only: the industry fund is not in its report
    assert "INDUSTRY" not in text
    assert [s["code"] for s in report.figures["sub_funds"]] == ["ANGEL"]


def test_refused_asks(app, dbs, fund):
    with app.test_request_context(), force_locale("en"):
        today = date(2026, 1, 16)
        assert [f for f, _m in refusals(dbs, Ask(2027), today)] == ["year"]
        assert [f for f, _m in refusals(dbs, Ask(2023), today)] == ["year"]  # before 2024's close
        assert [f for f, _m in refusals(dbs, Ask(2025, "NOPE"), today)] == ["sub_fund"]
        assert [f for f, _m in refusals(dbs, Ask(2025, file_format="docx"), today)] == [
            "file_format"
        ]
        b_in_industry = Ask(2025, "INDUSTRY", edition="lp", lp_id=fund["b"].id)
        (message,) = [m for _f, m in refusals(dbs, b_in_industry, today)]
        assert message == "This LP has no commitment to INDUSTRY."


def test_a_year_with_no_activity_is_reported_as_such(app, dbs, fund):
    report = build(app, dbs, year=2024, sub_fund="INDUSTRY")
    assert report.table("schedule").rows == []
    assert report.table("schedule").empty == "No holding on this date."
    assert report.table("exits").empty == "No exit or write-off in 2024."


def test_a_draft_is_not_kept_and_a_closed_year_is_issued_with_its_figures(app, dbs, fund, tmp_path):
    risk = dbs.get(User, fund["risk"])
    with app.test_request_context():
        made = make(dbs, Ask(2025, language="en"), app.config, str(tmp_path), risk)
        assert made.report.draft and made.issued is None
        assert dbs.exec(select(IssuedReport)).all() == []
        assert not (tmp_path / "reports").exists()
        periods.close_period(dbs, AS_OF, risk, "2025 年报")
        dbs.commit()
        made = make(dbs, Ask(2025, language="en", file_format="xlsx"), app.config,
                    str(tmp_path), risk)  # fmt: skip
    assert not made.report.draft
    (kept,) = dbs.exec(select(IssuedReport)).all()
    assert (kept.year, kept.edition, kept.issued_by_id, kept.file_format) == (
        2025, "staff", risk.id, "xlsx")  # fmt: skip
    assert kept.figures["fund"]["nav"] == made.report.figures["fund"]["nav"]
    assert (tmp_path / "reports" / kept.file_name).read_bytes() == made.data


def test_the_command_line_writes_both_files_that_read_back(app, dbs, fund, tmp_path):
    runner = app.test_cli_runner()
    pdf, xlsx = tmp_path / "report.pdf", tmp_path / "report.xlsx"
    for out in (pdf, xlsx):
        result = runner.invoke(main, ["report", "annual", "--year", "2025", "--lang", "en",
                                      "--out", str(out)])  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "draft (not kept)" in result.output
        assert "Annual report: [" in result.output and "10/10 100%" in result.output
    with pdfplumber.open(pdf) as document:
        text = "\n".join(page.extract_text() or "" for page in document.pages)
    # NAV of ANGEL in 万元 and each balance
    assert "7,266.67" in text
    assert "3,622.73" in text and "1,811.36" in text
    book = openpyxl.load_workbook(xlsx)
    found = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert float(NAV) in [float(v) for v in found if isinstance(v, int | float)]


def test_the_command_line_refuses_bad_asks_and_writes_nothing(app, dbs, fund, tmp_path):
    runner = app.test_cli_runner()
    cases = [
        (["--year", "2025", "--sub-fund", "NOPE"], "report.pdf", "--sub-fund"),
        (["--year", "2025"], "report.docx", "--out"),
        (["--year", "2030"], "report.pdf", "--year"),
        (["--year", "2023"], "report.pdf", "--year"),
        (["--year", "2025", "--edition", "lp", "--lp", fund["b"].name, "--sub-fund", "INDUSTRY"],
         "report.pdf", "--lp"),
        (["--year", "2025", "--edition", "lp"], "report.pdf", "--lp"),
    ]  # fmt: skip
    for args, name, option in cases:
        out = tmp_path / name
        result = runner.invoke(main, ["report", "annual", *args, "--out", str(out)])
        assert result.exit_code == 2, (args, result.output)
        assert option in result.output, (args, result.output)
        assert not out.exists()
    assert dbs.exec(select(Job)).all() == []


def test_rates_within_a_year_are_not_meaningful(app, dbs, fund):
    report = build(app, dbs)
    ratios = report.table("performance_ratios")
    industry = next(r for r in ratios.rows if r[0] == "INDUSTRY")
    assert isinstance(industry[ratios.column("net_irr")], Rate)
    # ANGEL's first call is 2024-06-01, more than a year before: annualised
    angel = next(r for r in ratios.rows if r[0] == "ANGEL")
    assert angel[ratios.column("net_irr")].annualised


def test_the_lp_edition_shows_no_other_lps_amounts(app, dbs, fund):
    """Not their names, nor their commitments, calls, fees or balances, in any section."""
    report = build(app, dbs, edition="lp", lp_id=fund["b"].id)
    found = {v for v in cells(report) if isinstance(v, Decimal)}
    for key in ("a", "g", "late"):
        for figures in (BALANCES, FEES):  # (A's calls equal the sub-fund's first call)
            if figures[key]:  # (G bears no fees: 0 is everywhere)
                assert figures[key] not in found, (key, figures[key])
    # A's re-investment (its commitment as the base, required, achieved) is not shown: B is not
    # a government LP, so its edition's table is empty
    assert report.table("compliance_reinvest_ANGEL").rows == []
    staff = build(app, dbs).table("compliance_reinvest_ANGEL")
    assert [r[0] for r in staff.rows] == [fund["a"].name]
    shown = " ".join(str(c) for c in cells(report))
    assert "The re-investment of 1 other government commitments is checked too" in shown


def test_an_lp_edition_before_the_lp_committed_is_refused(app, dbs, fund):
    with app.test_request_context(), force_locale("en"):
        late_in_2024 = Ask(2024, edition="lp", lp_id=fund["late"].id)
        assert refusals(dbs, late_in_2024, date(2026, 1, 16)) == [
            ("lp", "This LP had no commitment in force on 2024-12-31.")
        ]
