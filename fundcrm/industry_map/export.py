"""The industry map's table as a file (CSV or XLSX): the cells of view.table written with the
exports' own defusing (fundcrm.imports.sheets), amounts exact in 万元."""

import csv
import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from fundcrm.domain.money import wan_text
from fundcrm.imports import formats, sheets
from fundcrm.industry_map.view import COUNT, WAN

COLUMNS = {
    WAN: formats.Column("amount", "", formats.WAN),
    COUNT: formats.Column("count", "", formats.INT),
}
TEXT_COLUMN = formats.Column("text", "")


def _text(how: str, value) -> str:
    if value is None:
        return ""
    return wan_text(value) if how == WAN else str(value)


def write_csv(headers: list[str], body: list[list]) -> bytes:
    """UTF-8 with its BOM (Excel reads the Chinese labels), a cell starting = + - @ defused."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([sheets.csv_cell(h) for h in headers])
    for cells in body:
        writer.writerow([sheets.csv_cell(_text(how, value)) for how, value in cells])
    return buffer.getvalue().encode("utf-8")


def _cell(sheet, how: str, value):
    """An amount is a number shown with two decimals (exact inside), as the exports write it."""
    return sheets.reading_cell(sheet, COLUMNS.get(how, TEXT_COLUMN), value, _text(how, value))


def write_xlsx(title: str, headers: list[str], body: list[list]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    sheet.column_dimensions["A"].width = 28
    bold = Font(bold=True)
    header = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for cells in body:
        sheet.append([_cell(sheet, how, value) for how, value in cells])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
