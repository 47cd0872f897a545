"""`/api/v1/activities` and `/api/v1/tasks`: the deal team's activities and tasks, through the
workspace services and the same abilities and record rules as the workspace pages."""

from datetime import date, datetime
from typing import Literal

from flask_babel import gettext as _
from flask_login import current_user
from pydantic import BaseModel, Field

from fundcrm import db
from fundcrm.api import bp
from fundcrm.api import queries as api_queries
from fundcrm.api.common import commit, page_of, record_or_404, refusals_answered
from fundcrm.api.errors import ApiError
from fundcrm.api.fields import (
    Body,
    Day,
    PageInfo,
    PageQuery,
    Patch,
    RecordId,
    code_of,
    integer,
    long_text,
    page_info,
    text,
)
from fundcrm.api.spec import operation
from fundcrm.models import Activity, Company, Deal, Task
from fundcrm.permissions import authorize, requires
from fundcrm.versioning import check_version, unless_changed_meanwhile
from fundcrm.workspace import queries, services

ACTIVITIES, TASKS = "activities", "tasks"
MAX_PEOPLE = 100
# the tasks list's sorts (workspace.queries.TASK_SORTS), `-` first to reverse
TaskSort = Literal[tuple(k for key in queries.TASK_SORTS for k in (key, f"-{key}"))]


# -- activities -----------------------------------------------------------------------------


class ActivityOut(BaseModel):
    id: int
    company_id: int
    deal_id: int | None
    kind: str = Field(description="An `activity_kind` code.")
    occurred_on: date
    summary: str
    user_ids: list[int] = Field(description="Our participants.")
    contact_ids: list[int] = Field(description="The company's participants (its contacts).")
    created_by_id: int | None
    created_at: datetime


class ActivityList(BaseModel):
    items: list[ActivityOut]
    page: PageInfo


class ActivityQuery(PageQuery):
    deal_id: RecordId | None = None
    company_id: RecordId | None = None


class ActivityIn(Body):
    """An activity logged on a company, or on one of its deals (the company is the deal's)."""

    company_id: RecordId | None = Field(default=None, description="Or give `deal_id`.")
    deal_id: RecordId | None = None
    kind: code_of("activity_kind")
    occurred_on: Day
    summary: long_text(20_000) = Field(min_length=1)
    user_ids: list[RecordId] | None = Field(
        default=None, max_length=MAX_PEOPLE, description="Default: you alone."
    )
    contact_ids: list[RecordId] = Field(default_factory=list, max_length=MAX_PEOPLE)


def activity_out(activity: Activity) -> ActivityOut:
    return ActivityOut(
        id=activity.id,
        company_id=activity.company_id,
        deal_id=activity.deal_id,
        kind=activity.kind,
        occurred_on=activity.occurred_on,
        summary=activity.summary,
        user_ids=[u.user_id for u in activity.users],
        contact_ids=[c.contact_id for c in activity.contacts],
        created_by_id=activity.created_by_id,
        created_at=activity.created_at,
    )


@bp.get("/activities")
@requires("read_pipeline")
@operation(ACTIVITIES, {200: ActivityList}, query=ActivityQuery)
def list_activities(query: ActivityQuery):
    """Activities, newest first (by date, then id), of a deal or a company if asked."""
    page = page_of(api_queries.activity_list(query.deal_id, query.company_id), query)
    return ActivityList(items=[activity_out(a) for a in page.items], page=page_info(page))


@bp.get("/activities/<int:activity_id>")
@requires("read_pipeline")
@operation(ACTIVITIES, {200: ActivityOut})
def get_activity(activity_id: int):
    """One activity."""
    return activity_out(record_or_404(Activity, activity_id, _("activity")))


def _deal_in_body(deal_id: int | None) -> Deal | None:
    """The deal a body names (422 when there is none), which the user must work on (403)."""
    if deal_id is None:
        return None
    deal = db.session().get(Deal, deal_id)
    if deal is None:
        message = _("Unknown deal.")
        raise ApiError(422, message, code="refused", fields={"deal_id": message})
    authorize("work_on_deals", deal)
    return deal


@bp.post("/activities")
@requires("work_on_deals")
@operation(ACTIVITIES, {201: ActivityOut}, json=ActivityIn, errors=(422,))
def create_activity(json: ActivityIn):
    """Log an activity, with the activity form's rules: the deal is the company's and one the
    user works on; participants may see the pipeline; contacts are the company's."""
    deal = _deal_in_body(json.deal_id)
    company_id = json.company_id or (deal.company_id if deal else None)
    if company_id is None:
        message = _("Give the company or the deal.")
        raise ApiError(422, message, code="refused", fields={"company_id": message})
    company = db.session().get(Company, company_id)
    if company is None:
        message = _("Unknown company.")
        raise ApiError(422, message, code="refused", fields={"company_id": message})
    values = {
        "company_id": company.id,
        "deal_id": json.deal_id,
        "kind": json.kind,
        "occurred_on": json.occurred_on,
        "summary": json.summary.strip(),
        "user_ids": [current_user.id] if json.user_ids is None else json.user_ids,
        "contact_ids": json.contact_ids,
    }
    activity = Activity(company_id=company.id, kind="", summary="")
    with refusals_answered():
        services.save_activity(db.session(), activity, values, current_user)
    commit()
    return activity_out(activity), 201


