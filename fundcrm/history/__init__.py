"""History people can read: audit entries turned into labelled changes in the user's language.

`labels.LABELS` says, for every audited table and column, what a reader calls it and how its
values read: vocabulary labels for codes, names for the ids of other records, 万元 for yuan,
the fund's time zone for instants, 是/否 for flags. `readable()` turns a page of audit entries
into plain `Event`s, reading every referenced record's name in one query per kind of record
(`names`), so a page costs a fixed number of statements whatever its length. Templates render
them through `templates/_macros/history.html`.
"""

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from babel.dates import get_datetime_format
from flask_babel import format_date, format_decimal, format_time, get_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from fundcrm import clock
from fundcrm.domain.vocab import VOCABULARIES
from fundcrm.history.columns import (
    ACCOUNT,
    ACTIONS,
    ACTORS,
    BYTES,
    CODE,
    CODES,
    DAY,
    FLAG,
    INSTANT,
    MASKED,
    MESSAGE,
    MONEY,
    MULTIPLE,
    PERCENT,
    REF,
    REFS,
    REFUSAL_COLUMNS,
    SECONDS,
    Column,
)
from fundcrm.history.labels import LABELS
from fundcrm.history.names import Names, joined
from fundcrm.i18n import format_wan, list_separator, vocab_label
from fundcrm.models import AuditEntry

MISSING = "—"
MASK = "***"


@dataclass(frozen=True)
class Change:
    column: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class Event:
    """One audit entry as a person reads it: every text already in the user's language."""

    id: int
    at: datetime
    when: str  # in the fund's time zone
    actor: str
    account: str  # the email (or cli, demo) the entry was recorded under
    action: str
    action_label: str
    table: str
    table_label: str
    row_id: str
    record: str
    changes: tuple[Change, ...] = field(default=())


def column(table: str, name: str) -> Column:
    """How a column reads; a column no table lists (an old entry) reads as its own name."""
    spec = LABELS.get(table)
    found = spec.columns.get(name) if spec else None
    return found or REFUSAL_COLUMNS.get(name) or Column(name)


def table_label(table: str) -> str:
    spec = LABELS.get(table)
    return str(spec.label) if spec else table


def table_choices(tables: Iterable[str]) -> list[tuple[str, str]]:
    """Filter choices for audited tables, by their label in the user's language."""
    return sorted(((t, table_label(t)) for t in tables), key=lambda choice: choice[1])


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _parsed(kind: str, value):
    """A stored value back as the type its kind shows; None when it does not parse."""
    try:
        if kind == DAY:
            return date.fromisoformat(str(value)[:10])
        if kind == INSTANT:
            return datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return _decimal(value)


def _code_label(spec: Column, code) -> str:
    if spec.vocabulary in VOCABULARIES:
        return vocab_label(spec.vocabulary, str(code))
    label = (spec.choices or {}).get(code)
    return str(label) if label is not None else str(code)


def _number(kind: str, value) -> str:
    amount = _parsed(kind, value)
    if amount is None:
        return str(value)
    if kind == MONEY:
        return f"{format_wan(amount, exact=True)} 万元"
    if kind == PERCENT:
        return f"{format_decimal(amount.normalize())}%"
    if kind == MULTIPLE:
        return f"{format_decimal(amount.normalize())}×"
    if kind == SECONDS:
        return gettext("%(days)s days", days=format_decimal(round(amount / 86400, 1)))
    return f"{format_decimal(max(round(amount / 1024, 1), Decimal('0.1')))} KB"


def local_time(instant: datetime) -> str:
    """An instant as the date and time on the fund's clock (a naive one is UTC): the date as
    the rest of the pages write it, then hours and minutes ("Nov 30, 2026, 05:10",
    "2026年11月30日 05:10"), joined as the language joins a date and a time."""
    aware = instant if instant.tzinfo else instant.replace(tzinfo=UTC)
    local = aware.astimezone(clock.zone())
    day = format_date(local, "medium", rebase=False)
    hour = format_time(local, "HH:mm", rebase=False)
    return get_datetime_format("medium", locale=get_locale()).format(hour, day)


def _moment(kind: str, value) -> str:
    moment = _parsed(kind, value)
    if moment is None:
        return str(value)
    return local_time(moment) if isinstance(moment, datetime) else format_date(moment)


def _pair(change) -> tuple:
    """A change's (old, new), also from an entry written in another shape."""
    if isinstance(change, list | tuple) and len(change) == 2:
        return change[0], change[1]
    return None, change


def _listed(values) -> list:
    return values if isinstance(values, list) else [values]


