import json

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from sqlmodel import select

from fundcrm import clock, db
from fundcrm.admin.forms import AuditFilterForm, UserCreateForm, UserEditForm
from fundcrm.auth import services
from fundcrm.i18n import TABLE_LABELS
from fundcrm.models import AuditEntry, User
from fundcrm.pagination import paginate
from fundcrm.permissions import requires
from fundcrm.views import apply_error, get_or_404

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@requires("manage_users")
def users():
    query = select(User).order_by(User.active.desc(), User.email)
    return render_template("admin/users.html", page=paginate(db.session(), query))


@bp.route("/users/new", methods=["GET", "POST"])
@requires("manage_users")
def new_user():
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                db.session(),
                email=form.email.data,
                name=form.name.data,
                roles=form.roles.data,
                password=form.password.data,
                settings=current_app.config,
            )
        except services.AccountError as error:
            db.session().rollback()
            apply_error(form, error)
        else:
            db.session().commit()
            flash(_("User %(email)s created.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires("manage_users")
def edit_user(user_id: int):
    user = get_or_404(User, user_id)
    form = UserEditForm(obj=user)
    if request.method == "GET":
        form.roles.data = sorted(user.role_codes)
    if form.validate_on_submit():
        try:
            services.update_user(
                db.session(),
                user,
                name=form.name.data,
                roles=form.roles.data,
                active=form.active.data,
                password=form.password.data,
                settings=current_app.config,
            )
        except services.AccountError as error:
            db.session().rollback()
            apply_error(form, error)
        else:
            db.session().commit()
            if user.id == current_user.id:  # an administrator's own reset keeps this browser in
                login_user(user)
            flash(_("User %(email)s saved.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user)


def _audit_query(form: AuditFilterForm):
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if form.table.data:
        query = query.where(AuditEntry.table_name == form.table.data)
    if form.row.data:
        query = query.where(AuditEntry.row_id == form.row.data.strip())
    if form.user.data:
        query = query.where(AuditEntry.actor_label == form.user.data)
    start, end = clock.day_range(form.date_from.data, form.date_to.data)
    if start:
        query = query.where(AuditEntry.at >= start)
    if end:
        query = query.where(AuditEntry.at < end)
    return query


@bp.get("/audit")
@requires("read_audit")
def audit():
    form = AuditFilterForm(request.args)
    session = db.session()
    tables = session.exec(select(AuditEntry.table_name).distinct().order_by(AuditEntry.table_name))
    actors = session.exec(
        select(AuditEntry.actor_label).distinct().order_by(AuditEntry.actor_label)
    )
    form.table.choices = [
        ("", _("All tables")),
        *((t, f"{TABLE_LABELS.get(t, t)} ({t})") for t in tables),
    ]
    form.user.choices = [("", _("All users")), *((a, a) for a in actors)]
    valid = form.validate()
    query = _audit_query(form) if valid else select(AuditEntry).where(AuditEntry.id.is_(None))
    page = paginate(session, query)
    changes = {entry.id: json.loads(entry.changes) for entry in page.items}
    return render_template("admin/audit.html", form=form, page=page, changes=changes), (
        200 if valid else 400
    )
