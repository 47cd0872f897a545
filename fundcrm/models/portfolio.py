"""The portfolio (DOMAIN.md section 6): a holding is one company in one sub-fund; its
transactions are investments, proceeds, dividends and write-offs, amounts in yuan, positive
(the kind gives the direction)."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from fundcrm.models.base import money_column, timestamp_column, utcnow
from fundcrm.models.companies import Company
from fundcrm.models.funds import SubFund

TRANSACTION_KINDS = ("investment", "proceeds", "dividend", "write_off")


class Holding(SQLModel, table=True):
    __tablename__ = "holdings"
    __metrics__ = True  # its writes change the metrics (fundcrm.portfolio.cache)
    __table_args__ = (sa.UniqueConstraint("sub_fund_id", "company_id"),)

    id: int | None = Field(default=None, primary_key=True)
    sub_fund_id: int = Field(foreign_key="sub_funds.id", index=True)
    company_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("companies.id"), nullable=False, index=True)
    )
    opened_on: date
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))

    company: Company | None = Relationship()
    sub_fund: SubFund | None = Relationship()
    transactions: list["PortfolioTransaction"] = Relationship(
        sa_relationship_kwargs={
            "order_by": "[PortfolioTransaction.made_on, PortfolioTransaction.id]",
            "lazy": "selectin",
        }
    )


class PortfolioTransaction(SQLModel, table=True):
    __tablename__ = "portfolio_transactions"
    __metrics__ = True  # its writes change the metrics (fundcrm.portfolio.cache)
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
    note: str = Field(default="", max_length=2000, sa_column_kwargs={"server_default": ""})
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))


class ValuationMark(SQLModel, table=True):
    """A fair value of a holding on a date (DOMAIN.md section 6, four eyes): entered on the
    web it is pending until a second person with the risk role approves it (or rejects it,
    with a reason); only counted marks enter any figure, and a counted mark never changes."""

    __tablename__ = "valuation_marks"
    __metrics__ = True  # its writes change the metrics (fundcrm.portfolio.cache)
    __audit_parent__ = ("holdings", "holding_id")
    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'counted', 'rejected')", name="status_known"),
        sa.CheckConstraint("fair_value_yuan >= 0", name="value_not_negative"),
        sa.Index("ix_valuation_marks_holding_id_marked_on", "holding_id", "marked_on"),
        sa.Index("ix_valuation_marks_status", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    holding_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("holdings.id", ondelete="CASCADE"), nullable=False
        )
    )
    marked_on: date
    fair_value_yuan: Decimal = Field(sa_column=money_column(nullable=False))
    method: str = Field(max_length=20)
    note: str = Field(default="", max_length=2000)
    status: str = Field(default="pending", max_length=10)
    author_id: int | None = Field(default=None, foreign_key="users.id")
    reviewer_id: int | None = Field(default=None, foreign_key="users.id")
    reviewed_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    reject_reason: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
