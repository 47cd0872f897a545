"""Account rules: creating users, checking passwords, throttling failed sign-ins."""

import secrets
from datetime import datetime, timedelta
from functools import lru_cache

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from fundcrm import clock
from fundcrm.auth.queries import (  # noqa: F401 - the account services' public reads
    EMAIL_MAX_LENGTH,
    all_may,
    count_active_admins,
    find_user,
    normalise_email,
    users_who_can,
)
from fundcrm.db import lock_for_edit, refused_if_taken, upsert
from fundcrm.domain.vocab import ROLES
from fundcrm.errors import ServiceError
from fundcrm.models import LoginThrottle, User, UserRole
from fundcrm.models.base import UTCDateTime
from fundcrm.models.users import new_session_token


class AccountError(ServiceError):
    """A refused account change; `field` names the form field it belongs to."""


def check_password_rules(password: str, min_length: int) -> None:
    if len(password) < min_length:
        raise AccountError(
            _l("The password must have at least %(n)d characters.", n=min_length), "password"
        )


def check_roles(roles: list[str]) -> None:
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise AccountError(_l("Unknown role: %(role)s", role=", ".join(unknown)), "roles")
    if not roles:
        raise AccountError(_l("Choose at least one role."), "roles")


EMAIL_TAKEN = _l("An account with this email already exists.")


def create_user(
    db: Session, *, email: str, name: str, roles: list[str], password: str, settings: dict
) -> User:
    """Add an account (flush only); raises AccountError and writes nothing on bad input."""
    if len(email.strip().lower()) > EMAIL_MAX_LENGTH:
        raise AccountError(_l("The email address is too long."), "email")
    email = normalise_email(email)
    if find_user(db, email) is not None:
        raise AccountError(EMAIL_TAKEN, "email")
    if not name.strip():
        raise AccountError(_l("Enter a name."), "name")
    check_roles(roles)
    check_password_rules(password, settings["PASSWORD_MIN_LENGTH"])
    user = User(
        email=email,
        name=name.strip(),
        password_hash=generate_password_hash(password, settings["PASSWORD_HASH_METHOD"]),
        roles=[UserRole(role=r) for r in dict.fromkeys(roles)],
    )
    with refused_if_taken(db, AccountError(EMAIL_TAKEN, "email")):
        db.add(user)
        db.flush()
    return user


def set_roles(db: Session, user: User, roles: list[str]) -> None:
    check_roles(roles)
    wanted = list(dict.fromkeys(roles))
    for link in list(user.roles):
        if link.role not in wanted:
            user.roles.remove(link)
    for role in wanted:
        if role not in user.role_codes:
            user.roles.append(UserRole(role=role))
    db.flush()


def set_password(user: User, password: str, settings: dict) -> None:
    """A new password ends every session signed in with the old one."""
    check_password_rules(password, settings["PASSWORD_MIN_LENGTH"])
    user.password_hash = generate_password_hash(password, settings["PASSWORD_HASH_METHOD"])
    end_sessions(user)


def change_password(user: User, current: str, password: str, settings: dict) -> None:
    """The user's own change: the current password first, then the rules of a new one."""
    if not check_password_hash(user.password_hash, current):
        raise AccountError(_l("The current password is wrong."), "current_password")
    set_password(user, password, settings)


def end_sessions(user: User) -> None:
    """Sign the user out everywhere: sessions carrying the old token are refused from now on."""
    user.session_token = new_session_token()


class SignInRefused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "invalid", "locked" or "disabled"


