"""The annual report (fundcrm.reports.model) as an Excel workbook: a cover, then a sheet per
section and one more per further table of a section, each table a DataFrame written with the
openpyxl engine and then formatted with openpyxl. It computes no figure.

Every table sheet has one layout: row 1 the table's title (and a draft's mark, in red), row 2
the unit note, row 3 the header (frozen), the rows from row 4, then the totals row in bold.
Cells hold real numbers (money in exact yuan, shares and rates as fractions) and real dates
with number formats. An IRR not annualised ("n.m." in the PDF) keeps its number here, with a
comment on the cell saying so. Under a cash-flow table (key `cash_flows…`), dates and signed
amounts sit in adjacent columns and an `=XIRR(amounts, dates)` cell per series (per value of
its first text column) recomputes the IRR: the only formulas in the workbook. A text that a
spreadsheet would run as a formula stays text."""

import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date
from string import ascii_lowercase

import pandas as pd
from flask_babel import gettext as _
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from fundcrm import clock
from fundcrm.domain.text import strip_illegal
from fundcrm.reports.model import Column, Report, Section, Table, Text

FORMATS = {
    "money": "#,##0.00",
    "share": "0.0%",
    "pct": "0.00%",
    "multiple": '0.00"×"',
    "rate": "0.0%",
    "int": "#,##0",
    "date": "yyyy-mm-dd",
}
IRR_FORMAT = "0.00%"
TITLE_ROW, NOTE_ROW, HEADER_ROW, FIRST_ROW = 1, 2, 3, 4
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")
SHEET_NAME_LENGTH = 31
CASH_FLOWS = "cash_flows"
DRAFT_RED = "C00000"
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="E7EAF0")
HEADER_BORDER = Border(bottom=Side(style="thin"))
MUTED = Font(color="666666", italic=True)
TEXT_FONTS = {"h2": BOLD, "muted": MUTED}
WIDTH_RANGE = (8, 60)  # a column's width in characters, CJK characters counting two


@dataclass
class Sheet:
    """A sheet of the workbook: a table (or a section with none) and the section's texts."""

    name: str
    title: str
    table: Table | None = None
    texts: list[Text] = field(default_factory=list)
    formulas: set[str] = field(default_factory=set)  # the cells meant to be formulas


def render(report: Report) -> bytes:
    """The workbook's bytes (.xlsx)."""
    sheets = _plan(report)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl", date_format=FORMATS["date"]) as writer:
        book = writer.book
        _cover(book.create_sheet(_sheet_name(_("Cover"), set())), report, sheets)
        for sheet in sheets:
            _table_sheet(writer, report, sheet)
        allowed = {sheet.name: sheet.formulas for sheet in sheets}
        for worksheet in book.worksheets:
            _defuse(worksheet, allowed.get(worksheet.title, set()))
            if report.draft:
                worksheet.sheet_properties.tabColor = DRAFT_RED
                worksheet.oddHeader.center.text = report.labels["draft"]
        book.properties.title = report.title
        book.properties.subject = report.scope
        book.properties.creator = "FundCRM"
        book.properties.created = report.generated_at.astimezone(UTC).replace(tzinfo=None)
        book.properties.language = report.language
        book.calculation.fullCalcOnLoad = True  # the XIRR cells hold no cached value
    return buffer.getvalue()


# -- the sheets -----------------------------------------------------------------------------


def _plan(report: Report) -> list[Sheet]:
    """A sheet per section (its first table), and one per further table of that section."""
    taken = {_sheet_name(_("Cover"), set()).casefold()}
    sheets = []
    for section in report.sections:
        tables = section.tables()
        texts = [b for b in section.blocks if isinstance(b, Text)]
        first = tables[0] if tables else None
        name = _sheet_name(f"{section.number} {section.title}", taken)
        sheets.append(Sheet(name, first.title if first else section.title, first, texts))
        for at, table in enumerate(tables[1:], start=1):
            name = _sheet_name(f"{_further(section, at)} {table.title}", taken)
            sheets.append(Sheet(name, table.title, table))
    return sheets


def _further(section: Section, at: int) -> str:
    """The number of a section's further sheet: 4b, 4c… (2a.b after a lettered number)."""
    letter = ascii_lowercase[at] if at < len(ascii_lowercase) else f"-{at + 1}"
    return f"{section.number}{'' if section.number[-1:].isdigit() else '.'}{letter}"


def _sheet_name(wanted: str, taken: set[str]) -> str:
    """A name Excel accepts (≤ 31 characters, none of []:*?/\\), unique in the workbook."""
    base = NOT_IN_SHEET_NAMES.sub(" ", strip_illegal(wanted)).strip(" '")[:SHEET_NAME_LENGTH]
    base = base.strip(" '") or "-"
    name, n = base, 1
    while name.casefold() in taken:
        n += 1
        suffix = f" ({n})"
        name = base[: SHEET_NAME_LENGTH - len(suffix)] + suffix
    taken.add(name.casefold())
    return name


