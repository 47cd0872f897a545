"""Language choice and per-language formatting of dates and numbers."""

import json
from datetime import datetime
from decimal import Decimal

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import Babel, format_date, format_datetime, format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from fundcrm import clock
from fundcrm.domain.money import rounded_wan, rounded_yi, wan_text, yuan_to_wan
from fundcrm.domain.vocab import VOCABULARIES

babel = Babel()

# What each audited table holds, for people reading the trail.
TABLE_LABELS = {
    "users": _l("User"),
    "user_roles": _l("Role"),
    "fund_settings": _l("Fund settings"),
    "sub_funds": _l("Sub-fund"),
    "lps": _l("LP"),
    "commitments": _l("Commitment"),
    "companies": _l("Company"),
    "company_fields": _l("Application field"),
    "contacts": _l("Contact"),
    "deals": _l("Deal"),
    "deal_sub_funds": _l("Sub-fund share"),
    "deal_team": _l("Deal team"),
    "stage_moves": _l("Stage move"),
    "stage_gates": _l("Gate"),
    "activities": _l("Activity"),
    "activity_users": _l("Activity participant"),
    "activity_contacts": _l("Activity participant"),
    "tasks": _l("Task"),
    "dd_items": _l("DD item"),
    "dd_template_items": _l("DD template item"),
    "documents": _l("Document"),
}

AUDIT_ACTIONS = {"create": _l("created"), "update": _l("updated"), "delete": _l("deleted")}


def supported(code: str | None) -> bool:
    return code in current_app.config["LANGUAGES"]


def select_locale() -> str:
    """The user's saved choice, else this browser's choice, else Accept-Language, else zh_CN.

    Commands (no request) speak CLI_LOCALE, English by default, as server logs do.
    """
    if not has_request_context():
        return current_app.config["CLI_LOCALE"]
    if current_user and current_user.is_authenticated and supported(current_user.locale):
        return current_user.locale
    if supported(session.get("locale")):
        return session["locale"]
    languages = current_app.config["LANGUAGES"]
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


# Audited fields whose values are vocabulary codes, by field name.
FIELD_VOCABULARIES = {
    "focus_area": "focus_area",
    "enterprise_stage": "enterprise_stage",
    "zone": "zone",
    "district": "district",
    "round": "round",
    "source": "source",
    "stage": "stage",
    "return_stage": "stage",
    "from_stage": "stage",
    "to_stage": "stage",
    "specialized_level": "specialized_level",
    "lp_type": "lp_type",
    "kind": "activity_kind",
    "severity": "severity",
    "workstream": "dd_workstream",
    "reinvest_base": "reinvest_base",
    "role": "role",
    "field": "application_field",
}


def audit_value(field: str, value) -> str:
    """An audited value as a user reads it: labels for codes, 万元 for yuan, local times."""
    if value is None or value == "":
        return "—"
    if field in FIELD_VOCABULARIES and isinstance(value, str):
        return vocab_label(FIELD_VOCABULARIES[field], value)
    if field.endswith("_yuan"):
        return f"{format_wan(Decimal(str(value)), exact=True)} 万元"
    if isinstance(value, str) and len(value) > 19 and value[10] == "T":
        try:
            return format_datetime(datetime.fromisoformat(value), "short")
        except ValueError:
            return value
    if isinstance(value, bool):
        return str(_l("Yes") if value else _l("No"))
    if isinstance(value, list):
        return list_separator().join(str(v) for v in value)
    return str(value)


def list_separator() -> str:
    return "、" if current_locale().startswith("zh") else ", "


def format_wan(yuan, exact: bool = False) -> str:
    """Yuan shown as 万元 with two decimals (all six to the fen when `exact`), grouped per
    language ('' for no value)."""
    if yuan is None:
        return ""
    if exact:
        return format_decimal(yuan_to_wan(yuan), format="#,##0.00####")
    return format_decimal(rounded_wan(yuan), format="#,##0.00")


def init_app(app: Flask) -> None:
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories="translations"
    )
    app.jinja_env.filters.update(
        date=lambda value, fmt="medium": format_date(value, fmt) if value else "",
        datetime=lambda value, fmt="medium": format_datetime(value, fmt) if value else "",
        number=lambda value: format_decimal(value) if value is not None else "",
        vocab=lambda code, vocabulary: vocab_label(vocabulary, code),
        vocab_list=lambda codes, vocabulary: list_separator().join(
            vocab_label(vocabulary, c) for c in codes or []
        ),
        wan=format_wan,
        yi=lambda yuan: (
            format_decimal(rounded_yi(yuan), format="#,##0.00") if yuan is not None else ""
        ),
        wan_exact=wan_text,
        fromjson=json.loads,
        audit_value=lambda value, field: audit_value(field, value),
        audit_action=lambda action: AUDIT_ACTIONS.get(action, action),
        table_label=lambda table: TABLE_LABELS.get(table, table),
    )
    app.context_processor(lambda: {"today": clock.today()})
    app.jinja_env.globals.update(
        current_locale=current_locale,
        vocab_choices=lambda name: VOCABULARIES[name].choices(current_locale()),
    )
