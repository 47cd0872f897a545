"""The cells and files of an export: each value as the import reads it back (or as a person
reads it, for reading), written as CSV chunks or a write-only XLSX workbook as the rows come."""

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from fundcrm.domain.money import rounded_wan, wan_text
from fundcrm.domain.text import strip_illegal
from fundcrm.imports import formats
from fundcrm.imports.formats import Kind

FORMULA_STARTS = ("=", "+", "-", "@")
MONEY = {formats.WAN, formats.SIGNED_WAN}  # 万元 amounts (a net profit may be negative)
NUMERIC = {*MONEY, formats.INT, formats.PCT, formats.DECIMAL}
CHUNK_ROWS = 500  # CSV rows per chunk sent
YES_NO = {"zh": ("是", "否"), "en": ("Yes", "No")}
LIST_JOIN = {"zh": "、", "en": ", "}
AMOUNT_FORMAT = "#,##0.00"  # how a spreadsheet shows 万元 for reading


# -- cells ----------------------------------------------------------------------------------


def _plain_text(value) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return strip_illegal(str(value))  # stored before they were refused; XLSX cannot hold them


# How a value of each column type is written (chosen once per column, not per cell).
TEXT_BY_TYPE = {
    formats.WAN: wan_text,
    formats.SIGNED_WAN: wan_text,
    formats.VOCAB_LIST: ";".join,
    formats.BOOL: lambda value: "true" if value else "false",
}


def text_of(column: formats.Column, value) -> str:
    """The cell as the import reads it back ('' for no value)."""
    return "" if value is None else TEXT_BY_TYPE.get(column.type, _plain_text)(value)


def csv_cell(text: str) -> str:
    return "'" + text if text.startswith((*FORMULA_STARTS, "'")) else text


def _exact_number(text: str) -> int | float | None:
    """The number a numeric cell can hold exactly, else None (then the cell stays text)."""
    value = Decimal(text)
    if value == value.to_integral_value() and abs(value) < 2**53:
        return int(value)
    as_float = float(value)
    return as_float if Decimal(repr(as_float)) == value else None


def xlsx_cell(sheet, column: formats.Column, value, text: str):
    """A plain value where the spreadsheet reads it back as written, else a styled cell."""
    if not text:
        return None
    if column.type == formats.DATE:
        return value  # a date cell, shown yyyy-mm-dd
    if column.type in NUMERIC:
        number = _exact_number(text)
        if number is not None:
            return number
    if not text.startswith((*FORMULA_STARTS, "'")):
        return text
    cell = WriteOnlyCell(sheet, value="'" + text if text.startswith("'") else text)
    cell.data_type = "s"  # never a formula, whatever the text starts with
    cell.quotePrefix = text.startswith(FORMULA_STARTS)
    return cell


def xlsx_row(sheet, kind: Kind, row: dict) -> list:
    return [xlsx_cell(sheet, c, row.get(c.code), text_of(c, row.get(c.code))) for c in kind.columns]


# -- files ----------------------------------------------------------------------------------


def reading_text(column: formats.Column, value, language: str) -> str:
    """The cell as a person reads it in that language ('' for no value)."""
    if value is None:
        return ""
    if column.type == formats.VOCAB:
        return column.vocabulary.label(value, language)
    if column.type == formats.VOCAB_LIST:
        return LIST_JOIN[language].join(column.vocabulary.label(v, language) for v in value)
    if column.type == formats.BOOL:
        return YES_NO[language][0 if value else 1]
    if column.type in MONEY:
        return format(rounded_wan(value), "f")
    return text_of(column, value)


def _header(column: formats.Column, language: str | None) -> str:
    return column.title(language) if language else column.code


# Columns whose code a reader does not know: the row also carries the name to show instead
# (`<key>_en` in English where there is one).
READING_NAMES = {"sub_fund": "sub_fund_name"}


def _reading_name(row: dict, code: str, language: str) -> str | None:
    key = READING_NAMES.get(code)
    return key and (language == "en" and row.get(f"{key}_en") or row.get(key))


def _texts(kind: Kind, row: dict, language: str | None) -> list[tuple]:
    """(column, value, text) of each cell: the import's text, or the reader's."""
    cells = [(c, row.get(c.code)) for c in kind.columns]
    if language is None:
        return [(c, value, text_of(c, value)) for c, value in cells]
    return [
        (c, value, _reading_name(row, c.code, language) or reading_text(c, value, language))
        for c, value in cells
    ]


def csv_chunks(kind: Kind, rows: Iterable[dict], language: str | None = None) -> Iterator[bytes]:
    """The CSV as it is written, CHUNK_ROWS rows at a time (UTF-8, the BOM first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([_header(c, language) for c in kind.columns])
    texts = _reading_csv_texts if language else _csv_texts(kind)
    for n, row in enumerate(rows, start=1):
        writer.writerow(texts(kind, row, language))
        if n % CHUNK_ROWS == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _csv_texts(kind: Kind):
    """The texts of a row of the interchange format: the tightest loop of a large export."""
    writers = [(c.code, TEXT_BY_TYPE.get(c.type, _plain_text)) for c in kind.columns]

    def texts(_kind, row: dict, _language) -> list[str]:
        return [
            "" if (value := row.get(code)) is None else csv_cell(write(value))
            for code, write in writers
        ]

    return texts


def _reading_csv_texts(kind: Kind, row: dict, language: str) -> list[str]:
    # amounts for reading carry thousands separators, as the XLSX shows them
    cells = _texts(kind, row, language)
    return [csv_cell(_grouped(c, v, text)) for c, v, text in cells]


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data


def write_csv(kind: Kind, rows: Iterable[dict], language: str | None = None) -> bytes:
    return b"".join(csv_chunks(kind, rows, language))


def _grouped(column: formats.Column, value, text: str) -> str:
    return f"{rounded_wan(value):,.2f}" if column.type in MONEY and value is not None else text


def reading_cell(sheet, column: formats.Column, value, text: str):
    """An amount for reading is a number shown with two decimals and thousands separators."""
    cell = xlsx_cell(sheet, column, value, text)
    if column.type not in MONEY or not isinstance(cell, int | float):
        return cell
    styled = WriteOnlyCell(sheet, value=cell)
    styled.number_format = AMOUNT_FORMAT
    return styled


def save_xlsx(kind: Kind, rows: Iterable[dict], out, language: str | None = None) -> None:
    """Write the workbook to `out` (a path or a binary file) row by row: openpyxl's write-only
    mode keeps no rows in memory."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(kind.code)
    sheet.freeze_panes = "A2"
    for index, column in enumerate(kind.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _width(column)
    bold = Font(bold=True)
    header = []
    for column in kind.columns:
        cell = WriteOnlyCell(sheet, value=_header(column, language))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    write_cell = reading_cell if language else xlsx_cell
    for row in rows:
        sheet.append([write_cell(sheet, *cell) for cell in _texts(kind, row, language)])
    workbook.save(out)


def write_xlsx(kind: Kind, rows: Iterable[dict], language: str | None = None) -> bytes:
    buffer = io.BytesIO()
    save_xlsx(kind, rows, buffer, language)
    return buffer.getvalue()


def _width(column: formats.Column) -> int:
    if column.type in (formats.USCC, formats.EMAIL) or (column.max_length or 0) >= 200:
        return 30
    return 16
