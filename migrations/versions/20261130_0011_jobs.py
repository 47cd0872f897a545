"""Jobs: background work (big exports and imports) with its progress and result file

One row per job run by `fundcrm worker` (fundcrm.jobs): who asked for it, its parameters, its
state and progress, the heartbeat by which a dead worker is noticed, and its result file under
the instance folder.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import fundcrm.models.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _timestamp(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, fundcrm.models.base.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", _text(30), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("title", _text(300), nullable=False),
        sa.Column("state", _text(10), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("progress_done", sa.Integer(), nullable=False),
        sa.Column("progress_total", sa.Integer(), nullable=True),
        sa.Column("message", _text(2000), nullable=False),
        sa.Column("result_file", _text(200), nullable=True),
        sa.Column("result_name", _text(200), nullable=True),
        _timestamp("created_at", nullable=False),
        _timestamp("started_at"),
        _timestamp("heartbeat_at"),
        _timestamp("finished_at"),
        _timestamp("expires_at"),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_jobs_state_known")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_jobs_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index("ix_jobs_state_heartbeat_at", "jobs", ["state", "heartbeat_at"])
    op.create_index("ix_jobs_user_id_id", "jobs", ["user_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_jobs_user_id_id", table_name="jobs")
    op.drop_index("ix_jobs_state_heartbeat_at", table_name="jobs")
    op.drop_table("jobs")
