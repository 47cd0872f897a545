"""The task queue (huey): Redis when FUNDCRM_REDIS_URL is set, otherwise an SQLite file in the
instance folder, so the embedded install needs no service. Tests run tasks in the request
(JOBS_IMMEDIATE). The queue carries only (job id, attempt); everything else is in the job's
row, so a lost task loses nothing but the nudge to run it."""

import sqlite3
from pathlib import Path

from flask import Flask, current_app
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer

QUEUE_NAME = "fundcrm"
# A Redis that does not answer must fail a request in seconds, not hang it.
REDIS_CONNECT_TIMEOUT = 2
REDIS_SOCKET_TIMEOUT = 10  # longer than a worker's blocking read (1 s)
# An idle worker asks the embedded queue (SQLite, which cannot block) at least this often:
# huey's default backs off to 10 s, which a user who just clicked would wait for.
POLL_AT_MOST_EVERY = 1.0  # seconds


class QueueUnavailable(RuntimeError):
    """The queue could not be reached: nothing was queued."""


def queue_file(instance_path: str) -> Path:
    return Path(instance_path) / "jobs" / "queue.db"


def make_queue(config, instance_path: str):
    if config.get("JOBS_IMMEDIATE"):
        return MemoryHuey(QUEUE_NAME, immediate=True)
    if url := config.get("REDIS_URL"):
        from redis import ConnectionPool

        pool = ConnectionPool.from_url(
            url,
            socket_connect_timeout=REDIS_CONNECT_TIMEOUT,
            socket_timeout=REDIS_SOCKET_TIMEOUT,
        )
        return RedisHuey(QUEUE_NAME, connection_pool=pool)
    path = queue_file(instance_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(QUEUE_NAME, filename=str(path))


def init_app(app: Flask) -> None:
    """The app's queue and its two tasks: run one job, and sweep every minute."""
    from fundcrm.jobs import runner

    huey = make_queue(app.config, app.instance_path)
    app.extensions["fundcrm.queue"] = huey
    app.extensions["fundcrm.run_job"] = huey.task(name="run_job")(
        lambda job_id, attempt: runner.run(app, job_id, attempt)
    )
    huey.periodic_task(crontab(minute="*"), name="sweep_jobs")(lambda: runner.sweep_now(app))
    huey.periodic_task(crontab(minute="*/15"), name="notify")(lambda: runner.notify_now(app))


def queue(app: Flask | None = None):
    return (app or current_app).extensions["fundcrm.queue"]


def enqueue(job_id: int, attempt: int) -> None:
    """Queue a run of the job; QueueUnavailable when the queue cannot be reached."""
    try:
        current_app.extensions["fundcrm.run_job"](job_id, attempt)
    except _unreachable() as error:
        current_app.logger.error("job queue unreachable: %s", error)
        raise QueueUnavailable(str(error)) from error


def reachable(app: Flask | None = None) -> bool:
    """Whether the queue answers (the health check): Redis is asked; the embedded file is
    always there."""
    storage = queue(app).storage
    conn = getattr(storage, "conn", None)
    if conn is None or not hasattr(conn, "ping"):
        return True
    try:
        return bool(conn.ping())
    except _unreachable():
        return False


def _unreachable() -> tuple[type[Exception], ...]:
    # the embedded queue's file locked past its timeout, or Redis not answering
    try:
        from redis.exceptions import ConnectionError, TimeoutError
    except ImportError:  # no Redis client: the embedded queue only
        return (OSError, sqlite3.OperationalError)
    return (ConnectionError, TimeoutError, OSError, sqlite3.OperationalError)


class InProcessConsumer(Consumer):
    """A consumer on threads of the current process (`fundcrm demo`): no signal handlers,
    which only the main thread may set and which the web server keeps for itself."""

    def _set_signal_handlers(self) -> None:
        pass


def start_in_process(app: Flask, workers: int = 2) -> Consumer:
    consumer = InProcessConsumer(
        queue(app), workers=workers, worker_type="thread", max_delay=POLL_AT_MOST_EVERY
    )
    consumer.start()
    return consumer
