"""Running one job in a worker: claim it, beat a heartbeat with its progress while the work
runs, then record how it ended. Every change of state is one guarded UPDATE on the job's row
(`WHERE state = … AND attempt = …`), so two workers never run the same attempt, and a job the
sweeper gave up on is not marked done by a worker that was merely slow.

The heartbeat is written by a thread of its own on a connection of its own. On SQLite the
database has one writer: while an import holds the write lock the beat cannot reach the row and
goes to `<instance>/jobs/<id>.beat` instead; whoever reads a job's progress or judges it dead
reads both (fundcrm.jobs.beats).
"""

import logging
import threading
from datetime import timedelta
from pathlib import Path

from babel.core import Locale, UnknownLocaleError
from flask import Flask
from flask_babel import force_locale
from flask_babel import gettext as _
from huey.exceptions import RetryTask
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from fundcrm import audit, clock
from fundcrm.jobs import beats
from fundcrm.jobs.kinds import (
    ABILITIES,
    KINDS,
    WRITING,
    JobContext,
    JobRefused,
    Outcome,
    subject,
)
from fundcrm.models import Job, User
from fundcrm.permissions import user_can
from fundcrm.progress import Progress, watched_by

log = logging.getLogger(__name__)


def results_folder(instance_path: str) -> Path:
    return Path(instance_path) / "jobs"


class Abandoned(Exception):
    """The job's row no longer says this attempt is running (swept as dead meanwhile)."""


def _guarded(job_id: int, attempt: int, state: str):
    return update(Job).where(Job.id == job_id, Job.attempt == attempt, Job.state == state)


BUSY_TRIES = 4  # of SQLite's 30-s busy timeout: an import may hold the write lock for minutes
RETRY_CLAIM_AFTER = 30  # seconds: a claim the database was too busy for is queued again


def _execute(engine, statement) -> int:
    """Run one UPDATE of a job's row, waiting out a long SQLite write (an import job's)."""
    for tries_left in range(BUSY_TRIES - 1, -1, -1):
        try:
            with engine.begin() as connection:
                return connection.execute(statement).rowcount
        except OperationalError:
            if not tries_left:
                raise
    raise AssertionError("unreachable")


def run(app: Flask, job_id: int, attempt: int) -> None:
    """The queue's task: run the attempt if it is still the one queued."""
    with app.app_context():
        engine = app.extensions["fundcrm.engine"]
        now = clock.now()
        claimed = _guarded(job_id, attempt, "queued").values(
            state="running",
            started_at=now,
            heartbeat_at=now,
            progress_done=0,
            message="",
            progress_step="",
        )
        try:
            if _execute(engine, claimed) != 1:
                return  # run already, retried since, or gone
        except OperationalError:
            raise RetryTask(delay=RETRY_CLAIM_AFTER) from None  # huey queues it again
        with Session(engine) as reading:
            job = reading.get(Job, job_id)
        with force_locale(job_locale(job, app.config)):
            _run_claimed(app, job, attempt)


def job_locale(job: Job, config) -> str:
    """The language of the request that started the job (the default for anything else)."""
    params = job.params if isinstance(job.params, dict) else {}
    default = config["BABEL_DEFAULT_LOCALE"]
    try:
        language = Locale.parse(params.get("locale")).language
    except (TypeError, ValueError, UnknownLocaleError):
        return default
    served = {Locale.parse(code).language for code in config["LANGUAGES"]}
    return params["locale"] if language in served else default


def _run_claimed(app: Flask, job: Job, attempt: int) -> None:
    listener = Heartbeat(app, job.id, attempt)
    listener.start()
    try:
        with watched_by(listener):
            outcome = _perform(app, job)
    except Abandoned:
        return
    except JobRefused as refused:
        _fail(app, job.id, attempt, refused.message)
        return
    except Exception:
        log.exception("job %s (%s) failed", job.id, job.kind)
        message = _(
            "The job failed with an unexpected error (it is in the server log). "
            "Nothing was written."
        )
        _fail(app, job.id, attempt, message)
        return
    finally:
        listener.stop()
    _finish(app, job, attempt, outcome, listener)


