"""Markdown that users write (IC memo sections), shown as HTML that cannot carry a script.

markdown-it-py renders CommonMark with raw HTML off (a `<script>` typed in a memo is shown as
text), then nh3 (the Rust ammonia sanitiser) keeps only the tags and attributes a memo needs and
only http, https and mailto links: no event attribute, no `javascript:` or `data:` URL, no
raw HTML survives, whatever the renderer let through.
"""

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

MAX_CHARS = 100_000  # one section; far more than a memo's section, far less than 1 MB

_RENDERER = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_TAGS = {
    "p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "a",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}


def render(text: str) -> Markup:
    """The text's Markdown as safe HTML."""
    html = _RENDERER.render(text or "")
    return Markup(  # noqa: S704 - sanitised just here by nh3, which is the point of this module
        nh3.clean(
            html,
            tags=_TAGS,
            attributes=_ATTRIBUTES,
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer nofollow",
        )
    )
