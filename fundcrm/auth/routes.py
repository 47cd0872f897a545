from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from fundcrm import db
from fundcrm.auth import services, tokens
from fundcrm.auth.forms import ChangePasswordForm, LoginForm, TokenForm
from fundcrm.models import ApiToken
from fundcrm.models.base import utcnow
from fundcrm.permissions import authorize, public, requires
from fundcrm.safe_redirect import local_path
from fundcrm.views import get_or_404, submit

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


@bp.route("/account/tokens", methods=["GET", "POST"])
@requires("manage_own_tokens")
def api_tokens():
    """The user's own personal API tokens: the list, a new one (its secret shown on this
    response alone, never stored, flashed or cached), and a revoke button for each."""
    form = TokenForm(expires_days=current_app.config["API_TOKEN_DAYS"])
    made = None
    if form.validate_on_submit():
        session = db.session()
        user = current_user._get_current_object()
        try:
            made = tokens.create_token(session, user, form.name.data, form.expires_days.data)
        except tokens.TokenError as refusal:
            session.rollback()
            refusal.show_on(form)
        else:
            session.commit()
            form = TokenForm(formdata=None, expires_days=current_app.config["API_TOKEN_DAYS"])
    page = render_template(
        "auth/api_tokens.html",
        form=form,
        made=made,
        tokens=tokens.tokens_of(db.session(), current_user.id),
        now=utcnow(),
        is_live=tokens.is_live,
    )
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"  # the secret must not stay in a cache
    return response


@bp.post("/account/tokens/<int:token_id>/revoke")
@requires("manage_own_tokens")
def revoke_api_token(token_id: int):
    session = db.session()
    token = get_or_404(ApiToken, token_id)
    authorize("manage_own_tokens", token)
    tokens.revoke_token(session, token)
    session.commit()
    flash(_("The token “%(name)s” is revoked: it no longer signs in.", name=token.name), "success")
    return redirect(url_for("auth.api_tokens"))
