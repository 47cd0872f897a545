"""Questions and answers on IC memos, and in-app notifications."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from fundcrm.models.base import timestamp_column, utcnow


def _parent(table: str) -> sa.Column:
    return sa.Column(
        sa.Integer, sa.ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=False, index=True
    )


class IcQuestion(SQLModel, table=True):
    """A question on a memo, kept with the version it was asked on."""

    __tablename__ = "ic_questions"
    __audit_parent__ = ("ic_memos", "memo_id")

    id: int | None = Field(default=None, primary_key=True)
    memo_id: int = Field(sa_column=_parent("ic_memos"))
    version_id: int = Field(foreign_key="ic_memo_versions.id")
    asked_by_id: int = Field(foreign_key="users.id")
    text: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    asked_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))

    answers: list["IcAnswer"] = Relationship(
        sa_relationship_kwargs={"order_by": "IcAnswer.id", "lazy": "selectin"}
    )


class IcAnswer(SQLModel, table=True):
    __tablename__ = "ic_answers"
    __audit_parent__ = ("ic_questions", "question_id")

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(sa_column=_parent("ic_questions"))
    answered_by_id: int = Field(foreign_key="users.id")
    text: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    answered_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamp_column(nullable=False)
    )


class Notification(SQLModel, table=True):
    """Something a user should know (fundcrm.notifications): what happened (`kind`, with the
    words of its message in `params`), to which record (`subject_table`, `subject_id`), and
    whether it was read or emailed. One per user, kind and record (the database's unique key),
    so a repeated sweep notifies once. Not business data: not audited."""

    __tablename__ = "notifications"
    __audit__ = False
    __table_args__ = (
        sa.UniqueConstraint("user_id", "kind", "subject_table", "subject_id"),
        sa.Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        )
    )
    kind: str = Field(max_length=30)
    subject_table: str = Field(max_length=40)
    subject_id: int
    params: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
    read_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    emailed_at: datetime | None = Field(default=None, sa_column=timestamp_column())
