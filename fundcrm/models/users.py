"""Accounts, their roles and the login throttle."""

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlmodel import Field, Relationship, SQLModel

from fundcrm.models.base import timestamp_column, utcnow


class User(UserMixin, SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=100)
    password_hash: str = Field(max_length=255)
    active: bool = Field(default=True)
    locale: str | None = Field(default=None, max_length=10)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))

    roles: list["UserRole"] = Relationship(
        back_populates="user",
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "lazy": "selectin"},
    )

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive users
        return self.active

    @property
    def role_codes(self) -> set[str]:
        return {r.role for r in self.roles}

    def has_role(self, *codes: str) -> bool:
        return bool(self.role_codes.intersection(codes))


class UserRole(SQLModel, table=True):
    __tablename__ = "user_roles"

    user_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
        )
    )
    role: str = Field(max_length=20, primary_key=True)

    user: User | None = Relationship(back_populates="roles")


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins per email; shared by every worker process through the database."""

    __tablename__ = "login_throttle"
    __audit__ = False

    email: str = Field(max_length=254, primary_key=True)
    failures: int = Field(default=0)
    window_started_at: datetime | None = Field(
        default=None, sa_column=timestamp_column(nullable=True)
    )
    locked_until: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
