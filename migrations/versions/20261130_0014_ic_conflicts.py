"""IC conflicts: the register of members' conflicts of interest with companies (回避)

One row per member and company (unique), with the reason, the date it was declared and who
recorded it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fundcrm.models.base

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ic_conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("declared_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fundcrm.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_ic_conflicts_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["users.id"], name=op.f("fk_ic_conflicts_member_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_ic_conflicts_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ic_conflicts")),
        sa.UniqueConstraint(
            "member_id", "company_id", name=op.f("uq_ic_conflicts_member_id_company_id")
        ),
    )
    op.create_index(op.f("ix_ic_conflicts_member_id"), "ic_conflicts", ["member_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_ic_conflicts_member_id"), table_name="ic_conflicts")
    op.drop_table("ic_conflicts")
