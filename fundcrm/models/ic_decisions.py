"""IC decisions and their conditions (DOMAIN.md section 4).

A decision is written once, when an agenda item's vote closes (or, for a deal that reached
签约 or 交割 before the system, recorded by risk or an administrator: `recorded`), and never
changes: the rule applied, the counts, each vote, the recusals, the outcome and the approved
amount per sub-fund are kept as they were. Its conditions move on their own: a condition
precedent is met (evidence confirmed by risk) or waived before closing, a condition subsequent
is tracked after it.
"""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from fundcrm.models.base import timestamp_column, utcnow, version_column

_CONDITION_VERSION = version_column()


class IcDecision(SQLModel, table=True):
    __tablename__ = "ic_decisions"
    __audit_parent__ = ("deals", "deal_id")
    __table_args__ = (
        sa.CheckConstraint(
            "outcome IN ('approve', 'approve_conditions', 'reject', 'no_quorum')",
            name="outcome_known",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("deals.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    # the agenda item it closed (unique: one decision per item); none for a recorded decision
    item_id: int | None = Field(default=None, foreign_key="ic_agenda_items.id", unique=True)
    decided_on: date
    outcome: str = Field(max_length=20)
    recorded: bool = Field(default=False)  # a historical decision entered afterwards
    # the rule applied: quorum and threshold as written, the minimum, the veto holders' ids
    rule: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    eligible_count: int = 0
    cast_count: int = 0
    approving_count: int = 0
    rejecting_count: int = 0
    abstaining_count: int = 0
    # [{member_id, choice, condition}] as cast; the recused members' and veto holders' ids
    votes: list = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    recused: list = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    vetoed_by: list = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    # sub-fund id → approved yuan (text), never above the memo's proposal
    amounts: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    note: str = Field(default="", max_length=2000)
    decided_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))

    conditions: list["IcCondition"] = Relationship(
        back_populates="decision",
        sa_relationship_kwargs={"order_by": "IcCondition.id", "lazy": "selectin"},
    )

    @property
    def approving(self) -> bool:
        return self.outcome in ("approve", "approve_conditions")

    @property
    def approved_yuan(self) -> dict[int, Decimal]:
        return {int(key): Decimal(value) for key, value in self.amounts.items()}


class IcCondition(SQLModel, table=True):
    __tablename__ = "ic_conditions"
    __audit_parent__ = ("deals", "deal_id")
    __table_args__ = (
        sa.CheckConstraint("kind IN ('precedent', 'subsequent')", name="kind_known"),
        sa.CheckConstraint("status IN ('open', 'met', 'waived')", name="status_known"),
    )
    __mapper_args__ = {"version_id_col": _CONDITION_VERSION}

    id: int | None = Field(default=None, primary_key=True)
    decision_id: int = Field(
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("ic_decisions.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    deal_id: int = Field(foreign_key="deals.id", index=True)
    kind: str = Field(max_length=12)
    text: str = Field(max_length=2000)
    due_on: date
    # the members whose votes attached it (merged conditions name several)
    from_members: list = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    status: str = Field(default="open", max_length=10)
    evidence: str = Field(default="", max_length=2000)
    waive_reason: str = Field(default="", max_length=2000)
    resolved_on: date | None = None
    resolved_by_id: int | None = Field(default=None, foreign_key="users.id")
    version: int = Field(default=1, sa_column=_CONDITION_VERSION)

    decision: IcDecision | None = Relationship(back_populates="conditions")

    def shown_status(self, today: date) -> str:
        """open, met or waived; an open one past its due date reads `overdue`."""
        return "overdue" if self.status == "open" and self.due_on < today else self.status
