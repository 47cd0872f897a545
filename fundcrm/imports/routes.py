"""Web imports (upload → preview → confirm), templates and exports.

The upload and its preview live in the instance folder (fundcrm.imports.storage), so any
worker process can show and confirm them; confirming checks the file again before writing.
"""

import io
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
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

from fundcrm import clock, db, migrate
from fundcrm.i18n import current_locale
from fundcrm.imports import exports, reader, recognise, storage, template
from fundcrm.imports.formats import KINDS
from fundcrm.imports.forms import ConfirmForm, DiscardForm, UploadForm
from fundcrm.imports.report import STATUS_LABELS, ImportReport
from fundcrm.imports.service import display_name, run_import
from fundcrm.pagination import Page, requested_page
from fundcrm.permissions import requires

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
    return render_template("imports/index.html", form=form, kinds=KINDS, max_mb=_max_mb())


@bp.route("/imports", methods=["GET", "POST"])
@requires("import_data")
def index():
    form = UploadForm()
    if form.validate_on_submit():
        try:
            pending = _accept(form)
        except reader.FileRefused as refused:
            form.file.errors = [refused.message]
        else:
            return redirect(url_for("imports.preview", token=pending.token))
    return _index_page(form)


def _accept(form: UploadForm) -> storage.Pending:
    """Check the file as a dry run; keep it (under our own name) unless it cannot be read.
    Without a chosen kind, the kind is recognised from the file's header row."""
    upload = form.file.data
    ext = reader.extension(upload.filename)
    data = upload.stream.read(max_bytes() + 1)
    if len(data) > max_bytes():
        raise reader.FileRefused(too_large_message())
    limits = reader.Limits.from_settings(current_app.config)
    kind = form.kind.data or recognise.kind_of(data, ext, limits)
    report = _check(kind, data, upload.filename)
    file_errors = [e for e in report.errors if e.row == 0]
    if file_errors:
        raise reader.FileRefused(file_errors[0].message)
    pending = storage.create(
        current_app.instance_path,
        current_user.id,
        kind,
        display_name(upload.filename),
        ext,
        data,
        recognised=not form.kind.data,
    )
    storage.save_report(current_app.instance_path, pending, report)
    return pending


def _check(kind: str, data: bytes, filename: str, dry_run: bool = True) -> ImportReport:
    return run_import(
        db.session(),
        kind,
        data,
        filename,
        user=current_user,
        settings=current_app.config,
        dry_run=dry_run,
        locale=current_locale(),
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


@bp.get("/imports/<token>")
@requires("import_data")
def preview(token: str):
    pending = _pending(token)
    report = storage.load_report(current_app.instance_path, pending)
    if report is None:
        abort(404)
    if pending.state == storage.PENDING and report.locale != current_locale():
        report = _recheck(pending)  # the messages follow the user's language
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
    if ConfirmForm().validate_on_submit() and pending.state == storage.PENDING:
        folder = current_app.instance_path
        if not storage.claim(folder, pending):
            flash(_("This import is already being written."), "warning")
        else:
            try:
                _write(pending)
            finally:
                storage.release(folder, pending)
    return redirect(url_for("imports.preview", token=token))


def _write(pending: storage.Pending) -> None:
    folder = current_app.instance_path
    session = db.session()
    report = _check(pending.kind, storage.data(folder, pending), pending.filename, dry_run=False)
    if report.written:
        session.commit()
        migrate.refresh_statistics(db.engine())  # the tables may have grown a lot at once
        storage.set_state(folder, pending, storage.DONE)
        storage.drop_upload(folder, pending)
        flash(
            _(
                "Imported: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.",
                created=report.created,
                updated=report.updated,
                unchanged=report.unchanged,
            ),
            "success",
        )
    else:
        session.rollback()
        flash(_("Nothing was imported: the file no longer passes the checks."), "danger")
    storage.save_report(folder, pending, report)


@bp.post("/imports/<token>/discard")
@requires("import_data")
def discard(token: str):
    pending = _pending(token)
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
    data = template.build(db.session(), kind, current_user.email)
    return _download(data, f"{kind}-template.xlsx", "xlsx")


@bp.get("/exports/<kind>.<fmt>")
@requires("export_data")
def export(kind: str, fmt: str):
    """The kind's records matching the list filters of the query string; `labels=1` makes it
    an export for reading in the user's language."""
    if kind not in KINDS or fmt not in exports.FORMATS:
        abort(404)
    filters = request.args.copy()
    folder = Path(current_app.instance_path) / "exports"  # an XLSX is written there, then sent
    try:
        language = exports.reading_language(filters.poplist("labels"), current_locale())
        chunks = exports.stream(db.engine(), kind, fmt, filters, folder, language)
    except exports.ExportError as error:
        return render_template(
            "errors/error.html", code=400, title=_("Bad request"), message=str(error)
        ), 400
    suffix = f"-{language}" if language else ""
    response = Response(stream_with_context(chunks), mimetype=MIME[fmt])
    response.headers.set(
        "Content-Disposition", "attachment", filename=f"{kind}-{clock.stamp()}{suffix}.{fmt}"
    )
    return response


def _download(data: bytes, name: str, fmt: str):
    return send_file(io.BytesIO(data), mimetype=MIME[fmt], as_attachment=True, download_name=name)
