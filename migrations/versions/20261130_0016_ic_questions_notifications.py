"""IC questions and answers, and in-app notifications

A question on a memo is kept with the version it was asked on, its answers with it; a
notification is one per user, kind and record (unique).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fundcrm.models.base

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("subject_table", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", fundcrm.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", fundcrm.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("emailed_at", fundcrm.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "user_id",
            "kind",
            "subject_table",
            "subject_id",
            name=op.f("uq_notifications_user_id_kind_subject_table_subject_id"),
        ),
    )
    op.create_index(
        op.f("ix_notifications_user_id_read_at"), "notifications", ["user_id", "read_at"]
    )

    op.create_table(
        "ic_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("memo_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("asked_by_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("asked_at", fundcrm.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["asked_by_id"], ["users.id"], name=op.f("fk_ic_questions_asked_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["memo_id"],
            ["ic_memos.id"],
            name=op.f("fk_ic_questions_memo_id_ic_memos"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["ic_memo_versions.id"],
            name=op.f("fk_ic_questions_version_id_ic_memo_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ic_questions")),
    )
    op.create_index(op.f("ix_ic_questions_memo_id"), "ic_questions", ["memo_id"])

    op.create_table(
        "ic_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("answered_by_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("answered_at", fundcrm.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["users.id"], name=op.f("fk_ic_answers_answered_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["ic_questions.id"],
            name=op.f("fk_ic_answers_question_id_ic_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ic_answers")),
    )
    op.create_index(op.f("ix_ic_answers_question_id"), "ic_answers", ["question_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_ic_answers_question_id"), table_name="ic_answers")
    op.drop_table("ic_answers")
    op.drop_index(op.f("ix_ic_questions_memo_id"), table_name="ic_questions")
    op.drop_table("ic_questions")
    op.drop_index(op.f("ix_notifications_user_id_read_at"), table_name="notifications")
    op.drop_table("notifications")
