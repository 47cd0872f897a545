"""PDF papers (reportlab platypus): one look for every document the fund files.

The CJK font is WenQuanYi Micro Hei (fundcrm/fonts/wqy-microhei.ttc, Apache-2.0 or GPL-3+
with the font exception; see fundcrm/fonts/README), a TrueType font embedded as a subset, so a
paper reads correctly on a machine with no Chinese font: reportlab's built-in `STSong-Light`
is a CID font the reader must supply, and shows as empty boxes where it has none. Every page
carries the fund's name, the document's title, the confidentiality mark (机密 / Confidential)
and "page n of m"; a draft's pages a diagonal watermark. A paper with headings made by
`heading` and a `contents` block lists them with their pages (laid out in as many passes as
that takes).
"""

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.doctemplate import LayoutError
from reportlab.platypus.tableofcontents import TableOfContents

FONT_FILE = Path(__file__).parents[1] / "fonts" / "wqy-microhei.ttc"
FONT, MONO = "WenQuanYiMicroHei", "WenQuanYiMicroHeiMono"
MARGIN = 18 * mm
PAGE_WIDTH = A4[0] - 2 * MARGIN
INK, MUTED, RULE, HEAD_FILL = (
    colors.HexColor("#1f2933"),
    colors.HexColor("#616e7c"),
    colors.HexColor("#cbd2d9"),
    colors.HexColor("#e4ecf7"),
)
CONFIDENTIAL_RED = colors.HexColor("#b42318")
WATERMARK_GREY = colors.HexColor("#9aa5b1")


def _register_fonts() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE), subfontIndex=0))
    pdfmetrics.registerFont(TTFont(MONO, str(FONT_FILE), subfontIndex=1))
    # one face: bold and italic map to it (emphasis is shown by colour, see markdown.py)
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT, italic=FONT, boldItalic=FONT)


_register_fonts()


def style(name: str, size: float = 9.5, **extra) -> ParagraphStyle:
    base = {"fontName": FONT, "fontSize": size, "leading": size * 1.45, "textColor": INK}
    return ParagraphStyle(name, wordWrap="CJK", **{**base, **extra})


STYLES = {
    "title": style("title", 17, spaceAfter=4 * mm, leading=24),
    "subtitle": style("subtitle", 9.5, textColor=MUTED, spaceAfter=5 * mm),
    # a heading stays on the page of what follows it
    "h1": style("h1", 13, spaceBefore=5 * mm, spaceAfter=2 * mm, leading=18, keepWithNext=1),
    "h2": style("h2", 11.5, spaceBefore=3.5 * mm, spaceAfter=1.5 * mm, leading=16, keepWithNext=1),
    "h3": style("h3", 10.5, spaceBefore=2.5 * mm, spaceAfter=1 * mm, keepWithNext=1),
    "body": style("body", spaceAfter=1.8 * mm),
    "cell": style("cell", 8.5),
    "cell_right": style("cell_right", 8.5, alignment=TA_RIGHT),
    "head": style("head", 8.5, textColor=INK),
    "code": style("code", 8.5, fontName=MONO, backColor=colors.HexColor("#f5f7fa")),
    "quote": style("quote", textColor=MUTED, leftIndent=4 * mm),
    "muted": style("muted", 8.5, textColor=MUTED),
}


def para(text, kind: str | ParagraphStyle = "body") -> Paragraph:
    """Plain text (escaped) as a paragraph, in a style of STYLES or the one given."""
    text = escape(str(text if text is not None else ""))
    return Paragraph(text, STYLES[kind] if isinstance(kind, str) else kind)