def authenticate(
    db: Session, email: str, password: str, settings: dict, now: datetime | None = None
) -> User:
    """The user whose credentials these are, or SignInRefused; failures count per email.

    Every attempt is counted before the password is checked, so simultaneous guesses cannot
    outrun the limit; exactly one hash is checked per counted attempt, known email or not.
    """
    now = now or clock.now()
    email = normalise_email(email)
    attempt = _reserve_attempt(db, email, settings, now)
    if attempt is None or attempt > settings["LOGIN_MAX_FAILURES"]:
        raise SignInRefused("locked")
    user = find_user(db, email)
    db.commit()  # the hash takes a while: hold no transaction (nor SQLite's write lock) for it
    if not _password_matches(user, password, settings):
        if attempt == settings["LOGIN_MAX_FAILURES"]:
            _lock(db, email, settings, now)
        raise SignInRefused("invalid")
    db.exec(sa.delete(LoginThrottle).where(LoginThrottle.email == email))  # the right password
    if not user.active:
        raise SignInRefused("disabled")
    if not user.session_token:  # a row written outside the app
        end_sessions(user)
    return user


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    """A hash to check unknown emails against, so they take as long as known ones."""
    return generate_password_hash(secrets.token_urlsafe(16), method)


def _password_matches(user: User | None, password: str, settings: dict) -> bool:
    if user is None:
        check_password_hash(_dummy_hash(settings["PASSWORD_HASH_METHOD"]), password)
        return False
    return check_password_hash(user.password_hash, password)


def _reserve_attempt(db: Session, email: str, settings: dict, now: datetime) -> int | None:
    """Count this attempt in one atomic statement: the attempt's number within the window, or
    None while the email is locked."""
    throttle = LoginThrottle.__table__
    stamp = sa.literal(now, UTCDateTime())
    window = timedelta(minutes=settings["LOGIN_WINDOW_MINUTES"])
    fresh = sa.or_(
        throttle.c.window_started_at.is_(None),
        throttle.c.window_started_at < sa.literal(now - window, UTCDateTime()),
        throttle.c.locked_until.is_not(None),  # a lock that has ended starts a new count
    )
    statement = upsert(db, throttle).values(email=email, failures=1, window_started_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[throttle.c.email],
        set_={
            "failures": sa.case((fresh, 1), else_=throttle.c.failures + 1),
            "window_started_at": sa.case((fresh, stamp), else_=throttle.c.window_started_at),
            "locked_until": None,
        },
        where=sa.or_(throttle.c.locked_until.is_(None), throttle.c.locked_until <= stamp),
    ).returning(throttle.c.failures)
    attempt = db.exec(statement).scalar_one_or_none()
    # The one commit in a service: a short transaction of its own (sign-in has written nothing
    # yet), so every worker counts this attempt before any password is checked. The request's
    # own connection, as a second one could wait on this request's SQLite lock.
    db.commit()
    return attempt


def _lock(db: Session, email: str, settings: dict, now: datetime) -> None:
    """The last allowed failure locks the email for the lock period from now."""
    until = now + timedelta(minutes=settings["LOGIN_LOCK_MINUTES"])
    db.exec(sa.update(LoginThrottle).where(LoginThrottle.email == email).values(locked_until=until))


def update_user(
    db: Session,
    user: User,
    *,
    name: str,
    roles: list[str],
    active: bool,
    password: str | None,
    settings: dict,
) -> None:
    """Edit an account (flush only); the last active administrator always stays one."""
    if not name.strip():
        raise AccountError(_l("Enter a name."), "name")
    check_roles(roles)
    _lock_accounts(db, user)
    was_admin = user.active and "admin" in user.role_codes
    stays_admin = active and "admin" in roles
    if was_admin and not stays_admin and count_active_admins(db) <= 1:
        raise AccountError(
            _l("This is the last active administrator: make another user an administrator first."),
            "roles",
        )
    if password:
        set_password(user, password, settings)
    elif user.active and not active:
        end_sessions(user)  # a disabled account comes back without its old sessions
    user.name = name.strip()
    user.active = active
    set_roles(db, user, roles)


def _lock_accounts(db: Session, user: User) -> None:
    """Lock every active administrator's account (in id order, so two edits cannot deadlock),
    then the edited one with its roles: two administrators editing one account, or demoting
    each other, at the same moment run one after the other, and the last-administrator check
    sees the other's committed change. (SQLite's writer lock already serialises them.)"""
    admins = select(UserRole.user_id).where(UserRole.role == "admin")
    db.exec(
        select(User.id)
        .where(User.active.is_(True), User.id.in_(admins))
        .order_by(User.id)
        .with_for_update()
    ).all()
    lock_for_edit(db, user, "roles")
