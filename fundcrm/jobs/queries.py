"""Select builders for the jobs pages and the sweeper."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from fundcrm.models import Job, User


def jobs_seen_by(user, everyone: bool):
    """The user's jobs, newest first; every user's for an administrator (`everyone`)."""
    query = select(Job, User.name).join(User, User.id == Job.user_id)
    if not everyone:
        query = query.where(Job.user_id == user.id)
    return query.order_by(Job.id.desc())


def running(db: Session) -> list[Job]:
    return list(db.exec(select(Job).where(Job.state == "running")).all())


def results_expired_before(db: Session, instant: datetime) -> list[Job]:
    return list(
        db.exec(
            select(Job).where(
                Job.state == "done", Job.result_file.is_not(None), Job.expires_at < instant
            )
        ).all()
    )


def queued_since_before(db: Session, instant: datetime) -> list[Job]:
    """Queued jobs waiting since before the instant (`heartbeat_at` holds when a retried job
    was queued, `created_at` when a new one was)."""
    since = sa.func.coalesce(Job.heartbeat_at, Job.created_at)
    return list(db.exec(select(Job).where(Job.state == "queued", since < instant)).all())
