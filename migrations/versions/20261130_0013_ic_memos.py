"""IC memos: a deal's investment memo and its versions

A memo (投资建议书) has ten Markdown sections and the amount it proposes per participating
sub-fund; every save is a version (unique per memo and number), a submitted version is frozen.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fundcrm.models.base

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, fundcrm.models.base.UTCDateTime(timezone=True), nullable=nullable)


def _user(name: str, table: str) -> tuple[sa.Column, sa.ForeignKeyConstraint]:
    return sa.Column(name, sa.Integer(), nullable=True), sa.ForeignKeyConstraint(
        [name], ["users.id"], name=op.f(f"fk_{table}_{name}_users")
    )


def upgrade() -> None:
    op.create_table(
        "ic_memos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        *_user("created_by_id", "ic_memos"),
        _timestamp("created_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deals.id"], name=op.f("fk_ic_memos_deal_id_deals"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ic_memos")),
    )
    op.create_index(op.f("ix_ic_memos_deal_id"), "ic_memos", ["deal_id"])
    op.create_table(
        "ic_memo_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("memo_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("proposed", sa.JSON(), nullable=False),
        *_user("created_by_id", "ic_memo_versions"),
        _timestamp("created_at", nullable=False),
        *_user("submitted_by_id", "ic_memo_versions"),
        _timestamp("submitted_at"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted')", name=op.f("ck_ic_memo_versions_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["memo_id"],
            ["ic_memos.id"],
            name=op.f("fk_ic_memo_versions_memo_id_ic_memos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ic_memo_versions")),
        sa.UniqueConstraint("memo_id", "number", name=op.f("uq_ic_memo_versions_memo_id_number")),
    )


def downgrade() -> None:
    op.drop_table("ic_memo_versions")
    op.drop_index(op.f("ix_ic_memos_deal_id"), table_name="ic_memos")
    op.drop_table("ic_memos")
