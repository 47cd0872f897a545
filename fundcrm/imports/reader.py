"""Read an uploaded CSV or XLSX file into a header and numbered rows of raw cells.

CSV: UTF-8 with or without BOM, else GB18030 (a superset of GBK, as Excel saves CSV in China).
XLSX: the sheet named after the kind, else the first sheet; read-only, cached values only.
Anything that cannot be read raises FileRefused with a message for the user.
"""

import csv
import io
import re
import zipfile
from dataclasses import dataclass

from flask_babel import gettext as _

from fundcrm.domain.text import CONTROL
from fundcrm.imports.formats import KINDS

EXTENSIONS = ("csv", "xlsx")
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
UNSAFE_NAME = re.compile(r"[/\\]|^\.\.?$")


class FileRefused(ValueError):
    """The file as a whole cannot be imported; nothing is written."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Limits:
    """What one import may cost: a zip bomb or a sheet of a million rows is refused."""

    max_inflated_bytes: int = 200 * 2**20
    max_rows: int = 200_000

    @classmethod
    def from_settings(cls, settings) -> "Limits":
        return cls(
            max_inflated_bytes=int(settings["MAX_IMPORT_INFLATED_MB"]) * 2**20,
            max_rows=int(settings["MAX_IMPORT_ROWS"]),
        )


@dataclass
class Inflated:
    """Bytes inflated from an XLSX so far, checked against the limit as they come."""

    limit: int
    bytes: int = 0

    def add(self, count: int) -> None:
        self.bytes += count
        if self.bytes > self.limit:
            raise FileRefused(too_large_inflated(self.limit))


@dataclass
class Sheet:
    header: list  # raw header cells (row 1)
    rows: list[tuple[int, list]]  # (row number as the spreadsheet shows it, raw cells)
    name: str = ""  # an XLSX sheet's title


DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"')
XLSX_ROW_BYTES = 100  # fewer bytes of sheet XML than any row of an import takes


def estimate_rows(data: bytes, ext: str) -> int:
    """About how many data rows a file holds, without reading it (to choose between the
    request and a worker): a CSV's lines; an XLSX sheet's declared dimension, or else its
    unpacked size over XLSX_ROW_BYTES. A file that is neither counts 0: reading refuses it."""
    if ext == "csv":
        return max(0, data.count(b"\n") - 1)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            sheets = [
                info
                for info in archive.infolist()
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
            ]
            return max((_sheet_rows(archive, info) for info in sheets), default=0)
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError):
        return 0


def _sheet_rows(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    with archive.open(info) as sheet:
        found = DIMENSION.search(sheet.read(4096))
    return int(found.group(1)) - 1 if found else info.file_size // XLSX_ROW_BYTES


def extension(filename: str) -> str:
    """The lower-case extension of a file name, refusing names that carry a folder path."""
    name = (filename or "").strip()
    if not name:
        raise FileRefused(_("Choose a file to import."))
    if CONTROL.search(name):
        raise FileRefused(
            _(
                "The file name holds an invisible control character: rename the file and "
                "upload it again."
            )
        )
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


def too_large_inflated(limit: int) -> str:
    return _(
        "The workbook unpacks to more than %(mb)s MB: it is not a spreadsheet this import "
        "can take. Save only the rows to import, or split them into several files.",
        mb=limit // 2**20,
    )


def check_outside(data: bytes, ext: str, limits: Limits = Limits()) -> None:
    """What can be refused without reading the rows (before a large file is queued): an empty
    file, one that is another kind of file, a workbook declared too large once unpacked."""
    if not data:
        raise FileRefused(_("The file is empty."))
    _check_signature(data, ext)
    if ext == "xlsx":
        _check_declared_size(data, limits.max_inflated_bytes)


def read(
    data: bytes,
    ext: str,
    kind: str | None,
    limits: Limits = Limits(),
    inflated: Inflated | None = None,
) -> Sheet:
    """`kind` picks an XLSX's sheet (None: a sheet named after any kind, else the first);
    `inflated` (for XLSX) counts the bytes unpacked, so a caller can see what a file cost."""
    if not data:
        raise FileRefused(_("The file is empty."))
    _check_signature(data, ext)
    if ext == "xlsx":
        inflated = inflated or Inflated(limits.max_inflated_bytes)
        sheet = _read_xlsx(data, kind, inflated, limits.max_rows)
    else:
        sheet = _read_csv(data, limits.max_rows)
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


def _read_csv(data: bytes, max_rows: int) -> Sheet:
    text = _decode(data)
    try:
        return _sheet(csv.reader(io.StringIO(text, newline="")), max_rows)
    except csv.Error as error:
        raise FileRefused(_("The CSV file cannot be read: %(error)s", error=str(error))) from None


class _CountedMember(io.RawIOBase):
    """A zip member read in bounded chunks, each counted as it is inflated: the sizes in the
    zip's directory may lie, and one unbounded read would inflate a bomb whole."""

    CHUNK = 64 * 1024

    def __init__(self, member, inflated: Inflated):
        super().__init__()
        self.member, self.inflated = member, inflated

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self.member.read(min(len(buffer), self.CHUNK))
        self.inflated.add(len(chunk))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def read(self, size=-1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(self.CHUNK), b""))
        return super().read(size)

    def close(self) -> None:
        self.member.close()
        super().close()


