"""The annual report's workbook (fundcrm.reports.excel) read back with openpyxl: a sheet per
section with its header frozen, exact yuan and real dates with number formats, the XIRR cells
an LP recomputes the IRR with, no formula from the data, and a draft marked on every sheet."""

import io
import re
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from pyxirr import xirr

from fundcrm.reports import excel
from fundcrm.reports.model import Column, Table
from tests.report_sample import sample_report

CENT = Decimal("0.01")
FORMATS = {
    "money": "#,##0.00",
    "share": "0.0%",
    "pct": "0.00%",
    "multiple": '0.00"×"',
    "rate": "0.0%",
    "int": "#,##0",
    "date": "yyyy-mm-dd",
}
SHEETS = {  # the sample's tables and the sheets they are on
    "deployment": "1 概览",
    "cash_flows_net": "3 业绩",
    "schedule": "4 投资明细",
    "exits": "4b 年内退出与核销",
    "allocation_focus_area": "5 配置",
    "pipeline_stages": "7 项目储备",
}


def workbook(report):
    return openpyxl.load_workbook(io.BytesIO(excel.render(report)))


def columns_at(sheet, table: Table) -> list[int]:
    """Each model column's position on the sheet, found by its header (row 3)."""
    headers = [c.value or "" for c in sheet[3]]
    used, found = set(), []
    for column in table.columns:
        at = next(i for i, h in enumerate(headers) if i not in used and h.startswith(column.label))
        used.add(at)
        found.append(at + 1)
    return found


def data_rows(sheet, table: Table, count: int) -> list[list]:
    """The cells of the table's first `count` rows (from row 4), in the model's column order."""
    at = columns_at(sheet, table)
    return [[sheet.cell(4 + r, c) for c in at] for r in range(count)]


