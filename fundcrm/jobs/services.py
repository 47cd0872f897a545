"""Starting, retrying and sweeping jobs.

Starting and retrying commit before queueing: a worker may take the task at once and must find
the row. If the queue cannot be reached, the row is taken back (a new job deleted, a retried
one failed again), so nothing is left waiting for a worker that will never hear of it.
"""

from datetime import timedelta
from pathlib import Path

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, update
from sqlmodel import Session

from fundcrm import clock
from fundcrm.jobs import beats, queries, queue
from fundcrm.jobs.kinds import COUNTS_ROWS
from fundcrm.jobs.runner import results_folder
from fundcrm.models import Job

PART_FILES_STALE_HOURS = 1  # a result file still being written this long after was abandoned


class RetryRefused(Exception):
    pass


def start(db: Session, user, kind: str, params: dict, title: str) -> Job:
    """Record the job and queue it; QueueUnavailable (nothing kept) when the queue is down."""
    job = record(db, user, kind, params, title)
    queue_run(db, job)
    return job


def record(db: Session, user, kind: str, params: dict, title: str) -> Job:
    """The job's row, committed: `queue_run` queues it (a caller holding a lock the job
    takes records under the lock and queues after releasing it)."""
    job = Job(kind=kind, user_id=user.id, params=params, title=title[:300])
    db.add(job)
    db.commit()
    return job


def queue_run(db: Session, job: Job) -> None:
    try:
        queue.enqueue(job.id, job.attempt)
    except queue.QueueUnavailable:
        db.execute(delete(Job).where(Job.id == job.id))
        db.commit()
        raise


def retry(db: Session, job: Job) -> int:
    """Queue a failed job again as its next attempt; RetryRefused for any other state."""
    attempt = job.attempt + 1
    queued = (
        update(Job)
        .where(Job.id == job.id, Job.state == "failed", Job.attempt == job.attempt)
        .values(
            state="queued",
            attempt=attempt,
            message="",
            progress_done=0,
            progress_total=None,
            started_at=None,
            heartbeat_at=None,
            finished_at=None,
        )
    )
    if db.execute(queued).rowcount != 1:
        db.rollback()
        raise RetryRefused(_("Only a job that failed can be retried."))
    db.commit()
    try:
        queue.enqueue(job.id, attempt)
    except queue.QueueUnavailable:
        failed_again = update(Job).where(Job.id == job.id, Job.attempt == attempt)
        db.execute(failed_again.values(state="failed", message=_queue_down_message()))
        db.commit()
        raise
    return attempt


def _queue_down_message() -> str:
    return _("The job queue could not be reached, so the job was not queued. Retry later.")


def fail_if_dead(db: Session, instance_path: str, config, job: Job) -> bool:
    """Mark a running job failed if its worker has shown no sign of life for JOB_STALE_SECONDS
    (the row's heartbeat and the beat file); True if it did."""
    if job.state != "running":
        return False
    stale = timedelta(seconds=float(config["JOB_STALE_SECONDS"]))
    last_beat, _done, _total = beats.latest(instance_path, job)
    if last_beat is not None and last_beat > clock.now() - stale:
        return False
    with force_locale(job.params.get("locale") or config["BABEL_DEFAULT_LOCALE"]):
        message = _(
            "The worker running this job stopped (no sign of life for %(seconds)s seconds). "
            "Nothing was written: retry the job.",
            seconds=int(stale.total_seconds()),
        )
    dead = (
        update(Job)
        .where(Job.id == job.id, Job.attempt == job.attempt, Job.state == "running")
        .values(state="failed", finished_at=clock.now(), message=message)
    )
    marked = db.execute(dead).rowcount == 1
    db.commit()
    beats.forget(instance_path, job.id)
    return marked


def sweep(db: Session, instance_path: str, config) -> dict[str, int]:
    """Fail the jobs of dead workers, remove result files past JOB_RESULT_DAYS and result
    files left half-written; how many of each."""
    dead = sum(fail_if_dead(db, instance_path, config, job) for job in queries.running(db))
    expired = 0
    for job in queries.results_expired_before(db, clock.now()):
        (results_folder(instance_path) / job.result_file).unlink(missing_ok=True)
        job.result_file = None
        expired += 1
    db.commit()
    return {"dead": dead, "expired": expired, "parts": _remove_abandoned_parts(instance_path)}


def _remove_abandoned_parts(instance_path: str) -> int:
    folder = results_folder(instance_path)
    if not folder.is_dir():
        return 0
    limit = clock.now().timestamp() - PART_FILES_STALE_HOURS * 3600
    removed = 0
    for part in folder.glob(".*.part"):
        try:
            if part.stat().st_mtime < limit:
                part.unlink()
                removed += 1
        except OSError:  # removed meanwhile by another sweeper
            continue
    return removed


def result_path(instance_path: str, job: Job) -> Path | None:
    """The job's result file if it is there to download; None once expired or removed."""
    if job.state != "done" or not job.result_file:
        return None
    path = results_folder(instance_path) / job.result_file
    return path if path.is_file() else None


def describe(instance_path: str, job: Job) -> dict:
    """What the jobs page and its progress bar show (also its JSON), with the newest beat."""
    _last_beat, done, total = beats.latest(instance_path, job)
    if job.state == "done":
        done = total = max(done, total or 0)
    percent = min(100, int(100 * done / total)) if total else (100 if job.state == "done" else 0)
    return {
        "id": job.id,
        "state": job.state,
        "done": done,
        "total": total,
        "percent": percent,
        "message": job.message,
        "attempt": job.attempt,
        "downloadable": result_path(instance_path, job) is not None,
        "counts_rows": job.kind in COUNTS_ROWS,
        **{
            f"{moment}_at": at.isoformat() if (at := getattr(job, f"{moment}_at")) else None
            for moment in ("created", "started", "finished")
        },
    }
