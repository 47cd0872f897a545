"""Web imports (upload → preview → confirm), templates and exports.

The upload and its preview live in the instance folder (fundcrm.imports.storage), so any
worker process can show and confirm them; confirming checks the file again before writing.
A file of more than IMPORT_JOB_ROWS rows is checked and written by a background job, and an
export of more than EXPORT_JOB_ROWS rows is written by one (fundcrm.imports.background).
"""

import io
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from fundcrm import db
from fundcrm.i18n import current_locale
from fundcrm.imports import background, exports, reader, recognise, storage, template
from fundcrm.imports.formats import KINDS
from fundcrm.imports.forms import ConfirmForm, DiscardForm, ExportJobForm, UploadForm
from fundcrm.imports.report import STATUS_LABELS, ImportReport
from fundcrm.imports.service import display_name, run_import
from fundcrm.jobs import queue
from fundcrm.jobs import services as jobs
from fundcrm.jobs.kinds import TITLES as KIND_TITLES
from fundcrm.jobs.routes import queue_unavailable_page
from fundcrm.models import Job
from fundcrm.pagination import Page, requested_page
from fundcrm.permissions import authorize, may_import, requires

bp = Blueprint("imports", __name__)

PREVIEW_ROWS = 200
MIME = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def max_bytes() -> int:
    return int(float(current_app.config.get("MAX_IMPORT_MB", 50)) * 1024 * 1024)


def _max_mb() -> str:
    return f"{current_app.config.get('MAX_IMPORT_MB', 50):g}"


def too_large_message() -> str:
    return _("The file is larger than %(mb)s MB: split it into smaller files.", mb=_max_mb())


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    """The app's MAX_CONTENT_LENGTH refused the body before it was read: say so on the
    upload form (this blueprint's pages only; elsewhere the app's 413 page answers)."""
    form = UploadForm(formdata=None)
    form.file.errors = [too_large_message()]
    return _index_page(form), 413


# -- upload and preview -----------------------------------------------------------------------


def _index_page(form: UploadForm):
    kinds = {code: kind for code, kind in KINDS.items() if may_import(current_user, code)}
    return render_template("imports/index.html", form=form, kinds=kinds, max_mb=_max_mb())


@bp.route("/imports", methods=["GET", "POST"])
@requires("import_data")
def index():
    form = UploadForm()
    if form.validate_on_submit():
        try:
            pending = _accept(form)
        except reader.FileRefused as refused:
            form.file.errors = [refused.message]
        except queue.QueueUnavailable:
            return queue_unavailable_page()
        else:
            return redirect(url_for("imports.preview", token=pending.token))
    return _index_page(form)


def _accept(form: UploadForm) -> storage.Pending:
    """Check the file as a dry run; keep it (under our own name) unless it cannot be read.
    Without a chosen kind, the kind is recognised from the file's header row. A large file is
    kept at once and checked by a job; the preview follows the job's progress."""
    upload = form.file.data
    ext = reader.extension(upload.filename)
    data = upload.stream.read(max_bytes() + 1)
    if len(data) > max_bytes():
        raise reader.FileRefused(too_large_message())
    limits = reader.Limits.from_settings(current_app.config)
    kind = form.kind.data or recognise.kind_of(data, ext, limits)
    authorize("import_data", kind)
    name, recognised = display_name(upload.filename), not form.kind.data
    folder = current_app.instance_path
    if background.runs_as_job(data, ext, current_app.config):
        reader.check_outside(data, ext, limits)
        pending = storage.create(folder, current_user.id, kind, name, ext, data, recognised)
        try:
            _start_import_job(pending, "import_check")
        except queue.QueueUnavailable:
            storage.remove(folder, pending)
            raise
        return pending
    report = _check(kind, data, upload.filename)
    file_errors = [e for e in report.errors if e.row == 0]
    if file_errors:
        raise reader.FileRefused(file_errors[0].message)
    pending = storage.create(folder, current_user.id, kind, name, ext, data, recognised)
    storage.save_report(folder, pending, report)
    return pending


def _import_params(pending: storage.Pending) -> dict:
    return {
        "import_token": pending.token,
        "import_kind": pending.kind,
        "file": pending.filename,
        "locale": current_locale(),
    }


