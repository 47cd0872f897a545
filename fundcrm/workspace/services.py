"""Workspace rules: activities, tasks (a deal's next step is one), due-diligence checklists and
documents (flush only)."""

import hashlib
import secrets
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, func, select

from fundcrm.auth import services as accounts
from fundcrm.db import lock_for_edit
from fundcrm.domain import filetypes
from fundcrm.domain.text import plain_name
from fundcrm.domain.vocab import DD_WORKSTREAMS
from fundcrm.errors import ServiceError
from fundcrm.models import (
    Activity,
    ActivityContact,
    ActivityUser,
    Contact,
    DDItem,
    DDTemplateItem,
    Deal,
    Document,
    Task,
    User,
    utcnow,
)

CLOSED_STATUSES = {"done", "waived"}


class WorkspaceError(ServiceError):
    """A refused change of this feature."""


# Activities -------------------------------------------------------------------------------


def save_activity(db: Session, activity: Activity, values: dict, user: User | None) -> Activity:
    """Values: company_id, deal_id, kind, occurred_on, summary, user_ids, contact_ids."""
    lock_for_edit(db, activity, "users", "contacts")
    deal = db.get(Deal, values["deal_id"]) if values.get("deal_id") else None
    if deal is not None and deal.company_id != values["company_id"]:
        raise WorkspaceError(_l("The deal belongs to another company."), "deal_id")
    users = list(dict.fromkeys(values.get("user_ids") or []))
    if not accounts.all_may(db, users, "read_pipeline"):
        raise WorkspaceError(_l("Choose participants who may see the pipeline."), "user_ids")
    contact_ids = list(dict.fromkeys(values.get("contact_ids") or []))
    if contact_ids:
        owners = db.exec(select(Contact.company_id).where(Contact.id.in_(contact_ids))).all()
        if len(owners) != len(contact_ids) or set(owners) != {values["company_id"]}:
            raise WorkspaceError(_l("Choose contacts of this company."), "contact_ids")
    with db.no_autoflush:
        for key in ("company_id", "deal_id", "kind", "occurred_on", "summary"):
            setattr(activity, key, values.get(key))
        if activity.created_by_id is None and user is not None:
            activity.created_by_id = user.id
        activity.users = [
            ActivityUser(user_id=i) for i in dict.fromkeys(values.get("user_ids") or [])
        ]
        activity.contacts = [ActivityContact(contact_id=i) for i in contact_ids]
    db.add(activity)
    db.flush()
    return activity


# Tasks ------------------------------------------------------------------------------------


def save_task(db: Session, task: Task, values: dict, user: User | None) -> Task:
    if not accounts.all_may(db, [values.get("assignee_id")], "read_pipeline"):
        raise WorkspaceError(_l("Choose an active user as assignee."), "assignee_id")
    if task.is_next_step and values.get("deal_id") != task.deal_id:
        raise WorkspaceError(_l("A deal's next step stays with its deal."), "deal_id")
    if values.get("deal_id") and db.get(Deal, values["deal_id"]) is None:
        raise WorkspaceError(_l("Unknown deal."), "deal_id")
    for key in ("title", "due_on", "assignee_id", "deal_id"):
        setattr(task, key, values.get(key))
    if task.created_by_id is None and user is not None:
        task.created_by_id = user.id
    db.add(task)
    db.flush()
    if task.is_next_step and task.deal_id:
        _mirror_next_step(db, task)
    return task


def _mirror_next_step(db: Session, task: Task) -> None:
    deal = db.get(Deal, task.deal_id)
    if task.status == "open":
        deal.next_step, deal.next_step_due = task.title, task.due_on
    else:
        deal.next_step, deal.next_step_due = None, None
    db.flush()


def set_task_done(db: Session, task: Task, done: bool) -> Task:
    """Complete or reopen a task; completing a deal's next step clears it from the deal."""
    task.status = "done" if done else "open"
    task.done_at = utcnow() if done else None
    db.flush()
    if task.is_next_step and task.deal_id:
        _mirror_next_step(db, task)
    return task


def sync_next_step(db: Session, deal: Deal) -> None:
    """Keep the deal's next step and its task in step: one open task, for the owner."""
    task = db.exec(
        select(Task).where(
            Task.deal_id == deal.id, Task.is_next_step.is_(True), Task.status == "open"
        )
    ).first()
    if not deal.next_step:
        if task is not None:
            task.status, task.done_at = "done", utcnow()
        return
    if task is None:
        task = Task(deal_id=deal.id, is_next_step=True, assignee_id=deal.owner_id, title="")
        db.add(task)
    task.title, task.due_on, task.assignee_id = deal.next_step, deal.next_step_due, deal.owner_id
    db.flush()


# Due diligence ----------------------------------------------------------------------------


def ensure_checklist(db: Session, deal: Deal) -> int:
    """Create the deal's checklist from the templates once; returns the items created."""
    if db.exec(select(DDItem.id).where(DDItem.deal_id == deal.id)).first() is not None:
        return 0
    templates = db.exec(
        select(DDTemplateItem)
        .where(DDTemplateItem.active.is_(True))
        .order_by(DDTemplateItem.workstream, DDTemplateItem.position, DDTemplateItem.id)
    ).all()
    db.add_all(
        DDItem(
            deal_id=deal.id,
            workstream=t.workstream,
            title=t.title,
            position=t.position,
            owner_id=deal.owner_id,
        )
        for t in templates
    )
    db.flush()
    return len(templates)


