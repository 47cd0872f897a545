"""Exports in the import's columns (codes as headers), so an export re-imports unchanged.

Amounts are exact 万元, vocabularies are codes, lists are joined with `;`. A text that a
spreadsheet would run as a formula (=, +, -, @) is a text cell in XLSX and starts with `'` in
CSV; a text that itself starts with `'` gets one more, since the import drops one. CSV is
UTF-8 with a BOM, which Excel in China needs to open it.

An export *for reading* (labels in a language) writes the same rows for people to hand over:
headers and vocabularies as labels in that language, yes/no, amounts in 万元 rounded to two
decimals as the screens show them. It is not meant to be imported again.

Exports are written as the rows are read, in bounded memory whatever their size: the rows come
from SQLAlchemy Core statements (no ORM objects), YIELD at a time; the web streams the file
(`stream`), the command writes it under a temporary name renamed when complete (`write_file`).
"""

import contextlib
import os
import secrets
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from flask_babel import gettext as _
from sqlmodel import Session

from fundcrm import listing, progress
from fundcrm.companies import queries as company_queries
from fundcrm.deals import queries
from fundcrm.imports import queries as import_queries
from fundcrm.imports import sheets
from fundcrm.imports.formats import KINDS, Kind
from fundcrm.models import Commitment, SubFund

YIELD = 1000  # rows fetched per round trip
SEND_CHUNK = 256 * 1024  # bytes per chunk of a streamed XLSX file
STALE_AFTER = 3600  # seconds after which a leftover export file is removed
FORMATS = ("xlsx", "csv")
LANGUAGES = ("zh", "en")

# list filter (query parameter, `--option` of the command) → the kinds it applies to
LEDGERS = tuple(import_queries.LEDGER_EXPORTS)
LIST_FILTERS = {
    "sub_fund": ("deals", "commitments", *LEDGERS),
    "stage": ("deals",),
    "round": ("deals",),
    "source": ("deals",),
    "owner_email": ("deals",),
    "focus_area": ("deals", "companies"),
    "enterprise_stage": ("deals", "companies"),
    "application_fields": ("deals", "companies"),
    "zone": ("deals", "companies"),
    "district": ("deals", "companies"),
    "city": ("deals", "companies"),
    "created_from": ("deals", "companies"),
    "created_to": ("deals", "companies"),
    "q": ("deals", "companies"),
    "sort": ("deals", "companies"),
}


class ExportError(ValueError):
    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


# -- rows ---------------------------------------------------------------------------------


def _stream(db: Session, query):
    """The rows of a Core query fetched YIELD at a time (a server-side cursor on PostgreSQL),
    each as column code → value: memory stays bounded whatever the number of rows."""
    result = db.connection().execute(query.execution_options(yield_per=YIELD))
    keys = list(result.keys())
    for batch in result.partitions():
        yield [dict(zip(keys, row, strict=True)) for row in batch]
        progress.advance(len(batch))


def _companies(db: Session, filters) -> Iterator[dict]:
    """Companies as plain rows, with their application fields fetched per batch of YIELD."""
    connection = db.connection()
    for batch in _stream(db, import_queries.companies_to_export(filters)):
        fields = import_queries.application_fields(connection, [c["id"] for c in batch])
        for company in batch:
            yield {**company, "application_fields": fields.get(company["id"], [])}


def _rows(db: Session, query) -> Iterator[dict]:
    """The rows of one joined statement (deals: one row per participation)."""
    for batch in _stream(db, query):
        yield from batch


def _sub_fund_row(f: SubFund) -> dict:
    values = {k: getattr(f, k, None) for k in KINDS["sub_funds"].by_code}
    return {**values, "target_wan": f.target_yuan}


def _commitment_row(c: Commitment) -> dict:
    return {
        "lp_name": c.lp.name,
        "lp_type": c.lp.lp_type,
        "is_government": c.lp.is_government,
        "sub_fund": c.sub_fund.code,
        "committed_wan": c.committed_yuan,
        "committed_on": c.committed_on,
        "reinvest_ratio": c.reinvest_ratio,
        "reinvest_area": c.reinvest_area,
        "reinvest_base": c.reinvest_base,
    }


def check_filters(kind: str, args) -> None:
    """Every query parameter must be a list filter of the kind: an export never silently
    ignores one (it would hand over more than the list showed)."""
    wrong = [name for name in args if kind not in LIST_FILTERS.get(name, ())]
    if wrong:
        known = ", ".join(n for n, kinds in LIST_FILTERS.items() if kind in kinds) or "—"
        raise ExportError(
            [
                _(
                    "Unknown filter for %(kind)s: %(names)s. The filters are: %(known)s.",
                    kind=kind,
                    names=", ".join(wrong),
                    known=known,
                )
            ]
        )


def reading_language(values: list[str], locale: str) -> str | None:
    """The `labels` query parameter: absent for the interchange format, `1` for reading in
    the user's language (`locale`)."""
    if not values:
        return None
    if values != ["1"]:
        raise ExportError([_("labels takes the value 1 (an export for reading).")])
    return "zh" if locale.startswith("zh") else "en"


