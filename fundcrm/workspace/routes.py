from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import select

from fundcrm import db
from fundcrm.auth.services import users_who_can
from fundcrm.domain.filetypes import MIME_TYPES
from fundcrm.domain.text import CONTROL
from fundcrm.models import (
    Activity,
    Company,
    Contact,
    DDItem,
    DDTemplateItem,
    Deal,
    Document,
    Task,
)
from fundcrm.permissions import requires, user_can
from fundcrm.safe_redirect import local_path
from fundcrm.views import apply_error, flash_form_errors, get_or_404, record_id
from fundcrm.workspace import services
from fundcrm.workspace.forms import (
    ActivityForm,
    DDItemForm,
    NewDDItemForm,
    TaskForm,
    TemplateItemForm,
    UploadForm,
)

bp = Blueprint("workspace", __name__)


def _active_users():
    """Who may take part: users who can see the pipeline (never an LP representative)."""
    return users_who_can(db.session(), "read_pipeline")


def _back_to(activity_or_task) -> str:
    if getattr(activity_or_task, "deal_id", None):
        return url_for("deals.show", deal_id=activity_or_task.deal_id)
    return url_for("companies.show", company_id=activity_or_task.company_id)


# Activities -------------------------------------------------------------------------------


def _activity_form(company: Company, activity: Activity | None) -> ActivityForm:
    session = db.session()
    form = ActivityForm(obj=activity)
    deals = session.exec(select(Deal).where(Deal.company_id == company.id)).all()
    form.deal_id.choices = [("", "—"), *((d.id, f"{d.deal_ref}") for d in deals)]
    form.user_ids.choices = [(u.id, u.name) for u in _active_users()]
    contacts = session.exec(select(Contact).where(Contact.company_id == company.id)).all()
    form.contact_ids.choices = [(c.id, f"{c.name} {c.title or ''}".strip()) for c in contacts]
    if not form.is_submitted():
        if activity is not None:
            form.user_ids.data = [u.user_id for u in activity.users]
            form.contact_ids.data = [c.contact_id for c in activity.contacts]
        else:
            form.deal_id.data = request.args.get("deal", type=record_id)
            form.user_ids.data = [current_user.id]
    return form


def _save_activity(company: Company, activity: Activity):
    form = _activity_form(company, activity if activity.id else None)
    if form.validate_on_submit():
        try:
            services.save_activity(db.session(), activity, form.values(company.id), current_user)
        except services.WorkspaceError as error:
            db.session().rollback()
            apply_error(form, error)
        else:
            db.session().commit()
            flash(_("Activity saved."), "success")
            return redirect(_back_to(activity))
    return render_template(
        "workspace/activity_form.html", form=form, company=company, activity=activity
    )


@bp.route("/companies/<int:company_id>/activities/new", methods=["GET", "POST"])
@requires("work_on_deals")
def new_activity(company_id: int):
    company = get_or_404(Company, company_id)
    return _save_activity(company, Activity(company_id=company.id, kind="", summary=""))


@bp.route("/activities/<int:activity_id>", methods=["GET", "POST"])
@requires("work_on_deals")
def edit_activity(activity_id: int):
    activity = get_or_404(Activity, activity_id)
    return _save_activity(get_or_404(Company, activity.company_id), activity)


@bp.post("/activities/<int:activity_id>/delete")
@requires("work_on_deals")
def delete_activity(activity_id: int):
    activity = get_or_404(Activity, activity_id)
    target = _back_to(activity)
    db.session().delete(activity)
    db.session().commit()
    flash(_("Activity deleted."), "success")
    return redirect(target)


# Tasks ------------------------------------------------------------------------------------


@bp.get("/tasks")
@requires("read_pipeline")
def my_tasks():
    show = request.args.get("show", "open")
    query = select(Task).where(Task.assignee_id == current_user.id)
    if show != "all":
        query = query.where(Task.status == "open")
    tasks = db.session().exec(query.order_by(Task.status.desc(), Task.due_on, Task.id)).all()
    deals = _deals_by_id({t.deal_id for t in tasks})
    return render_template("workspace/tasks.html", tasks=tasks, deals=deals, show=show)


