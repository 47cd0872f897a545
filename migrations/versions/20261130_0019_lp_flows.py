"""LP calls and distributions, fund expenses, and the date of each commitment

Existing commitments get their sub-fund's first close as their date.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fundcrm.models.base

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fund_expenses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sub_fund_id", sa.Integer(), nullable=False),
        sa.Column("spent_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount_yuan", sa.Numeric(precision=20, scale=2), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", fundcrm.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('management_fee', 'expense')", name=op.f("ck_fund_expenses_kind_known")
        ),
        sa.CheckConstraint("amount_yuan > 0", name=op.f("ck_fund_expenses_amount_positive")),
        sa.ForeignKeyConstraint(
            ["sub_fund_id"], ["sub_funds.id"], name=op.f("fk_fund_expenses_sub_fund_id_sub_funds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_expenses")),
    )
    op.create_index(
        op.f("ix_fund_expenses_sub_fund_id_spent_on"), "fund_expenses", ["sub_fund_id", "spent_on"]
    )

    op.create_table(
        "lp_flows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lp_id", sa.Integer(), nullable=False),
        sa.Column("sub_fund_id", sa.Integer(), nullable=False),
        sa.Column("flow_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("amount_yuan", sa.Numeric(precision=20, scale=2), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", fundcrm.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('call', 'distribution')", name=op.f("ck_lp_flows_kind_known")),
        sa.CheckConstraint("amount_yuan > 0", name=op.f("ck_lp_flows_amount_positive")),
        sa.ForeignKeyConstraint(["lp_id"], ["lps.id"], name=op.f("fk_lp_flows_lp_id_lps")),
        sa.ForeignKeyConstraint(
            ["sub_fund_id"], ["sub_funds.id"], name=op.f("fk_lp_flows_sub_fund_id_sub_funds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lp_flows")),
    )
    op.create_index(op.f("ix_lp_flows_lp_id"), "lp_flows", ["lp_id"])
    op.create_index(op.f("ix_lp_flows_sub_fund_id_flow_on"), "lp_flows", ["sub_fund_id", "flow_on"])

    op.add_column("commitments", sa.Column("committed_on", sa.Date(), nullable=True))
    op.execute(
        "UPDATE commitments SET committed_on = "
        "(SELECT first_close FROM sub_funds WHERE sub_funds.id = commitments.sub_fund_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("commitments") as batch_op:
        batch_op.drop_column("committed_on")
    op.drop_index("ix_lp_flows_sub_fund_id_flow_on", table_name="lp_flows")
    op.drop_index(op.f("ix_lp_flows_lp_id"), table_name="lp_flows")
    op.drop_table("lp_flows")
    op.drop_index("ix_fund_expenses_sub_fund_id_spent_on", table_name="fund_expenses")
    op.drop_table("fund_expenses")
