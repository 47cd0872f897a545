"""Money: Decimal yuan end to end; 万元 (wan) and 亿元 (yi) only at the edges."""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

WAN = Decimal(10_000)
YI = Decimal(100_000_000)
FEN = Decimal("0.01")
MAX_WAN_DECIMALS = 6  # 6 decimals of 万元 is the fen
MAX_WAN = Decimal(10) ** 12  # NUMERIC(20,2) holds under 10^18 yuan; no fund nears 10^12 万元
_PLAIN = re.compile(r"^[0-9]+(\.[0-9]+)?$")
_GROUPED = re.compile(r"^-?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$")


class MoneyError(ValueError):
    """`code` says what is wrong: not_a_number, negative, too_precise or too_large."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def parse_wan(text) -> Decimal | None:
    """A positive 万元 amount (as typed or as a cell) → yuan; None for blank."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if isinstance(text, float):  # a spreadsheet's number cell: its shortest exact text
        text = format(Decimal(repr(text)), "f")
    raw = str(text).strip()
    if _GROUPED.match(raw):  # thousands separators, only where they group by three
        raw = raw.replace(",", "")
    if raw.startswith("-") and _PLAIN.match(raw[1:]):
        raise MoneyError("negative")
    if not _PLAIN.match(raw):  # digits and one decimal point: no exponent, no NaN
        raise MoneyError("not_a_number")
    try:
        wan = Decimal(raw)
    except InvalidOperation:
        raise MoneyError("not_a_number") from None
    if wan >= MAX_WAN:
        raise MoneyError("too_large")
    if -wan.as_tuple().exponent > MAX_WAN_DECIMALS:
        raise MoneyError("too_precise")
    return wan_to_yuan(wan)


def wan_to_yuan(wan: Decimal) -> Decimal:
    return (wan * WAN).quantize(FEN, rounding=ROUND_HALF_UP)


def yuan_to_wan(yuan: Decimal | None) -> Decimal | None:
    """Exact 万元 (up to 6 decimals) for forms and files."""
    if yuan is None:
        return None
    return (Decimal(yuan) / WAN).quantize(Decimal("0.000001")).normalize()


def wan_text(yuan: Decimal | None) -> str:
    """Exact 万元 as a plain string without exponent or trailing zeros ('' for None)."""
    wan = yuan_to_wan(yuan)
    if wan is None:
        return ""
    text = format(wan, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def rounded_wan(yuan: Decimal | None, places: int = 2) -> Decimal | None:
    """万元 rounded for display only."""
    if yuan is None:
        return None
    return (Decimal(yuan) / WAN).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def rounded_yi(yuan: Decimal | None, places: int = 2) -> Decimal | None:
    if yuan is None:
        return None
    return (Decimal(yuan) / YI).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