def _deals_by_id(ids) -> dict:
    ids = [i for i in ids if i]
    if not ids:
        return {}
    return {d.id: d for d in db.session().exec(select(Deal).where(Deal.id.in_(ids))).all()}


def _task_form(task: Task | None) -> TaskForm:
    form = TaskForm(obj=task)
    form.assignee_id.choices = [(u.id, u.name) for u in _active_users()]
    deal_id = task.deal_id if task else request.args.get("deal", type=record_id)
    deal = db.session().get(Deal, deal_id) if deal_id else None
    form.deal_id.choices = [("", "—")] + ([(deal.id, deal.deal_ref)] if deal else [])
    if not form.is_submitted() and task is None:
        form.deal_id.data = deal.id if deal else None
        form.assignee_id.data = current_user.id
    return form


def _save_task(task: Task):
    form = _task_form(task if task.id else None)
    if form.validate_on_submit():
        try:
            services.save_task(db.session(), task, form.values(), current_user)
        except services.WorkspaceError as error:
            db.session().rollback()
            apply_error(form, error)
        else:
            db.session().commit()
            flash(_("Task saved."), "success")
            if task.deal_id:
                return redirect(url_for("deals.show", deal_id=task.deal_id))
            return redirect(url_for("workspace.my_tasks"))
    return render_template("workspace/task_form.html", form=form, task=task)


@bp.route("/tasks/new", methods=["GET", "POST"])
@requires("work_on_deals")
def new_task():
    return _save_task(Task(title="", assignee_id=current_user.id))


@bp.route("/tasks/<int:task_id>", methods=["GET", "POST"])
@requires("work_on_deals")
def edit_task(task_id: int):
    return _save_task(get_or_404(Task, task_id))


@bp.post("/tasks/<int:task_id>/done")
@requires("read_pipeline")
def complete_task(task_id: int):
    """The assignee, or anyone who works on deals, ticks a task off (or reopens it)."""
    task = get_or_404(Task, task_id)
    if task.assignee_id != current_user.id and not user_can(current_user, "work_on_deals"):
        abort(403)
    services.set_task_done(db.session(), task, request.form.get("done", "1") == "1")
    db.session().commit()
    return redirect(local_path(request.form.get("next")) or url_for("workspace.my_tasks"))


# Due diligence ----------------------------------------------------------------------------


@bp.get("/deals/<int:deal_id>/dd")
@requires("read_pipeline")
def checklist(deal_id: int):
    return _checklist_page(get_or_404(Deal, deal_id))


def _item_form(item: DDItem, users, bound: bool = False) -> DDItemForm:
    form = (
        DDItemForm(prefix=f"item{item.id}")
        if bound
        else DDItemForm(obj=item, prefix=f"item{item.id}", formdata=None)
    )
    form.owner_id.choices = [("", "—"), *((u.id, u.name) for u in users)]
    return form


def _checklist_page(deal: Deal, refused: DDItemForm | None = None, refused_id=None):
    """The checklist; a refused item keeps what the user typed, with its errors."""
    session = db.session()
    grouped = services.checklist(session, deal.id)
    users = _active_users()
    forms = {item.id: _item_form(item, users) for items in grouped.values() for item in items}
    if refused is not None:
        forms[refused_id] = refused
    documents = {}
    for doc in session.exec(
        select(Document)
        .join(DDItem, Document.dd_item_id == DDItem.id)
        .where(DDItem.deal_id == deal.id)
        .order_by(Document.title, Document.version.desc())
    ).all():
        documents.setdefault(doc.dd_item_id, []).append(doc)
    return render_template(
        "workspace/checklist.html",
        deal=deal,
        grouped=grouped,
        forms=forms,
        new_form=NewDDItemForm(),
        item_documents=documents,
        upload=UploadForm(),
        closed=services.workstream_closed,
    ), (400 if refused is not None else 200)


@bp.post("/dd/items/<int:item_id>")
@requires("work_on_deals")
def update_dd_item(item_id: int):
    item = get_or_404(DDItem, item_id)
    form = _item_form(item, _active_users(), bound=True)
    if form.validate_on_submit():
        try:
            services.update_dd_item(db.session(), item, form.values())
        except services.WorkspaceError as error:
            db.session().rollback()
            apply_error(form, error)
        else:
            db.session().commit()
            flash(_("Item saved: %(title)s", title=item.title), "success")
            return redirect(
                url_for("workspace.checklist", deal_id=item.deal_id) + f"#item-{item.id}"
            )
    return _checklist_page(get_or_404(Deal, item.deal_id), form, item.id)


