"""The annual report (fundcrm.reports.model.Report) laid out as a PDF paper (fundcrm.pdf): a
cover, the contents, then each section's tables, charts and text, amounts in 万元.

It computes no figure: every cell and every chart comes from the report as it is. Run within
the app and `force_locale(report.locale)` (as fundcrm.reports.annual.render does), so numbers
and dates read in the report's language.
"""

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from xml.sax.saxutils import escape

from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import PageBreak, Paragraph, Spacer

from fundcrm.pdf import (
    FONT,
    MUTED,
    PAGE_WIDTH,
    RULE,
    Frame,
    PagedTable,
    build,
    contents,
    heading,
    para,
    style,
    table,
)
from fundcrm.reports import pdf_charts, pdf_map
from fundcrm.reports.model import Chart, Column, Rate, Report, Table, Text
from fundcrm.reports.pdf_charts import value_text

RIGHT = ("int", "money", "share", "pct", "multiple", "rate")  # the kinds aligned right
SIZES = (8.5, 8, 7.5, 7, 6.5)  # a table's font sizes, from the first at which its columns fit
TOTAL_FILL = colors.HexColor("#eef2f6")
COVER = {
    "fund": style("cover_fund", 13, textColor=MUTED, spaceAfter=6 * mm, leading=18),
    "title": style("cover_title", 24, leading=32, spaceAfter=4 * mm),
    "scope": style("cover_scope", 14, leading=20, spaceAfter=2 * mm),
    "line": style("cover_line", 11, leading=17, spaceAfter=1 * mm),
    "muted": style("cover_muted", 9.5, textColor=MUTED, spaceAfter=1.5 * mm),
}


def cell_text(value, kind: str, report: Report) -> str:
    """A cell as the PDF shows it ("—" for no value)."""
    if kind == "rate" and value is not None:
        return _rate_text(value, report)
    if kind == "date" and isinstance(value, date):
        return value.isoformat()
    return value_text(value, kind)


def _rate_text(rate: Rate, report: Report) -> str:
    if rate.value is None:
        return value_text(None, "rate")
    if not rate.annualised:
        return report.labels.get("not_meaningful", "n.m.")
    return f"{rate.value * 100:.1f}%"


def _label(text: str, **values) -> str:
    """A label of the report's, its placeholders filled where it has them."""
    return text % values if "%(" in text else text


def render(report: Report) -> bytes:
    """The report as PDF bytes."""
    labels = report.labels
    frame = Frame(
        report.fund_name,
        report.title,
        labels["confidential"],
        labels["page_of"],
        watermark=labels["draft"] if report.draft else "",
    )
    story = [*_cover(report), PageBreak(), *contents(labels["contents"])]
    story += [Spacer(1, 4 * mm), para(labels["unit_note"], "muted"), PageBreak()]
    for section in report.sections:
        story.append(heading(f"{section.number}. {section.title}"))
        for block in section.blocks:
            story += _block(block, report)
    return build(story, frame, author=report.generated_by)


def _cover(report: Report) -> list:
    labels = report.labels
    when = format_datetime(report.generated_at, "yyyy-MM-dd HH:mm")
    lines = [
        Spacer(1, 45 * mm),
        para(report.fund_name, COVER["fund"]),
        para(report.title, COVER["title"]),
        para(report.scope, COVER["scope"]),
        para(_label(labels["edition"], lp=report.lp_name or ""), COVER["line"]),
        para(_("As of %(date)s", date=format_date(report.as_of, "long")), COVER["line"]),
        Spacer(1, 25 * mm),
        para(_label(labels["generated"], when=when, who=report.generated_by), COVER["muted"]),
        para(labels["unit_note"], COVER["muted"]),
    ]
    return lines


def _block(block, report: Report) -> list:
    if isinstance(block, Table):
        return _table(block, report)
    if isinstance(block, Chart):
        return _chart(block, report)
    if isinstance(block, Text):
        return [para(block.text, block.style if block.style in ("muted", "h2") else "body")]
    raise TypeError(f"a report block cannot be {type(block).__name__}")


def _head(column: Column, size: float) -> Paragraph:
    text = para(column.label).text
    if column.kind == "money":
        text += f'<br/><font size="{size - 1.5}" color="{MUTED.hexval()}">{_("万元")}</font>'
    return Paragraph(text, _cell_style(size, column.kind in RIGHT, column.label.isascii()))


@lru_cache(maxsize=64)
def _cell_style(size: float, right: bool, latin: bool = False) -> ParagraphStyle:
    """A cell's style; `latin` text breaks between words only (CJK breaks anywhere)."""
    made = style(f"cell_{size}_{right}", size, alignment=TA_RIGHT if right else TA_LEFT)
    if latin:
        made.wordWrap = None
    return made


def _cell(text: str, size: float, kind: str) -> Paragraph:
    return Paragraph(escape(text), _cell_style(size, kind in RIGHT, text.isascii()))


