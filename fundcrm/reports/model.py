"""The annual portfolio report (DOMAIN.md section 8) as plain data: sections of tables, charts
and text, in the reader's language, with exact values. The PDF (fundcrm.reports.pdf) and the
workbook (fundcrm.reports.excel) only lay this out; neither computes a figure. A chart names the
table it is drawn from (`Chart.table`) and the columns it draws, so its figures are its table's.

Cell values by column kind:
- `text`: str; `int`: int; `date`: date (or None)
- `money`: Decimal in yuan (the PDF shows 万元, the workbook holds the yuan)
- `share`: Decimal fraction (0.25 = 25%); `pct`: Decimal percent (25 = 25%, an ownership)
- `multiple`: Decimal or None (MOIC, DPI…)
- `rate`: Rate (an IRR: a float, or None when undefined; "n.m." within a year)
A cell may be None: shown as "—", left empty in the workbook.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

KINDS = ("text", "int", "date", "money", "share", "pct", "multiple", "rate")


@dataclass(frozen=True)
class Rate:
    """An IRR as the report shows it: `value` (None: undefined, "—"); `annualised` False within
    a year of the first flow ("n.m.", DOMAIN.md section 6: the number stays in the workbook)."""

    value: float | None
    annualised: bool = True


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"
    width: float = 1.0  # a relative width in the PDF

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass
class Table:
    """Rows of cells in the columns' order; `total`, when given, is the row under them (each
    amount the exact sum of its column's rows, None where nothing adds up)."""

    key: str  # stable, e.g. "allocation_focus_area": tests and the workbook's sheets use it
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    total: list | None = None
    note: str = ""
    empty: str = ""  # what the report says instead of an empty table
    in_pdf: bool = True  # False: only in the workbook (a table of every dated flow)

    def column(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)

    def values(self, key: str) -> list:
        at = self.column(key)
        return [row[at] for row in self.rows]


@dataclass
class Chart:
    """A chart of a table: a category per row (`label` column), a series per `values` column.
    kind: `pie` (one series), `bar` (horizontal bars), `line` (the label column holds dates),
    `funnel` (bars in the rows' order, widest first), `map` (Chongqing's districts coloured by
    the one series: `keys` gives each row's district code, None for a row not on the map)."""

    key: str
    title: str
    kind: str
    table: Table
    label: str
    values: list[str]
    note: str = ""
    keys: list | None = None  # a map's: a district code (or None) per row of the table

    def series(self) -> tuple[list, list[list]]:
        """(the categories, each series' values): what is drawn, read from the table."""
        return self.table.values(self.label), [self.table.values(v) for v in self.values]


@dataclass
class Text:
    text: str
    style: str = "body"  # body, muted, h2 (a sub-heading)


@dataclass
class Section:
    number: str  # "1" … "9", "2a"
    key: str  # overview, capital, fees, performance, investments, allocation, compliance,
    # pipeline, targets, updates
    title: str
    blocks: list = field(default_factory=list)  # Table | Chart | Text, in reading order

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    def charts(self) -> list[Chart]:
        return [b for b in self.blocks if isinstance(b, Chart)]


@dataclass
class Report:
    year: int
    as_of: date
    language: str  # zh / en
    edition: str  # staff / lp
    fund_name: str
    title: str  # "2026 年度投资组合报告 · 天使基金"
    scope: str  # what it covers: the whole fund, or a sub-fund's code and name
    sub_fund: str | None  # the sub-fund's code, None for the whole fund
    lp_name: str | None  # the LP edition's LP
    draft: bool  # not issued: watermarked on every page and sheet
    generated_at: datetime
    generated_by: str
    sections: list[Section] = field(default_factory=list)
    figures: dict = field(default_factory=dict)  # the metrics JSON as of 31 December (kept)
    labels: dict = field(default_factory=dict)  # words the layouts need (see LABELS)
    file_format: str = "pdf"  # pdf / xlsx
    locale: str = "zh_Hans_CN"  # what the layouts format dates and numbers in

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    def table(self, key: str) -> Table:
        return next(t for s in self.sections for t in s.tables() if t.key == key)


# the words the layouts print around the figures (filled in the report's language):
# confidential, draft (the watermark), contents, page_of (with %(page)s and %(pages)s),
# unit_note (amounts in 万元), none (an empty table), total, not_meaningful ("n.m.")
# workbook_unit_note (amounts in yuan), edition (with %(lp)s for an LP edition)
LABELS = (
    "confidential",
    "draft",
    "contents",
    "page_of",
    "unit_note",
    "workbook_unit_note",
    "none",
    "total",
    "not_meaningful",
    "generated",
    "edition",
)


def money_total(values) -> Decimal:
    """The exact sum of a money column's cells (None counts nothing)."""
    return sum((v for v in values if v is not None), Decimal(0))
