"""Starting, retrying and sweeping jobs.

Starting and retrying commit before queueing: a worker may take the task at once and must find
the row. If the queue cannot be reached, the row is taken back (a new job deleted, a retried
one failed again), so nothing is left waiting for a worker that will never hear of it.
"""

import logging
from datetime import timedelta
from pathlib import Path

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, update
from sqlmodel import Session

from fundcrm import clock
from fundcrm.jobs import beats, queries, queue
from fundcrm.jobs.kinds import COUNTS_ROWS
from fundcrm.jobs.runner import job_locale, results_folder
from fundcrm.models import Job

log = logging.getLogger(__name__)
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
            heartbeat_at=clock.now(),  # while queued: when it was queued (fundcrm.jobs.sweep)
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
    with force_locale(job_locale(job, config)):
        message = _(
            "The worker running this job stopped (no sign of life for %(seconds)s seconds). "
            "Nothing was written: retry the job.",
            seconds=int(stale.total_seconds()),
        )
    dead = (
        update(Job)
        .where(Job.id == job.id, Job.attempt == job.attempt, Job.state == "running")
        .where(_same_beat(job.heartbeat_at))  # not if it beat since it was read
        .values(state="failed", finished_at=clock.now(), message=message)
    )
    marked = db.execute(dead).rowcount == 1
    db.commit()
    if marked:
        beats.forget(instance_path, job.id)
    return marked


def _same_beat(seen):
    return Job.heartbeat_at.is_(None) if seen is None else Job.heartbeat_at == seen


def sweep(db: Session, instance_path: str, config) -> dict[str, int]:
    """Fail the jobs of dead workers, queue again the jobs whose task was lost, remove result
    files past JOB_RESULT_DAYS and files left half-written; how many of each. One job that
    cannot be swept (logged) does not stop the others."""
    dead = 0
    for job in queries.running(db):
        try:
            dead += fail_if_dead(db, instance_path, config, job)
        except Exception:
            db.rollback()
            log.exception("sweeping job %s", job.id)
    return {
        "dead": dead,
        "requeued": _requeue_lost(db, config),
        **_remove_expired(db, instance_path),
    }


def _requeue_lost(db: Session, config) -> int:
    """Queue again the jobs queued for longer than JOB_REQUEUE_MINUTES: their task may be lost
    (a worker killed between taking it and claiming the job, a Redis restarted without its
    data). A second task of a job is harmless: only one can claim the attempt."""
    waiting = timedelta(minutes=float(config["JOB_REQUEUE_MINUTES"]))
    requeued = 0
    for job in queries.queued_since_before(db, clock.now() - waiting):
        job.heartbeat_at = clock.now()
        db.commit()
        try:
            queue.enqueue(job.id, job.attempt)
        except queue.QueueUnavailable:
            break
        requeued += 1
    return requeued


def _remove_expired(db: Session, instance_path: str) -> dict[str, int]:
    expired = 0
    for job in queries.results_expired_before(db, clock.now()):
        (results_folder(instance_path) / job.result_file).unlink(missing_ok=True)
        job.result_file = None
        expired += 1
    db.commit()
    return {"expired": expired, "parts": _remove_abandoned_parts(instance_path)}


def _remove_abandoned_parts(instance_path: str) -> int:
    folder = results_folder(instance_path)
    if not folder.is_dir():
        return 0
    limit = clock.now().timestamp() - PART_FILES_STALE_HOURS * 3600
    removed = 0
    for part in [*folder.glob(".*.part"), *folder.glob("*.tmp")]:
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
    if job.expires_at is not None and job.expires_at <= clock.now():
        return None  # past its days, whether or not the sweeper has removed it yet
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
        "step": job.progress_step if job.state == "running" else "",
        **{
            f"{moment}_at": at.isoformat() if (at := getattr(job, f"{moment}_at")) else None
            for moment in ("created", "started", "finished")
        },
    }
