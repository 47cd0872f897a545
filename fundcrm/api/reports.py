"""`/api/v1/reports`: the annual report (DOMAIN.md section 8) asked for as on /reports — one
background job (fundcrm.jobs) per file, its state and progress, and its file once done. The
staff who read LP accounts ask for any edition; an LP's representative only the LP edition of
its own LP (make_reports); each report is read by whoever asked for it (see_jobs)."""

from datetime import datetime
from typing import Literal

from flask import current_app, send_file
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import BaseModel, Field

from fundcrm import clock, db
from fundcrm.api import bp
from fundcrm.api.common import record_or_404
from fundcrm.api.errors import ApiError
from fundcrm.api.fields import Body, RecordId, Strict, integer, text
from fundcrm.api.spec import operation
from fundcrm.jobs import queue
from fundcrm.jobs import services as jobs
from fundcrm.models import Job
from fundcrm.permissions import authorize, requires, tied_lp_id, user_can
from fundcrm.reports.context import Ask, refusals
from fundcrm.reports.issue import CONTENT_TYPES
from fundcrm.reports.jobs import KIND, report_title

TAG = "reports"
# the download's 200: a file, which spectree describes by its words alone (no JSON schema)
FILE_ANSWER = (
    "The report's file, as an attachment: application/pdf, or "
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet for a workbook."
)


class ReportIn(Body):
    year: integer(1900, 9999) = Field(description="The report is as of 31 December.")
    sub_fund: text(30) | None = Field(default=None, description="A code; default the whole fund.")
    language: Literal["zh", "en"] = "zh"
    edition: Literal["staff", "lp"] = Field(
        default="staff", description="An LP's representative asks for `lp` (its own LP's)."
    )
    lp_id: RecordId | None = Field(
        default=None, description="The LP edition's LP (a representative's by default)."
    )
    format: Literal["pdf", "xlsx"] = "pdf"


class ReportProgress(BaseModel):
    done: int
    total: int | None
    percent: int
    step: str = Field(description="The section being gathered, while running.")


class ReportOut(BaseModel):
    id: int
    state: Literal["queued", "running", "done", "failed"]
    year: int
    sub_fund: str | None
    language: str
    edition: str
    lp_id: int | None
    format: str
    progress: ReportProgress
    message: str = Field(description="Why it failed, or what the finished report is (a draft).")
    downloadable: bool
    download_name: str | None
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None


class DownloadQuery(Strict):
    format: Literal["pdf", "xlsx"] | None = Field(
        default=None, description="The report's own format (each report is one file)."
    )


def report_out(job: Job) -> ReportOut:
    status = jobs.describe(current_app.instance_path, job)
    ask = Ask.from_params(job.params)
    return ReportOut(
        id=job.id,
        state=job.state,
        year=ask.year,
        sub_fund=ask.sub_fund,
        language=ask.language,
        edition=ask.edition,
        lp_id=ask.lp_id,
        format=ask.file_format,
        progress=ReportProgress(
            done=status["done"],
            total=status["total"],
            percent=status["percent"],
            step=status["step"],
        ),  # fmt: skip
        message=job.message,
        downloadable=status["downloadable"],
        download_name=job.result_name if status["downloadable"] else None,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


def _report(report_id: int) -> Job:
    """The report job if the user may see it (404 unknown or not a report, 403 another's); a
    running one whose worker died is marked failed on the way, as on /jobs."""
    job = record_or_404(Job, report_id, _("report"))
    if job.kind != KIND:
        raise ApiError(404, _("No %(name)s has the id %(id)s.", name=_("report"), id=report_id))
    authorize("see_jobs", job)
    jobs.fail_if_dead(db.session(), current_app.instance_path, current_app.config, job)
    return job


@bp.post("/reports")
@requires("make_reports")
@operation(TAG, {202: ReportOut}, json=ReportIn, errors=(422, 503))
def create_report(json: ReportIn):
    """Queue an annual report (one file): 202 with its id and state; follow it with
    `GET /reports/<id>`. The same checks as the Reports page: the year has begun and is not
    before the first close, an LP edition's LP had a commitment in force."""
    lp_id = json.lp_id
    if json.edition == "lp" and lp_id is None and not user_can(current_user, "make_staff_reports"):
        lp_id = tied_lp_id(current_user)
    ask = Ask(json.year, json.sub_fund, json.language, json.edition,
              lp_id if json.edition == "lp" else None, json.format)  # fmt: skip
    authorize("make_reports", ask)
    problems = refusals(db.session(), ask, clock.today())
    if problems:
        fields = {("format" if name == "file_format" else name): message
                  for name, message in problems}  # fmt: skip
        fields = {("lp_id" if name == "lp" else name): message for name, message in fields.items()}
        raise ApiError(422, " ".join(fields.values()), code="refused", fields=fields)
    params = {**ask.params(), "locale": ask.locale}
    try:
        job = jobs.start(db.session(), current_user, KIND, params, report_title(params))
    except queue.QueueUnavailable:
        raise ApiError(
            503, _("The job queue cannot be reached: nothing was started. Try again later.")
        ) from None
    db.session().refresh(job)  # run already when jobs run at once (JOBS_IMMEDIATE)
    return report_out(job), 202


@bp.get("/reports/<int:report_id>")
@requires("make_reports")
@operation(TAG, {200: ReportOut})
def get_report(report_id: int):
    """A report's state (queued, running, done, failed) and progress."""
    return report_out(_report(report_id))


@bp.get("/reports/<int:report_id>/download")
@requires("make_reports")
@operation(TAG, {200: (None, FILE_ANSWER)}, query=DownloadQuery, errors=(409,))
def download_report(report_id: int, query: DownloadQuery):
    """The report's file (application/pdf, or the Excel workbook's type) once it is done: 409
    while it is queued or running or if it failed; 404 once its file was removed (after the
    days jobs' results are kept) or for another format than its own."""
    job = _report(report_id)
    made_as = Ask.from_params(job.params).file_format
    if query.format is not None and query.format != made_as:
        raise ApiError(404, _("This report is made as %(format)s.", format=made_as.upper()))
    if job.state != "done":
        message = (
            job.message or _("The report failed.")
            if job.state == "failed"
            else _("The report is not ready yet: follow its state and try again.")
        )
        raise ApiError(409, message, code="not_ready")
    path = jobs.result_path(current_app.instance_path, job)
    if path is None:
        raise ApiError(
            404, _("The file of this report is no longer kept: ask for it again."), code="gone"
        )
    response = send_file(
        path, mimetype=CONTENT_TYPES[made_as], as_attachment=True, download_name=job.result_name
    )
    response.direct_passthrough = False  # spectree reads the answer it checks (a few MB at most)
    return response
