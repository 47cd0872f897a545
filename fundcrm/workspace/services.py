"""Workspace rules: activities, tasks (a deal's next step is one), due-diligence checklists and
documents (flush only)."""

import hashlib
import json
import secrets
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, func, select

from fundcrm.auth import queries as accounts
from fundcrm.db import lock_for_edit
from fundcrm.domain import filetypes
from fundcrm.domain.text import plain_name
from fundcrm.domain.vocab import DD_WORKSTREAMS
from fundcrm.errors import ServiceError
from fundcrm.i18n import list_separator
from fundcrm.models import (
    Activity,
    ActivityContact,
    ActivityUser,
    DDItem,
    DDTemplateItem,
    Deal,
    Document,
    Task,
    User,
    utcnow,
)
from fundcrm.models.records import orm
from fundcrm.workspace import queries
from fundcrm.workspace.queries import documents_of as documents_of  # pages of other features

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
        owners = queries.contact_companies(db, contact_ids)
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
    if not accounts.all_may(db, [values.get("assignee_id")], "complete_task"):
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
    task = queries.open_next_step(db, deal.id)
    if not deal.next_step:
        if task is not None:
            close_next_step(task)
        return
    if task is None:
        task = next_step_task(deal)
        db.add(task)
    task.title, task.due_on, task.assignee_id = deal.next_step, deal.next_step_due, deal.owner_id
    db.flush()


def next_step_task(deal: Deal, new=orm) -> Task:
    """The open task that mirrors the deal's next step, for its owner (not yet added)."""
    return new(
        Task,
        deal_id=deal.id,
        is_next_step=True,
        assignee_id=deal.owner_id,
        title=deal.next_step or "",
        due_on=deal.next_step_due,
    )


def close_next_step(task: Task) -> None:
    """The next step's task once the deal no longer has one (cleared, or the deal passed)."""
    task.status, task.done_at = "done", utcnow()


# Due diligence ----------------------------------------------------------------------------


def ensure_checklist(db: Session, deal: Deal) -> int:
    """Create the deal's checklist from the templates once; returns the items created."""
    if queries.has_checklist(db, deal.id):
        return 0
    items = checklist_items(deal, queries.active_templates(db))
    db.add_all(items)
    db.flush()
    return len(items)


def checklist_items(deal: Deal, templates, new=orm) -> list[DDItem]:
    """The deal's new checklist: one item per active template, for the deal's owner."""
    return [
        new(
            DDItem,
            deal_id=deal.id,
            workstream=t.workstream,
            title=t.title,
            position=t.position,
            owner_id=deal.owner_id,
        )
        for t in templates
    ]


def checklist(db: Session, deal_id: int) -> dict[str, list[DDItem]]:
    grouped = {code: [] for code in DD_WORKSTREAMS.codes}
    for item in queries.dd_items(db, deal_id):
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


def item_fingerprint(item: DDItem) -> str:
    """The item as a form shows it: a row saved from an older state is refused."""
    state = [item.id, item.status, item.owner_id, item.severity, item.finding, item.waive_reason]
    return hashlib.sha256(json.dumps(state, ensure_ascii=False).encode()).hexdigest()[:16]


class RowsRefused(WorkspaceError):
    """Rows of a workstream form refused: each message under its row's field."""

    def __init__(self, problems: dict[int, WorkspaceError]):
        super().__init__(_l("Correct the marked items: nothing was saved."))
        self.problems = problems

    def show_on(self, form) -> None:
        super().show_on(form)
        for item_id, problem in self.problems.items():
            problem.show_on(form.rows[item_id])


class WorkstreamChanged(WorkspaceError):
    """Someone saved items of the workstream after this form was opened."""

    def __init__(self, titles: list[str]):
        super().__init__(
            _l(
                "Someone else saved these items after you opened the checklist: %(items)s. "
                "Your changes were not saved: reload the page and make them again.",
                items=list_separator().join(titles),
            )
        )
        self.titles = titles

    def show_on(self, form) -> None:
        super().show_on(form)
        form.changed_items = self.titles


def save_workstream(db: Session, deal: Deal, workstream: str, rows: dict) -> list[DDItem]:
    """Save the rows of one workstream's form together, all or nothing.

    `rows`: item id → (the fingerprint the row was opened at, its values). The items are
    locked first, so two saves of a workstream run one after the other and the later one,
    opened before the earlier was saved, is refused naming the items it would overwrite."""
    items = {i.id: i for i in queries.workstream_items_for_update(db, deal.id, workstream)}
    if not rows or not set(rows) <= set(items):
        raise WorkspaceError(_l("These items are not in this workstream."))
    changed = [
        items[i].title for i, (seen, _) in rows.items() if item_fingerprint(items[i]) != seen
    ]
    if changed:
        raise WorkstreamChanged(changed)
    able = _able_owners(db, {v["owner_id"] for _s, v in rows.values() if v.get("owner_id")})
    problems = {}
    for item_id, (_seen, values) in rows.items():
        try:
            _check_dd_values(values, able)
        except WorkspaceError as problem:
            problems[item_id] = problem
    if problems:
        raise RowsRefused(problems)
    for item_id, (_seen, values) in rows.items():
        _apply_dd_values(items[item_id], values)
    db.flush()
    return list(items.values())


def update_dd_item(db: Session, item: DDItem, values: dict) -> DDItem:
    """One item, with the checks of a workstream form's row (the demo's seeding)."""
    _check_dd_values(values, _able_owners(db, {values.get("owner_id")} - {None}))
    _apply_dd_values(item, values)
    db.flush()
    return item


def _able_owners(db: Session, owner_ids: set[int]) -> set[int]:
    """The owners who may hold an item (one query when all may, as they nearly always do)."""
    if accounts.all_may(db, owner_ids, "read_pipeline"):
        return owner_ids
    return {i for i in owner_ids if accounts.all_may(db, [i], "read_pipeline")}


def _check_dd_values(values: dict, able_owners: set[int]) -> None:
    """Values: status, owner_id, finding, severity, waive_reason (required when waived)."""
    if values.get("owner_id") and values["owner_id"] not in able_owners:
        raise WorkspaceError(_l("Choose an active user as owner."), "owner_id")
    if values["status"] == "waived" and not (values.get("waive_reason") or "").strip():
        raise WorkspaceError(_l("Give the reason for waiving this item."), "waive_reason")


def _apply_dd_values(item: DDItem, values: dict) -> None:
    reason = (values.get("waive_reason") or "").strip() or None
    finding = (values.get("finding") or "").strip() or None
    severity = values.get("severity") or "none"
    owner_id = values.get("owner_id")
    waive_reason = reason if values["status"] == "waived" else None
    new = (values["status"], owner_id, finding, severity, waive_reason)
    old = (item.status, item.owner_id, item.finding, item.severity, item.waive_reason)
    if new != old:  # an unchanged item is not rewritten (nor audited)
        item.status, item.owner_id, item.finding, item.severity, item.waive_reason = new


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
