"""What the guidance-fund rules are checked against (DOMAIN.md sections 1, 2, 7 and 8): a
company's relocations and milestones, its KPIs, the requests to override a mandate breach and
the closed periods."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from fundcrm.models.base import money_column, timestamp_column, utcnow, version_column

_KPI_VERSION = version_column()
_REQUEST_VERSION = version_column()


class Relocation(SQLModel, table=True):
    """A change of a company's registered location (迁址): from, to, the date it took effect
    and the evidence. Recorded once; it also makes the company's `introduced` milestone, and
    it moves the company into or out of a re-investment area from its date on."""

    __tablename__ = "relocations"
    __metrics__ = True  # the company's location: the portfolio list shows its zone
    __audit_parent__ = ("companies", "company_id")
    __table_args__ = (
        sa.Index("ix_relocations_company_id_effective_on", "company_id", "effective_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("companies.id", ondelete="CASCADE"), nullable=False
        )
    )
    effective_on: date
    from_district: str | None = Field(default=None, max_length=30)
    from_city: str | None = Field(default=None, max_length=50)
    to_district: str | None = Field(default=None, max_length=30)
    to_city: str | None = Field(default=None, max_length=50)
    evidence: str = Field(max_length=1000)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))


MILESTONE_KINDS = ("technology", "product", "scenario", "introduced", "recognised")


class Milestone(SQLModel, table=True):
    """A portfolio company's milestone (DOMAIN.md sections 2 and 7): kind, title, date and
    evidence; a relocation's `introduced` milestone names it."""

    __tablename__ = "milestones"
    __audit_parent__ = ("companies", "company_id")
    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('technology', 'product', 'scenario', 'introduced', 'recognised')",
            name="kind_known",
        ),
        sa.Index("ix_milestones_company_id_achieved_on", "company_id", "achieved_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("companies.id", ondelete="CASCADE"), nullable=False
        )
    )
    kind: str = Field(max_length=20)
    title: str = Field(max_length=200)
    achieved_on: date
    evidence: str = Field(default="", max_length=1000)
    # the evidence as a stored file of the company, when one was attached
    document_id: int | None = Field(default=None, foreign_key="documents.id")
    relocation_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("relocations.id", ondelete="CASCADE"), nullable=True
        ),
    )
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))


class CompanyKpi(SQLModel, table=True):
    """A portfolio company's KPIs for a year (`2026`) or a quarter (`2026Q3`); money in yuan.
    `period_end` (31 December, or the quarter's last day) is the date a closed period judges."""

    __tablename__ = "company_kpis"
    __audit_parent__ = ("companies", "company_id")
    __mapper_args__ = {"version_id_col": _KPI_VERSION}
    __table_args__ = (sa.UniqueConstraint("company_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("companies.id", ondelete="CASCADE"), nullable=False
        )
    )
    period: str = Field(max_length=6)
    period_end: date
    revenue_yuan: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    cq_revenue_yuan: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    net_profit_yuan: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    headcount: int | None = None
    rd_yuan: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    patents: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
    version: int = Field(default=1, sa_column=_KPI_VERSION)


class OverrideRequest(SQLModel, table=True):
    """A manager's request that risk or an administrator perform a move refused for a mandate
    breach (DOMAIN.md section 3): the breaches as refused, the manager's case, and the
    decision — performed (with the override's reason) or declined (with a reason)."""

    __tablename__ = "override_requests"
    __audit_parent__ = ("deals", "deal_id")
    __mapper_args__ = {"version_id_col": _REQUEST_VERSION}
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('pending', 'performed', 'declined', 'withdrawn')", name="status_known"
        ),
        sa.Index("ix_override_requests_status_id", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("deals.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    from_stage: str = Field(max_length=20)
    to_stage: str = Field(max_length=20)
    breaches: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    note: str = Field(max_length=2000)
    status: str = Field(default="pending", max_length=10)
    requested_by_id: int = Field(foreign_key="users.id")
    decided_by_id: int | None = Field(default=None, foreign_key="users.id")
    decided_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    decision_reason: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
    version: int = Field(default=1, sa_column=_REQUEST_VERSION)


class PeriodClose(SQLModel, table=True):
    """A closed period (DOMAIN.md section 8): everything dated on or before `closed_through`
    (transactions, marks, LP flows, expenses, KPIs) is refused while it stands; reopening it
    needs a reason. The periods in force are the closes not reopened."""

    __tablename__ = "period_closes"

    id: int | None = Field(default=None, primary_key=True)
    closed_through: date = Field(index=True)
    closed_by_id: int | None = Field(default=None, foreign_key="users.id")
    closed_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
    note: str = Field(default="", max_length=1000)
    reopened_by_id: int | None = Field(default=None, foreign_key="users.id")
    reopened_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    reopen_reason: str | None = Field(default=None, max_length=1000)
