"""One cell of an import → a value, or CellError with a message in the user's language.

Cells come from CSV as text, from XLSX as text, numbers, dates or booleans. Numbers become
Decimals through their shortest decimal text (repr), so a 万元 cell keeps every fen, and a
USCC stays text. A blank cell is None: "no value" for a new record, "leave unchanged" for an
existing one (the kinds decide which).
"""

import re
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from fundcrm.companies.services import CompanyError, checked_uscc
from fundcrm.domain.kpis import PeriodError, parse_period, parse_signed_wan
from fundcrm.domain.money import MoneyError, parse_wan
from fundcrm.domain.text import first_illegal
from fundcrm.domain.vocab import Vocabulary, lookup
from fundcrm.forms import MONEY_MESSAGES
from fundcrm.imports import formats

LIST_SEPARATORS = re.compile(r"[;；]")
DATE_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TRUE_WORDS = {"true", "是", "1", "yes"}
FALSE_WORDS = {"false", "否", "0", "no"}


class CellError(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def clean(raw):
    """Strip text, drop the one leading `'` that protects a formula-like cell; '' → None."""
    if raw is None:
        return None
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("'"):
            text = text[1:]
        return text or None
    return raw


def parse(column: formats.Column, raw):
    """The value of a non-blank cleaned cell for this column."""
    if found := first_illegal(raw):
        raise CellError(
            _(
                "The cell holds an invisible control character (%(char)s): remove it.",
                char=found,
            )
        )
    return PARSERS[column.type](column, raw)


PLAIN_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?\s*%?$")
MAX_INT = 2_000_000_000  # fits every database's INTEGER


def _number_text(raw) -> str:
    """Text of a numeric cell without binary noise: 1500.5 → '1500.5', 35.0 → '35'."""
    if isinstance(raw, bool):
        raise CellError(_("Write a number, not TRUE or FALSE."))
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else format(Decimal(repr(raw)), "f")
    return str(raw)


def _text(column, raw) -> str:
    if isinstance(raw, str):
        text = raw
    elif isinstance(raw, datetime | date):
        raise CellError(_("Write text here, not a date."))
    else:
        text = _number_text(raw)
    if column.max_length and len(text) > column.max_length:
        raise CellError(_("At most %(n)s characters.", n=column.max_length))
    return text


def _code(column, raw) -> str:
    code = _text(column, raw).upper()  # upper-casing can lengthen text ("ß" → "SS")
    if column.max_length and len(code) > column.max_length:
        raise CellError(_("At most %(n)s characters.", n=column.max_length))
    return code


# Pilot-era codes that risk or an administrator accepted on the web: a file may name those
# companies (an export of them must re-import), never add a new such code.
ACCEPTED_PILOT_CODES: ContextVar[frozenset] = ContextVar(
    "accepted_pilot_codes", default=frozenset()
)


def _uscc(column, raw) -> str:
    if isinstance(raw, float):
        raise CellError(
            _("The USCC is stored as a number, which loses digits: format the cell as text.")
        )
    # the company form's rule: no override reason here, so pilot-era codes are refused
    try:
        return checked_uscc(_text(column, raw), accepted=ACCEPTED_PILOT_CODES.get())
    except CompanyError as refusal:
        raise CellError(str(refusal.message)) from None


def _email(column, raw) -> str:
    text = _text(column, raw).lower()
    if not EMAIL_SHAPE.match(text):
        raise CellError(_("Not an email address: %(value)s", value=text))
    return text


def _wan(column, raw) -> Decimal:
    if isinstance(raw, datetime | date | bool):
        raise CellError(str(MONEY_MESSAGES["not_a_number"]))
    try:
        return parse_wan(_number_text(raw) if isinstance(raw, int | float) else raw)
    except MoneyError as error:
        raise CellError(str(MONEY_MESSAGES[error.code])) from None


def _signed_wan(column, raw) -> Decimal:
    """万元 that may be negative (a net loss: `-120.5`, or `'-120.5` as an export protects it)."""
    if isinstance(raw, datetime | date | bool):
        raise CellError(str(MONEY_MESSAGES["not_a_number"]))
    try:
        return parse_signed_wan(_number_text(raw) if isinstance(raw, int | float) else raw)
    except MoneyError as error:
        raise CellError(str(MONEY_MESSAGES[error.code])) from None


def _period(column, raw) -> str:
    """A KPI period's code: a year (2026, also a number cell) or a quarter (2026Q3)."""
    if isinstance(raw, datetime | date | bool):
        raise CellError(_("Write the period as a year (2026) or a quarter (2026Q3)."))
    try:
        return parse_period(raw).code
    except PeriodError:
        raise CellError(_("Write the period as a year (2026) or a quarter (2026Q3).")) from None


def _date(column, raw) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    try:
        if not DATE_SHAPE.match(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise CellError(_("Write a date as YYYY-MM-DD, e.g. 2026-03-31.")) from None


def _decimal(raw, places: int) -> Decimal:
    if isinstance(raw, datetime | date | bool):
        raise CellError(_("Write a number."))
    text = _number_text(raw) if isinstance(raw, int | float) else str(raw).strip()
    if not PLAIN_NUMBER.match(text):  # no exponent: 1e999999999 must not become an integer
        raise CellError(_("Write a number."))
    try:
        value = Decimal(text.rstrip("%").strip())
    except InvalidOperation:
        raise CellError(_("Write a number.")) from None
    if not value.is_finite():
        raise CellError(_("Write a number."))
    if -value.as_tuple().exponent > places:
        raise CellError(_("At most %(n)s decimals.", n=places))
    return value


def _int(column, raw) -> int:
    try:
        value = _decimal(raw, 6)
    except CellError:
        value = None
    if value is None or value < 0 or value != value.to_integral_value() or value > MAX_INT:
        raise CellError(_("Write a whole number, 0 or more."))
    return int(value)


def _pct(column, raw) -> Decimal:
    value = _decimal(raw, 4)
    if not 0 <= value <= 100:
        raise CellError(_("Enter a percentage between 0 and 100."))
    return value


def _ratio_number(column, raw) -> Decimal:
    """A multiple such as the re-investment ratio: 0 to 10, at most 4 decimals."""
    value = _decimal(raw, 4)
    if not 0 <= value <= 10:
        raise CellError(_("Write a number between 0 and 10."))
    return value


def _ratio(column, raw) -> str:
    """Text only: whether it is a ratio is the sub-fund rule's (funds.services) to say."""
    if not isinstance(raw, str):
        raise CellError(_("Write the ratio as text, a fraction such as 2/3 or a percentage."))
    return _text(column, raw)


def _bool(column, raw) -> bool:
    if isinstance(raw, bool):
        return raw
    text = _number_text(raw) if isinstance(raw, int | float) else str(raw).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellError(_("Write true or false (是/否, 1/0, yes/no)."))


def vocab_code(vocabulary: Vocabulary, text: str) -> str | None:
    """A code given as the code, its Chinese or English label; codes in any letter case."""
    return lookup(vocabulary, text) or lookup(vocabulary, text.lower())


def _vocab(column, raw) -> str:
    text = _text(column, raw)
    code = vocab_code(column.vocabulary, text)
    if code is None:
        raise CellError(_("Unknown code: %(code)s", code=text))
    return code


def _vocab_list(column, raw) -> list[str]:
    items = [item.strip() for item in LIST_SEPARATORS.split(_text(column, raw))]
    codes, unknown = [], []
    for item in filter(None, items):
        code = vocab_code(column.vocabulary, item)
        if code is None:
            unknown.append(item)
        elif code not in codes:
            codes.append(code)
    if unknown:
        raise CellError(_("Unknown code: %(code)s", code="; ".join(unknown)))
    return codes


PARSERS = {
    formats.TEXT: _text,
    formats.CODE: _code,
    formats.USCC: _uscc,
    formats.EMAIL: _email,
    formats.WAN: _wan,
    formats.SIGNED_WAN: _signed_wan,
    formats.PERIOD: _period,
    formats.DATE: _date,
    formats.INT: _int,
    formats.PCT: _pct,
    formats.DECIMAL: _ratio_number,
    formats.RATIO: _ratio,
    formats.BOOL: _bool,
    formats.VOCAB: _vocab,
    formats.VOCAB_LIST: _vocab_list,
}
