"""A note on each portfolio transaction, and the metrics cache shared by the workers

`data_versions` holds one counter per kind of data, raised by every write that changes the
metrics; `metrics_cache` keeps results computed from one version of the data.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_versions",
        sa.Column("name", sa.String(length=30), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_data_versions")),
    )
    op.create_table(
        "metrics_cache",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("as_of", "scope", "version", name=op.f("pk_metrics_cache")),
    )
    with op.batch_alter_table("portfolio_transactions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("note", sa.String(length=2000), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("portfolio_transactions", schema=None) as batch_op:
        batch_op.drop_column("note")
    op.drop_table("metrics_cache")
    op.drop_table("data_versions")