def _filters(db: Session, args, sorts: dict, default: str):
    filters = listing.parse_filters(args, db, sorts, default)
    if filters.errors:
        raise ExportError(filters.errors)
    return filters


def _listed(db: Session, kind: str, args):
    """The list filters of a companies or deals export (None for the other kinds)."""
    check_filters(kind, args)
    if kind == "companies":
        return _filters(db, args, company_queries.COMPANY_SORTS, company_queries.DEFAULT_SORT)
    if kind == "deals":
        return _filters(db, args, queries.DEAL_SORTS, queries.DEFAULT_DEAL_SORT)
    return None


def count_rows(db: Session, kind: str, args, at_most: int | None = None) -> int:
    """How many rows the export writes (at most `at_most` counted); ExportError as `records`."""
    filters = _listed(db, kind, args)
    if kind == "companies":
        return import_queries.count_rows(db, import_queries.companies_to_export(filters), at_most)
    if kind == "deals":
        return import_queries.count_rows(db, import_queries.deal_rows_to_export(filters), at_most)
    if kind in LEDGERS:
        return import_queries.count_rows(db, _ledger_query(db, kind, args), at_most)
    return sum(1 for _row in records(db, kind, args))


def records(db: Session, kind: str, args) -> Iterator[dict]:
    """The kind's records matching the list filters in `args` (a MultiDict), as column code →
    value; ExportError names each bad filter."""
    filters = _listed(db, kind, args)
    if kind == "companies":
        return _companies(db, filters)
    if kind == "deals":
        return _rows(db, import_queries.deal_rows_to_export(filters))
    if kind == "sub_funds":
        return (_sub_fund_row(f) for f in import_queries.sub_funds_by_code(db))
    if kind in LEDGERS:
        return _rows(db, _ledger_query(db, kind, args))
    return (_commitment_row(c) for c in import_queries.commitments_to_export(db, _codes(db, args)))


def _codes(db: Session, args) -> list[str]:
    """The sub-fund codes asked for (every sub-fund when none); ExportError names unknown ones."""
    codes = [c.strip().upper() for c in args.getlist("sub_fund") if c.strip()]
    if unknown := import_queries.unknown_sub_funds(db, codes):
        raise ExportError([_("Unknown sub-fund: %(code)s", code=", ".join(unknown))])
    return codes


def _ledger_query(db: Session, kind: str, args):
    return import_queries.LEDGER_EXPORTS[kind](_codes(db, args))


def write_file(db: Session, kind: str, fmt: str, args, out: Path, language=None) -> int:
    """Write the export to `out` under a temporary name in the same folder, renamed when
    complete: `out` is never a half-written file, and a failed export leaves nothing.
    ExportError (bad filters) before anything is written. Returns the number of rows."""
    total = count_rows(db, kind, args)
    progress.begin(total, "rows")
    rows = records(db, kind, args)
    # a name of its own (not mkstemp: the file keeps the usual permissions, not 0600)
    part = out.with_name(f".{out.name}.{secrets.token_hex(4)}.part")
    try:
        with part.open("xb") as file:
            if fmt == "xlsx":
                sheets.save_xlsx(KINDS[kind], rows, file, language)
            else:
                file.writelines(sheets.csv_chunks(KINDS[kind], rows, language))
        os.replace(part, out)
    finally:
        part.unlink(missing_ok=True)
    return total


def stream(engine, kind: str, fmt: str, args, folder: Path, language=None) -> Iterator[bytes]:
    """The export's bytes as they are written, for a streamed response; ExportError (bad
    filters) is raised here, before the first byte. The rows are read in a session the stream
    opens and closes itself: the request's session is closed when the view returns, before
    the first byte is sent. A CSV is written as it is sent; an XLSX (a zip, written whole)
    goes to a temporary file in `folder` first."""
    with Session(engine) as checking:
        records(checking, kind, args)
    return _streamed(engine, kind, fmt, args, folder, language)


def _streamed(engine, kind: str, fmt: str, args, folder: Path, language) -> Iterator[bytes]:
    with Session(engine) as session:
        rows = records(session, kind, args)
        if fmt == "csv":
            yield from sheets.csv_chunks(KINDS[kind], rows, language)
        else:
            yield from _xlsx_chunks(KINDS[kind], rows, folder, language)


def _xlsx_chunks(kind: Kind, rows, folder: Path, language) -> Iterator[bytes]:
    """The file is made on the first chunk asked for, so a response closed before that leaves
    none; `finally` removes it however the generator ends (sent, failed or closed)."""
    _purge(folder)
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=folder, prefix="export-", suffix=".xlsx")
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as file:
            sheets.save_xlsx(kind, rows, file, language)
        with path.open("rb") as file:
            while chunk := file.read(SEND_CHUNK):
                yield chunk
    finally:
        path.unlink(missing_ok=True)


def _purge(folder: Path) -> None:
    """Remove the files of exports that ended without cleaning up (a killed worker)."""
    if not folder.is_dir():
        return
    stale = time.time() - STALE_AFTER
    for path in folder.glob("export-*.xlsx"):
        with contextlib.suppress(OSError):  # another request may be removing it too
            if path.stat().st_mtime < stale:
                path.unlink()
