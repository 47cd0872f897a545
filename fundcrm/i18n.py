"""Language choice and per-language formatting of dates and numbers."""

from datetime import datetime
from functools import lru_cache

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.numbers import NumberPattern, parse_pattern
from flask import Flask, current_app, has_request_context, request, session, url_for
from flask_babel import Babel, format_datetime, get_locale, to_user_timezone
from flask_login import current_user

from fundcrm import clock
from fundcrm.domain.money import rounded_wan, rounded_yi, wan_text, yuan_to_wan
from fundcrm.domain.vocab import VOCABULARIES

babel = Babel()


def supported(code: str | None) -> bool:
    return code in current_app.config["LANGUAGES"]


def select_locale() -> str:
    """The user's saved choice, else this browser's choice, else Accept-Language, else zh_CN.
    The API answers in the request's Accept-Language first (a program chooses per request).

    Commands (no request) speak CLI_LOCALE, English by default, as server logs do.
    """
    if not has_request_context():
        return current_app.config["CLI_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    if request.path.startswith("/api/") and request.headers.get("Accept-Language"):
        best = request.accept_languages.best_match([code.replace("_", "-") for code in languages])
        if best:
            return best.replace("-", "_")
    if current_user and current_user.is_authenticated and supported(current_user.locale):
        return current_user.locale
    if supported(session.get("locale")):
        return session["locale"]
    best = request.accept_languages.best_match([code.replace("_", "-") for code in languages])
    if best:
        return best.replace("-", "_")
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_locale() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def vocab_label(vocabulary: str, code: str | None) -> str:
    if not code:
        return ""
    return VOCABULARIES[vocabulary].label(code, current_locale())


def vocab_labels(vocabulary: str, codes) -> str:
    """The codes' labels run together with the language's separator."""
    locale = current_locale()
    labels = VOCABULARIES[vocabulary].labels(locale)
    separator = "、" if locale.startswith("zh") else ", "
    return separator.join(labels.get(c, c) if c else "" for c in codes or [])


@lru_cache(maxsize=64)
def _number_pattern(locale: str, format: str | None) -> NumberPattern:
    """A number pattern parsed once per language and format, not once per table cell."""
    if format is None:
        return parse_pattern(Locale.parse(locale).decimal_formats[None])
    return parse_pattern(format)


def format_number(value, format: str | None = None) -> str:
    """What flask_babel.format_decimal gives, without parsing the pattern again."""
    locale = get_locale()
    return _number_pattern(str(locale), format).apply(value, locale, numbering_system="latn")


def format_day(value, format: str = "medium") -> str:
    """What flask_babel.format_date gives (a moment as the day it is in the user's time zone),
    each language, day and format written once: a list or a board shows the same few days
    over and over, and Babel reads the pattern on every call."""
    if not value:
        return ""
    if isinstance(value, datetime):
        value = to_user_timezone(value).date()
    return _day_text(current_locale(), value, format)


@lru_cache(maxsize=4096)
def _day_text(locale: str, day, format: str) -> str:
    return babel_format_date(day, format, locale=locale)


def list_separator() -> str:
    return "、" if current_locale().startswith("zh") else ", "


def format_wan(yuan, exact: bool = False) -> str:
    """Yuan shown as 万元 with two decimals (all six to the fen when `exact`), grouped per
    language ('' for no value)."""
    if yuan is None:
        return ""
    if exact:
        return format_number(yuan_to_wan(yuan), "#,##0.00####")
    return format_number(rounded_wan(yuan), "#,##0.00")


def init_app(app: Flask) -> None:
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories="translations"
    )
    app.jinja_env.filters.update(
        date=format_day,
        datetime=lambda value, fmt="medium": format_datetime(value, fmt) if value else "",
        number=lambda value: format_number(value) if value is not None else "",
        vocab=lambda code, vocabulary: vocab_label(vocabulary, code),
        vocab_list=lambda codes, vocabulary: vocab_labels(vocabulary, codes),
        # names or labels run together with the language's separator (、 or ", ")
        listed=lambda items: list_separator().join(str(i) for i in items or []),
        wan=format_wan,
        yi=lambda yuan: format_number(rounded_yi(yuan), "#,##0.00") if yuan is not None else "",
        wan_exact=wan_text,
        # a percentage as written, never in Decimal's scientific form (10, not 1E+1)
        percent_text=lambda value: (
            f"{format(value.normalize(), 'f')}%" if value is not None else ""
        ),
    )
    app.context_processor(lambda: {"today": clock.today()})
    app.jinja_env.globals.update(
        current_locale=current_locale,
        vocab_choices=lambda name: VOCABULARIES[name].choices(current_locale()),
        # the |vocab filter with the page's language looked up once, for a list's or board's rows
        vocab_labeller=vocab_labeller,
        url_pattern=url_pattern,
    )


def vocab_labeller(vocabulary: str):
    """What `code|vocab(vocabulary)` gives, as a function of the code, the language found once."""
    labels = VOCABULARIES[vocabulary].labels(current_locale())
    return lambda code: labels.get(code, code) if code else ""


URL_MARKER = 987654321  # an id no route holds, replaced by each row's own


def url_pattern(endpoint: str, key: str):
    """`url_for(endpoint, key=id)` for many ids: the URL is built once with a marker id and
    each row's id is put in its place (a board's 180 cards each link to their deal and their
    move; url_for each time cost about 7 ms a board)."""
    head, tail = url_for(endpoint, **{key: URL_MARKER}).split(str(URL_MARKER))
    return lambda value: f"{head}{value}{tail}"