def value_text(spec: Column, value, found: Names) -> str:
    """One stored value as the user reads it ('—' for none)."""
    if value is None or value == "" or value == []:
        return MISSING
    kind = spec.kind
    if kind == MASKED:
        return MASK
    if kind == CODE:
        return _code_label(spec, value)
    if kind == CODES:
        return list_separator().join(_code_label(spec, v) for v in _listed(value))
    if kind == REF:
        return found.of(spec.target, value) or f"#{value}"
    if kind == REFS:
        return list_separator().join(found.of(spec.target, v) or f"#{v}" for v in _listed(value))
    if kind == ACCOUNT:
        return found.of("accounts", value) or str(ACTORS.get(value, value))
    if kind == FLAG:
        return gettext("Yes") if value in (True, 1, "true") else gettext("No")
    if kind in (DAY, INSTANT):
        return _moment(kind, value)
    if kind in (MONEY, PERCENT, MULTIPLE, SECONDS, BYTES):
        return _number(kind, value)
    if kind == MESSAGE:
        return gettext(str(value))
    if isinstance(value, list):
        return list_separator().join(str(v) for v in value)
    return str(value)


def _wanted(spec: Column, value, found: Names) -> None:
    if spec.kind == ACCOUNT:
        found.want("accounts", value)
    elif spec.kind in (REF, REFS):
        for item in _listed(value) if value is not None else []:
            found.want(spec.target, item)


def _key_parts(table: str, row_id: str) -> list[tuple[Column, str]]:
    spec = LABELS.get(table)
    key = spec.key if spec else (Column(_l("Record ID")),)
    return list(zip(key, row_id.split("/", len(key) - 1), strict=False))


def _record(entry: AuditEntry, changes: dict, found: Names) -> str:
    """The record an entry is about, by name; a deleted one by the name its entry holds."""
    parts = _key_parts(entry.table_name, entry.row_id)
    texts = [value_text(spec, part, found) for spec, part in parts]
    spec = LABELS.get(entry.table_name)
    own = parts[0][0] if parts else None
    if spec and spec.title and own.kind == REF and found.of(own.target, parts[0][1]) is None:
        old, new = _pair(changes.get(spec.title))
        texts[0] = str(new or old or texts[0])
    return joined(*texts)


def _shown(entry: AuditEntry, changes: dict, found: Names, skip) -> tuple[Change, ...]:
    spec = LABELS.get(entry.table_name)
    order = list(spec.columns) if spec else []
    names_in_order = sorted(
        changes, key=lambda n: (order.index(n) if n in order else len(order), n)
    )
    shown = []
    for name in names_in_order:
        col = column(entry.table_name, name)
        if skip(name, col):
            continue
        old, new = _pair(changes[name])
        shown.append(
            Change(name, str(col.label), value_text(col, old, found), value_text(col, new, found))
        )
    return tuple(c for c in shown if not _repeats(entry.table_name, c, shown))


def _repeats(table: str, change: Change, shown: list[Change]) -> bool:
    """Whether a change only says again what another one says (the account of the user who
    moved a deal, read as that user's name): it shows only when it reads otherwise, e.g.
    for a user since deleted, or the command line."""
    other = column(table, change.column).repeats
    return other is not None and any(
        (c.column, c.old, c.new) == (other, change.old, change.new) for c in shown
    )


def who(user_id: int | None, account: str, found: Names) -> str:
    """Who changed data: the user's name, else what the account label stands for (the command
    line, the demo data) or the label itself."""
    name = found.of("users", user_id) if user_id is not None else None
    return name or str(ACTORS.get(account, account))


def _actor(entry: AuditEntry, found: Names) -> str:
    return who(entry.actor_id, entry.actor_label, found)


def readable(
    db: Session,
    entries: Iterable[AuditEntry],
    *,
    hide: Collection[str] = (),
    bookkeeping: bool = False,
) -> list[Event]:
    """Audit entries as people read them, in the order given.

    Columns named in `hide`, and bookkeeping columns (ids, versions, update times) unless
    `bookkeeping`, are left out: the audit trail shows everything, a record's page what
    people follow.
    """
    entries = list(entries)
    parsed = [json.loads(entry.changes or "{}") for entry in entries]
    found = Names()
    for entry, changes in zip(entries, parsed, strict=True):
        found.want("users", entry.actor_id)
        for spec, part in _key_parts(entry.table_name, entry.row_id):
            _wanted(spec, part, found)
        for name, change in changes.items():
            for value in _pair(change):
                _wanted(column(entry.table_name, name), value, found)
    found.read(db)

    def skip(name: str, col: Column) -> bool:
        return name in hide or (col.bookkeeping and not bookkeeping)

    return [
        Event(
            id=entry.id,
            at=entry.at,
            when=local_time(entry.at),
            actor=_actor(entry, found),
            account=entry.actor_label,
            action=entry.action,
            action_label=str(ACTIONS.get(entry.action, entry.action)),
            table=entry.table_name,
            table_label=table_label(entry.table_name),
            row_id=entry.row_id,
            record=_record(entry, changes, found),
            changes=_shown(entry, changes, found, skip),
        )
        for entry, changes in zip(entries, parsed, strict=True)
    ]
