"""Personal API tokens: each acts as its user, stored only as a hash."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from fundcrm.models.base import timestamp_column, utcnow


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    name: str = Field(max_length=100)
    # SHA-256 of the token (hex): a token is 256 random bits, so a fast hash is enough
    token_hash: str = Field(max_length=64, unique=True)
    # the token's first characters, shown in the list so its owner can tell tokens apart
    prefix: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
    expires_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    last_used_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
