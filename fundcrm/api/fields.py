"""The API's field types: money as decimal strings (DOMAIN.md section 5), vocabulary codes, the
page of a list. Each type validates a request and describes itself in the OpenAPI document."""

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from flask_babel import gettext as _
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

from fundcrm.domain.metrics import money_text
from fundcrm.domain.money import MAX_WAN_DECIMALS, MoneyError, parse_wan, wan_text
from fundcrm.domain.vocab import VOCABULARIES
from fundcrm.views import MAX_ID

WAN_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")  # a sign or too many decimals is refused by name
DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 50
WAN_PATTERN = rf"^[0-9]{{1,12}}(\.[0-9]{{1,{MAX_WAN_DECIMALS}}})?$"
YUAN_PATTERN = r"^-?[0-9]+\.[0-9]{2}$"


class Strict(BaseModel):
    """A query: an unknown parameter is refused, not ignored (its values arrive as text)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Body(Strict):
    """A request body: an unknown field is refused, and each value must have its JSON type
    (strict): "5" is not a number, 0 is not a date, 1 is not true."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)


class Patch(Body):
    """An update's body: a field left out keeps its value. A field required on create is
    typed without null (`name: text(200) = None`), so it may be left out but not emptied."""


def _wan_to_yuan(value: Any) -> Decimal:
    """万元 as a decimal string → exact yuan; a JSON number is refused (it would be a float)."""
    if isinstance(value, Decimal):  # already read (a model built in code)
        return value
    if not isinstance(value, str):
        raise ValueError(_('An amount is a decimal string such as "1200.5", not a number.'))
    if not WAN_TEXT.fullmatch(value):  # as the description's pattern: no separator, no space
        raise ValueError(_money_message("not_a_number"))
    try:
        return parse_wan(value)
    except MoneyError as error:
        raise ValueError(_money_message(error.code)) from None


def _money_message(code: str) -> str:
    return {
        "negative": _("An amount is positive: the kind of record gives its direction."),
        "too_precise": _("At most 6 decimals of 万元 (the fen)."),
        "too_large": _("The amount is too large."),
    }.get(code, _('An amount is a decimal string such as "1200.5".'))


# A request's amount in 万元 (`_wan` fields), held as yuan once read.
WanIn = Annotated[
    Decimal,
    BeforeValidator(_wan_to_yuan),
    WithJsonSchema(
        {"type": "string", "pattern": WAN_PATTERN, "description": "万元, a decimal string"}
    ),
]
# An answer's amount in 万元, from yuan: exact, without trailing zeros.
WanOut = Annotated[
    Decimal,
    PlainSerializer(wan_text, return_type=str),
    WithJsonSchema({"type": "string", "pattern": WAN_PATTERN, "description": "万元"}),
]
# An answer's metric in yuan with 2 places (DOMAIN.md section 6).
Yuan = Annotated[
    Decimal,
    PlainSerializer(money_text, return_type=str),
    WithJsonSchema({"type": "string", "pattern": YUAN_PATTERN, "description": "yuan"}),
]


def _iso_day(value: Any) -> date:
    """A date written YYYY-MM-DD (DOMAIN.md section 9): nothing else is read as one."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not DAY.fullmatch(value):
        raise ValueError(_("A date is written YYYY-MM-DD."))
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(_("%(value)s is not a date.", value=value)) from None


# A business date in a request (a query's or a body's), read only from YYYY-MM-DD.
Day = Annotated[
    date, BeforeValidator(_iso_day), WithJsonSchema({"type": "string", "format": "date"})
]


def _whole_number(value: Any) -> Any:
    """JSON's 5.0 is the integer 5 (JSON Schema's `integer`); "5", true or 5.5 are left for
    the strict check to refuse."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def integer(ge: int | None = None, le: int | None = None):
    """An integer in a body: 5 or 5.0 (JSON Schema's `integer`), never "5", true or 5.5; its
    bounds first, so that the description shows them (minimum, maximum)."""
    return Annotated[int, Field(ge=ge, le=le), BeforeValidator(_whole_number)]


# A record's id in a query or a body: within the databases' INTEGER ids.
RecordId = integer(1, MAX_ID)


def code_of(vocabulary, *extra: str):
    """A code of one of DOMAIN.md's vocabularies (its name or itself), or one of `extra`; an
    unknown one is refused naming the codes there are."""
    terms = VOCABULARIES[vocabulary] if isinstance(vocabulary, str) else vocabulary
    codes = [*terms.codes, *extra]

    def known(value: str) -> str:
        if value not in codes:
            raise ValueError(
                _("Unknown code “%(code)s”: one of %(codes)s.", code=value, codes=", ".join(codes))
            )
        return value

    return Annotated[str, AfterValidator(known), WithJsonSchema({"type": "string", "enum": codes})]


def text(max_length: int, min_length: int = 0):
    """Text of a bounded length (the column's); no control characters."""
    return Annotated[
        str, Field(min_length=min_length, max_length=max_length, pattern=r"^[^\x00-\x1f\x7f]*$")
    ]


def long_text(max_length: int):
    """Notes and descriptions: line breaks allowed, other control characters not."""
    return Annotated[
        str, Field(max_length=max_length, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")
    ]


class PageQuery(Strict):
    page: int = Field(default=1, ge=1, le=1_000_000, description="1 is the first page.")
    per_page: int = Field(default=DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE)


class PageInfo(BaseModel):
    page: int
    per_page: int
    total: int = Field(description="Rows matching; a broad search counts no further than a cap.")
    total_capped: bool = Field(description="True when `total` is the cap, not the exact count.")
    has_next: bool


def page_info(page) -> PageInfo:
    return PageInfo(
        page=page.number,
        per_page=page.per_page,
        total=page.total,
        total_capped=page.capped,
        has_next=page.has_next,
    )
