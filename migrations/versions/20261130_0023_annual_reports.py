"""Annual reports: the issued ones kept, and a job's named step

An annual report issued for a closed period is kept: its file, the figures it was made of, who
made it and when. A job's progress names the step under way (a report's section). A cached
result names the data version it came from (metrics, or the pipeline's for the dashboard).

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fundcrm.models.base

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "issued_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sub_fund_code", sa.String(length=30), nullable=True),
        sa.Column("edition", sa.String(length=10), nullable=False),
        sa.Column("lp_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("file_format", sa.String(length=5), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("download_name", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("issued_by_label", sa.String(length=254), nullable=False),
        sa.Column("issued_at", fundcrm.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "edition = 'staff' OR lp_id IS NOT NULL",
            name=op.f("ck_issued_reports_lp_edition_has_lp"),
        ),
        sa.CheckConstraint(
            "edition IN ('staff', 'lp')", name=op.f("ck_issued_reports_edition_known")
        ),
        sa.CheckConstraint(
            "file_format IN ('pdf', 'xlsx')", name=op.f("ck_issued_reports_format_known")
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["users.id"], name=op.f("fk_issued_reports_issued_by_id_users")
        ),
        sa.ForeignKeyConstraint(["lp_id"], ["lps.id"], name=op.f("fk_issued_reports_lp_id_lps")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_reports")),
    )
    op.create_index("ix_issued_reports_lp_id_id", "issued_reports", ["lp_id", "id"])
    op.add_column(
        "metrics_cache",
        sa.Column("name", sa.String(length=30), server_default="metrics", nullable=False),
    )
    op.add_column(
        "jobs",
        sa.Column("progress_step", sa.String(length=200), server_default="", nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.drop_column("progress_step")
    with op.batch_alter_table("metrics_cache") as batch_op:
        batch_op.drop_column("name")
    op.drop_index("ix_issued_reports_lp_id_id", table_name="issued_reports")
    op.drop_table("issued_reports")
