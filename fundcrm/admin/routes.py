from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from fundcrm import db
from fundcrm.admin import queries
from fundcrm.admin import services as admin_services
from fundcrm.admin.forms import AuditFilterForm, UserCreateForm, UserEditForm, lp_choices
from fundcrm.auth import services
from fundcrm.funds.queries import lps
from fundcrm.history import readable, table_choices
from fundcrm.history.columns import ACTORS
from fundcrm.models import LimitedPartner, User
from fundcrm.pagination import paginate
from fundcrm.permissions import requires
from fundcrm.views import get_or_404, submit

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@requires("manage_users")
def users():
    session = db.session()
    return render_template(
        "admin/users.html",
        page=paginate(session, queries.users_list()),
        lp_names={lp.id: lp.name for lp in lps(session)},
    )


@bp.route("/users/new", methods=["GET", "POST"])
@requires("manage_users")
def new_user():
    session = db.session()
    form = UserCreateForm()
    form.lp_id.choices = lp_choices(lps(session, LimitedPartner.name))

    def create():
        user = services.create_user(
            session,
            email=form.email.data,
            name=form.name.data,
            roles=form.roles.data,
            password=form.password.data,
            settings=current_app.config,
        )
        admin_services.tie_to_lp(session, user, form.lp_id.data, form.roles.data)
        return user

    done = submit(
        form,
        create,
        saved=lambda user: _("User %(email)s created.", email=user.email),
        to=url_for("admin.users"),
    )
    return done or render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires("manage_users")
def edit_user(user_id: int):
    session = db.session()
    user = get_or_404(User, user_id)
    form = UserEditForm(obj=user)
    form.lp_id.choices = lp_choices(lps(session, LimitedPartner.name))
    if request.method == "GET":
        form.roles.data = sorted(user.role_codes)

    def update():
        services.update_user(
            session,
            user,
            name=form.name.data,
            roles=form.roles.data,
            active=form.active.data,
            password=form.password.data,
            settings=current_app.config,
        )
        admin_services.tie_to_lp(session, user, form.lp_id.data, form.roles.data)

    done = submit(form, update, saved=_("User %(email)s saved.", email=user.email),
                  to=url_for("admin.users"))  # fmt: skip
    if done is None:
        return render_template("admin/user_form.html", form=form, user=user)
    if user.id == current_user.id:  # an administrator's own reset keeps this browser signed in
        login_user(user)
    return done


def _audit_filters(form: AuditFilterForm) -> None:
    """The filter's choices: the tables and the people the trail holds, by name."""
    session = db.session()
    form.table.choices = [
        ("", _("All tables")),
        *table_choices(queries.audited_tables(session)),
    ]
    form.user.choices = [
        ("", _("All users")),
        *(
            (label, f"{name} ({label})" if name else str(ACTORS.get(label, label)))
            for label, name in queries.audit_actors(session)
        ),
    ]


@bp.get("/audit")
@requires("read_audit")
def audit():
    form = AuditFilterForm(request.args)
    _audit_filters(form)
    valid = form.validate()
    query = (
        queries.audit_entries(
            form.table.data, form.row.data, form.user.data, form.date_from.data, form.date_to.data
        )
        if valid
        else queries.no_audit_entries()
    )
    session = db.session()
    page = paginate(session, query)
    # every column, bookkeeping included, but the record's own id: the record column names it
    events = readable(session, page.items, bookkeeping=True, hide={"id"})
    return render_template("admin/audit.html", form=form, page=page, events=events), (
        200 if valid else 400
    )
