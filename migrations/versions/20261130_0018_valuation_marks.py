"""Valuation marks of holdings, with their four-eyes review

A mark is pending until a second person with the risk role approves or rejects it.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fundcrm.models.base

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "valuation_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("holding_id", sa.Integer(), nullable=False),
        sa.Column("marked_on", sa.Date(), nullable=False),
        sa.Column("fair_value_yuan", sa.Numeric(precision=20, scale=2), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", fundcrm.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reject_reason", sa.String(length=1000), nullable=True),
        sa.Column("created_at", fundcrm.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'counted', 'rejected')",
            name=op.f("ck_valuation_marks_status_known"),
        ),
        sa.CheckConstraint(
            "fair_value_yuan >= 0", name=op.f("ck_valuation_marks_value_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_valuation_marks_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["holding_id"],
            ["holdings.id"],
            name=op.f("fk_valuation_marks_holding_id_holdings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_valuation_marks_reviewer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_valuation_marks")),
    )
    op.create_index(
        op.f("ix_valuation_marks_holding_id_marked_on"),
        "valuation_marks",
        ["holding_id", "marked_on"],
    )
    op.create_index(op.f("ix_valuation_marks_status"), "valuation_marks", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_valuation_marks_status"), table_name="valuation_marks")
    op.drop_index(op.f("ix_valuation_marks_holding_id_marked_on"), table_name="valuation_marks")
    op.drop_table("valuation_marks")
