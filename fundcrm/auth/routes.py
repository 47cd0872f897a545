from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from fundcrm import db
from fundcrm.auth import services
from fundcrm.auth.forms import ChangePasswordForm, LoginForm
from fundcrm.permissions import public, requires
from fundcrm.safe_redirect import local_path
from fundcrm.views import submit

bp = Blueprint("auth", __name__)

REFUSALS = {
    "invalid": lambda: _("Wrong email or password."),
    "locked": lambda: _(
        "Too many failed sign-ins for this email. Try again in %(n)d minutes.",
        n=current_app.config["LOGIN_LOCK_MINUTES"],
    ),
    "disabled": lambda: _("This account is disabled. Ask an administrator."),
}


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    target = local_path(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target or url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(
                db.session(), form.email.data, form.password.data, current_app.config
            )
        except services.SignInRefused as refused:
            db.session().commit()  # the lock or the cleared count
            form.password.errors.append(REFUSALS[refused.reason]())
        else:
            db.session().commit()
            chosen_locale = session.get("locale")
            session.clear()  # a fresh session on sign-in: no fixation
            if chosen_locale:
                session["locale"] = chosen_locale
            login_user(user)
            return redirect(target or url_for("main.home"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@requires("use_app")
def logout():
    services.end_sessions(current_user)  # every browser of this user, not only this one
    db.session().commit()
    logout_user()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@requires("use_app")
def change_password():
    form = ChangePasswordForm()

    def change():
        user = current_user._get_current_object()
        services.change_password(
            user, form.current_password.data, form.password.data, current_app.config
        )
        login_user(user)  # this browser keeps its session, with the new token

    done = submit(form, change, _("Your password has been changed."), url_for("main.home"))
    return done or render_template("auth/change_password.html", form=form)