def _cover(worksheet, report: Report, sheets: list[Sheet]) -> None:
    """Title, fund, scope, edition, as-of, who generated it when, status, and the contents."""
    _title_row(worksheet, report, report.title, 2)
    worksheet.cell(NOTE_ROW, 1, report.labels["workbook_unit_note"]).font = MUTED
    when = report.generated_at.astimezone(clock.zone()).strftime("%Y-%m-%d %H:%M")
    status = report.labels["draft"] if report.draft else _("Issued")
    facts = [
        (_("Fund"), report.fund_name),
        (_("Scope"), report.scope),
        (_("Edition"), report.labels["edition"]),
        (_("As of"), report.as_of),
        (_("Generated"), report.labels["generated"] % {"when": when, "who": report.generated_by}),
        (_("Status"), status),
    ]
    row = HEADER_ROW
    for label, value in facts:
        worksheet.cell(row, 1, label).font = BOLD
        _text_or_value(worksheet.cell(row, 2), value, "date" if isinstance(value, date) else "text")
        row += 1
    if report.draft:
        worksheet.cell(row - 1, 2).font = Font(bold=True, color=DRAFT_RED)
    row += 1
    worksheet.cell(row, 1, report.labels["contents"]).font = Font(bold=True, size=12)
    for sheet in sheets:
        row += 1
        link = worksheet.cell(row, 1, sheet.name)
        link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{sheet.name}'!A1")
        link.font = Font(color="1F4E9A", underline="single")
        worksheet.cell(row, 2, sheet.title)
    worksheet.freeze_panes = worksheet.cell(HEADER_ROW, 1).coordinate
    worksheet.column_dimensions["A"].width = _fit([_display(s.name) for s in sheets] + [12])
    worksheet.column_dimensions["B"].width = WIDTH_RANGE[1]


def _title_row(worksheet, report: Report, title: str, columns: int) -> None:
    """Row 1: the title, and a draft's mark in red just right of the table."""
    worksheet.cell(TITLE_ROW, 1, title).font = Font(bold=True, size=13)
    if report.draft:
        mark = worksheet.cell(TITLE_ROW, max(columns + 1, 3), report.labels["draft"])
        mark.font = Font(bold=True, color=DRAFT_RED, size=13)


def _table_sheet(writer, report: Report, sheet: Sheet) -> None:
    """The table as a DataFrame under its title and note, then formatted."""
    table = sheet.table or Table("", sheet.title, [])
    columns, rows = _arranged(table)
    total = [_reordered(table, table.total)] if table.total is not None else []
    frame = pd.DataFrame(
        [[_cell_value(c, v) for c, v in zip(columns, row, strict=True)] for row in rows + total],
        columns=range(len(columns)),
        dtype=object,
    )
    headers = [_header(c, report) for c in columns]
    frame.to_excel(
        writer, sheet_name=sheet.name, startrow=HEADER_ROW - 1, index=False, header=headers
    )
    worksheet = writer.sheets[sheet.name]
    _title_row(worksheet, report, table.title, len(columns))
    unit = report.labels["workbook_unit_note"] if any(c.kind == "money" for c in columns) else ""
    worksheet.cell(NOTE_ROW, 1, " ".join(filter(None, [unit, table.note])) or None).font = MUTED
    worksheet.freeze_panes = worksheet.cell(FIRST_ROW, 1).coordinate
    _format_cells(worksheet, report, columns, rows, total)
    after = FIRST_ROW + len(rows) + len(total)
    if not rows:
        empty = worksheet.cell(after, 1, table.empty or report.labels["none"])
        empty.font = MUTED
        after += 1
    if table.key.startswith(CASH_FLOWS) and rows:
        after = _xirr_cells(worksheet, sheet, columns, rows, after + 1)
    for offset, text in enumerate(sheet.texts, start=after + 1):
        _text_or_value(worksheet.cell(offset, 1), text.text, "text")
        worksheet.cell(offset, 1).font = TEXT_FONTS.get(text.style, Font())
    _widths(worksheet, columns, headers, rows + total)


def _header(column: Column, report: Report) -> str:
    if column.kind == "money":
        return _("%(label)s (yuan)", label=column.label)
    return column.label


def _format_cells(worksheet, report: Report, columns, rows, total) -> None:
    """Header style, number formats, the n.m. comments, the totals row in bold."""
    for at, column in enumerate(columns, start=1):
        header = worksheet.cell(HEADER_ROW, at)
        header.font, header.fill, header.border = BOLD, HEADER_FILL, HEADER_BORDER
        header.alignment = Alignment(wrap_text=True, vertical="center")
        for offset, row in enumerate(rows + total):
            cell = worksheet.cell(FIRST_ROW + offset, at)
            if cell.value == "":
                cell.value = None
            if column.kind in FORMATS:
                cell.number_format = FORMATS[column.kind]
            rate = row[at - 1]
            if column.kind == "rate" and rate is not None and rate.value is not None:
                if not rate.annualised:
                    cell.comment = Comment(_not_annualised(report), "FundCRM")
            if total and offset == len(rows):
                cell.font = BOLD
                cell.border = Border(top=Side(style="thin"))


