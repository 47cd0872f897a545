"""Read an uploaded CSV or XLSX file into a header and numbered rows of raw cells.

CSV: UTF-8 with or without BOM, else GB18030 (a superset of GBK, as Excel saves CSV in China).
XLSX: the sheet named after the kind, else the first sheet; read-only, cached values only.
Anything that cannot be read raises FileRefused with a message for the user.
"""

import csv
import io
import re
from dataclasses import dataclass

from flask_babel import gettext as _

EXTENSIONS = ("csv", "xlsx")
ZIP_MAGIC = b"PK\x03\x04"
SIGNATURES = [  # what a file that is neither CSV nor XLSX usually starts with
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"%PDF", "PDF"),
    (b"\xd0\xcf\x11\xe0", "XLS"),
    (b"PK\x03\x04", "ZIP"),
    (b"\x1f\x8b", "GZIP"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf", "7Z"),
]
UNSAFE_NAME = re.compile(r"[/\\\x00-\x1f]|^\.\.?$")


class FileRefused(ValueError):
    """The file as a whole cannot be imported; nothing is written."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Sheet:
    header: list  # raw header cells (row 1)
    rows: list[tuple[int, list]]  # (row number as the spreadsheet shows it, raw cells)


def extension(filename: str) -> str:
    """The lower-case extension of a file name, refusing names that carry a folder path."""
    name = (filename or "").strip()
    if not name:
        raise FileRefused(_("Choose a file to import."))
    if UNSAFE_NAME.search(name):
        raise FileRefused(
            _(
                "The file name must be a plain name without a folder path "
                "(no /, \\ or ..): rename the file and upload it again."
            )
        )
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in EXTENSIONS:
        raise FileRefused(_("Choose a .csv or .xlsx file."))
    return ext


def read(data: bytes, ext: str, kind: str) -> Sheet:
    if not data:
        raise FileRefused(_("The file is empty."))
    _check_signature(data, ext)
    sheet = _read_xlsx(data, kind) if ext == "xlsx" else _read_csv(data)
    if not sheet.header or all(_blank(cell) for cell in sheet.header):
        raise FileRefused(_("Row 1 must name the columns; it is empty."))
    if not sheet.rows:
        raise FileRefused(_("The file has a header row but no data rows."))
    return sheet


def _check_signature(data: bytes, ext: str) -> None:
    found = next((name for magic, name in SIGNATURES if data.startswith(magic)), None)
    if ext == "xlsx" and found != "ZIP":
        raise FileRefused(
            _(
                "This file's content is not an XLSX workbook (it looks like %(what)s). "
                "Save it from Excel as .xlsx, or give a CSV file the .csv extension.",
                what=found or _("text"),
            )
        )
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))  # refused by _decode, saying so
    if ext == "csv" and (found or (b"\x00" in data[:4096] and not utf16)):
        raise FileRefused(
            _(
                "This file's content is not CSV text (it looks like %(what)s). "
                "Choose the right file or give it its real extension.",
                what=found or _("binary data"),
            )
        )


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        encodings = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused(
            _("The text is in UTF-16: save the CSV as UTF-8 (or CSV from Excel) and try again.")
        )
    else:
        encodings = ["utf-8", "gb18030"]
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRefused(
        _(
            "The text cannot be read as UTF-8 or GB18030/GBK. Save the CSV as "
            '"CSV UTF-8" in Excel and try again.'
        )
    )


def _read_csv(data: bytes) -> Sheet:
    text = _decode(data)
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise FileRefused(_("The CSV file cannot be read: %(error)s", error=str(error))) from None
    return _sheet(records)


def _read_xlsx(data: bytes, kind: str) -> Sheet:
    """openpyxl raises many kinds of exception on a malformed workbook: each is a refusal."""
    from openpyxl import load_workbook

    unreadable = _("The workbook cannot be opened: save it from Excel as .xlsx and try again.")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # any parse failure of an uploaded file
        raise FileRefused(unreadable) from None
    try:
        if not workbook.worksheets:
            raise FileRefused(_("The workbook has no worksheet, only charts."))
        named = [ws for ws in workbook.worksheets if ws.title.strip().lower() == kind]
        worksheet = named[0] if named else workbook.worksheets[0]
        worksheet.reset_dimensions()
        sheet = _sheet(list(r) for r in worksheet.iter_rows(values_only=True))
    except FileRefused:
        raise
    except Exception:  # idem, while reading the rows
        raise FileRefused(unreadable) from None
    finally:
        workbook.close()
    if not sheet.header or all(_blank(cell) for cell in sheet.header):
        raise FileRefused(
            _(
                "The sheet “%(sheet)s” has no data: put the column names in row 1 of the first "
                "sheet, or of a sheet named %(kind)s.",
                sheet=worksheet.title,
                kind=kind,
            )
        )
    return sheet


def _blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _sheet(records) -> Sheet:
    """Row 1 is the header; entirely blank rows are skipped but keep their numbers."""
    header, rows = None, []
    for number, cells in enumerate(records, start=1):
        if header is None:
            header = list(cells)
            continue
        if not all(_blank(cell) for cell in cells):
            rows.append((number, list(cells)))
    return Sheet(header or [], rows)
