"""/reports: asking for the annual report (one background job per file), following its progress
section by section, downloading it; and the issued reports kept for closed periods."""

from flask import Blueprint, current_app, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from fundcrm import clock, db
from fundcrm.errors import ExplainedNotFound
from fundcrm.funds.queries import lps, sub_funds
from fundcrm.i18n import current_locale
from fundcrm.jobs import queue
from fundcrm.jobs import services as jobs
from fundcrm.jobs.routes import queue_unavailable_page
from fundcrm.models import IssuedReport
from fundcrm.permissions import authorize, requires, tied_lp_id, user_can
from fundcrm.reports import queries
from fundcrm.reports.context import Ask, lp_sub_funds, refusals
from fundcrm.reports.forms import ReportForm
from fundcrm.reports.issue import CONTENT_TYPES, issued_path
from fundcrm.reports.jobs import KIND, report_title
from fundcrm.views import get_or_404

bp = Blueprint("reports", __name__)


def _offered(form: ReportForm) -> None:
    session = db.session()
    staff = user_can(current_user, "make_staff_reports")
    mine = tied_lp_id(current_user)
    funds = sub_funds(session) if staff else (lp_sub_funds(session, mine) if mine else [])
    shown_lps = lps(session) if staff else [lp for lp in lps(session) if lp.id == mine]
    form.offer(funds, shown_lps, staff)


def _default_year() -> int:
    return clock.today().year


@bp.get("/reports")
@requires("make_reports")
def index():
    language = "zh" if current_locale().startswith("zh") else "en"  # the reader's, at first
    form = ReportForm(formdata=None, year=_default_year(), language=language)
    _offered(form)
    if not user_can(current_user, "make_staff_reports"):
        form.edition.data = "lp"
        form.lp.data = str(tied_lp_id(current_user) or "")
    return _page(form)


def _page(form: ReportForm, status: int = 200):
    session = db.session()
    staff = user_can(current_user, "make_staff_reports")
    issued = queries.issued_reports(session, None if staff else tied_lp_id(current_user) or -1)
    folder = current_app.instance_path
    running = [
        (job, jobs.describe(folder, job))
        for job in queries.report_jobs(session, current_user, KIND)
    ]
    return render_template(
        "reports/index.html",
        form=form,
        issued=issued,
        running=running,
        staff=staff,
        tied=tied_lp_id(current_user),
    ), status


@bp.post("/reports")
@requires("make_reports")
def generate():
    form = ReportForm()
    _offered(form)
    staff = user_can(current_user, "make_staff_reports")
    if not staff:  # a representative asks for its own LP's edition, whatever was posted
        form.edition.data = "lp"
        form.lp.data = str(tied_lp_id(current_user) or "")
    if not form.validate_on_submit():
        return _page(form, 400)
    formats = [f for f in ("pdf", "xlsx") if getattr(form, f).data]
    if not formats:
        form.pdf.errors = [_("Choose PDF, Excel or both.")]
        return _page(form, 400)
    lp_id = int(form.lp.data) if form.lp.data else None  # one of the offered ids
    asks = [
        Ask(
            form.year.data,
            form.sub_fund.data or None,
            form.language.data,
            form.edition.data,
            lp_id if form.edition.data == "lp" else None,
            fmt,
        )
        for fmt in formats
    ]
    for ask in asks:
        authorize("make_reports", ask)
    problems = refusals(db.session(), asks[0], clock.today())
    if problems:
        for field, message in problems:
            getattr(form, field if field != "file_format" else "pdf").errors.append(message)
        return _page(form, 400)
    try:
        for ask in asks:
            params = {**ask.params(), "locale": ask.locale}
            jobs.start(db.session(), current_user, KIND, params, report_title(params))
    except queue.QueueUnavailable:
        return queue_unavailable_page()
    flash(_("The report is being made: follow its progress below."), "success")
    return redirect(url_for("reports.index"))


@bp.get("/reports/issued/<int:report_id>")
@requires("make_reports")
def issued(report_id: int):
    found = get_or_404(IssuedReport, report_id)
    authorize("make_reports", found)
    path = issued_path(current_app.instance_path, found)
    if path is None:
        raise ExplainedNotFound(_("The file of this report is missing from the server."))
    return send_file(
        path,
        mimetype=CONTENT_TYPES[found.file_format],
        as_attachment=True,
        download_name=found.download_name,
    )
