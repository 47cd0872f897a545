"""The fund, its sub-funds with their LPA settings, LPs and commitments (DOMAIN.md section 1)."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from fundcrm.models.base import money_column, timestamp_column, utcnow


class FundSettings(SQLModel, table=True):
    """One installation serves one fund: its name, target size and phases (one row)."""

    __tablename__ = "fund_settings"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    target_yuan: Decimal = Field(sa_column=money_column(nullable=False))
    phases: str | None = Field(default=None, sa_column=sa.Column(sa.Text))


class SubFund(SQLModel, table=True):
    __tablename__ = "sub_funds"
    __metrics__ = True  # its writes change the metrics (fundcrm.portfolio.cache)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=30, unique=True)
    name: str = Field(max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    target_yuan: Decimal = Field(sa_column=money_column(nullable=False))
    first_close: date | None = None
    investment_end: date | None = None
    term_end: date | None = None
    allowed_stages: list[str] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    focus_areas: list[str] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    project_cap_pct: Decimal = Field(
        default=Decimal("20"), sa_column=sa.Column(sa.Numeric(7, 4), nullable=False)
    )
    ic_quorum: str = Field(default="2/3", max_length=20)
    ic_threshold: str = Field(default="2/3", max_length=20)
    # one person never decides alone (DOMAIN section 4); the server default fills existing rows
    ic_min_eligible: int = Field(default=2, sa_column_kwargs={"server_default": "2"})
    veto_holder_ids: list[int] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False)
    )

    commitments: list["Commitment"] = Relationship(back_populates="sub_fund")


class LimitedPartner(SQLModel, table=True):
    __tablename__ = "lps"
    __metrics__ = True  # its writes change the metrics (fundcrm.portfolio.cache)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    lp_type: str = Field(max_length=30)
    is_government: bool = Field(default=False)
    # whether it bears a share of the fees and expenses in its capital account (DOMAIN.md
    # section 6); blank: every type but `gp` does
    bears_fees: bool | None = None

    commitments: list["Commitment"] = Relationship(back_populates="lp")


class Commitment(SQLModel, table=True):
    """LP × sub-fund; a government LP's commitment carries its re-investment requirement."""

    __tablename__ = "commitments"
    __metrics__ = True  # its writes change the metrics (fundcrm.portfolio.cache)
    __table_args__ = (sa.UniqueConstraint("lp_id", "sub_fund_id"),)

    id: int | None = Field(default=None, primary_key=True)
    lp_id: int = Field(foreign_key="lps.id", index=True)
    sub_fund_id: int = Field(foreign_key="sub_funds.id", index=True)
    committed_yuan: Decimal = Field(sa_column=money_column(nullable=False))
    # the date it was committed; blank: the sub-fund's first close (DOMAIN.md section 1)
    committed_on: date | None = None
    reinvest_ratio: Decimal | None = Field(
        default=None, sa_column=sa.Column(sa.Numeric(6, 4), nullable=True)
    )
    reinvest_area: list[str] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    reinvest_base: str | None = Field(default=None, max_length=20)
    # a relocated company's cost counts this many times (blank: the setting's default)
    reinvest_multiplier: Decimal | None = Field(
        default=None, sa_column=sa.Column(sa.Numeric(6, 4), nullable=True)
    )
    # when a shortfall becomes a breach (blank: the sub-fund's investment period end)
    reinvest_deadline: date | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))

    lp: LimitedPartner | None = Relationship(back_populates="commitments")
    sub_fund: SubFund | None = Relationship(back_populates="commitments")


class CommitmentChange(SQLModel, table=True):
    """A dated change of a commitment (DOMAIN.md section 1): an `increase` (增资), a `decrease`
    (减资) or a `transfer` (转让) of part of it to another LP's commitment to the same sub-fund
    (`to_commitment_id`); the amount positive, the kind gives the direction."""

    __tablename__ = "commitment_changes"
    __audit_parent__ = ("commitments", "commitment_id")
    __metrics__ = True  # a change moves the committed figures: the metrics cache is stale
    __table_args__ = (
        sa.CheckConstraint("kind IN ('increase', 'decrease', 'transfer')", name="kind_known"),
        sa.CheckConstraint("amount_yuan > 0", name="amount_positive"),
        # a transfer names the receiving commitment, another one; nothing else names one
        sa.CheckConstraint(
            "(kind = 'transfer' AND to_commitment_id IS NOT NULL"
            " AND to_commitment_id <> commitment_id)"
            " OR (kind <> 'transfer' AND to_commitment_id IS NULL)",
            name="transfer_receiver",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    commitment_id: int = Field(foreign_key="commitments.id", index=True)
    changed_on: date
    kind: str = Field(max_length=12)
    amount_yuan: Decimal = Field(sa_column=money_column(nullable=False))
    to_commitment_id: int | None = Field(default=None, foreign_key="commitments.id", index=True)
    note: str = Field(default="", max_length=500)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))


class LpFlow(SQLModel, table=True):
    """Money between an LP and a sub-fund on a date: a `call` (实缴出资) or a `distribution`
    (分配); the amount positive, the kind gives the direction."""

    __tablename__ = "lp_flows"
    __metrics__ = True  # its writes change the metrics (fundcrm.portfolio.cache)
    __table_args__ = (
        sa.CheckConstraint("kind IN ('call', 'distribution')", name="kind_known"),
        sa.CheckConstraint("amount_yuan > 0", name="amount_positive"),
        sa.Index("ix_lp_flows_sub_fund_id_flow_on", "sub_fund_id", "flow_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    lp_id: int = Field(foreign_key="lps.id", index=True)
    sub_fund_id: int = Field(foreign_key="sub_funds.id")
    flow_on: date
    kind: str = Field(max_length=12)
    amount_yuan: Decimal = Field(sa_column=money_column(nullable=False))
    note: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))


class FundExpense(SQLModel, table=True):
    """A sub-fund's management fee (管理费) or fund expense (基金费用) on a date."""

    __tablename__ = "fund_expenses"
    __metrics__ = True  # its writes change the metrics (fundcrm.portfolio.cache)
    __table_args__ = (
        sa.CheckConstraint("kind IN ('management_fee', 'expense')", name="kind_known"),
        sa.CheckConstraint("amount_yuan > 0", name="amount_positive"),
        sa.Index("ix_fund_expenses_sub_fund_id_spent_on", "sub_fund_id", "spent_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    sub_fund_id: int = Field(foreign_key="sub_funds.id")
    spent_on: date
    kind: str = Field(max_length=20)
    amount_yuan: Decimal = Field(sa_column=money_column(nullable=False))
    note: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
