"""The vocabulary of the audit trail's labels: how a column's values read, and the helpers the
label tables (fundcrm.history.labels and its companions) are written with."""

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

# How a column's values read.
TEXT = "text"
CODE = "code"  # a vocabulary code (or a code of `choices`)
CODES = "codes"  # a list of such codes
REF = "ref"  # the id of another record, shown by its name
REFS = "refs"  # a list of such ids
ACCOUNT = "account"  # a user's email (or cli, demo), shown as the user's name
MONEY = "money"  # yuan, shown in 万元
FLAG = "flag"
DAY = "day"
INSTANT = "instant"
PERCENT = "percent"
MULTIPLE = "multiple"  # a ratio such as 1.2×
SECONDS = "seconds"  # a duration, shown in days
BYTES = "bytes"
MASKED = "masked"  # a secret: only whether it was set
MESSAGE = "message"  # a refusal's message, kept in English, read in the user's language

ACTIONS = {
    "create": _l("created"),
    "update": _l("updated"),
    "delete": _l("deleted"),
    "refused": _l("refused"),
}
# Who changed data when no one was signed in (see audit.set_actor).
ACTORS = {"cli": _l("command line"), "demo": _l("demo data"), "system": _l("system")}


@dataclass(frozen=True)
class Column:
    label: object  # a lazy string
    kind: str = TEXT
    vocabulary: str | None = None  # a name in VOCABULARIES, for CODE and CODES
    choices: Mapping[str, object] | None = None  # the labels of codes no vocabulary holds
    target: str | None = None  # the kind of record a REF or REFS names (see NAMES)
    bookkeeping: bool = False  # kept for the trail, left out where people follow a record
    # another column this one only repeats when both read alike (a move's account and mover):
    # then it is left out
    repeats: str | None = None


@dataclass(frozen=True)
class Table:
    label: object
    key: tuple[Column, ...]  # how each part of a row id ("7", "7/risk") reads
    columns: dict[str, Column]
    title: str | None = None  # the column that names a row the database no longer holds


def text(label):
    return Column(label)


def code(label, vocabulary=None, choices=None):
    return Column(label, CODE, vocabulary=vocabulary, choices=choices)


def codes(label, vocabulary=None, choices=None):
    return Column(label, CODES, vocabulary=vocabulary, choices=choices)


def ref(label, target):
    return Column(label, REF, target=target)


def kept(label, kind=TEXT):
    return Column(label, kind, bookkeeping=True)


# What an attempt the rules refused tried (audit.refusal): the entry's two columns, whatever
# the table.
ATTEMPTS = {
    "vote": _l("cast a vote"),
    "close": _l("close the vote"),
    "change_decision": _l("change a closed decision"),
    "edit_submitted": _l("edit a submitted memo version"),
    "add_item": _l("put a memo on the agenda"),
    "remove_item": _l("take a memo off the agenda"),
    "resolve_condition": _l("resolve a condition"),
    "record_decision": _l("record a historical decision"),
    "record_transaction": _l("record a portfolio transaction"),
    "add_mark": _l("enter a valuation mark"),
    "review_mark": _l("review a valuation mark"),
    "record_flow": _l("record an LP call or distribution"),
    "record_expense": _l("record a fee or an expense"),
    "record_kpi": _l("record a company's KPIs"),
    "add_milestone": _l("add a company's milestone"),
    "perform_override": _l("perform a move with an override"),
    "decline_override": _l("decline an override request"),
    "withdraw_override": _l("withdraw an override request"),
}
REFUSAL_COLUMNS = {
    "refused": Column(_l("Refused attempt"), CODE, choices=ATTEMPTS),
    "reason": Column(_l("Refused because"), MESSAGE),
}

ID = kept(_l("Record ID"))
VERSION = kept(_l("Version"))
CREATED = Column(_l("Created"), INSTANT)
UPDATED = kept(_l("Updated"), INSTANT)
COMPANY = ref(_l("Company"), "companies")
DEAL = ref(_l("Deal"), "deals")
SUB_FUND = ref(_l("Sub-fund"), "sub_funds")
CREATED_BY = ref(_l("Created by"), "users")
# the search index's tokens of a record's text (fundcrm.search)
SEARCH_TOKENS = kept(_l("Search tokens"))
# the company list's sort key, repeating the company's first application field
FIRST_FIELD = Column(_l("First application field"), CODE, "application_field", bookkeeping=True)


def own(label, target):
    """The key of a table whose rows are named by their own id."""
    return (ref(label, target),)
