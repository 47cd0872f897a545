"""Portfolio: holdings and their transactions

A holding is one company in one sub-fund (unique); its transactions are investments,
proceeds, dividends and write-offs, amounts positive in yuan.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fundcrm.models.base

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "holdings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sub_fund_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("created_at", fundcrm.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_holdings_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["sub_fund_id"], ["sub_funds.id"], name=op.f("fk_holdings_sub_fund_id_sub_funds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holdings")),
        sa.UniqueConstraint(
            "sub_fund_id", "company_id", name=op.f("uq_holdings_sub_fund_id_company_id")
        ),
    )
    op.create_index(op.f("ix_holdings_company_id"), "holdings", ["company_id"])
    op.create_index(op.f("ix_holdings_sub_fund_id"), "holdings", ["sub_fund_id"])

    op.create_table(
        "portfolio_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("holding_id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=True),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("amount_yuan", sa.Numeric(precision=20, scale=2), nullable=False),
        sa.Column("exit", sa.String(length=10), nullable=True),
        sa.Column("equity_pct", sa.Numeric(precision=7, scale=4), nullable=True),
        sa.Column("round", sa.String(length=20), nullable=True),
        sa.Column("post_money_yuan", sa.Numeric(precision=20, scale=2), nullable=True),
        sa.Column("override_reason", sa.String(length=1000), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fundcrm.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "exit IS NULL OR exit IN ('partial', 'full')",
            name=op.f("ck_portfolio_transactions_exit_known"),
        ),
        sa.CheckConstraint(
            "kind IN ('investment', 'proceeds', 'dividend', 'write_off')",
            name=op.f("ck_portfolio_transactions_kind_known"),
        ),
        sa.CheckConstraint(
            "amount_yuan >= 0", name=op.f("ck_portfolio_transactions_amount_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_portfolio_transactions_created_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deals.id"], name=op.f("fk_portfolio_transactions_deal_id_deals")
        ),
        sa.ForeignKeyConstraint(
            ["holding_id"],
            ["holdings.id"],
            name=op.f("fk_portfolio_transactions_holding_id_holdings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_transactions")),
    )
    op.create_index(
        op.f("ix_portfolio_transactions_deal_id"), "portfolio_transactions", ["deal_id"]
    )
    op.create_index(
        op.f("ix_portfolio_transactions_holding_id_made_on"),
        "portfolio_transactions",
        ["holding_id", "made_on"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_portfolio_transactions_holding_id_made_on"), table_name="portfolio_transactions"
    )
    op.drop_index(op.f("ix_portfolio_transactions_deal_id"), table_name="portfolio_transactions")
    op.drop_table("portfolio_transactions")
    op.drop_index(op.f("ix_holdings_sub_fund_id"), table_name="holdings")
    op.drop_index(op.f("ix_holdings_company_id"), table_name="holdings")
    op.drop_table("holdings")