@bp.post("/deals/<int:deal_id>/dd/items")
@requires("work_on_deals")
def add_dd_item(deal_id: int):
    deal = get_or_404(Deal, deal_id)
    form = NewDDItemForm()
    if form.validate_on_submit():
        services.add_dd_item(db.session(), deal, form.workstream.data, form.title.data)
        db.session().commit()
        flash(_("Item added."), "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("workspace.checklist", deal_id=deal.id))


@bp.route("/admin/dd-templates", methods=["GET", "POST"])
@requires("manage_checklists")
def dd_templates():
    session = db.session()
    form = TemplateItemForm()
    if form.validate_on_submit():
        services.save_template_item(
            session,
            DDTemplateItem(workstream="", title=""),
            {"workstream": form.workstream.data, "title": form.title.data, "active": True},
        )
        session.commit()
        flash(_("Item added."), "success")
        return redirect(url_for("workspace.dd_templates"))
    items = session.exec(
        select(DDTemplateItem).order_by(
            DDTemplateItem.workstream, DDTemplateItem.position, DDTemplateItem.id
        )
    ).all()
    return render_template("workspace/dd_templates.html", form=form, items=items)


@bp.post("/admin/dd-templates/<int:item_id>")
@requires("manage_checklists")
def edit_dd_template(item_id: int):
    item = get_or_404(DDTemplateItem, item_id)
    form = TemplateItemForm()
    if form.validate_on_submit():
        services.save_template_item(
            db.session(),
            item,
            {
                "workstream": form.workstream.data,
                "title": form.title.data,
                "active": form.active.data,
            },
        )
        db.session().commit()
        flash(_("Saved."), "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("workspace.dd_templates"))


# Documents --------------------------------------------------------------------------------

OWNER_KINDS = {
    "company": ("company_id", Company),
    "deal": ("deal_id", Deal),
    "dd_item": ("dd_item_id", DDItem),
}


def documents_folder() -> Path:
    return Path(current_app.instance_path) / "documents"


def _owner_page(key: str, record) -> str:
    if key == "company_id":
        return url_for("companies.show", company_id=record.id) + "#documents"
    if key == "deal_id":
        return url_for("deals.show", deal_id=record.id) + "#documents"
    return url_for("workspace.checklist", deal_id=record.deal_id) + f"#item-{record.id}"


@bp.post("/documents")
@requires("work_on_deals")
def upload_document():
    form = UploadForm()
    kind, _sep, owner_id = (form.owner.data or "").partition(":")
    try:
        owner_id = record_id(owner_id)
    except ValueError:
        abort(400)
    if kind not in OWNER_KINDS:
        abort(400)
    key, model = OWNER_KINDS[kind]
    record = get_or_404(model, owner_id)
    target = _owner_page(key, record)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(target)
    upload = form.file.data
    limit = current_app.config["MAX_UPLOAD_MB"] * 2**20
    try:
        document = services.store_document(
            db.session(),
            documents_folder(),
            {key: record.id},
            form.title.data,
            upload.filename or "",
            upload.read(limit + 1),
            current_user,
            limit,
        )
    except services.WorkspaceError as error:
        db.session().rollback()
        flash(str(error.message), "danger")
    else:
        db.session().commit()
        flash(
            _(
                "Uploaded %(title)s (version %(version)s).",
                title=document.title,
                version=document.version,
            ),
            "success",
        )
        if CONTROL.search(upload.filename or ""):
            flash(
                _(
                    "Invisible control characters were removed from the file name: %(name)s.",
                    name=document.filename,
                ),
                "warning",
            )
    return redirect(target)


@bp.get("/documents/<int:document_id>")
@requires("read_pipeline")
def download_document(document_id: int):
    """Served as an attachment with its checked type, only to those who may see the record."""
    document = get_or_404(Document, document_id)
    path = services.document_path(documents_folder(), document)
    if not path.exists():
        abort(404)
    return send_file(
        path,
        mimetype=MIME_TYPES[document.file_type],
        as_attachment=True,
        download_name=document.filename,
    )
