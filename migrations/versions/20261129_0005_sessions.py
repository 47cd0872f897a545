"""Sessions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite cannot add a NOT NULL column without a constant default, and
    # rebuilding `users` there would cascade-delete its roles); every existing row then gets a
    # token of its own, so everyone is signed out once.
    op.add_column(
        "users",
        sa.Column(
            "session_token",
            sqlmodel.sql.sqltypes.AutoString(length=64),
            nullable=False,
            server_default="",
        ),
    )
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("session_token", sa.String))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        token = secrets.token_urlsafe(32)
        connection.execute(users.update().where(users.c.id == user_id).values(session_token=token))


def downgrade() -> None:
    op.drop_column("users", "session_token")  # SQLite 3.35+ drops a column in place