def _start_import_job(pending: storage.Pending, kind: str) -> None:
    params = _import_params(pending)
    job = jobs.start(db.session(), current_user, kind, params, KIND_TITLES[kind](params))
    storage.set_job(current_app.instance_path, pending, job.id)


def _check(kind: str, data: bytes, filename: str) -> ImportReport:
    return run_import(
        db.session(),
        kind,
        data,
        filename,
        user=current_user,
        settings=current_app.config,
        dry_run=True,
        locale=current_locale(),
        web=True,
    )


def _pending(token: str) -> storage.Pending:
    """The signed-in user's pending import; any other token (unknown, expired, another
    user's) leads back to the upload page, saying nothing about whose it was."""
    pending = storage.load(current_app.instance_path, token, current_user.id)
    if pending is None:
        flash(
            _(
                "This import is no longer available (an upload is kept for %(hours)s hours): "
                "upload the file again.",
                hours=storage.PENDING_HOURS,
            ),
            "warning",
        )
        abort(redirect(url_for("imports.index")))
    return pending


def _import_job(pending: storage.Pending) -> Job | None:
    job = db.session().get(Job, pending.job_id) if pending.job_id else None
    if job is not None:
        jobs.fail_if_dead(db.session(), current_app.instance_path, current_app.config, job)
    return job


@bp.get("/imports/<token>")
@requires("import_data")
def preview(token: str):
    pending = _pending(token)
    authorize("import_data", pending.kind)
    job = _import_job(pending)
    report = storage.load_report(current_app.instance_path, pending)
    if job is not None and (job.state in ("queued", "running") or report is None):
        return render_template(
            "imports/working.html",
            pending=pending,
            job=job,
            status=jobs.describe(current_app.instance_path, job),
            discard_form=DiscardForm(),
        )
    if report is None:
        abort(404)
    if pending.state == storage.PENDING and report.locale != current_locale() and job is None:
        report = _recheck(pending)  # the messages follow the user's language (small files)
    status = request.args.get("status", "")
    rows = [r for r in report.rows if not status or r.status == status]
    number = requested_page()
    page = Page(
        rows[(number - 1) * PREVIEW_ROWS : number * PREVIEW_ROWS], number, PREVIEW_ROWS, len(rows)
    )
    return render_template(
        "imports/preview.html",
        pending=pending,
        report=report,
        page=page,
        status=status,
        issues=report.issues_by_row(),
        labels=STATUS_LABELS,
        kind=KINDS[pending.kind],
        confirm_form=ConfirmForm(),
        discard_form=DiscardForm(),
        job=job,
    )


def _recheck(pending: storage.Pending) -> ImportReport:
    data = storage.data(current_app.instance_path, pending)
    report = _check(pending.kind, data, pending.filename)
    storage.save_report(current_app.instance_path, pending, report)
    return report


@bp.post("/imports/<token>/confirm")
@requires("import_data")
def confirm(token: str):
    """Check the file again (the data may have changed since the preview), then write it."""
    pending = _pending(token)
    authorize("import_data", pending.kind)
    if ConfirmForm().validate_on_submit() and pending.state == storage.PENDING:
        folder = current_app.instance_path
        if not storage.claim(folder, pending):
            flash(_("This import is already being written."), "warning")
        else:
            try:
                job = _confirm(storage.reload(folder, pending) or pending)
            finally:
                storage.release(folder, pending)
            if job is not None:  # queued once the lock it takes is free
                try:
                    jobs.queue_run(db.session(), job)
                except queue.QueueUnavailable:
                    return queue_unavailable_page()
    return redirect(url_for("imports.preview", token=token))


def _confirm(pending: storage.Pending) -> Job | None:
    """Write a small file now; record a job for a large one (or one a job checked)."""
    job = _import_job(pending)
    if pending.state != storage.PENDING:
        return None  # written meanwhile (a second click): the preview says so
    if job is not None and job.state in ("queued", "running"):
        flash(_("This import is already being written."), "warning")
        return None
    data = storage.data(current_app.instance_path, pending)
    if job is None and not background.runs_as_job(data, pending.ext, current_app.config):
        _write(pending)
        return None
    params = _import_params(pending)
    title = background.import_write_title(params)
    job = jobs.record(db.session(), current_user, "import_write", params, title)
    storage.set_job(current_app.instance_path, pending, job.id)
    return job