def _perform(app: Flask, job: Job) -> Outcome:
    if job.kind not in KINDS or not isinstance(job.params, dict):
        raise JobRefused(_("This job cannot be run: start it again from its page."))
    engine = app.extensions["fundcrm.writing_engine" if job.kind in WRITING else "fundcrm.engine"]
    with Session(engine, expire_on_commit=False) as session:
        user = session.get(User, job.user_id)
        if not user.active or not user_can(user, ABILITIES[job.kind], subject(job)):
            raise JobRefused(_("Your role no longer allows this job."))
        audit.set_actor(session, user.id, user.email)
        folder = results_folder(app.instance_path)
        folder.mkdir(parents=True, exist_ok=True)
        context = JobContext(session, job, user, folder, app.instance_path, app.config)
        return KINDS[job.kind](context)


def _finish(app: Flask, job: Job, attempt: int, outcome: Outcome, progress: Progress) -> None:
    now = clock.now()
    kept = timedelta(days=float(app.config["JOB_RESULT_DAYS"]))
    done = _guarded(job.id, attempt, "running").values(
        state="done",
        finished_at=now,
        heartbeat_at=now,
        message=outcome.message[:2000],
        progress_done=progress.done,
        progress_total=progress.total,
        progress_step="",
        result_file=outcome.file.name if outcome.file else None,
        result_name=outcome.download_name,
        expires_at=now + kept if outcome.file else None,
    )
    if _execute(app.extensions["fundcrm.engine"], done) != 1 and outcome.file:
        outcome.file.unlink(missing_ok=True)  # swept meanwhile: nobody will fetch it
    beats.forget(app.instance_path, job.id)


def _fail(app: Flask, job_id: int, attempt: int, message: str) -> None:
    failed = _guarded(job_id, attempt, "running").values(
        state="failed", finished_at=clock.now(), message=message[:2000]
    )
    _execute(app.extensions["fundcrm.engine"], failed)
    beats.forget(app.instance_path, job_id)


class Heartbeat(Progress):
    """The work's progress, written with a heartbeat every JOB_HEARTBEAT_SECONDS by a thread;
    the work itself only counts in memory."""

    def __init__(self, app: Flask, job_id: int, attempt: int):
        super().__init__()
        self.engine = app.extensions["fundcrm.engine"]
        self.instance_path = app.instance_path
        self.every = float(app.config["JOB_HEARTBEAT_SECONDS"])
        self.job_id, self.attempt = job_id, attempt
        self.abandoned = False
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._beat_until_stopped, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def on_change(self) -> None:
        if self.abandoned:
            raise Abandoned()

    def _beat_until_stopped(self) -> None:
        while not self._stopped.wait(self.every):
            try:
                self.beat()
            except Exception:  # a beat missed is tried again; a dead thread would doom the job
                log.exception("heartbeat of job %s", self.job_id)

    def beat(self) -> None:
        now = clock.now()
        statement = _guarded(self.job_id, self.attempt, "running").values(
            heartbeat_at=now,
            progress_done=self.done,
            progress_total=self.total,
            progress_step=self.step[:200],
        )
        try:
            with self.engine.begin() as connection, beats.brief_wait(connection):
                self.abandoned = connection.execute(statement).rowcount != 1
        except OperationalError:  # SQLite's write lock is held by the job's own import
            beats.write(self.instance_path, self.job_id, self.attempt, now, self.done, self.total)


def notify_now(app: Flask) -> None:
    """The periodic task of notifications: conditions coming due, and email when configured."""
    from fundcrm.notifications import services

    with app.app_context(), Session(app.extensions["fundcrm.engine"]) as session:
        audit.set_actor(session, None, "system")
        services.sweep(session, app.config)


def sweep_now(app: Flask) -> None:
    """The periodic task: fail jobs whose worker died, remove expired result files."""
    from fundcrm.jobs import services

    with app.app_context(), Session(app.extensions["fundcrm.engine"]) as session:
        services.sweep(session, app.instance_path, app.config)
