"""The workspace's reads: activities, tasks, checklists and documents (select builders and
loaders; no rules, no writes)."""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select

from fundcrm.errors import ServiceError
from fundcrm.models import (
    Company,
    Contact,
    DDItem,
    DDTemplateItem,
    Deal,
    Document,
    Task,
    User,
)
from fundcrm.models.deals import unset_last

# Each sort of the tasks list: its columns, each with whether it runs descending in the
# natural direction; `-key` reverses every one. The tasks' indexes (models/workspace.py) back
# the task columns, the deals' reference and the companies' name indexes the joined ones.
DUE_UNSET = unset_last("tasks.due_on")  # tasks without a due date last, going up
TASK_SORTS = {
    "due": [(DUE_UNSET, False), (Task.due_on, False)],
    "title": [(Task.title, False)],
    "status": [(Task.status, True), (DUE_UNSET, False), (Task.due_on, False)],  # open first
    "deal": [(Deal.deal_ref, False)],
    "company": [(Company.name, False)],
    "assignee": [(User.name, False)],
}
TASK_SHOWS = ("open", "all")
TASK_WHOS = ("me", "everyone")


class BadListRequest(ServiceError):
    """A list asked for a sort or filter it does not have (answered with 400)."""


@dataclass
class TaskListRequest:
    show: str = "open"  # open / all
    who: str = "me"  # me / everyone
    sort: str = "due"  # a TASK_SORTS key, `-` in front for the other direction


def task_list_request(args) -> TaskListRequest:
    """Read `show`, `who` and `sort` from the query string; anything unknown is refused."""
    wanted = TaskListRequest(
        show=args.get("show", "open"), who=args.get("who", "me"), sort=args.get("sort", "due")
    )
    if wanted.sort.removeprefix("-") not in TASK_SORTS:
        raise BadListRequest(_l("Unknown sort: %(sort)s", sort=wanted.sort[:40]))
    for name, allowed in (("show", TASK_SHOWS), ("who", TASK_WHOS)):
        if getattr(wanted, name) not in allowed:
            code = getattr(wanted, name)[:40]
            raise BadListRequest(_l("Unknown code for %(name)s: %(code)s", name=name, code=code))
    return wanted


def with_task_details(query):
    """Load what a task row shows and its record rules ask (deal, company, team, assignee) in a
    fixed number of statements, whatever the number of tasks."""
    return query.options(
        selectinload(Task.deal).selectinload(Deal.company),
        selectinload(Task.deal).selectinload(Deal.team),
        selectinload(Task.assignee),
    )


def task_list(wanted: TaskListRequest, user_id: int):
    """The tasks list's query, filtered and sorted as asked (ties by id)."""
    query = (
        select(Task)
        .outerjoin(Deal, Task.deal_id == Deal.id)
        .outerjoin(Company, Deal.company_id == Company.id)
        .join(User, Task.assignee_id == User.id)
    )
    if wanted.who == "me":
        query = query.where(Task.assignee_id == user_id)
    if wanted.show == "open":
        query = query.where(Task.status == "open")
    key, reverse = wanted.sort.removeprefix("-"), wanted.sort.startswith("-")
    order = [
        sa.desc(column) if descending != reverse else sa.asc(column)
        for column, descending in TASK_SORTS[key]
    ]
    return with_task_details(query.order_by(*order, Task.id.desc() if reverse else Task.id))


def company_deals(db: Session, company_id: int) -> list[Deal]:
    """A company's deals with their teams (the activity form offers those the user is on)."""
    return list(
        db.exec(
            select(Deal).where(Deal.company_id == company_id).options(selectinload(Deal.team))
        ).all()
    )


def company_contacts(db: Session, company_id: int) -> list[Contact]:
    return list(db.exec(select(Contact).where(Contact.company_id == company_id)).all())


def contact_companies(db: Session, contact_ids) -> list[int]:
    """The company of each of these contacts (one per contact found)."""
    return list(db.exec(select(Contact.company_id).where(Contact.id.in_(contact_ids))).all())


def open_next_step(db: Session, deal_id: int) -> Task | None:
    return db.exec(
        select(Task).where(
            Task.deal_id == deal_id, Task.is_next_step.is_(True), Task.status == "open"
        )
    ).first()


# Due diligence ----------------------------------------------------------------------------


def dd_items(db: Session, deal_id: int) -> list[DDItem]:
    return list(
        db.exec(
            select(DDItem).where(DDItem.deal_id == deal_id).order_by(DDItem.position, DDItem.id)
        ).all()
    )


def workstream_items_for_update(db: Session, deal_id: int, workstream: str) -> list[DDItem]:
    """A workstream's items read afresh and locked (`FOR UPDATE` on PostgreSQL; SQLite's
    writer lock already holds), so two saves of it run one after the other."""
    return list(
        db.exec(
            select(DDItem)
            .where(DDItem.deal_id == deal_id, DDItem.workstream == workstream)
            .order_by(DDItem.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
    )


def has_checklist(db: Session, deal_id: int) -> bool:
    return db.exec(select(DDItem.id).where(DDItem.deal_id == deal_id)).first() is not None


def active_templates(db: Session) -> list[DDTemplateItem]:
    return list(
        db.exec(
            select(DDTemplateItem)
            .where(DDTemplateItem.active.is_(True))
            .order_by(DDTemplateItem.workstream, DDTemplateItem.position, DDTemplateItem.id)
        ).all()
    )


def all_templates(db: Session) -> list[DDTemplateItem]:
    return list(
        db.exec(
            select(DDTemplateItem).order_by(
                DDTemplateItem.workstream, DDTemplateItem.position, DDTemplateItem.id
            )
        ).all()
    )


def checklist_documents(db: Session, deal_id: int) -> dict[int, list[Document]]:
    """The documents of every item of a deal's checklist, by item (one statement)."""
    documents = {}
    for doc in db.exec(
        select(Document)
        .join(DDItem, Document.dd_item_id == DDItem.id)
        .where(DDItem.deal_id == deal_id)
        .order_by(Document.title, Document.version.desc())
    ).all():
        documents.setdefault(doc.dd_item_id, []).append(doc)
    return documents


def documents_of(db: Session, **owner) -> list[Document]:
    """Every version of the documents on one record, newest version first per title."""
    ((key, value),) = owner.items()
    return list(
        db.exec(
            select(Document)
            .where(getattr(Document, key) == value)
            .order_by(Document.title, Document.version.desc())
        ).all()
    )
