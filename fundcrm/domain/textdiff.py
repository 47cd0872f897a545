"""Two texts side by side, line by line, with what was deleted and inserted marked.

Lines are matched first (difflib); a changed line is then compared character by character,
which suits Chinese, where words are not separated by spaces. Every piece of text is escaped
here: the result is safe HTML (`<del>` and `<ins>` the only markup)."""

from dataclasses import dataclass
from difflib import SequenceMatcher

from markupsafe import Markup, escape

MAX_CHAR_DIFF = 2_000  # longer changed lines are marked whole: a char diff is quadratic
MAX_LINE_PAIRS = 250_000  # beyond (old lines × new lines), the section is marked replaced whole


@dataclass(frozen=True)
class Row:
    old: Markup | None  # None: no line on this side (an insertion or a deletion)
    new: Markup | None
    changed: bool


def _marked(text: str, tag: str) -> Markup:
    return Markup(f"<{tag}>{escape(text)}</{tag}>") if text else Markup("")  # noqa: S704


def _line_pair(old: str, new: str) -> tuple[Markup, Markup]:
    if len(old) > MAX_CHAR_DIFF or len(new) > MAX_CHAR_DIFF:
        return _marked(old, "del"), _marked(new, "ins")
    left, right = Markup(""), Markup("")
    for op, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            left += escape(old[i1:i2])
            right += escape(new[j1:j2])
        else:
            left += _marked(old[i1:i2], "del")
            right += _marked(new[j1:j2], "ins")
    return left, right


def _replaced(old_lines: list[str], new_lines: list[str]) -> list[Row]:
    """A section changed too much to pair line by line in good time: all out, all in."""
    return [Row(_marked(line, "del"), None, True) for line in old_lines] + [
        Row(None, _marked(line, "ins"), True) for line in new_lines
    ]


def side_by_side(old: str, new: str) -> list[Row]:
    old_lines, new_lines = (old or "").splitlines(), (new or "").splitlines()
    if old_lines != new_lines and len(old_lines) * len(new_lines) > MAX_LINE_PAIRS:
        return _replaced(old_lines, new_lines)
    rows = []
    matcher = SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            rows += [Row(escape(line), escape(line), False) for line in old_lines[i1:i2]]
            continue
        olds, news = old_lines[i1:i2], new_lines[j1:j2]
        for k in range(max(len(olds), len(news))):
            a = olds[k] if k < len(olds) else None
            b = news[k] if k < len(news) else None
            if a is not None and b is not None:
                rows.append(Row(*_line_pair(a, b), True))
            else:
                rows.append(
                    Row(
                        _marked(a, "del") if a is not None else None,
                        _marked(b, "ins") if b is not None else None,
                        True,
                    )
                )
    return rows
