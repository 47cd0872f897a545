"""When the database cannot be reached: every page answers 503 in the user's language, JSON
callers get JSON, and the answer says nothing of why (the server log does)."""

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy import exc

from fundcrm import db

# Refused or lost connections, and a pool with no connection free. IntegrityError and the
# other errors a request's own data causes are not outages: they are handled where they arise.
OUTAGES = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)
RETRY_AFTER_SECONDS = 30
# Static files need no database; the health check reports an outage in its own JSON.
UNCHECKED_ENDPOINTS = frozenset({"static", "main.healthz"})


def connect_first() -> None:
    """Take the request's connection before anything else, so an outage shows on every page
    (the sign-in form included) rather than after the user has typed into it."""
    if request.endpoint in UNCHECKED_ENDPOINTS:
        return
    if request.method in db.READ_ONLY_METHODS:
        # A read takes the session's own connection: the probe costs no second checkout, and
        # neither driver sends BEGIN before the first statement.
        db.session().connection()
        return
    with db.engine().connect():  # a writer's transaction (SQLite's write lock) begins later
        pass


# Answers of a reachable database that is busy: PostgreSQL's deadlock, serialization failure,
# lock timeout and statement timeout; SQLite's writer lock held past the busy timeout.
BUSY_SQLSTATES = frozenset({"40P01", "40001", "55P03", "57014"})


def is_busy(error: Exception) -> bool:
    """Whether the database answered but was too busy, rather than unreachable."""
    orig = getattr(error, "orig", None)
    if getattr(orig, "sqlstate", None) in BUSY_SQLSTATES:
        return True
    name = getattr(orig, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in str(orig)


def database_unavailable(error: Exception):
    """The 503 answer: rendered with no database, so the user counts as signed out for it."""
    busy = is_busy(error)
    current_app.logger.error(
        "database %s on %s %s: %s",
        "busy" if busy else "unavailable",
        request.method,
        request.path,
        getattr(error, "orig", None) or type(error).__name__,  # not the SQL nor its values
    )
    db.discard_session()
    current_app.login_manager._update_request_context_with_user(None)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    message = (
        _("The database is busy at the moment. Nothing was saved. Try again in a moment.")
        if busy
        else _(
            "The database cannot be reached at the moment. Nothing was saved. Try again in a "
            "few minutes, and tell an administrator if it lasts."
        )
    )
    if _wants_json():
        return jsonify(ok=False, status="unavailable", errors=[message]), 503, headers
    page = render_template(
        "errors/error.html", code=503, title=_("Service temporarily unavailable"), message=message
    )
    return page, 503, headers


def _wants_json() -> bool:
    accepted = request.accept_mimetypes
    return request.is_json or (accepted.accept_json and not accepted.accept_html)


def init_app(app: Flask) -> None:
    app.before_request(connect_first)
    for outage in OUTAGES:
        app.register_error_handler(outage, database_unavailable)
