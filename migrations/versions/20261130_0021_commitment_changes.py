"""Dated changes of commitments: increases, decreases and transfers

A commitment's amount in force on a date is its amount from its start date, moved by the
changes dated on or before that date (DOMAIN.md section 1). Existing commitments have none.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fundcrm.models.base

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "commitment_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("amount_yuan", sa.Numeric(precision=20, scale=2), nullable=False),
        sa.Column("to_commitment_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fundcrm.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'transfer' AND to_commitment_id IS NOT NULL"
            " AND to_commitment_id <> commitment_id)"
            " OR (kind <> 'transfer' AND to_commitment_id IS NULL)",
            name=op.f("ck_commitment_changes_transfer_receiver"),
        ),
        sa.CheckConstraint(
            "kind IN ('increase', 'decrease', 'transfer')",
            name=op.f("ck_commitment_changes_kind_known"),
        ),
        sa.CheckConstraint("amount_yuan > 0", name=op.f("ck_commitment_changes_amount_positive")),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitments.id"],
            name=op.f("fk_commitment_changes_commitment_id_commitments"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_commitment_changes_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["to_commitment_id"],
            ["commitments.id"],
            name=op.f("fk_commitment_changes_to_commitment_id_commitments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitment_changes")),
    )
    op.create_index(
        op.f("ix_commitment_changes_commitment_id"), "commitment_changes", ["commitment_id"]
    )
    op.create_index(
        op.f("ix_commitment_changes_to_commitment_id"), "commitment_changes", ["to_commitment_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_commitment_changes_to_commitment_id"), table_name="commitment_changes")
    op.drop_index(op.f("ix_commitment_changes_commitment_id"), table_name="commitment_changes")
    op.drop_table("commitment_changes")
