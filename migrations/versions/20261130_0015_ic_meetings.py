"""IC meetings, agenda items, votes, decisions and conditions

A meeting has a chair, members (with attendance) and an agenda of submitted memo versions;
one vote per member and item (unique); one decision per item (unique), never changed; its
conditions precedent and subsequent, each with a due date.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fundcrm.models.base

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ic_meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("starts_at", sa.Time(), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("chair_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fundcrm.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["chair_id"], ["users.id"], name=op.f("fk_ic_meetings_chair_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_ic_meetings_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ic_meetings")),
    )
    op.create_index(op.f("ix_ic_meetings_held_on"), "ic_meetings", ["held_on"])

    op.create_table(
        "ic_meeting_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("attended", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["ic_meetings.id"],
            name=op.f("fk_ic_meeting_members_meeting_id_ic_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["users.id"], name=op.f("fk_ic_meeting_members_member_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ic_meeting_members")),
        sa.UniqueConstraint(
            "meeting_id", "member_id", name=op.f("uq_ic_meeting_members_meeting_id_member_id")
        ),
    )
    op.create_index(op.f("ix_ic_meeting_members_member_id"), "ic_meeting_members", ["member_id"])

    op.create_table(
        "ic_agenda_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("memo_version_id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("closed_at", fundcrm.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["users.id"], name=op.f("fk_ic_agenda_items_added_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["users.id"], name=op.f("fk_ic_agenda_items_closed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deals.id"], name=op.f("fk_ic_agenda_items_deal_id_deals")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["ic_meetings.id"],
            name=op.f("fk_ic_agenda_items_meeting_id_ic_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["memo_version_id"],
            ["ic_memo_versions.id"],
            name=op.f("fk_ic_agenda_items_memo_version_id_ic_memo_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ic_agenda_items")),
        sa.UniqueConstraint(
            "meeting_id",
            "memo_version_id",
            name=op.f("uq_ic_agenda_items_meeting_id_memo_version_id"),
        ),
    )
    op.create_index(op.f("ix_ic_agenda_items_deal_id"), "ic_agenda_items", ["deal_id"])
    op.create_index(
        op.f("ix_ic_agenda_items_memo_version_id"), "ic_agenda_items", ["memo_version_id"]
    )

    op.create_table(
        "ic_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("recorded", sa.Boolean(), nullable=False),
        sa.Column("rule", sa.JSON(), nullable=False),
        sa.Column("eligible_count", sa.Integer(), nullable=False),
        sa.Column("cast_count", sa.Integer(), nullable=False),
        sa.Column("approving_count", sa.Integer(), nullable=False),
        sa.Column("rejecting_count", sa.Integer(), nullable=False),
        sa.Column("abstaining_count", sa.Integer(), nullable=False),
        sa.Column("votes", sa.JSON(), nullable=False),
        sa.Column("recused", sa.JSON(), nullable=False),
        sa.Column("vetoed_by", sa.JSON(), nullable=False),
        sa.Column("amounts", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fundcrm.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('approve', 'approve_conditions', 'reject', 'no_quorum')",
            name=op.f("ck_ic_decisions_outcome_known"),
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["deals.id"],
            name=op.f("fk_ic_decisions_deal_id_deals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_ic_decisions_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["ic_agenda_items.id"],
            name=op.f("fk_ic_decisions_item_id_ic_agenda_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ic_decisions")),
        sa.UniqueConstraint("item_id", name=op.f("uq_ic_decisions_item_id")),
    )
    op.create_index(op.f("ix_ic_decisions_deal_id"), "ic_decisions", ["deal_id"])

    op.create_table(
        "ic_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("choice", sa.String(length=20), nullable=False),
        sa.Column("condition", sa.String(length=2000), nullable=False),
        sa.Column("cast_at", fundcrm.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "choice IN ('approve', 'approve_conditions', 'reject', 'abstain')",
            name=op.f("ck_ic_votes_choice_known"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["ic_agenda_items.id"],
            name=op.f("fk_ic_votes_item_id_ic_agenda_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["users.id"], name=op.f("fk_ic_votes_member_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ic_votes")),
        sa.UniqueConstraint("item_id", "member_id", name=op.f("uq_ic_votes_item_id_member_id")),
    )
    op.create_table(
        "ic_conditions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("from_members", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("evidence", sa.String(length=2000), nullable=False),
        sa.Column("waive_reason", sa.String(length=2000), nullable=False),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('precedent', 'subsequent')", name=op.f("ck_ic_conditions_kind_known")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'met', 'waived')", name=op.f("ck_ic_conditions_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deals.id"], name=op.f("fk_ic_conditions_deal_id_deals")
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["ic_decisions.id"],
            name=op.f("fk_ic_conditions_decision_id_ic_decisions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["users.id"], name=op.f("fk_ic_conditions_resolved_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ic_conditions")),
    )
    op.create_index(op.f("ix_ic_conditions_deal_id"), "ic_conditions", ["deal_id"])
    op.create_index(op.f("ix_ic_conditions_decision_id"), "ic_conditions", ["decision_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_ic_conditions_decision_id"), table_name="ic_conditions")
    op.drop_index(op.f("ix_ic_conditions_deal_id"), table_name="ic_conditions")

    op.drop_table("ic_conditions")
    op.drop_table("ic_votes")
    op.drop_index(op.f("ix_ic_decisions_deal_id"), table_name="ic_decisions")

    op.drop_table("ic_decisions")
    op.drop_index(op.f("ix_ic_agenda_items_memo_version_id"), table_name="ic_agenda_items")
    op.drop_index(op.f("ix_ic_agenda_items_deal_id"), table_name="ic_agenda_items")

    op.drop_table("ic_agenda_items")
    op.drop_index(op.f("ix_ic_meeting_members_member_id"), table_name="ic_meeting_members")

    op.drop_table("ic_meeting_members")
    op.drop_index(op.f("ix_ic_meetings_held_on"), table_name="ic_meetings")

    op.drop_table("ic_meetings")
