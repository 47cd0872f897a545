"""The investment committee (投决会): memos and their versions, members' conflicts."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from fundcrm.models.base import timestamp_column, utcnow, version_column
from fundcrm.models.deals import Deal

_VERSION = version_column()


class IcMemo(SQLModel, table=True):
    """A deal's investment memo (投资建议书): its versions, the latest last."""

    __tablename__ = "ic_memos"
    __audit_parent__ = ("deals", "deal_id")

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("deals.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))

    deal: Deal | None = Relationship()
    versions: list["IcMemoVersion"] = Relationship(
        back_populates="memo",
        sa_relationship_kwargs={"order_by": "IcMemoVersion.number", "lazy": "selectin"},
    )


class IcMemoVersion(SQLModel, table=True):
    """One version of a memo: its ten sections (Markdown), and the amounts it proposes per
    sub-fund (sub-fund id → yuan, as text). A submitted version is frozen: an edit makes the
    next version, a draft."""

    __tablename__ = "ic_memo_versions"
    __audit_parent__ = ("ic_memos", "memo_id")
    __table_args__ = (
        sa.UniqueConstraint("memo_id", "number"),
        sa.CheckConstraint("status IN ('draft', 'submitted')", name="status_known"),
    )
    __mapper_args__ = {"version_id_col": _VERSION}

    id: int | None = Field(default=None, primary_key=True)
    memo_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("ic_memos.id", ondelete="CASCADE"), nullable=False
        )
    )
    number: int = Field(default=1)
    status: str = Field(default="draft", max_length=10)
    sections: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    proposed: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
    submitted_by_id: int | None = Field(default=None, foreign_key="users.id")
    submitted_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    version: int = Field(default=1, sa_column=_VERSION)

    memo: IcMemo | None = Relationship(back_populates="versions")


class IcConflict(SQLModel, table=True):
    """An IC member's conflict of interest with a company (回避): declared by the member, or
    recorded by risk or an administrator. The member is recused on every agenda item of the
    company's deals."""

    __tablename__ = "ic_conflicts"
    __audit_parent__ = ("companies", "company_id")
    __table_args__ = (sa.UniqueConstraint("member_id", "company_id"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="users.id", index=True)
    company_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("companies.id", ondelete="CASCADE"), nullable=False
        )
    )
    reason: str = Field(max_length=1000)
    declared_on: date
    recorded_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
