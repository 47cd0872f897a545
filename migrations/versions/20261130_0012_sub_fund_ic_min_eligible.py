"""Sub-funds: the IC's minimum eligible members (最少有效表决人数)

DOMAIN.md section 4: an IC vote with fewer eligible members than this ends `no_quorum` (one
person never decides alone). Existing sub-funds get the default, 2.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sub_funds") as batch:
        batch.add_column(
            sa.Column("ic_min_eligible", sa.Integer(), nullable=False, server_default="2")
        )


def downgrade() -> None:
    with op.batch_alter_table("sub_funds") as batch:
        batch.drop_column("ic_min_eligible")