def checklist(db: Session, deal_id: int) -> dict[str, list[DDItem]]:
    items = db.exec(
        select(DDItem).where(DDItem.deal_id == deal_id).order_by(DDItem.position, DDItem.id)
    ).all()
    grouped = {code: [] for code in DD_WORKSTREAMS.codes}
    for item in items:
        grouped.setdefault(item.workstream, []).append(item)
    return grouped


def workstream_closed(items: list[DDItem]) -> bool:
    return all(item.status in CLOSED_STATUSES for item in items)


def dd_closed(db: Session, deal_id: int) -> bool:
    """Every workstream closed: the deal has a checklist and no item is still open."""
    total, still_open = db.exec(
        select(
            func.count(DDItem.id),
            func.count(DDItem.id).filter(DDItem.status.not_in(CLOSED_STATUSES)),
        ).where(DDItem.deal_id == deal_id)
    ).one()
    return total > 0 and still_open == 0


def update_dd_item(db: Session, item: DDItem, values: dict) -> DDItem:
    """Values: status, owner_id, finding, severity, waive_reason (required when waived)."""
    reason = (values.get("waive_reason") or "").strip() or None
    if values.get("owner_id") and not accounts.all_may(db, [values["owner_id"]], "read_pipeline"):
        raise WorkspaceError(_l("Choose an active user as owner."), "owner_id")
    if values["status"] == "waived" and not reason:
        raise WorkspaceError(_l("Give the reason for waiving this item."), "waive_reason")
    item.status, item.owner_id = values["status"], values.get("owner_id")
    item.finding = (values.get("finding") or "").strip() or None
    item.severity = values.get("severity") or "none"
    item.waive_reason = reason if values["status"] == "waived" else None
    db.flush()
    return item


def add_dd_item(db: Session, deal: Deal, workstream: str, title: str) -> DDItem:
    last = db.exec(
        select(func.max(DDItem.position)).where(
            DDItem.deal_id == deal.id, DDItem.workstream == workstream
        )
    ).one()
    item = DDItem(
        deal_id=deal.id,
        workstream=workstream,
        title=title.strip(),
        position=(last or 0) + 1,
        owner_id=deal.owner_id,
    )
    db.add(item)
    db.flush()
    return item


def save_template_item(db: Session, item: DDTemplateItem, values: dict) -> DDTemplateItem:
    if values["workstream"] not in DD_WORKSTREAMS:
        raise WorkspaceError(_l("Unknown code: %(code)s", code=values["workstream"]), "workstream")
    if item.id is None:
        last = db.exec(
            select(func.max(DDTemplateItem.position)).where(
                DDTemplateItem.workstream == values["workstream"]
            )
        ).one()
        item.position = (last or 0) + 1
    item.workstream, item.title = values["workstream"], values["title"].strip()
    item.active = values.get("active", True)
    db.add(item)
    db.flush()
    return item


# Documents --------------------------------------------------------------------------------

UPLOAD_MESSAGES = {
    "empty": _l("The file is empty."),
    "not_allowed": _l("Allowed types: PDF, Word, Excel, PowerPoint, PNG, JPG, CSV and text."),
    "mismatch": _l("The file's content does not match its extension."),
    "too_large": _l("The file is larger than %(n)d MB."),
}


def store_document(
    db: Session,
    folder: Path,
    owner: dict,
    title: str,
    filename: str,
    data: bytes,
    user: User | None,
    max_bytes: int,
) -> Document:
    """Check the upload by its content, keep it under a random name, and record a version.

    `owner` is one of {"company_id": …}, {"deal_id": …}, {"dd_item_id": …}."""
    if len(data) > max_bytes:
        raise WorkspaceError(_l("The file is larger than %(n)d MB.", n=max_bytes // 2**20), "file")
    safe_name = plain_name(Path(filename.replace("\\", "/")).name).strip() or "upload"
    try:
        kind = filetypes.check(safe_name, data)
    except ValueError as refused:
        raise WorkspaceError(UPLOAD_MESSAGES[str(refused)], "file") from None
    title = (title or "").strip() or safe_name[: Document.__table__.c.title.type.length]
    ((key, value),) = owner.items()
    previous = db.exec(
        select(func.max(Document.version)).where(
            getattr(Document, key) == value, Document.title == title
        )
    ).one()
    storage_name = secrets.token_hex(20)
    document = Document(
        **owner,
        title=title,
        version=(previous or 0) + 1,
        filename=safe_name[:255],
        file_type=kind,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_name=storage_name,
        uploaded_by_id=user.id if user else None,
    )
    db.add(document)
    db.flush()  # the record first: a refused row leaves no file behind
    path = folder / storage_name[:2] / storage_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return document


def document_path(folder: Path, document: Document) -> Path:
    return folder / document.storage_name[:2] / document.storage_name


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
