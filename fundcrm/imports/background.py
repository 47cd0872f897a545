"""Exports and web imports too big for a request, as background jobs (fundcrm.jobs): the kinds
`export`, `import_check` and `import_write`. The check and the write of a pending import are
the same functions whether a request runs them (small files) or a worker does."""

import logging
import secrets

from flask_babel import format_number
from flask_babel import gettext as _
from sqlmodel import Session
from werkzeug.datastructures import MultiDict

from fundcrm import clock, migrate
from fundcrm.imports import exports, reader, storage
from fundcrm.imports.formats import KINDS
from fundcrm.imports.report import ImportReport
from fundcrm.imports.service import run_import
from fundcrm.jobs.kinds import JobContext, JobRefused, Outcome, register

log = logging.getLogger(__name__)

# -- pending web imports --------------------------------------------------------------------


def check_pending(
    db: Session, instance_path: str, pending: storage.Pending, user, settings, locale: str
) -> ImportReport:
    """Check the uploaded file as a dry run and keep the report for the preview."""
    data = storage.data(instance_path, pending)
    report = run_import(
        db,
        pending.kind,
        data,
        pending.filename,
        user=user,
        settings=settings,
        dry_run=True,
        locale=locale,
        web=True,
    )
    storage.save_report(instance_path, pending, report)
    return report


def write_pending(
    db: Session, instance_path: str, pending: storage.Pending, user, settings, locale: str
) -> ImportReport:
    """Check the file again (the data may have changed since the preview) and write it all or
    nothing; commits when written."""
    data = storage.data(instance_path, pending)
    report = run_import(
        db,
        pending.kind,
        data,
        pending.filename,
        user=user,
        settings=settings,
        locale=locale,
        web=True,
    )
    if not report.written:
        db.rollback()
        storage.save_report(instance_path, pending, report)
        return report
    db.commit()
    try:  # the rows are written: what follows must not make the import look failed
        storage.set_state(instance_path, pending, storage.DONE)
        storage.save_report(instance_path, pending, report)
        storage.drop_upload(instance_path, pending)
        migrate.refresh_statistics(db.get_bind())  # the tables may have grown a lot at once
    except Exception:
        log.exception("after import %s was written", pending.token)
    return report


def runs_as_job(data: bytes, ext: str, settings) -> bool:
    """Whether a file is checked and written by a worker: more rows than IMPORT_JOB_ROWS."""
    return reader.estimate_rows(data, ext) > int(settings["IMPORT_JOB_ROWS"])


def import_summary(report: ImportReport) -> str:
    if report.errors:
        return _("Errors found: %(n)s. Nothing was imported.", n=len(report.errors))
    if report.dry_run:
        return _(
            "The file passes every check: %(created)s to create, %(updated)s to update, "
            "%(unchanged)s unchanged.",
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
        )
    return _(
        "Imported: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.",
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
    )


def _pending_of(context: JobContext) -> storage.Pending:
    token = context.job.params.get("import_token", "")
    pending = storage.load(context.instance_path, token, context.user.id)
    if pending is None:
        raise JobRefused(_("The uploaded file is no longer available: upload it again."))
    return pending


def import_title(params: dict) -> str:
    return _("Check of %(file)s", file=params["file"])


def import_write_title(params: dict) -> str:
    return _("Import of %(file)s", file=params["file"])


def _on_pending(context: JobContext, step, pending: storage.Pending) -> ImportReport:
    """Run check_pending or write_pending for the job's user, in the job's language."""
    locale = context.job.params.get("locale", "")
    return step(
        context.session, context.instance_path, pending, context.user, context.config, locale
    )


@register("import_check", "import_data", title=import_title)
def import_check_job(context: JobContext) -> Outcome:
    report = _on_pending(context, check_pending, _pending_of(context))
    return Outcome(message=import_summary(report))


@register("import_write", "import_data", writes=True, title=import_write_title)
def import_write_job(context: JobContext) -> Outcome:
    claimed = _pending_of(context)
    if not storage.claim(context.instance_path, claimed, f"job:{context.job.id}"):
        raise JobRefused(_("This import is already being written."))
    try:
        pending = storage.reload(context.instance_path, claimed)  # as it is under the lock
        if pending is None or pending.state != storage.PENDING:
            raise JobRefused(_("This import was written already."))
        report = _on_pending(context, write_pending, pending)
    finally:
        storage.release(context.instance_path, claimed)
    if not report.written:
        raise JobRefused(_("Nothing was imported: the file no longer passes the checks."))
    return Outcome(message=import_summary(report))


# -- exports ----------------------------------------------------------------------------------


def export_params(
    kind: str, fmt: str, args: MultiDict, language: str | None, locale: str, rows: int
):
    return {
        "export_kind": kind,
        "format": fmt,
        "rows": rows,
        "args": [[k, v] for k, v in args.items(multi=True)],
        "language": language,
        "locale": locale,
    }


def export_title(params: dict) -> str:
    return _(
        "Export of %(kind)s (%(format)s, %(rows)s rows)",
        kind=KINDS[params["export_kind"]].title,
        format=params["format"].upper(),
        rows=format_number(params["rows"]),
    )


def export_name(kind: str, fmt: str, language: str | None) -> str:
    suffix = f"-{language}" if language else ""
    return f"{kind}-{clock.stamp()}{suffix}.{fmt}"


@register("export", "export_data", title=export_title, counts_rows=True)
def export_job(context: JobContext) -> Outcome:
    """Write the export under the jobs folder; the parameters are checked again here (a job
    row's filters are only trusted as far as the export's own checks go)."""
    params = context.job.params
    kind, fmt, language = params.get("export_kind"), params.get("format"), params.get("language")
    if (
        kind not in KINDS
        or fmt not in exports.FORMATS
        or language not in (None, *exports.LANGUAGES)
    ):
        raise JobRefused(_("This export's parameters are not valid: start it again from a list."))
    args = MultiDict([tuple(pair) for pair in params.get("args", [])])
    try:
        out = context.folder / f"{context.job.id}-{secrets.token_hex(8)}.{fmt}"
        total = exports.write_file(context.session, kind, fmt, args, out, language)
    except exports.ExportError as error:
        raise JobRefused(str(error)) from None
    return Outcome(
        message=_("%(rows)s rows exported.", rows=format_number(total)),
        file=out,
        download_name=export_name(kind, fmt, language),
    )