class _CountedZip(zipfile.ZipFile):
    """The workbook's zip, every member of which is read through _CountedMember."""

    def __init__(self, file, inflated: Inflated):
        super().__init__(file)
        self.inflated = inflated

    def open(self, name, mode="r", pwd=None, **kwargs):
        member = super().open(name, mode, pwd, **kwargs)
        return _CountedMember(member, self.inflated) if mode == "r" else member


def _check_declared_size(data: bytes, limit: int) -> None:
    """Refuse from the zip's directory, before parsing, a workbook declared too large."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            declared = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # openpyxl's own refusal says the workbook cannot be opened
    if declared > limit:
        raise FileRefused(too_large_inflated(limit))


def _open_workbook(data: bytes, inflated: Inflated):
    from openpyxl.reader.excel import ExcelReader

    reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
    reader.archive.close()  # only the directory was read: the counted zip replaces it
    reader.archive = _CountedZip(io.BytesIO(data), inflated)
    reader.read()
    return reader.wb


def _read_xlsx(data: bytes, kind: str, inflated: Inflated, max_rows: int) -> Sheet:
    """openpyxl raises many kinds of exception on a malformed workbook: each is a refusal."""
    _check_declared_size(data, inflated.limit)
    unreadable = _("The workbook cannot be opened: save it from Excel as .xlsx and try again.")
    try:
        workbook = _open_workbook(data, inflated)
    except FileRefused:
        raise
    except Exception:  # any parse failure of an uploaded file
        raise FileRefused(_refusal(inflated, unreadable)) from None
    try:
        if not workbook.worksheets:
            raise FileRefused(_("The workbook has no worksheet, only charts."))
        names = {kind} if kind else set(KINDS)
        named = [ws for ws in workbook.worksheets if ws.title.strip().lower() in names]
        worksheet = named[0] if named else workbook.worksheets[0]
        worksheet.reset_dimensions()
        sheet = _sheet((list(r) for r in worksheet.iter_rows(values_only=True)), max_rows)
        sheet.name = worksheet.title
    except FileRefused:
        raise
    except Exception:  # idem, while reading the rows
        raise FileRefused(_refusal(inflated, unreadable)) from None
    finally:
        workbook.close()
    if not sheet.header or all(_blank(cell) for cell in sheet.header):
        raise FileRefused(
            _(
                "The sheet “%(sheet)s” has no data: put the column names in row 1 of the first "
                "sheet, or of a sheet named %(kind)s.",
                sheet=worksheet.title,
                kind=kind or " / ".join(KINDS),
            )
        )
    return sheet


def _blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _refusal(inflated: Inflated, unreadable: str) -> str:
    """A parser may wrap the limit's refusal in an error of its own: say which it was."""
    return too_large_inflated(inflated.limit) if inflated.bytes > inflated.limit else unreadable


MAX_COLUMNS = 1000  # far more than any kind has; a row reaching column XFD costs 16,384 cells


def _sheet(records, max_rows: int) -> Sheet:
    """Row 1 is the header; entirely blank rows are skipped but keep their numbers.

    Rows are counted as they stream in, blank ones too (a sheet may jump to row 1,048,576)."""
    header, rows = None, []
    for number, cells in enumerate(records, start=1):
        if number > max_rows + 1:
            raise FileRefused(
                _("The file has more than %(n)s rows: split it into several files.", n=max_rows)
            )
        if len(cells) > MAX_COLUMNS:
            raise FileRefused(
                _("Row %(row)s has more than %(n)s columns.", row=number, n=MAX_COLUMNS)
            )
        if header is None:
            header = list(cells)
            continue
        if not all(_blank(cell) for cell in cells):
            rows.append((number, list(cells)))
    return Sheet(header or [], rows)