# -- tasks ----------------------------------------------------------------------------------


class TaskOut(BaseModel):
    id: int
    version: int = Field(description="Send it back with an update: a stale one gets 409.")
    title: str
    due_on: date | None
    assignee_id: int
    deal_id: int | None
    status: Literal["open", "done"]
    is_next_step: bool = Field(description="The deal's next step: it stays with its deal.")
    done_at: datetime | None
    created_by_id: int | None
    created_at: datetime


class TaskList(BaseModel):
    items: list[TaskOut]
    page: PageInfo


class TaskQuery(PageQuery):
    show: Literal["open", "all"] = "open"
    who: Literal["me", "everyone"] | None = Field(
        default=None,
        description="Default: `me`, or `everyone` when `assignee_id` or `deal_id` is given.",
    )
    sort: TaskSort = Field(default="due", description="`-` first to reverse.")
    assignee_id: RecordId | None = None
    deal_id: RecordId | None = None


class TaskIn(Body):
    title: text(300, min_length=1)
    due_on: Day | None = None
    assignee_id: RecordId | None = Field(default=None, description="Default: you.")
    deal_id: RecordId | None = None


class TaskPatch(Patch):
    """The fields sent change (the others keep their values): `status` alone needs the
    complete_task rule (the assignee may), any other field the edit_task rule. The title,
    the assignee and the status cannot be emptied (no null)."""

    version: integer(1) = Field(description="The version the change is based on.")
    title: text(300, min_length=1) = None
    due_on: Day | None = None
    assignee_id: RecordId = None
    deal_id: RecordId | None = None
    status: Literal["open", "done"] = None


def task_out(task: Task) -> TaskOut:
    return TaskOut(**{name: getattr(task, name) for name in TaskOut.model_fields})


@bp.get("/tasks")
@requires("read_pipeline")
@operation(TASKS, {200: TaskList}, query=TaskQuery)
def list_tasks(query: TaskQuery):
    """The tasks list's filters and sorts (/tasks): open or all, mine or everyone's; ties by
    id for stable pages."""
    who = query.who or ("everyone" if query.assignee_id or query.deal_id else "me")
    # each of them one of the list's own (an enum): the list's reading refuses none
    wanted = queries.task_list_request({"show": query.show, "who": who, "sort": query.sort})
    listed = api_queries.narrowed_tasks(
        queries.task_list(wanted, current_user.id), query.deal_id, query.assignee_id
    )
    page = page_of(listed, query)
    return TaskList(items=[task_out(t) for t in page.items], page=page_info(page))


@bp.get("/tasks/<int:task_id>")
@requires("read_pipeline")
@operation(TASKS, {200: TaskOut})
def get_task(task_id: int):
    """One task."""
    return task_out(record_or_404(Task, task_id, _("task")))


@bp.post("/tasks")
@requires("work_on_deals")
@operation(TASKS, {201: TaskOut}, json=TaskIn, errors=(422,))
def create_task(json: TaskIn):
    """A new task, for you unless `assignee_id` says whom (someone who may tick tasks off)."""
    deal = db.session().get(Deal, json.deal_id) if json.deal_id is not None else None
    if deal is not None:  # an unknown one is refused by the service
        authorize("work_on_deals", deal)
    values = json.model_dump()
    values["assignee_id"] = json.assignee_id or current_user.id
    task = Task(title="", assignee_id=values["assignee_id"])
    with refusals_answered():
        services.save_task(db.session(), task, values, current_user)
    commit()
    return task_out(task), 201


@bp.patch("/tasks/<int:task_id>")
@requires("complete_task")
@operation(TASKS, {200: TaskOut}, json=TaskPatch, errors=(409, 422))
def update_task(task_id: int, json: TaskPatch):
    """Change a task, or tick it off (`status`: done) or reopen it (open), from the version
    sent: a task changed since is 409 with the task as it is now."""
    session = db.session()
    task = record_or_404(Task, task_id, _("task"))
    sent = json.model_dump(exclude_unset=True, exclude={"version"})
    status = sent.pop("status", None)
    if status is not None:
        authorize("complete_task", task)
    if sent:
        authorize("edit_task", task)
        values = {key: getattr(task, key) for key in ("title", "due_on", "assignee_id", "deal_id")}
        values.update(sent)
        if values["deal_id"] not in (None, task.deal_id):
            chosen = session.get(Deal, values["deal_id"])
            if chosen is not None:
                authorize("work_on_deals", chosen)
    with refusals_answered(lambda: _task_now(task_id)):
        check_version(session, task, "tasks", json.version)
        with unless_changed_meanwhile(session, task, "tasks"):
            if sent:
                services.save_task(session, task, values, current_user)
            if status is not None and status != task.status:
                services.set_task_done(session, task, status == "done")
    commit()
    return task_out(task)


def _task_now(task_id: int) -> dict:
    return task_out(db.session().get(Task, task_id)).model_dump(mode="json")
