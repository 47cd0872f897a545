"""Text the database, XML and a spreadsheet can hold.

C0 control characters other than tab, line feed and carriage return (browsers send a
textarea's lines as CRLF) are refused: NUL makes PostgreSQL raise, the others make XLSX
(XML 1.0) unwritable and show as nothing. Lone surrogates, which only JSON can carry, cannot
be encoded as UTF-8 at all.
"""

import re

ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")  # in a one-line name, even tab and CR/LF


def first_illegal(text) -> str | None:
    """The first character that cannot be stored, written like U+0000; None for clean text."""
    if not isinstance(text, str):
        return None
    found = ILLEGAL.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def ascii_number(text: str) -> bool:
    """Digits 0-9 only: `str.isdigit` also takes "²" and "１", which are no ids or numbers here."""
    return text.isascii() and text.isdigit()


def strip_illegal(text: str) -> str:
    return ILLEGAL.sub("", text)


def plain_name(name: str) -> str:
    """A file name without control characters (a header line must not hold CR or LF)."""
    return CONTROL.sub("", name)
