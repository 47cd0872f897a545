"""Who the accounts are: the reads the sign-in, the account pages and every user pick-list
share."""

from sqlmodel import Session, func, select

from fundcrm.models import User, UserRole

EMAIL_MAX_LENGTH = User.__table__.c.email.type.length


def normalise_email(email: str) -> str:
    """Trimmed and lower-cased; at most the column's length (lower-casing can lengthen text:
    "İ" becomes two characters), so no typed address can overflow it."""
    return email.strip().lower()[:EMAIL_MAX_LENGTH]


def find_user(db: Session, email: str) -> User | None:
    return db.exec(select(User).where(User.email == normalise_email(email))).first()


def count_active_admins(db: Session) -> int:
    query = (
        select(func.count())
        .select_from(User)
        .join(UserRole)
        .where(UserRole.role == "admin", User.active.is_(True))
    )
    return db.exec(query).one()


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
