"""The header and cells of a read sheet, resolved against a kind's columns and parsed."""

from dataclasses import dataclass, field

from flask_babel import gettext as _

from fundcrm.imports import cells
from fundcrm.imports.formats import Kind
from fundcrm.imports.reader import Sheet
from fundcrm.imports.report import ImportReport


@dataclass
class Row:
    number: int
    values: dict = field(default_factory=dict)  # column code → parsed value (blank cells absent)
    bad: set = field(default_factory=set)  # column codes whose cell is invalid

    def has(self, code: str) -> bool:
        return code in self.values

    def get(self, code: str, default=None):
        return self.values.get(code, default)


@dataclass
class Table:
    kind: Kind
    headings: dict  # column code → the header text the file uses for it
    rows: list[Row]

    def heading(self, code: str) -> str:
        return self.headings.get(code) or code


def parse(kind: Kind, sheet: Sheet, report: ImportReport) -> Table | None:
    """Resolve the header (errors on row 1) and parse every cell (errors per cell).

    None when the header is unusable: then no row can be read."""
    positions = _header(kind, sheet, report)
    if positions is None:
        return None
    headings = {code: str(sheet.header[i]).strip() for code, i in positions.items()}
    columns = [(kind.by_code[code], index, headings[code]) for code, index in positions.items()]
    rows = [_row(number, raw, columns, report) for number, raw in sheet.rows]
    return Table(kind, headings, rows)


def _header(kind: Kind, sheet: Sheet, report: ImportReport) -> dict[str, int] | None:
    """Column code → position; errors for unknown, repeated, missing and unnamed columns."""
    positions: dict[str, int] = {}
    count = len(report.errors)
    for index, cell in enumerate(sheet.header):
        text = "" if cell is None else str(cell).strip()
        if not text:
            continue
        column = kind.resolve(text)
        if column is None:
            codes = ", ".join(kind.by_code)
            report.error(1, text, _("Unknown column. The columns are: %(codes)s.", codes=codes))
        elif column.code in positions:
            report.error(1, text, _("This column appears twice."))
        else:
            positions[column.code] = index
    for index in sorted(_unnamed_with_values(sheet)):
        report.error(1, _column_letter(index), _("This column has values but no name in row 1."))
    for column in kind.columns:
        if column.required and column.code not in positions:
            message = _(
                "A required column is missing: %(code)s (%(label)s).",
                code=column.code,
                label=column.label,
            )
            report.error(1, column.code, message)
    return positions if len(report.errors) == count else None


def _unnamed_with_values(sheet: Sheet) -> set[int]:
    width = len(sheet.header)
    unnamed = [i for i, cell in enumerate(sheet.header) if cells.clean(cell) is None]
    found = set()
    for _number, raw in sheet.rows:
        for index in [*unnamed, *range(width, len(raw))]:
            if index < len(raw) and cells.clean(raw[index]) is not None:
                found.add(index)
    return found


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _row(number: int, raw_cells: list, columns: list, report: ImportReport) -> Row:
    """Parse one row's cells; `columns` holds (column, position, heading) for each column."""
    row = Row(number)
    width = len(raw_cells)
    for column, index, heading in columns:
        raw = cells.clean(raw_cells[index]) if index < width else None
        if raw is None:
            continue
        try:
            row.values[column.code] = cells.parse(column, raw)
        except cells.CellError as error:
            row.bad.add(column.code)
            report.error(number, heading, error.message)
    return row