def table(
    header: list,
    rows: Iterable[list],
    widths: list[float] | None = None,
    right: Iterable[int] = (),
    plain: Iterable[int] = (),
) -> Table:
    """A table whose header row repeats on every page it runs over; cells wrap (CJK too), the
    columns in `right` (amounts) align right. A cell may be a flowable or text; the text of the
    columns in `plain` (figures sized to fit) is set on one line, much faster than a paragraph."""
    right, plain = set(right), set(plain)

    def cell(value, column: int):
        if hasattr(value, "wrap") or (column in plain and isinstance(value, str)):
            return value
        return para(value, "cell_right" if column in right else "cell")

    data = [[h if hasattr(h, "wrap") else para(h, "head") for h in header]]
    data += [[cell(v, i) for i, v in enumerate(row)] for row in rows]
    widths = widths or [PAGE_WIDTH / len(header)] * len(header)
    grid = Table(data, colWidths=widths, repeatRows=1)
    cells = STYLES["cell"]
    grid.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),  # else reportlab sets Helvetica per cell
                ("FONTSIZE", (0, 0), (-1, -1), cells.fontSize),
                ("LEADING", (0, 0), (-1, -1), cells.leading),
                ("TEXTCOLOR", (0, 0), (-1, -1), INK),
                ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                *[("ALIGN", (c, 0), (c, -1), "RIGHT") for c in right & plain],
            ]
        )
    )
    return grid


class PagedTable(Flowable):
    """A long table laid out a page at a time: the rows that fit a page become a table of
    their own (with the header), so a page costs its own rows. Split as one table, reportlab
    measures and copies every row left at each page: a table of thousands of rows took minutes.

    `make(start, stop)` builds the table of rows[start:stop] with the header; `heights` holds
    the header's height, then each row's (measured once, given to each table made). In a pass
    that only finds where things fall (the first of a paper with contents), the rows take their
    place unseen."""

    def __init__(self, make: Callable, heights: list[float], width: float, start: int = 0):
        super().__init__()
        self.make, self.heights, self.table_width, self.start = make, heights, width, start
        self.rows = len(heights) - 1

    def wrap(self, available_width, available_height):
        self.width = self.table_width
        self.height = self._height(self.start, self.rows)
        return self.width, self.height

    def _height(self, start: int, stop: int) -> float:
        return self.heights[0] + sum(self.heights[1 + start : 1 + stop])

    def split(self, available_width, available_height):
        room, stop = available_height - self.heights[0], self.start
        while stop < self.rows and self.heights[1 + stop] <= room:
            room -= self.heights[1 + stop]
            stop += 1
        if stop == self.start:
            return []  # not even one row fits: the next page
        page = self._rows(self.start, stop)
        if stop == self.rows:
            return [page]
        return [page, PagedTable(self.make, self.heights, self.table_width, stop)]

    def _layout_only(self) -> bool:
        return getattr(getattr(self.canv, "_doctemplate", None), "layout_only", False)

    def _rows(self, start: int, stop: int):
        if self._layout_only():
            return Spacer(self.table_width, self._height(start, stop))
        return self.make(start, stop)

    def draw(self):
        if self._layout_only():
            return
        grid = self.make(self.start, self.rows)
        grid.wrapOn(self.canv, self.width, self.height)
        grid.drawOn(self.canv, 0, 0)


@dataclass(frozen=True)
class Frame:
    """What every page of a paper says around its content."""

    fund: str
    title: str
    confidential: str  # "机密" or "Confidential"
    page_of: str  # a pattern with %(page)s and %(pages)s
    watermark: str = ""  # a draft's mark, across every page


def fit(text: str, room: float, size: float = 8) -> str:
    """The text, cut with an ellipsis to fit `room` points."""
    if pdfmetrics.stringWidth(text, FONT, size) <= room:
        return text
    while text and pdfmetrics.stringWidth(text + "…", FONT, size) > room:
        text = text[:-1]
    return text + "…"


class PaperTooLong(ValueError):
    """A paper reportlab cannot lay out (a block taller than a page)."""


