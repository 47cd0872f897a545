"""The portfolio (DOMAIN.md section 6): a holding is one company in one sub-fund; its
transactions are investments, proceeds, dividends and write-offs, amounts in yuan, positive
(the kind gives the direction)."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from fundcrm.models.base import money_column, timestamp_column, utcnow

TRANSACTION_KINDS = ("investment", "proceeds", "dividend", "write_off")


class Holding(SQLModel, table=True):
    __tablename__ = "holdings"
    __table_args__ = (sa.UniqueConstraint("sub_fund_id", "company_id"),)

    id: int | None = Field(default=None, primary_key=True)
    sub_fund_id: int = Field(foreign_key="sub_funds.id", index=True)
    company_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("companies.id"), nullable=False, index=True)
    )
    opened_on: date
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))

    transactions: list["PortfolioTransaction"] = Relationship(
        sa_relationship_kwargs={
            "order_by": "[PortfolioTransaction.made_on, PortfolioTransaction.id]",
            "lazy": "selectin",
        }
    )


class PortfolioTransaction(SQLModel, table=True):
    __tablename__ = "portfolio_transactions"
    __audit_parent__ = ("holdings", "holding_id")
    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('investment', 'proceeds', 'dividend', 'write_off')", name="kind_known"
        ),
        sa.CheckConstraint("exit IS NULL OR exit IN ('partial', 'full')", name="exit_known"),
        sa.CheckConstraint("amount_yuan >= 0", name="amount_not_negative"),
        sa.Index("ix_portfolio_transactions_holding_id_made_on", "holding_id", "made_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    holding_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("holdings.id", ondelete="CASCADE"), nullable=False
        )
    )
    # the deal whose closing recorded it (none for a direct entry or an import)
    deal_id: int | None = Field(default=None, foreign_key="deals.id", index=True)
    made_on: date
    kind: str = Field(max_length=12)
    amount_yuan: Decimal = Field(sa_column=money_column(nullable=False))
    exit: str | None = Field(default=None, max_length=10)
    # the holding's total ownership after this transaction, when known
    equity_pct: Decimal | None = Field(
        default=None, sa_column=sa.Column(sa.Numeric(7, 4), nullable=True)
    )
    round: str | None = Field(default=None, max_length=20)
    post_money_yuan: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    override_reason: str | None = Field(default=None, max_length=1000)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