def as_yuan(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


@pytest.fixture(scope="module")
def report():
    return sample_report(file_format="xlsx")


@pytest.fixture(scope="module")
def book(report):
    return workbook(report)


def test_a_cover_then_a_sheet_per_section_and_per_further_table(report, book):
    assert book.sheetnames == ["Cover", *SHEETS.values()]  # msgids: no locale here
    for name in book.sheetnames:
        assert len(name) <= 31 and not re.search(r"[\[\]:*?/\\]", name)
    for key, name in SHEETS.items():
        assert book[name]["A1"].value == report.table(key).title
    cover = book.worksheets[0]
    listed = [c.value for c in cover["A"] if c.hyperlink is not None]
    assert listed == list(SHEETS.values())
    assert [c.hyperlink.location for c in cover["A"] if c.hyperlink] == [
        f"'{n}'!A1" for n in SHEETS.values()
    ]
    facts = {row[0].value: row[1].value for row in cover.iter_rows(min_row=3, max_row=8)}
    assert facts["As of"] == datetime(2025, 12, 31)
    assert facts["Fund"] == report.fund_name and facts["Scope"] == report.scope
    assert cover.freeze_panes == "A3"  # the title and a draft's mark stay in sight
    assert facts["Generated"] == "2026-01-05 10:30 由 周静 生成"  # 02:30 UTC in Beijing time


def test_every_table_sheet_freezes_its_header_row(report, book):
    for key, name in SHEETS.items():
        sheet, table = book[name], report.table(key)
        assert sheet.freeze_panes == "A4"
        headers = [sheet.cell(3, at).value for at in columns_at(sheet, table)]
        assert [h.removesuffix(" (yuan)") for h in headers] == [c.label for c in table.columns]
        assert all(sheet.cell(3, at).font.b for at in columns_at(sheet, table))
    assert book["4 投资明细"]["C3"].value == "投资成本 (yuan)"
    assert book["4 投资明细"]["A2"].value == report.labels["workbook_unit_note"]


def test_cells_hold_exact_yuan_fractions_and_dates_with_number_formats(report, book):
    for key, name in SHEETS.items():
        table = report.table(key)
        for row, cells in zip(
            table.rows, data_rows(book[name], table, len(table.rows)), strict=True
        ):
            for column, value, cell in zip(table.columns, row, cells, strict=True):
                check_cell(column, value, cell)


def check_cell(column: Column, value, cell) -> None:
    if column.kind in FORMATS and cell.value is not None:
        assert cell.number_format == FORMATS[column.kind], (column.key, cell.coordinate)
    if value is None or (column.kind == "rate" and value.value is None):
        assert cell.value is None
    elif column.kind == "money":
        assert as_yuan(cell.value) == value and cell.data_type == "n"
    elif column.kind == "date":
        assert isinstance(cell.value, datetime) and cell.value.date() == value
    elif column.kind == "pct":
        assert cell.value == pytest.approx(float(value) / 100)
    elif column.kind == "rate":
        assert cell.value == value.value
    elif column.kind in ("share", "multiple"):
        assert cell.value == pytest.approx(float(value), abs=1e-15)
    else:
        assert cell.value == value


def test_an_irr_not_annualised_keeps_its_number_with_a_comment(report, book):
    table = report.table("schedule")
    at = table.column("gross_irr")
    rows = data_rows(book["4 投资明细"], table, len(table.rows))
    for row, cells in zip(table.rows, rows, strict=True):
        rate, cell = row[at], cells[at]
        assert cell.value == rate.value
        noted = cell.comment is not None and cell.comment.text.startswith("n.m.")
        assert noted == (rate.value is not None and not rate.annualised)
    assert rows[5][at].value == 0.1234 and rows[5][at].comment is not None  # row 5: n.m.


def test_totals_row_is_bold_and_the_sum_of_its_rows(report, book):
    for key in ("allocation_focus_area", "schedule"):
        table, sheet = report.table(key), book[SHEETS[key]]
        cells = data_rows(sheet, table, len(table.rows) + 1)
        *rows, total = cells
        assert total[0].value == "合计" and total[0].font.b
        for at, column in enumerate(table.columns):
            if column.kind != "money":
                continue
            summed = sum((as_yuan(r[at].value) for r in rows), Decimal(0))
            assert as_yuan(total[at].value) == summed == table.total[at]
            assert total[at].font.b and not rows[0][at].font.b


def test_cash_flows_sit_dated_and_signed_beside_an_xirr_per_series(report, book):
    sheet = book["3 业绩"]
    assert [c.value for c in sheet[3]][:4] == ["子基金", "日期", "金额 (yuan)", "类型"]
    formulas = formula_cells(book)
    assert formulas == {("3 业绩", "C9"): "=XIRR(C4:C7,B4:B7)"}
    assert sheet["A9"].value == "IRR (XIRR) · ANGEL"
    assert sheet["C9"].number_format == "0.00%"
    flows = report.table("cash_flows_net")
    expected = xirr(flows.values("on"), [float(a) for a in flows.values("amount")])
    assert recomputed(sheet, "=XIRR(C4:C7,B4:B7)") == pytest.approx(expected)


def test_each_series_of_a_cash_flow_table_gets_its_own_xirr_over_its_own_rows():
    report = sample_report(file_format="xlsx")
    flows = report.table("cash_flows_net")
    flows.rows = [  # two sub-funds interleaved, one out of date order
        ["ANGEL", date(2024, 3, 1), "实缴出资", Decimal("-100.00")],
        ["GROWTH", date(2024, 6, 1), "实缴出资", Decimal("-300.00")],
        ["ANGEL", date(2025, 12, 31), "净资产", Decimal("130.00")],
        ["GROWTH", date(2025, 12, 31), "净资产", Decimal("360.00")],
        ["GROWTH", date(2025, 1, 1), "分配", Decimal("20.00")],
    ]
    book = workbook(report)
    sheet = book["3 业绩"]
    assert [c.value for c in sheet["A"][3:8]] == ["ANGEL"] * 2 + ["GROWTH"] * 3
    assert [c.value.date() for c in sheet["B"][5:8]] == [
        date(2024, 6, 1), date(2025, 1, 1), date(2025, 12, 31)
    ]  # fmt: skip
    formulas = formula_cells(book)
    assert formulas == {
        ("3 业绩", "C10"): "=XIRR(C4:C5,B4:B5)",
        ("3 业绩", "C11"): "=XIRR(C6:C8,B6:B8)",
    }
    assert [sheet["A10"].value, sheet["A11"].value] == ["IRR (XIRR) · ANGEL", "IRR (XIRR) · GROWTH"]
    for code, formula in zip(("ANGEL", "GROWTH"), formulas.values(), strict=True):
        mine = [r for r in flows.rows if r[0] == code]
        expected = xirr([r[1] for r in mine], [float(r[3]) for r in mine])
        assert recomputed(sheet, formula) == pytest.approx(expected)


def formula_cells(book) -> dict:
    return {
        (sheet.title, cell.coordinate): cell.value
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    }


def recomputed(sheet, formula: str) -> float:
    """What Excel's XIRR gives over the formula's ranges, as read back from the cells."""
    values, dates = re.fullmatch(r"=XIRR\((\w+:\w+),(\w+:\w+)\)", formula).groups()
    amounts = [c.value for (c,) in sheet[values]]
    days = [c.value for (c,) in sheet[dates]]
    assert all(isinstance(d, datetime) for d in days)
    assert all(isinstance(a, int | float) for a in amounts)
    return xirr(days, amounts)


def test_text_that_looks_like_a_formula_stays_text():
    report = sample_report(file_format="xlsx")
    report.fund_name = "=1+1"
    report.generated_by = "@SUM(A1)"
    report.table("pipeline_stages").rows[0][0] = "+cmd|' /C calc'!A0"
    report.table("schedule").rows[0][0] = "-2+3"
    report.table("schedule").rows[1][0] = "\t=1"
    book = workbook(report)
    assert formula_cells(book).keys() == {("3 业绩", "C9")}  # the XIRR cell only
    injected = book["3 业绩"]["D7"]
    assert injected.value == '=HYPERLINK("http://x")'
    assert injected.data_type == "s" and injected.quotePrefix
    for cell in (
        book["7 项目储备"]["A4"],
        book["4 投资明细"]["A4"],
        book["4 投资明细"]["A5"],
        book.worksheets[0]["B3"],
    ):
        assert isinstance(cell.value, str) and cell.data_type == "s" and cell.quotePrefix
    assert book["7 项目储备"]["A5"].value == "初筛" and not book["7 项目储备"]["A5"].quotePrefix


def test_a_draft_is_marked_in_red_on_every_sheet(report, book):
    mark = report.labels["draft"]
    for sheet in book.worksheets:
        marks = [c for c in sheet[1] if c.value == mark]
        assert len(marks) == 1, sheet.title
        assert marks[0].font.color.rgb.endswith("C00000")
        assert sheet.sheet_properties.tabColor.rgb.endswith("C00000")


def test_an_issued_report_carries_no_draft_mark():
    report = sample_report(draft=False, file_format="xlsx")
    book = workbook(report)
    for sheet in book.worksheets:
        assert all(c.value != report.labels["draft"] for row in sheet.iter_rows() for c in row)
        assert sheet.sheet_properties.tabColor is None
    facts = {row[0].value: row[1].value for row in book.worksheets[0].iter_rows(max_row=8)}
    assert facts["Status"] == "Issued"


def test_an_empty_table_says_so_under_its_header(report, book):
    sheet = book["4b 年内退出与核销"]
    assert sheet["A4"].value == report.table("exits").empty
    assert sheet.freeze_panes == "A4" and sheet["B3"].value == "金额 (yuan)"


def test_columns_fit_their_text_counting_cjk_twice(book):
    sheet = book["4 投资明细"]
    company = sheet.column_dimensions["A"].width
    assert company >= 2 * len("重庆样例智能科技有限公司") + len("000")  # wide characters
    assert sheet.column_dimensions["F"].width < company / 2  # MOIC
    assert sheet.column_dimensions["C"].width >= len("1,234,567.89")


def test_workbook_properties(report, book):
    assert book.properties.title == report.title
    assert book.properties.creator == "FundCRM"


def test_sheet_names_are_ones_excel_accepts_and_unique():
    report = sample_report(file_format="xlsx")
    report.sections[1].title = "Performance: gross/net [IRR]*? and the cash flows behind them"
    report.sections[2].number = report.sections[1].number  # two sections "3 …"
    report.sections[2].title = report.sections[1].title
    names = workbook(report).sheetnames
    assert names[2] == "3 Performance  gross net  IRR"
    assert names[3] == "3 Performance  gross net  I (2)"
    assert all(len(n) <= 31 and not re.search(r"[\[\]:*?/\\]", n) for n in names)
    assert len({n.casefold() for n in names}) == len(names)
