"""The annual report (fundcrm.reports.model.Report) laid out as a PDF paper (fundcrm.pdf): a
cover, the contents, then each section's tables, charts and text, amounts in 万元.

It computes no figure: every cell and every chart comes from the report as it is. Run within
the app and `force_locale(report.locale)` (as fundcrm.reports.annual.render does), so numbers
and dates read in the report's language.
"""

from datetime import date

from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import PageBreak, Paragraph, Spacer

from fundcrm.pdf import (
    FONT,
    MUTED,
    PAGE_WIDTH,
    RULE,
    STYLES,
    Frame,
    build,
    contents,
    heading,
    para,
    style,
    table,
)
from fundcrm.reports import pdf_charts
from fundcrm.reports.model import Chart, Column, Rate, Report, Table, Text
from fundcrm.reports.pdf_charts import value_text

RIGHT = ("int", "money", "share", "pct", "multiple", "rate")  # the kinds aligned right
CELL_SIZE, PADDING = 8.5, 14  # a cell's font size, and its padding left and right
TOTAL_FILL = colors.HexColor("#eef2f6")
COVER = {
    "fund": style("cover_fund", 13, textColor=MUTED, spaceAfter=6 * mm, leading=18),
    "title": style("cover_title", 24, leading=32, spaceAfter=4 * mm),
    "scope": style("cover_scope", 14, leading=20, spaceAfter=2 * mm),
    "line": style("cover_line", 11, leading=17, spaceAfter=1 * mm),
    "muted": style("cover_muted", 9.5, textColor=MUTED, spaceAfter=1.5 * mm),
}
HEAD_RIGHT = style("head_right", 8.5, alignment=2)
TOTAL = {False: style("total", 8.5), True: style("total_right", 8.5, alignment=2)}


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


def _head(column: Column) -> Paragraph:
    text = para(column.label, "head").text
    if column.kind == "money":
        text += f'<br/><font size="7" color="{MUTED.hexval()}">{_("万元")}</font>'
    return Paragraph(text, HEAD_RIGHT if column.kind in RIGHT else STYLES["head"])


def _table(block: Table, report: Report) -> list:
    """The table's title, its rows (the header repeated on every page), its total, its note."""
    title = para(block.title, "h3")
    if not block.rows:
        return [title, para(block.empty or report.labels["none"], "muted")]
    columns = block.columns
    kinds = [c.kind for c in columns]
    right = [i for i, kind in enumerate(kinds) if kind in RIGHT]
    rows = [[cell_text(v, k, report) for v, k in zip(row, kinds, strict=True)]
            for row in block.rows]  # fmt: skip
    if block.total is not None:
        rows.append(_total(block, report))
    widths = _widths(columns, rows)
    if block.total is not None:
        rows[-1] = [para(text, TOTAL[k in RIGHT]) for text, k in zip(rows[-1], kinds, strict=True)]
    figures = [i for i, kind in enumerate(kinds) if kind != "text"]  # sized not to wrap
    grid = table([_head(c) for c in columns], rows, widths, right, plain=figures)
    if block.total is not None:
        grid.setStyle([("BACKGROUND", (0, -1), (-1, -1), TOTAL_FILL),
                       ("LINEABOVE", (0, -1), (-1, -1), 0.8, RULE)])  # fmt: skip
    made = [title, grid]
    if block.note:
        made.append(para(block.note, "muted"))
    return made


def _widths(columns: list[Column], rows: list[list]) -> list[float]:
    """The columns' widths across the page: a figure's column as wide as its widest cell (a
    figure never wraps), the rest shared by the text columns in their relative widths."""
    fixed = {}
    for i, column in enumerate(columns):
        if column.kind != "text":
            cells = [r[i] for r in rows if isinstance(r[i], str)] + [column.label]
            fixed[i] = max(stringWidth(c, FONT, CELL_SIZE) for c in cells) + PADDING
    free = [c.width if i not in fixed else 0 for i, c in enumerate(columns)]
    room = PAGE_WIDTH - sum(fixed.values())
    if not any(free) or room < PAGE_WIDTH * 0.25:  # too many figures: relative widths only
        scale = PAGE_WIDTH / sum(c.width for c in columns)
        return [c.width * scale for c in columns]
    return [fixed.get(i, room * w / sum(free)) for i, w in enumerate(free)]


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
    drawing = pdf_charts.drawing(chart)
    figure = drawing if drawing is not None else para(report.labels["none"], "muted")
    if not chart.note:
        return [para(chart.title, "h3"), figure, Spacer(1, 2 * mm)]
    figure.keepWithNext = 1
    return [para(chart.title, "h3"), figure, para(chart.note, "muted"), Spacer(1, 2 * mm)]
