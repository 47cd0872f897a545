"""The SELECTs of the home page (its recent changes come from `audit.changes_by`)."""

from sqlalchemy.orm import selectinload
from sqlmodel import Session, select

from fundcrm.models import Deal, Task, User

HOME_TASKS = 20


def open_tasks(db: Session, user: User) -> list[Task]:
    """The user's open tasks, soonest due first, each with its deal and the deal's company."""
    return db.exec(
        select(Task)
        .where(Task.assignee_id == user.id, Task.status == "open")
        .order_by(Task.due_on, Task.id)
        .limit(HOME_TASKS)
        .options(selectinload(Task.deal).selectinload(Deal.company))
    ).all()
