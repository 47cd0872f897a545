"""The deal team's activities and tasks; the checklists and documents are in dd_routes.py."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from fundcrm import db
from fundcrm.auth.queries import users_who_can
from fundcrm.models import Activity, Company, Deal, Task
from fundcrm.pagination import paginate
from fundcrm.permissions import authorize, requires, user_can
from fundcrm.safe_redirect import local_path
from fundcrm.views import get_or_404, record_id, submit
from fundcrm.workspace import queries, services
from fundcrm.workspace.forms import ActivityForm, TaskForm

bp = Blueprint("workspace", __name__)


def _back_to(activity_or_task) -> str:
    if getattr(activity_or_task, "deal_id", None):
        return url_for("deals.show", deal_id=activity_or_task.deal_id)
    if getattr(activity_or_task, "company_id", None):
        return url_for("companies.show", company_id=activity_or_task.company_id)
    return url_for("workspace.my_tasks")


def _authorize_chosen_deal(chosen: int | None, kept: int | None, deals: list[Deal]) -> None:
    """Refuse (403) one of these deals the user may not work on, chosen or preselected for an
    activity or a task; the deal a record already has (`kept`) stays under the record's own
    rule (edit_activity, edit_task)."""
    if chosen and chosen != kept:
        for deal in deals:
            if deal.id == chosen:
                authorize("work_on_deals", deal)


# Activities -------------------------------------------------------------------------------


def _activity_form(company: Company, activity: Activity | None) -> ActivityForm:
    session = db.session()
    form = ActivityForm(obj=activity)
    deals = queries.company_deals(session, company.id)
    kept = activity.deal_id if activity else None
    # offered: the deals the user may work on, and the one the activity already has
    offered = [d for d in deals if d.id == kept or user_can(current_user, "work_on_deals", d)]
    form.deal_id.choices = [("", "—"), *((d.id, d.deal_ref) for d in offered)]
    # participants: whoever sees the pipeline (never an LP representative)
    form.user_ids.choices = [(u.id, u.name) for u in users_who_can(session, "read_pipeline")]
    contacts = queries.company_contacts(session, company.id)
    form.contact_ids.choices = [(c.id, f"{c.name} {c.title or ''}".strip()) for c in contacts]
    if not form.is_submitted():
        if activity is not None:
            form.user_ids.data = [u.user_id for u in activity.users]
            form.contact_ids.data = [c.contact_id for c in activity.contacts]
        else:
            form.deal_id.data = request.args.get("deal", type=record_id)
            form.user_ids.data = [current_user.id]
    _authorize_chosen_deal(form.deal_id.data, kept, deals)
    return form


def _save_activity(company: Company, activity: Activity):
    form = _activity_form(company, activity if activity.id else None)
    saved = submit(
        form,
        lambda: services.save_activity(
            db.session(), activity, form.values(company.id), current_user
        ),
        _("Activity saved."),
        _back_to,
    )
    return saved or render_template(
        "workspace/activity_form.html", form=form, company=company, activity=activity
    )


@bp.route("/companies/<int:company_id>/activities/new", methods=["GET", "POST"])
@requires("work_on_deals")
def new_activity(company_id: int):
    company = get_or_404(Company, company_id)
    return _save_activity(company, Activity(company_id=company.id, kind="", summary=""))


@bp.route("/activities/<int:activity_id>", methods=["GET", "POST"])
@requires("edit_activity")
def edit_activity(activity_id: int):
    activity = get_or_404(Activity, activity_id)
    authorize("edit_activity", activity)
    return _save_activity(get_or_404(Company, activity.company_id), activity)


@bp.post("/activities/<int:activity_id>/delete")
@requires("edit_activity")
def delete_activity(activity_id: int):
    activity = get_or_404(Activity, activity_id)
    authorize("edit_activity", activity)
    target = _back_to(activity)
    db.session().delete(activity)
    db.session().commit()
    flash(_("Activity deleted."), "success")
    return redirect(target)


# Tasks ------------------------------------------------------------------------------------


@bp.get("/tasks")
@requires("read_pipeline")
def my_tasks():
    """The signed-in user's tasks (or everyone's), open ones (or all), sorted by any column."""
    try:
        wanted = queries.task_list_request(request.args)
    except queries.BadListRequest as refused:
        return render_template(
            "workspace/tasks.html", page=None, wanted=queries.TaskListRequest(), error=refused
        ), 400
    page = paginate(db.session(), queries.task_list(wanted, current_user.id))
    return render_template("workspace/tasks.html", page=page, wanted=wanted, error=None)


def _task_form(task: Task | None) -> TaskForm:
    session = db.session()
    form = TaskForm(obj=task)
    # whoever may tick a task off may be given one
    form.assignee_id.choices = [(u.id, u.name) for u in users_who_can(session, "complete_task")]
    deal_id = task.deal_id if task else request.args.get("deal", type=record_id)
    deal = session.get(Deal, deal_id) if deal_id else None
    form.deal_id.choices = [("", "—")] + ([(deal.id, deal.deal_ref)] if deal else [])
    if not form.is_submitted() and task is None:
        form.deal_id.data = deal.id if deal else None
        form.assignee_id.data = current_user.id
    _authorize_chosen_deal(
        form.deal_id.data, task.deal_id if task else None, [deal] if deal else []
    )
    return form


def _save_task(task: Task):
    form = _task_form(task if task.id else None)
    saved = submit(
        form,
        lambda: services.save_task(db.session(), task, form.values(), current_user),
        _("Task saved."),
        _back_to,
    )
    return saved or render_template("workspace/task_form.html", form=form, task=task)


@bp.route("/tasks/new", methods=["GET", "POST"])
@requires("work_on_deals")
def new_task():
    return _save_task(Task(title="", assignee_id=current_user.id))


@bp.route("/tasks/<int:task_id>", methods=["GET", "POST"])
@requires("edit_task")
def edit_task(task_id: int):
    task = get_or_404(Task, task_id)
    authorize("edit_task", task)
    return _save_task(task)


@bp.post("/tasks/<int:task_id>/done")
@requires("complete_task")
def complete_task(task_id: int):
    """Tick a task off (or reopen it): its assignee whatever the role, or who may edit it."""
    task = get_or_404(Task, task_id)
    authorize("complete_task", task)
    done = request.form.get("done", "1") == "1"
    services.set_task_done(db.session(), task, done)
    db.session().commit()
    if done:
        flash(_("Task “%(title)s” done.", title=task.title), "success")
    else:
        flash(_("Task “%(title)s” reopened.", title=task.title), "success")
    return redirect(local_path(request.form.get("next")) or url_for("workspace.my_tasks"))


# The checklists, their templates and the documents register on this blueprint.
from fundcrm.workspace import dd_routes  # noqa: E402, F401
