"""A job's heartbeat when its row cannot take it: `<instance>/jobs/<id>.beat`.

On SQLite a running import holds the database's one write lock until it commits, so the
heartbeat thread cannot update the job's row meanwhile; it writes this file instead (whole, by
rename). Whoever shows a job's progress or judges whether its worker is alive takes the newer
of the row and the file (`latest`)."""

import json
import os
import secrets
from datetime import datetime
from pathlib import Path

from fundcrm.db import SQLITE_BUSY_SECONDS, sqlite_pragma

SQLITE_BUSY_MS = 250  # how long a heartbeat waits for SQLite's write lock before the file


def _path(instance_path: str, job_id: int) -> Path:
    return Path(instance_path) / "jobs" / f"{int(job_id)}.beat"


def brief_wait(connection):
    """On SQLite, give up on the write lock after SQLITE_BUSY_MS instead of 30 s."""
    usual = SQLITE_BUSY_SECONDS * 1000  # restored afterwards
    return sqlite_pragma(connection, "busy_timeout", SQLITE_BUSY_MS, usual)


def write(instance_path: str, job_id: int, attempt: int, at: datetime, done: int, total) -> None:
    path = _path(instance_path, job_id)
    part = path.with_name(f"{path.name}.{secrets.token_hex(4)}.tmp")
    beat = {"attempt": attempt, "at": at.isoformat(), "done": done, "total": total}
    part.write_text(json.dumps(beat))
    os.replace(part, path)


def read(instance_path: str, job_id: int) -> dict | None:
    try:
        beat = json.loads(_path(instance_path, job_id).read_text())
    except (OSError, ValueError):
        return None
    beat["at"] = datetime.fromisoformat(beat["at"])
    return beat


def latest(instance_path: str, job) -> tuple[datetime | None, int, int | None]:
    """The job's last sign of life and progress: (heartbeat, done, total) from the row or the
    file, whichever is newer (the file counts only for the attempt running now)."""
    beat = read(instance_path, job.id) if job.state == "running" else None
    row = (job.heartbeat_at, job.progress_done, job.progress_total)
    if beat is None or beat["attempt"] != job.attempt:
        return row
    if job.heartbeat_at is None or beat["at"] > job.heartbeat_at:
        return beat["at"], beat["done"], beat["total"]
    return row


def forget(instance_path: str, job_id: int) -> None:
    _path(instance_path, job_id).unlink(missing_ok=True)