def _write(pending: storage.Pending) -> None:
    report = background.write_pending(
        db.session(),
        current_app.instance_path,
        pending,
        current_user,
        current_app.config,
        current_locale(),
    )
    if report.written:
        flash(background.import_summary(report), "success")
    else:
        flash(_("Nothing was imported: the file no longer passes the checks."), "danger")


@bp.post("/imports/<token>/discard")
@requires("import_data")
def discard(token: str):
    pending = _pending(token)
    authorize("import_data", pending.kind)
    job = _import_job(pending)
    if job is not None and job.state in ("queued", "running"):
        flash(_("This file cannot be discarded while a job works on it."), "warning")
        return redirect(url_for("imports.preview", token=token))
    if DiscardForm().validate_on_submit():
        storage.remove(current_app.instance_path, pending)
        flash(_("The file was discarded; nothing was imported."), "info")
    return redirect(url_for("imports.index"))


# -- templates and exports ----------------------------------------------------------------------


@bp.get("/imports/template/<kind>.xlsx")
@requires("import_data")
def template_file(kind: str):
    if kind not in KINDS:
        abort(404)
    authorize("import_data", kind)
    data = template.build(db.session(), kind, current_user.email)
    return _download(data, f"{kind}-template.xlsx", "xlsx")


@bp.get("/exports/<kind>.<fmt>")
@requires("export_data")
def export(kind: str, fmt: str):
    """The kind's records matching the list filters of the query string; `labels=1` makes it
    an export for reading in the user's language. More than EXPORT_JOB_ROWS rows: a page
    that offers to write it in the background instead."""
    filters, language = _export_request(kind, fmt)
    folder = Path(current_app.instance_path) / "exports"  # an XLSX is written there, then sent
    limit = int(current_app.config["EXPORT_JOB_ROWS"])
    try:
        if exports.count_rows(db.session(), kind, filters, at_most=limit + 1) > limit:
            return _export_job_page(kind, fmt, limit)
        chunks = exports.stream(db.engine(), kind, fmt, filters, folder, language)
    except exports.ExportError as error:
        return _bad_export(error)
    response = Response(stream_with_context(chunks), mimetype=MIME[fmt])
    name = background.export_name(kind, fmt, language)
    response.headers.set("Content-Disposition", "attachment", filename=name)
    return response


@bp.post("/exports/<kind>.<fmt>")
@requires("export_data")
def export_job(kind: str, fmt: str):
    """Start the export as a background job and follow it on the job's page."""
    filters, language = _export_request(kind, fmt)
    if not ExportJobForm().validate_on_submit():
        return _export_job_page(kind, fmt, int(current_app.config["EXPORT_JOB_ROWS"]))
    try:
        rows = exports.count_rows(db.session(), kind, filters)
    except exports.ExportError as error:
        return _bad_export(error)
    params = background.export_params(kind, fmt, filters, language, current_locale(), rows)
    title = background.export_title(params)
    try:
        job = jobs.start(db.session(), current_user, "export", params, title)
    except queue.QueueUnavailable:
        return queue_unavailable_page()
    return redirect(url_for("jobs.show", job_id=job.id))


def _export_request(kind: str, fmt: str):
    """The export's list filters and reading language from the query string (404 for a kind
    or format there is none of; ExportError as a 400 page for a bad `labels`)."""
    if kind not in KINDS or fmt not in exports.FORMATS:
        abort(404)
    authorize("export_data", kind)
    filters = request.args.copy()
    try:
        return filters, exports.reading_language(filters.poplist("labels"), current_locale())
    except exports.ExportError as error:
        abort(make_response(*_bad_export(error)))


def _bad_export(error: exports.ExportError):
    return render_template(
        "errors/error.html", code=400, title=_("Bad request"), message=str(error)
    ), 400


def _export_job_page(kind: str, fmt: str, limit: int):
    return render_template(
        "imports/export_job.html", kind=KINDS[kind], fmt=fmt, limit=limit, form=ExportJobForm()
    )


def _download(data: bytes, name: str, fmt: str):
    return send_file(io.BytesIO(data), mimetype=MIME[fmt], as_attachment=True, download_name=name)
