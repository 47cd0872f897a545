"""What every kind's importer shares: the context, messages, and comparing values.

An importer works in two steps. `plan` checks every row in memory against records fetched
in bulk and says what each row would do (new / update / unchanged / error) without
writing; `write` then applies the plan through the domain services (flush only: the caller
commits once, so an import is all-or-nothing).
"""

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlmodel import Session

from fundcrm import clock
from fundcrm.imports.queries import IN_CHUNK, chunks  # noqa: F401 (the importers' helpers)
from fundcrm.imports.report import ERROR, NEW, UNCHANGED, UPDATE, ImportReport, RowResult
from fundcrm.imports.table import Row, Table
from fundcrm.models import User
from fundcrm.permissions import user_can


class WriteRefused(Exception):
    """A service refused a row the plan had accepted (the data changed meanwhile)."""

    def __init__(self, row: int, column: str, message):
        super().__init__(str(message))
        self.row, self.column, self.message = row, column, str(message)


@dataclass
class Context:
    db: Session
    report: ImportReport
    settings: dict  # the app's config
    user: User | None  # who imports (None: the command without --as)
    now: datetime
    # imported marks count at once from the command line, or when risk imports them on the web
    marks_count: bool = True

    @property
    def today(self) -> date:
        """Today in the fund's time zone."""
        return clock.local_date(self.now)


def make_context(
    db: Session, report: ImportReport, settings, user: User | None, web: bool = False
) -> Context:
    # the risk role reviews marks: its imports are the second pair of eyes already
    counted = not web or user_can(user, "review_marks")
    return Context(db, report, settings, user, clock.now(), counted)


def same(old, new) -> bool:
    """Equal as stored: lists compare as sets (their order carries no meaning)."""
    if old == new:
        return True
    if isinstance(old, list | tuple) or isinstance(new, list | tuple):
        return set(old or []) == set(new or [])
    return old == new


def changes(current: dict, wanted: dict) -> dict:
    """The wanted values that differ from the current ones."""
    return {k: v for k, v in wanted.items() if not same(current.get(k), v)}


class Importer(ABC):
    def __init__(self, context: Context, table: Table):
        self.ctx = context
        self.db = context.db
        self.report = context.report
        self.table = table
        self.failed: set[int] = set()  # row numbers with an error

    def error(self, row: Row | int, code: str, message) -> None:
        number = row if isinstance(row, int) else row.number
        self.failed.add(number)
        self.report.error(number, self.table.heading(code), message)

    def warn(self, row: Row, code: str, message) -> None:
        self.report.warn(row.number, self.table.heading(code), message)

    def bad_rows(self) -> set[int]:
        """Rows with a cell error (from parsing) or a row error (from the plan)."""
        return self.failed | {r.number for r in self.table.rows if r.bad}

    def require(self, row: Row, codes: Iterable[str]) -> bool:
        """A new record needs every required column filled; errors name each blank one."""
        missing = [c for c in codes if not row.has(c) and c not in row.bad]
        for code in missing:
            self.error(row, code, _("A new record needs a value here."))
        return not missing

    def missing_key(self, row: Row, code: str) -> None:
        """A blank cell in a column that identifies the record (invalid cells have their own
        error already)."""
        if code not in row.bad:
            self.error(row, code, _("A value is needed here: it identifies the record."))

    def duplicate(self, row: Row, code: str, first: int, value) -> None:
        self.error(
            row,
            code,
            _(
                "%(value)s appears twice in the file: rows %(first)s and %(row)s.",
                value=value,
                first=first,
                row=row.number,
            ),
        )

    def result(
        self, row: Row, key: str, status: str, changed: Iterable[str] = (), label: str = ""
    ) -> None:
        self.report.rows.append(RowResult(row.number, key, status, sorted(changed), label))

    @staticmethod
    def status(existing, changed: dict) -> str:
        if existing is None:
            return NEW
        return UPDATE if changed else UNCHANGED

    def finish(self) -> None:
        """Rows in file order, errored rows shown as errors; records counted by status."""
        bad = self.bad_rows()
        statuses: dict[str, str] = {}
        for result in self.report.rows:
            if result.row in bad:
                result.status = ERROR
            else:
                statuses.setdefault(result.key, result.status)
        self.report.count(statuses)
        self.report.rows.sort(key=lambda r: r.row)

    @abstractmethod
    def plan(self) -> None:
        """Check every row and record what it would do; no writes."""

    @abstractmethod
    def write(self) -> None:
        """Apply the plan (only called when it has no error); flush only."""


class Recorded:
    """Records with no identity of their own (transactions, marks, LP flows, expenses): a row
    equal to a recorded one on `key` is that record, each recorded one matched once, so
    re-importing a file (or an export) changes nothing, and two equal rows are two records."""

    def __init__(self, records: Iterable, key):
        self.left: dict = {}
        for record in records:
            self.left.setdefault(key(record), []).append(record)

    def take(self, key):
        """The first recorded one not yet matched with this key, or None."""
        found = self.left.get(key)
        return found.pop(0) if found else None


class LedgerImporter(Importer):
    """An importer of records that only ever add up (Recorded): each row's key in the report
    is made unique with its occurrence, so equal rows count as the records they are."""

    def keyed(self, key: str) -> str:
        seen = getattr(self, "_seen_keys", None)
        if seen is None:
            seen = self._seen_keys = {}
        seen[key] = seen.get(key, 0) + 1
        return key if seen[key] == 1 else f"{key} #{seen[key]}"

    def sub_fund(self, row: Row, funds: dict):
        code = row.get("sub_fund")
        fund = funds.get(code) if code else None
        if code is None:
            self.missing_key(row, "sub_fund")
        elif fund is None:
            self.error(row, "sub_fund", _("Unknown sub-fund: %(code)s", code=code))
        return fund

    def needs(self, row: Row, codes: Iterable[str]) -> bool:
        """Every one of these cells is filled and valid (a blank one is reported)."""
        for code in codes:
            if not row.has(code):
                self.missing_key(row, code)
        return all(row.has(code) for code in codes)
