"""/jobs: the signed-in user's background jobs (an administrator's: everyone's), each with its
progress, its result file and a retry."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from fundcrm import db
from fundcrm.jobs import kinds, queries, queue, services
from fundcrm.jobs.forms import RetryForm
from fundcrm.models import Job
from fundcrm.pagination import paginate
from fundcrm.permissions import authorize, requires, user_can

bp = Blueprint("jobs", __name__)
bp.add_app_template_filter(kinds.title_of, "job_title")


def _job(job_id: int) -> Job:
    """The job if the user may see it (404 unknown, 403 another user's); a running job whose
    worker died is marked failed on the way."""
    job = db.session().get(Job, job_id)
    if job is None:
        abort(404)
    authorize("see_jobs", job)
    services.fail_if_dead(db.session(), current_app.instance_path, current_app.config, job)
    return job


@bp.get("/jobs")
@requires("see_jobs")
def index():
    everyone = user_can(current_user, "see_all_jobs")
    page = paginate(db.session(), queries.jobs_seen_by(current_user, everyone))
    folder = current_app.instance_path
    shown = [(job, owner, services.describe(folder, job)) for job, owner in page.items]
    return render_template(
        "jobs/index.html", page=page, shown=shown, everyone=everyone, retry_form=RetryForm()
    )


@bp.get("/jobs/<int:job_id>")
@requires("see_jobs")
def show(job_id: int):
    job = _job(job_id)
    status = services.describe(current_app.instance_path, job)
    return render_template("jobs/show.html", job=job, status=status, retry_form=RetryForm())


@bp.get("/jobs/<int:job_id>/status")
@requires("see_jobs")
def status(job_id: int):
    """The progress bar's JSON, asked every second while the job runs; a refusal is JSON too."""
    try:
        job = _job(job_id)
    except HTTPException as refused:
        return jsonify(ok=False, errors=[refused.description]), refused.code
    return jsonify(services.describe(current_app.instance_path, job))


@bp.get("/jobs/<int:job_id>/download")
@requires("see_jobs")
def download(job_id: int):
    job = _job(job_id)
    path = services.result_path(current_app.instance_path, job)
    try:
        if path is not None:
            return send_file(path, as_attachment=True, download_name=job.result_name)
    except FileNotFoundError:  # removed by the sweeper this very moment
        pass
    return render_template(
        "errors/error.html",
        code=410,
        title=_("File no longer available"),
        message=_gone_message(job),
    ), 410


def _gone_message(job: Job) -> str:
    if job.state != "done":
        return _("This job has no file to download: it has not finished.")
    if not job.result_name:
        return _("This job has no file to download.")
    return _(
        "The file of this job was removed after %(days)s days: start the export again.",
        days=current_app.config["JOB_RESULT_DAYS"],
    )


@bp.post("/jobs/<int:job_id>/retry")
@requires("see_jobs")
def retry(job_id: int):
    job = _job(job_id)
    # the role the job itself needs, for the kind of file it handles
    authorize(kinds.ABILITIES.get(job.kind, "see_all_jobs"), kinds.subject(job))
    if RetryForm().validate_on_submit():
        try:
            services.retry(db.session(), job)
        except services.RetryRefused as refused:
            flash(str(refused), "warning")
        except queue.QueueUnavailable:
            return queue_unavailable_page()
        else:
            flash(_("The job was queued again."), "success")
    return redirect(url_for("jobs.show", job_id=job_id))


def queue_unavailable_page():
    """503: the queue (Redis) cannot be reached; nothing was queued or kept."""
    return render_template(
        "errors/error.html",
        code=503,
        title=_("Job queue unavailable"),
        message=_(
            "The job queue cannot be reached at the moment, so nothing was started. "
            "Try again in a few minutes, and tell an administrator if it persists."
        ),
    ), 503
