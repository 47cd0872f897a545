"""Background jobs: one row per piece of work run by `fundcrm worker` (fundcrm.jobs)."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from fundcrm.models.base import timestamp_column, utcnow

# queued → running → done | failed; a failed job is queued again by a retry (attempt + 1)
JOB_STATES = ("queued", "running", "done", "failed")


class Job(SQLModel, table=True):
    """Who asked for what, how far it got and where its result file is. Not business data
    (its progress changes every second): the audit trail records what a job writes, not the
    job itself."""

    __tablename__ = "jobs"
    __audit__ = False
    __table_args__ = (
        sa.Index("ix_jobs_user_id_id", "user_id", "id"),
        sa.Index("ix_jobs_state_heartbeat_at", "state", "heartbeat_at"),
        sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name="state_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=30)
    user_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        )
    )
    params: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    title: str = Field(default="", max_length=300)  # what the jobs page calls it
    state: str = Field(default="queued", max_length=10)
    attempt: int = Field(default=1)
    progress_done: int = Field(default=0)
    progress_total: int | None = Field(default=None)
    progress_step: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    message: str = Field(default="", max_length=2000)
    result_file: str | None = Field(default=None, max_length=200)  # under <instance>/jobs
    result_name: str | None = Field(default=None, max_length=200)  # the download's name
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    heartbeat_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    finished_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    expires_at: datetime | None = Field(default=None, sa_column=timestamp_column())
