from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import text

from fundcrm import audit, clock, db, history, migrate
from fundcrm.jobs import queue
from fundcrm.main import dashboard, queries
from fundcrm.permissions import public, requires
from fundcrm.safe_redirect import local_path

bp = Blueprint("main", __name__)


@bp.get("/")
@requires("use_app")
def home():
    """The user's dashboard (the panels its roles give), open tasks and recent changes."""
    session = db.session()
    tasks = queries.open_tasks(session, current_user)
    return render_template(
        "main/home.html",
        dashboard=dashboard.build(session, current_user, clock.today()),
        recent=history.readable(session, audit.changes_by(session, current_user.id)),
        tasks=tasks,
        deals={t.deal.id: t.deal for t in tasks if t.deal is not None},
    )


@bp.post("/language")
@public
def set_language():
    """Remember the chosen language: on the account when signed in, else in the session."""
    code = request.form.get("locale", "")
    if code in current_app.config["LANGUAGES"]:
        session["locale"] = code
        if current_user.is_authenticated and current_user.locale != code:
            current_user.locale = code
            db.session().commit()
    return redirect(local_path(request.form.get("next")) or url_for("main.home"))


@bp.get("/healthz")
@public
def healthz():
    """Database and job queue reachability and the schema revision, for load balancers and
    monitoring."""
    engine = db.engine()
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        revision = migrate.current_revision(engine)
    except Exception as error:  # noqa: BLE001 - any database failure means "not healthy"
        current_app.logger.warning("health check failed: %s", error)
        return jsonify(status="error", database="unreachable", revision=None), 503
    head = migrate.head_revision(engine)
    status = "ok" if revision == head else "schema_outdated"
    job_queue = "ok" if queue.reachable() else "unreachable"
    if job_queue != "ok":
        status = "error"
    return (
        jsonify(status=status, database="ok", revision=revision, head=head, queue=job_queue),
        200 if status == "ok" else 503,
    )