def _not_annualised(report: Report) -> str:
    return _(
        "%(nm)s: less than a year from the first cash flow, not annualised.",
        nm=report.labels["not_meaningful"],
    )


# -- values ---------------------------------------------------------------------------------


def _cell_value(column: Column, value):
    """What the cell holds: exact yuan, fractions for percentages, the IRR as its float."""
    if value is None:
        return None
    if column.kind == "rate":
        return value.value
    if column.kind == "pct":
        return value / 100
    if column.kind == "text":
        return strip_illegal(str(value))
    return value


def _text_or_value(cell, value, kind: str) -> None:
    cell.value = strip_illegal(value) if isinstance(value, str) else value
    if kind in FORMATS:
        cell.number_format = FORMATS[kind]


def _defuse(worksheet, allowed: set[str]) -> None:
    """Every text cell stays text: a formula-like one gets the quote prefix (as if typed
    with a leading apostrophe); only the cells in `allowed` are formulas."""
    for row in worksheet.iter_rows():
        for cell in row:
            if cell.coordinate in allowed:
                continue
            if cell.data_type == "f" or (
                isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS)
            ):
                cell.data_type = "s"
                cell.quotePrefix = True


# -- the cash flows and XIRR ----------------------------------------------------------------


def _arranged(table: Table) -> tuple[list[Column], list[list]]:
    """The columns and rows as laid out: a cash-flow table's amounts right of its dates, its
    rows by series (first text column, first-seen order) then date, so XIRR starts each
    series at its first flow."""
    columns = _reordered(table, table.columns)
    rows = [_reordered(table, row) for row in table.rows]
    if not table.key.startswith(CASH_FLOWS) or _flow_columns(columns) is None:
        return columns, rows
    dates, _amounts, series = _flow_columns(columns)
    order: dict = {}
    for row in rows:
        order.setdefault(_series(row, series), len(order))
    rows.sort(key=lambda r: (order[_series(r, series)], r[dates] or date.min))
    return columns, rows


def _reordered(table: Table, items: list) -> list:
    """A cash-flow table's first money column moved to just right of its first date column."""
    kinds = [c.kind for c in table.columns]
    order = list(range(len(kinds)))
    if table.key.startswith(CASH_FLOWS) and "date" in kinds and "money" in kinds:
        amounts = kinds.index("money")
        order.remove(amounts)
        order.insert(order.index(kinds.index("date")) + 1, amounts)
    return [items[at] for at in order]


def _flow_columns(columns: list[Column]) -> tuple[int, int, int | None] | None:
    """(the date column, the amount column, the series column or None), by position."""
    kinds = [c.kind for c in columns]
    if "date" not in kinds or "money" not in kinds:
        return None
    series = kinds.index("text") if "text" in kinds else None
    return kinds.index("date"), kinds.index("money"), series


def _series(row: list, series: int | None) -> str:
    return "" if series is None or row[series] is None else str(row[series])


def _xirr_cells(worksheet, sheet: Sheet, columns, rows, at: int) -> int:
    """Under the table, a labelled `=XIRR(amounts, dates)` per series; the next free row."""
    dates, amounts, series = _flow_columns(columns)
    date_letter, amount_letter = get_column_letter(dates + 1), get_column_letter(amounts + 1)
    first = 0
    while first < len(rows):
        key = _series(rows[first], series)
        last = first
        while last + 1 < len(rows) and _series(rows[last + 1], series) == key:
            last += 1
        top, bottom = FIRST_ROW + first, FIRST_ROW + last
        label = _("IRR (XIRR) · %(series)s", series=key) if key else _("IRR (XIRR)")
        _text_or_value(worksheet.cell(at, 1), label, "text")
        worksheet.cell(at, 1).font = BOLD
        cell = worksheet.cell(at, amounts + 1)
        cell.value = (
            f"=XIRR({amount_letter}{top}:{amount_letter}{bottom},"
            f"{date_letter}{top}:{date_letter}{bottom})"
        )
        cell.number_format, cell.font = IRR_FORMAT, BOLD
        sheet.formulas.add(cell.coordinate)
        first, at = last + 1, at + 1
    return at


# -- widths ---------------------------------------------------------------------------------


def _display(text: str) -> int:
    """How many characters wide a text shows: a CJK (wide) character counts two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _shown(column: Column, value) -> str:
    if value is None:
        return ""
    if column.kind == "money":
        return f"{value:,.2f}"
    if column.kind == "int":
        return f"{value:,}"
    if column.kind == "date":
        return "0000-00-00"
    if column.kind in ("share", "pct", "rate", "multiple"):
        return "-000.00%"
    return str(value)


def _fit(widths: list[int]) -> int:
    low, high = WIDTH_RANGE
    return min(max(max(widths, default=low) + 2, low), high)


def _widths(worksheet, columns, headers, rows) -> None:
    """Each column as wide as its widest header or cell (within WIDTH_RANGE)."""
    for at, (column, header) in enumerate(zip(columns, headers, strict=True)):
        shown = [_display(_shown(column, row[at])) for row in rows[:2000]]
        letter = get_column_letter(at + 1)
        worksheet.column_dimensions[letter].width = _fit([_display(header), *shown])
