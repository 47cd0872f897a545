"""Account rules: creating users, checking passwords, throttling failed sign-ins."""

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from fundcrm.domain.vocab import ROLES
from fundcrm.models import LoginThrottle, User, UserRole, utcnow


class AccountError(ValueError):
    """A refused account change; `field` names the form field it belongs to."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(db: Session, email: str) -> User | None:
    return db.exec(select(User).where(User.email == normalise_email(email))).first()


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


def create_user(
    db: Session, *, email: str, name: str, roles: list[str], password: str, settings: dict
) -> User:
    """Add an account (flush only); raises AccountError and writes nothing on bad input."""
    email = normalise_email(email)
    if find_user(db, email) is not None:
        raise AccountError(_l("An account with this email already exists."), "email")
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
    check_password_rules(password, settings["PASSWORD_MIN_LENGTH"])
    user.password_hash = generate_password_hash(password, settings["PASSWORD_HASH_METHOD"])


def count_active_admins(db: Session) -> int:
    query = (
        select(func.count())
        .select_from(User)
        .join(UserRole)
        .where(UserRole.role == "admin", User.active.is_(True))
    )
    return db.exec(query).one()


class SignInRefused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "invalid", "locked" or "disabled"


def _throttle(db: Session, email: str) -> LoginThrottle:
    row = db.get(LoginThrottle, email)
    if row is None:
        row = LoginThrottle(email=email)
        db.add(row)
    return row


def authenticate(
    db: Session, email: str, password: str, settings: dict, now: datetime | None = None
) -> User:
    """The user whose credentials these are, or SignInRefused; failures count per email."""
    now = now or utcnow()
    email = normalise_email(email)
    throttle = db.get(LoginThrottle, email)
    if throttle and throttle.locked_until and throttle.locked_until > now:
        raise SignInRefused("locked")
    user = find_user(db, email)
    if user is None or not check_password_hash(user.password_hash, password):
        _count_failure(db, email, settings, now)
        raise SignInRefused("invalid")
    if not user.active:
        raise SignInRefused("disabled")
    if throttle is not None:
        db.delete(throttle)
    return user


def _count_failure(db: Session, email: str, settings: dict, now: datetime) -> None:
    throttle = _throttle(db, email)
    window = timedelta(minutes=settings["LOGIN_WINDOW_MINUTES"])
    if throttle.window_started_at is None or now - throttle.window_started_at > window:
        throttle.window_started_at, throttle.failures = now, 0
    throttle.failures += 1
    if throttle.failures >= settings["LOGIN_MAX_FAILURES"]:
        throttle.locked_until = now + timedelta(minutes=settings["LOGIN_LOCK_MINUTES"])
        throttle.failures, throttle.window_started_at = 0, None


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
    was_admin = user.active and "admin" in user.role_codes
    stays_admin = active and "admin" in roles
    if was_admin and not stays_admin and count_active_admins(db) <= 1:
        raise AccountError(
            _l("This is the last active administrator: make another user an administrator first."),
            "roles",
        )
    if password:
        set_password(user, password, settings)
    user.name = name.strip()
    user.active = active
    set_roles(db, user, roles)


def _able(ability: str):
    """The condition: an active user holding the ability through one of their roles."""
    from fundcrm.permissions import roles_with

    holders = select(UserRole.user_id).where(UserRole.role.in_(roles_with(ability)))
    return User.active.is_(True) & User.id.in_(holders)


def users_who_can(db: Session, ability: str) -> list[User]:
    """Active users holding an ability: who may be picked as owner, assignee or participant."""
    return list(db.exec(select(User).where(_able(ability)).order_by(User.name)).all())


def all_may(db: Session, user_ids, ability: str) -> bool:
    """Whether every one of these users is active and holds the ability (one query)."""
    ids = list(user_ids)
    wanted = {i for i in ids if i is not None}
    if len(wanted) != len(set(ids)):  # an empty choice among them
        return False
    if not wanted:
        return True
    found = db.exec(
        select(func.count()).select_from(User).where(User.id.in_(wanted), _able(ability))
    ).one()
    return found == len(wanted)
