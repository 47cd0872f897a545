"""Pending web imports, kept in the instance folder so every worker process sees them:

    <instance>/imports/<token>/meta.json    who uploaded what, when; its state
    <instance>/imports/<token>/upload.csv   the file, under our own name (or upload.xlsx)
    <instance>/imports/<token>/report.json  the preview, then the import's result

The token is random and the folder belongs to the uploading user only. Folders older than
PENDING_HOURS are removed when the next file is uploaded.
"""

import json
import os
import secrets
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from fundcrm.imports.report import ImportReport

TOKEN_LENGTH = 22  # secrets.token_urlsafe(16)
PENDING_HOURS = 24
STALE_LOCK_MINUTES = 30
PENDING, DONE = "pending", "done"


@dataclass
class Pending:
    token: str
    user_id: int
    kind: str
    filename: str  # as shown; the file is stored as upload.<ext>
    ext: str
    size: int
    created: float
    state: str = PENDING
    recognised: bool = False  # the kind was read from the header row, not chosen
    job_id: int | None = None  # the background job checking or writing a large file


def _meta(pending: "Pending") -> str:
    return json.dumps(asdict(pending), ensure_ascii=False)


def root(instance_path: str) -> Path:
    return Path(instance_path) / "imports"


def _folder(instance_path: str, token: str) -> Path | None:
    valid = len(token) == TOKEN_LENGTH and all(c.isalnum() or c in "-_" for c in token)
    return root(instance_path) / token if valid else None


def create(
    instance_path: str,
    user_id: int,
    kind: str,
    filename: str,
    ext: str,
    data: bytes,
    recognised: bool = False,
) -> Pending:
    purge(instance_path)
    token = secrets.token_urlsafe(16)
    folder = root(instance_path) / token
    folder.mkdir(parents=True, mode=0o700)
    (folder / f"upload.{ext}").write_bytes(data)
    pending = Pending(token, user_id, kind, filename, ext, len(data), time.time())
    pending.recognised = recognised
    _write(folder / "meta.json", _meta(pending))
    return pending


def reload(instance_path: str, pending: Pending) -> Pending | None:
    """The pending import as it is now (another process may have written it meanwhile)."""
    return load(instance_path, pending.token, pending.user_id)


def load(instance_path: str, token: str, user_id: int) -> Pending | None:
    """The user's pending import, or None (unknown token, or another user's)."""
    folder = _folder(instance_path, token)
    if folder is None or not (folder / "meta.json").is_file():
        return None
    pending = Pending(**json.loads((folder / "meta.json").read_text("utf-8")))
    return pending if pending.user_id == user_id else None


def data(instance_path: str, pending: Pending) -> bytes:
    return (root(instance_path) / pending.token / f"upload.{pending.ext}").read_bytes()


def save_report(instance_path: str, pending: Pending, report: ImportReport) -> None:
    _write(root(instance_path) / pending.token / "report.json", report.to_json())


def load_report(instance_path: str, pending: Pending) -> ImportReport | None:
    path = root(instance_path) / pending.token / "report.json"
    return ImportReport.from_json(path.read_text("utf-8")) if path.is_file() else None


def set_state(instance_path: str, pending: Pending, state: str) -> None:
    pending.state = state
    _write(root(instance_path) / pending.token / "meta.json", _meta(pending))


def set_job(instance_path: str, pending: Pending, job_id: int) -> None:
    pending.job_id = job_id
    _write(root(instance_path) / pending.token / "meta.json", _meta(pending))


def claim(instance_path: str, pending: Pending, owner: str | None = None) -> bool:
    """Take the right to write this import, once across all processes (an exclusive
    create of a lock file naming its `owner`); False while another holds it. A lock older
    than STALE_LOCK_MINUTES was left by a process that died, and is taken over; so is a lock
    of the same owner (a job's next attempt, once the earlier one has failed)."""
    lock = root(instance_path) / pending.token / "writing.lock"
    owner = owner or f"request:{secrets.token_hex(8)}"  # a request's claim is its own only
    for _attempt in range(2):
        try:
            handle = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            if not _stale(lock) and _owner(lock) != owner:
                return False
            lock.unlink(missing_ok=True)
        else:
            os.write(handle, owner.encode())
            os.close(handle)
            return True
    return False


def _owner(lock: Path) -> str | None:
    try:
        return lock.read_text("utf-8")
    except OSError:
        return None


def _stale(lock: Path) -> bool:
    try:
        return time.time() - lock.stat().st_mtime > STALE_LOCK_MINUTES * 60
    except FileNotFoundError:  # released meanwhile: try again
        return True


def release(instance_path: str, pending: Pending) -> None:
    (root(instance_path) / pending.token / "writing.lock").unlink(missing_ok=True)


def remove(instance_path: str, pending: Pending) -> None:
    shutil.rmtree(root(instance_path) / pending.token, ignore_errors=True)


def drop_upload(instance_path: str, pending: Pending) -> None:
    """After a successful import only the result is kept."""
    (root(instance_path) / pending.token / f"upload.{pending.ext}").unlink(missing_ok=True)


def purge(instance_path: str) -> None:
    folder = root(instance_path)
    if not folder.is_dir():
        return
    limit = time.time() - PENDING_HOURS * 3600
    for entry in folder.iterdir():
        if entry.is_dir() and entry.stat().st_mtime < limit:
            shutil.rmtree(entry, ignore_errors=True)


def _write(path: Path, text: str) -> None:
    """Write whole or not at all: a reader in another process never sees half a file."""
    temporary = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
    temporary.write_text(text, "utf-8")
    os.replace(temporary, path)
