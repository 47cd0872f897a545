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
from sqlmodel import select

from fundcrm import db, migrate
from fundcrm.models import AuditEntry, Deal, Task
from fundcrm.permissions import public, requires
from fundcrm.safe_redirect import local_path

bp = Blueprint("main", __name__)


@bp.get("/")
@requires("use_app")
def home():
    recent = (
        db.session()
        .exec(
            select(AuditEntry)
            .where(AuditEntry.actor_id == current_user.id)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(10)
        )
        .all()
    )
    tasks = (
        db.session()
        .exec(
            select(Task)
            .where(Task.assignee_id == current_user.id, Task.status == "open")
            .order_by(Task.due_on, Task.id)
            .limit(20)
        )
        .all()
    )
    deal_ids = [t.deal_id for t in tasks if t.deal_id]
    deals = db.session().exec(select(Deal).where(Deal.id.in_(deal_ids))).all() if deal_ids else []
    return render_template(
        "main/home.html", recent=recent, tasks=tasks, deals={d.id: d for d in deals}
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
    """Database reachability and schema revision, for load balancers and monitoring."""
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
    return (
        jsonify(status=status, database="ok", revision=revision, head=head),
        200 if status == "ok" else 503,
    )
