"""Lookups for notifications."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from sqlmodel import Session, func, select

from fundcrm.models import Deal, IcCondition, Notification, User


def unread_count(db: Session, user_id: int) -> int:
    query = select(func.count()).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    return db.exec(query).one()


def of_user(user_id: int):
    """A user's notifications, unread first, newest first."""
    return (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.read_at.is_not(None), Notification.id.desc())
    )


def mark_all_read(db: Session, user_id: int, now: datetime) -> int:
    statement = (
        sa.update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now)
    )
    return db.connection().execute(statement).rowcount


def conditions_due(db: Session, until: date) -> list[tuple[IcCondition, Deal]]:
    query = (
        select(IcCondition, Deal)
        .join(Deal, Deal.id == IcCondition.deal_id)
        .where(
            IcCondition.kind == "subsequent",
            IcCondition.status == "open",
            IcCondition.due_on <= until,
        )
        .options(selectinload(Deal.team), selectinload(Deal.company))
        .order_by(IcCondition.due_on, IcCondition.id)
    )
    return list(db.exec(query).all())


def unsent(db: Session, since: datetime) -> list[tuple[Notification, User]]:
    query = (
        select(Notification, User)
        .join(User, User.id == Notification.user_id)
        .where(
            Notification.emailed_at.is_(None),
            Notification.read_at.is_(None),
            Notification.created_at >= since,
            User.active,
        )
        .order_by(Notification.id)
        .limit(200)
    )
    return list(db.exec(query).all())


def subject_exists(db: Session, model, record_id: int) -> bool:
    return db.get(model, record_id) is not None
