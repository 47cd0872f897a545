"""A memo section in a PDF: the same sanitised HTML the page shows (fundcrm.safe_markdown),
turned into platypus flowables — paragraphs, headings, lists, tables, quotes, code — so the
paper shows exactly what the page shows and nothing a sanitiser removed can come back.

Inline markup becomes reportlab's paragraph markup: strong and em keep the one CJK face and
are told apart by colour (the font has no bold or italic), code uses its monospaced face,
links show their text underlined. Everything else is text, escaped."""

from html.parser import HTMLParser
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import ListFlowable, ListItem, Paragraph, Preformatted, Spacer

from fundcrm.pdf import MONO, PAGE_WIDTH, STYLES, table
from fundcrm.safe_markdown import render

_INLINE = {
    "strong": ('<font color="#0b4f9c">', "</font>"),
    "em": ('<font color="#7a4b00">', "</font>"),
    "code": (f'<font name="{MONO}">', "</font>"),
    "a": ("<u>", "</u>"),
}
_VOID = {"br", "hr"}
MAX_DEPTH = 3  # deeper lists indent no further: the text keeps its width
LONG_CELL = 600  # a table with a longer cell is printed row by row (a row never splits)
CODE_LINE = 48  # characters of a code line: 48 full-width ones fill the page's width


class _Node:
    def __init__(self, tag: str, attrs: dict | None = None):
        self.tag, self.attrs, self.children = tag, attrs or {}, []


class _Tree(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = _Node("root")
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = _Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def _inline(node) -> str:
    if isinstance(node, str):
        return escape(node)
    if node.tag == "br":
        return "<br/>"
    inner = "".join(_inline(child) for child in node.children)
    start, end = _INLINE.get(node.tag, ("", ""))
    return f"{start}{inner}{end}"


def _text(node) -> str:
    """A block's inline content as paragraph markup (a list item's nested blocks aside)."""
    return "".join(_inline(c) for c in node.children if isinstance(c, str) or c.tag not in _BLOCKS)


def _list(node, depth: int) -> ListFlowable:
    items = []
    for child in node.children:
        if isinstance(child, str) or child.tag != "li":
            continue
        content = _blocks(child, depth + 1) or [Paragraph("", STYLES["body"])]
        items.append(ListItem(content, leftIndent=6 * mm * (min(depth, MAX_DEPTH) + 1)))
    ordered = node.tag == "ol"
    start = int(node.attrs.get("start") or 1) if ordered else None
    return ListFlowable(
        items,
        bulletType="1" if ordered else "bullet",
        bulletFormat="%s." if ordered else None,
        start=start if ordered else "•",
        bulletFontName=STYLES["body"].fontName,
        bulletFontSize=8,
        leftIndent=6 * mm * (min(depth, MAX_DEPTH) + 1),
    )


def _plain_of(paragraph) -> str:
    return paragraph.getPlainText() if hasattr(paragraph, "getPlainText") else str(paragraph)


def _table(node):
    rows = []
    for section in node.children:
        if isinstance(section, str):
            continue
        for row in section.children if section.tag in ("thead", "tbody") else [section]:
            if not isinstance(row, str) and row.tag == "tr":
                cells = [c for c in row.children if not isinstance(c, str)]
                rows.append([Paragraph(_text(c), STYLES["cell"]) for c in cells])
    if not rows:
        return None
    if any(len(_plain_of(p)) > LONG_CELL for r in rows for p in r):
        header, *body = rows
        return [p for r in body for p in (Spacer(1, 1 * mm), *r)]
    width = max(len(r) for r in rows)
    rows = [r + [Paragraph("", STYLES["cell"])] * (width - len(r)) for r in rows]
    header, *body = rows
    return table(header, body, [PAGE_WIDTH / width] * width)


_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "blockquote", "pre", "hr"}
_HEADINGS = {"h1": "h2", "h2": "h3", "h3": "h3", "h4": "h3", "h5": "h3", "h6": "h3"}


def _is_block(node) -> bool:
    return not isinstance(node, str) and node.tag in _BLOCKS


def _blocks(parent, depth: int = 0) -> list:
    """The parent's children as flowables: blocks as themselves, each run of inline content
    between them (a list item's "**Label**: value") as one paragraph."""
    out, run = [], []

    def flush() -> None:
        markup = "".join(_inline(n) for n in run).strip()
        if markup:
            out.append(Paragraph(markup, STYLES["body"]))
        run.clear()

    for node in parent.children:
        if not _is_block(node):
            run.append(node)
            continue
        flush()
        out += _block(node, depth)
    flush()
    return out


def _block(node, depth: int) -> list:
    tag = node.tag
    if tag == "p":
        return [Paragraph(_text(node), STYLES["body"])]
    if tag in _HEADINGS:
        return [Paragraph(_text(node), STYLES[_HEADINGS[tag]])]
    if tag in ("ul", "ol"):
        return [_list(node, depth)]
    if tag == "table":
        grid = _table(node)
        if isinstance(grid, list):  # too long a cell: row by row
            return grid
        return [grid, Spacer(1, 2 * mm)] if grid is not None else []
    if tag == "blockquote":
        return [Paragraph(_text(p) or "", STYLES["quote"]) for p in _children(node)]
    if tag == "pre":
        return [Preformatted(_plain(node), STYLES["code"], maxLineLength=CODE_LINE)]
    return [Spacer(1, 3 * mm)]  # hr


def _children(node) -> list:
    blocks = [c for c in node.children if not isinstance(c, str)]
    return blocks or [node]


def _plain(node) -> str:
    if isinstance(node, str):
        return node
    return "".join(_plain(c) for c in node.children)


def flowables(markdown_text: str) -> list:
    """A section's Markdown as flowables, through the page's sanitised HTML."""
    tree = _Tree()
    tree.feed(str(render(markdown_text)))
    tree.close()
    return _blocks(tree.root)
