"""Personal API tokens (README "JSON API"): made on the user's own page or by the CLI, shown
once, kept as a SHA-256 hash, listed with their last use, revocable and expiring."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from fundcrm.errors import ServiceError
from fundcrm.models import ApiToken, User
from fundcrm.models.base import utcnow

PREFIX = "fcrm_"
SHOWN_CHARS = 12  # the start of a token its list shows: enough to tell tokens apart
MAX_TOKEN_DAYS = 3650
MAX_NAME = 100
# A token's last use is written at most this often: a busy client does not write on every call.
LAST_USE_EVERY = timedelta(minutes=1)


class TokenError(ServiceError):
    pass


class TokenRefused(Exception):
    """The presented token does not sign anyone in; `message` says why (unknown, expired,
    revoked, or its user disabled)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class NewToken:
    record: ApiToken
    secret: str  # shown once, never stored


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(db: Session, user: User, name: str, days: int | None, now=None) -> NewToken:
    """A new token acting as `user`, expiring after `days` (None: never)."""
    name = (name or "").strip()
    if not name:
        raise TokenError(_l("Give the token a name, such as the tool that will use it."), "name")
    if len(name) > MAX_NAME:
        raise TokenError(_l("A name is at most %(max)s characters.", max=MAX_NAME), "name")
    if days is not None and not 1 <= days <= MAX_TOKEN_DAYS:
        raise TokenError(
            _l("A token expires after 1 to %(max)s days.", max=MAX_TOKEN_DAYS), "expires_days"
        )
    now = now or utcnow()
    secret = PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=digest(secret),
        prefix=secret[:SHOWN_CHARS],
        created_at=now,
        expires_at=now + timedelta(days=days) if days else None,
    )
    db.add(record)
    db.flush()
    return NewToken(record, secret)


def tokens_of(db: Session, user_id: int) -> list[ApiToken]:
    query = select(ApiToken).where(ApiToken.user_id == user_id)
    return list(db.exec(query.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).all())


def revoke_token(db: Session, token: ApiToken, now=None) -> None:
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
        db.flush()


def is_live(token: ApiToken, now: datetime) -> bool:
    return token.revoked_at is None and (token.expires_at is None or token.expires_at > now)


def signed_in_user(db: Session, secret: str, now=None) -> tuple[User, ApiToken]:
    """The user a presented token acts as; TokenRefused saying why it does not.

    The token is checked, and its last use written, on connections of their own before the
    request's session begins: on SQLite a writing request's session holds the write lock from
    its first statement, so a second writer inside it would wait for itself."""
    now = now or utcnow()
    tokens, users = ApiToken.__table__, User.__table__
    with db.get_bind().connect() as connection:
        row = connection.execute(
            sa.select(tokens, users.c.active)
            .join(users, users.c.id == tokens.c.user_id)
            .where(tokens.c.token_hash == digest(secret))
        ).first()
    if row is None:
        raise TokenRefused(_l("This API token is not known: check it was copied whole."))
    if row.revoked_at is not None:
        raise TokenRefused(_l("This API token was revoked."))
    if row.expires_at is not None and row.expires_at <= now:
        raise TokenRefused(_l("This API token has expired: make a new one on your account page."))
    if not row.active:
        raise TokenRefused(_l("This API token's user is disabled."))
    if row.last_used_at is None or now - row.last_used_at >= LAST_USE_EVERY:
        _note_use(row.id, now)
    token = ApiToken(**{column.name: row._mapping[column] for column in tokens.columns})
    return db.get(User, row.user_id), token


def writing_engine():
    return current_app.extensions["fundcrm.writing_engine"]


def _note_use(token_id: int, now: datetime) -> None:
    """Record the last use (at most once a minute) outside the audit trail: a use is not a
    change to business data."""
    with writing_engine().begin() as connection:
        connection.execute(
            sa.update(ApiToken.__table__)
            .where(ApiToken.__table__.c.id == token_id)
            .values(last_used_at=now)
        )
