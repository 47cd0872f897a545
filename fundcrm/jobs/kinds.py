"""What each kind of job does. A feature registers its kinds (`@register("export")`); the
runner looks the kind up by the name stored on the job's row."""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session

from fundcrm.models import Job, User


class JobRefused(Exception):
    """The job cannot run as asked (a filter no longer known, an upload gone): its message is
    shown on the job's page in the user's language, and nothing was written."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class JobContext:
    session: Session
    job: Job
    user: User
    folder: Path  # <instance>/jobs: result files
    instance_path: str
    config: dict


@dataclass
class Outcome:
    """What a finished job leaves: a message, and a result file offered for download (written
    completely before it is named here) under the name the browser saves it as."""

    message: str = ""
    file: Path | None = None
    download_name: str | None = None
    extra: dict = field(default_factory=dict)


KINDS: dict[str, Callable[[JobContext], Outcome]] = {}
# Kinds that write business data: their session queues for SQLite's write lock when it begins
# (fundcrm.db); the others read, and leave the lock to the requests.
WRITING: set[str] = set()
# What the jobs pages call a job, from its parameters, in the reader's language (the row's
# `title` is the same in the language of the user who started it, for kinds without one).
TITLES: dict[str, Callable[[dict], str]] = {}
# Kinds whose progress counts rows a reader would count ("1,000 of 125,066"); the others show
# their progress as a share only.
COUNTS_ROWS: set[str] = set()
# The ability a kind needs (fundcrm.permissions): checked when a job is retried and again when
# it runs, so a user whose role changed meanwhile cannot run it.
ABILITIES: dict[str, str] = {}


def subject(job) -> str | None:
    """What the job's ability is judged on besides the role: the kind of file an import or an
    export handles (each kind has its own ability, fundcrm.permissions.KIND_ABILITIES)."""
    params = job.params if isinstance(job.params, dict) else {}
    return params.get("import_kind") or params.get("export_kind")


def register(kind: str, ability: str, writes: bool = False, title=None, counts_rows: bool = False):
    def add(perform: Callable[[JobContext], Outcome]):
        KINDS[kind] = perform
        ABILITIES[kind] = ability
        if writes:
            WRITING.add(kind)
        if title is not None:
            TITLES[kind] = title
        if counts_rows:
            COUNTS_ROWS.add(kind)
        return perform

    return add


def title_of(job: Job) -> str:
    try:
        return TITLES[job.kind](job.params)
    except Exception:  # parameters a title cannot be made of: the title stored with the job
        return job.title
