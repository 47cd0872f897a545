"""Run an import: read the file, check every row, and (unless a dry run) write it all or
nothing. The caller commits when `report.written`, as views and commands do; on any
refusal this rolls the session back, so nothing of the file is left behind."""

import hashlib
import re

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from fundcrm import progress
from fundcrm.db import bulk_cache
from fundcrm.imports import cells, queries, reader, table
from fundcrm.imports.formats import KINDS
from fundcrm.imports.importers.base import WriteRefused, make_context
from fundcrm.imports.importers.companies import CompaniesImporter
from fundcrm.imports.importers.deals import DealsImporter
from fundcrm.imports.importers.flows import ExpensesImporter, LpFlowsImporter
from fundcrm.imports.importers.funds import CommitmentsImporter, SubFundsImporter
from fundcrm.imports.importers.kpis import KpisImporter, MilestonesImporter
from fundcrm.imports.importers.portfolio import TransactionsImporter, ValuationsImporter
from fundcrm.imports.report import ImportReport
from fundcrm.models import User

IMPORTERS = {
    "sub_funds": SubFundsImporter,
    "commitments": CommitmentsImporter,
    "companies": CompaniesImporter,
    "deals": DealsImporter,
    "transactions": TransactionsImporter,
    "valuations": ValuationsImporter,
    "lp_flows": LpFlowsImporter,
    "expenses": ExpensesImporter,
    "kpis": KpisImporter,
    "milestones": MilestonesImporter,
}


def display_name(filename: str) -> str:
    """The file's own name without any folder, for showing it (never for storing it)."""
    return re.split(r"[/\\]", filename or "")[-1].strip()[:200]


def run_import(
    db: Session,
    kind: str,
    data: bytes,
    filename: str,
    *,
    user: User | None,
    settings,
    dry_run: bool = False,
    locale: str = "",
    web: bool = False,
) -> ImportReport:
    """Check and (unless dry_run) write; the report says what each row did or would do.
    `web`: uploaded on the web, where an imported mark waits for risk's review unless the
    user has the risk role (DOMAIN.md section 6)."""
    report = ImportReport(
        kind, display_name(filename), hashlib.sha256(data).hexdigest(), dry_run, locale
    )
    try:
        ext = reader.extension(filename)
        sheet = reader.read(data, ext, kind, reader.Limits.from_settings(settings))
    except reader.FileRefused as refused:
        report.error(0, "", refused.message)
        return report
    token = cells.ACCEPTED_PILOT_CODES.set(queries.accepted_pilot_codes(db))
    try:
        parsed = table.parse(KINDS[kind], sheet, report)
    finally:
        cells.ACCEPTED_PILOT_CODES.reset(token)
    if parsed is None:
        return report
    # checking counts each row once, writing once more
    progress.begin(len(parsed.rows) * (1 if dry_run else 2), "import")
    _plan_with_values(db)
    importer = IMPORTERS[kind](make_context(db, report, settings, user, web), parsed)
    importer.plan()
    if report.errors or dry_run:
        db.rollback()
        return report
    return _write(db, importer, report)


def _plan_with_values(db: Session) -> None:
    """psycopg prepares a statement once it has run 5 times, and PostgreSQL may then plan an
    `IN (…)` of 2,000 values generically, as a linear search per row: seconds per query on a
    freshly loaded table. The import's lookups are planned with their values instead (for
    this transaction only)."""
    connection = db.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")


def _write(db: Session, importer, report: ImportReport) -> ImportReport:
    try:
        with bulk_cache(db.connection()):
            importer.write()
    except WriteRefused as refused:
        db.rollback()
        report.error(refused.row, importer.table.heading(refused.column), refused.message)
        report.error(0, "", _("Nothing was written."))
        return report
    except IntegrityError:
        db.rollback()
        report.error(
            0,
            "",
            _(
                "Someone changed the same records while the import was being written, so "
                "nothing was written. Import the file again."
            ),
        )
        return report
    report.written = True
    return report