class _NumberedCanvas(Canvas):
    """Draws the header and footer once the number of pages is known (a second pass over the
    saved pages)."""

    frame: Frame

    def __init__(self, *args, **kwargs):
        # every font is the embedded CJK one: no page refers to an unembedded Helvetica
        super().__init__(*args, **{**kwargs, "initialFontName": FONT})
        self._pages = []

    def showPage(self):  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._decorate(total)
            super().showPage()
        super().save()

    def _decorate(self, total: int) -> None:
        frame, width, height = self.frame, A4[0], A4[1]
        self.setFont(FONT, 8)
        self.setFillColor(MUTED)
        self.drawString(MARGIN, height - 11 * mm, frame.fund)
        room = width - 2 * MARGIN - 24 * mm - self.stringWidth(frame.fund, FONT, 8) - 6 * mm
        self.drawRightString(width - MARGIN - 24 * mm, height - 11 * mm, fit(frame.title, room))
        self.setStrokeColor(CONFIDENTIAL_RED)
        self.setFillColor(CONFIDENTIAL_RED)
        self.rect(width - MARGIN - 21 * mm, height - 13 * mm, 21 * mm, 6 * mm, stroke=1, fill=0)
        self.setFont(FONT, 9)
        self.drawCentredString(width - MARGIN - 10.5 * mm, height - 11.3 * mm, frame.confidential)
        self.setStrokeColor(RULE)
        self.line(MARGIN, height - 14.5 * mm, width - MARGIN, height - 14.5 * mm)
        self.line(MARGIN, 12 * mm, width - MARGIN, 12 * mm)
        self.setFont(FONT, 8)
        self.setFillColor(MUTED)
        self.drawString(MARGIN, 8 * mm, frame.confidential)
        page = frame.page_of % {"page": self._pageNumber, "pages": total}
        self.drawRightString(width - MARGIN, 8 * mm, page)
        if frame.watermark:
            self._watermark(frame.watermark)

    def _watermark(self, text: str) -> None:
        """The mark across the page, light enough to read what lies under it."""
        width, height = A4
        room = 0.8 * (width**2 + height**2) ** 0.5
        size = min(60, room / max(pdfmetrics.stringWidth(text, FONT, 1), 1))
        self.saveState()
        self.setFillColor(WATERMARK_GREY)
        self.setFillAlpha(0.35)
        self.translate(width / 2, height / 2)
        self.rotate(math.degrees(math.atan2(height, width)))
        self.setFont(FONT, size)
        self.drawCentredString(0, -size / 3, text)
        self.restoreState()


class _Paper(SimpleDocTemplate):
    """Tells the contents of each heading made by `heading`, with its page."""

    def afterFlowable(self, flowable):  # noqa: N802 - reportlab's name
        level = getattr(flowable, "contents_level", None)
        if level is None:
            return
        key, text = f"h{id(flowable)}", flowable.getPlainText()
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(text, key, level=level, closed=True)
        self.notify("TOCEntry", (level, escape(text), self.page, key))


def heading(text: str, kind: str = "h1", level: int = 0) -> Paragraph:
    """A heading the contents list (and the reader's outline)."""
    made = para(text, kind)
    made.contents_level = level
    return made


def contents(title: str) -> list:
    """The title and list of the paper's headings with their pages (filled in by `build`)."""
    listing = TableOfContents(dotsMinLevel=0)
    listing.tableStyle = TableStyle(
        [("FONTNAME", (0, 0), (-1, -1), FONT), ("VALIGN", (0, 0), (-1, -1), "TOP"),
         ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)]
    )  # fmt: skip
    listing.levelStyles = [
        style("contents0", 10.5, leading=17, leftIndent=0, firstLineIndent=0),
        style("contents1", 9.5, leading=15, leftIndent=6 * mm, firstLineIndent=0),
    ]
    return [para(title, "title"), listing]


def build(flowables: list, frame: Frame, author: str = "FundCRM") -> bytes:
    """The paper as PDF bytes."""
    out = BytesIO()
    document = _Paper(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=20 * mm,
        bottomMargin=17 * mm,
        title=frame.title,
        author=author,
        subject=frame.confidential,
    )
    canvas = type("PaperCanvas", (_NumberedCanvas,), {"frame": frame})
    try:
        if any(f.isIndexing() for f in flowables):  # a contents needs the pages of a pass
            # the first pass only finds where each heading falls: its pages are thrown away
            document.setProgressCallBack(
                lambda kind, value: setattr(document, "layout_only", kind == "PASS" and value == 1)
                if kind == "PASS" else None
            )  # fmt: skip
            document.multiBuild(flowables, canvasmaker=canvas)
        else:
            document.build(flowables, canvasmaker=canvas)
    except LayoutError as error:
        raise PaperTooLong(str(error)) from None
    return out.getvalue()