def _table(block: Table, report: Report) -> list:
    """The table's title, its rows (the header repeated on every page), its total, its note."""
    title = para(block.title, "h3")
    if not block.rows:
        return [title, para(block.empty or report.labels["none"], "muted")]
    columns = block.columns
    kinds = [c.kind for c in columns]
    rows = [[cell_text(v, k, report) for v, k in zip(row, kinds, strict=True)]
            for row in block.rows]  # fmt: skip
    if block.total is not None:
        rows.append(_total(block, report))
    fit = _fit(columns, rows)
    figures = [] if fit.wrap else [i for i, k in enumerate(kinds) if k != "text"]
    room = [w - fit.padding for w in fit.widths]

    def shown(value: str, i: int):
        """On one line as plain text when it fits (fast to lay out), else a wrapping paragraph."""
        if i in figures or ("\n" not in value and stringWidth(value, FONT, fit.size) <= room[i]):
            return value
        return _cell(value, fit.size, kinds[i])

    cells = [[shown(v, i) for i, v in enumerate(row)] for row in rows]
    if block.total is not None:
        cells[-1] = [_cell(v, fit.size, kinds[i]) for i, v in enumerate(rows[-1])]
    right = [i for i, k in enumerate(kinds) if k in RIGHT]
    head = [_head(c, fit.size) for c in columns]
    # each row measured once, here: the tables of each page are given their heights
    heights = [_height(r, room, fit.size * 1.45) for r in [head, *cells]]

    def rows_between(start: int, stop: int):
        grid = table(head, cells[start:stop], fit.widths, right, range(len(columns)))
        grid._argH = grid._rowHeights = [heights[0], *heights[1 + start : 1 + stop]]
        grid.setStyle([("FONTSIZE", (0, 1), (-1, -1), fit.size),
                       ("LEADING", (0, 1), (-1, -1), fit.size * 1.45),
                       ("LEFTPADDING", (0, 0), (-1, -1), fit.padding / 2),
                       ("RIGHTPADDING", (0, 0), (-1, -1), fit.padding / 2)])  # fmt: skip
        if block.total is not None and stop == len(cells):
            grid.setStyle([("BACKGROUND", (0, -1), (-1, -1), TOTAL_FILL),
                           ("LINEABOVE", (0, -1), (-1, -1), 0.8, RULE)])  # fmt: skip
        return grid

    made = [title, PagedTable(rows_between, heights, sum(fit.widths))]
    if block.note:
        made.append(para(block.note, "muted"))
    return made


CELL_PADDING = 5  # a cell's top and bottom padding together (fundcrm.pdf.table)


def _height(row: list, room: list[float], leading: float) -> float:
    """A row's height: its tallest cell (a line of plain text, or a paragraph wrapped to its
    column) and the padding."""
    tallest = leading
    for value, width in zip(row, room, strict=True):
        if hasattr(value, "wrap"):
            tallest = max(tallest, value.wrap(width, 1e6)[1])
    return tallest + CELL_PADDING


@dataclass(frozen=True)
class _Fit:
    widths: list[float]
    size: float  # the cells' font size
    padding: float  # a cell's padding, left and right together
    wrap: bool  # the figures wrap too: the columns fit the page at no size


def _fit(columns: list[Column], rows: list[list[str]]) -> _Fit:
    """The largest size at which every figure fits its column on one line and every text
    column keeps a readable width; else the relative widths, everything wrapping."""
    at_one = {i: max(stringWidth(r[i], FONT, 1) for r in rows)
              for i, c in enumerate(columns) if c.kind != "text"}  # fmt: skip
    for lines, size in [(2, size) for size in SIZES] + [(3, size) for size in SIZES]:
        padding = 12 if size == SIZES[0] else 6
        figures = {i: w * size for i, w in at_one.items()}
        widths = _widths(columns, figures, size, padding, lines)
        if widths is not None:
            return _Fit(widths, size, padding, False)
    scale = PAGE_WIDTH / sum(c.width for c in columns)
    return _Fit([c.width * scale for c in columns], SIZES[-1], 6, True)


def _widths(columns: list[Column], figures: dict, size: float, padding: float, lines: int):
    """Each figure's column as wide as its widest cell and its header in `lines`; each text
    column its least width and a share of the room left by its relative width; None when the
    page is too narrow for that."""
    head = {i: _head_room(columns[i].label, size, lines) for i in figures}
    need = {i: max(w, head[i]) + padding for i, w in figures.items()}
    texts = {i: c.width for i, c in enumerate(columns) if i not in need}
    room = PAGE_WIDTH - sum(need.values())
    if not texts:
        return None if room < 0 else [w + room / len(need) for w in need.values()]
    # a text column at least four characters wide per unit of its relative width
    least = {i: max(_head_room(columns[i].label, size, 3), 4 * size * texts[i]) + padding
             for i in texts}  # fmt: skip
    spare = room - sum(least.values())
    if spare < 0:
        return None
    weight = sum(texts.values())
    return [need[i] if i in need else least[i] + spare * texts[i] / weight
            for i in range(len(columns))]  # fmt: skip


def _head_room(label: str, size: float, lines: int) -> float:
    """A header's least width: its words whole (a CJK run of more than five characters may
    break anywhere), in about `lines`."""
    words = [stringWidth(w, FONT, size) / (1 if w.isascii() or len(w) <= 5 else lines)
             for w in label.split()]  # fmt: skip
    return max([*words, stringWidth(label, FONT, size) * 1.2 / lines])  # lines seldom even out


def _total(block: Table, report: Report) -> list[str]:
    """The total row: its label where the first cell holds none, "" for what does not add up."""
    cells = []
    for i, (value, column) in enumerate(zip(block.total, block.columns, strict=True)):
        if value is None:
            cells.append(report.labels["total"] if i == 0 else "")
        else:
            cells.append(cell_text(value, column.kind, report))
    return cells


def _chart(chart: Chart, report: Report) -> list:
    """The chart's title, its drawing (from the table's values), its note, on one page."""
    drawing = (pdf_map if chart.kind == "map" else pdf_charts).drawing(chart)
    figure = drawing if drawing is not None else para(report.labels["none"], "muted")
    if not chart.note:
        return [para(chart.title, "h3"), figure, Spacer(1, 2 * mm)]
    figure.keepWithNext = 1
    return [para(chart.title, "h3"), figure, para(chart.note, "muted"), Spacer(1, 2 * mm)]
