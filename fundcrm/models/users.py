"""Accounts, their roles and the login throttle."""

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlmodel import Field, Relationship, SQLModel

from fundcrm.models.base import timestamp_column, utcnow


def new_session_token() -> str:
    """A fresh secret that the user's signed-in sessions must carry."""
    return secrets.token_urlsafe(32)


class User(UserMixin, SQLModel, table=True):
    __tablename__ = "users"
    # the deal and task lists sort by owner or assignee name
    __table_args__ = (sa.Index("ix_users_name_id", "name", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=100)
    password_hash: str = Field(max_length=255)
    active: bool = Field(default=True)
    locale: str | None = Field(default=None, max_length=10)
    # An LP representative (viewer) tied to one LP sees only that LP's sub-funds (DOMAIN.md
    # section 2); set by an administrator.
    lp_id: int | None = Field(default=None, foreign_key="lps.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
    # Part of every signed-in session's user id; a new token ends all sessions at once. The empty
    # server default only lets the column be added to existing rows; each row gets a real token.
    session_token: str = Field(
        default_factory=new_session_token,
        max_length=64,
        sa_column_kwargs={"server_default": ""},
    )

    roles: list["UserRole"] = Relationship(
        back_populates="user",
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "lazy": "selectin"},
    )

    def get_id(self) -> str:
        """flask-login's id for the session cookie: the row id and the current session token."""
        return f"{self.id}:{self.session_token}"

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
