"""A user's notifications: the list, opening one (marks it read), marking all read."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from fundcrm import db
from fundcrm.models import Notification
from fundcrm.notifications import queries, services
from fundcrm.notifications.forms import OpenForm
from fundcrm.notifications.messages import message, target
from fundcrm.pagination import paginate
from fundcrm.permissions import authorize, requires
from fundcrm.views import get_or_404

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.app_context_processor
def _unread():
    """The navigation's unread count: asked only where a page draws it."""

    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        return queries.unread_count(db.session(), current_user.id)

    return {"unread_notifications": unread_notifications}


@bp.get("")
@requires("see_notifications")
def index():
    page = paginate(db.session(), queries.of_user(current_user.id))
    return render_template("notifications/index.html", page=page, message=message, form=OpenForm())


@bp.post("/<int:notification_id>/open")
@requires("see_notifications")
def open_notification(notification_id: int):
    notification = get_or_404(Notification, notification_id)
    authorize("see_notifications", notification)
    if not OpenForm().validate_on_submit():
        abort(400)
    services.mark_read(db.session(), notification)
    db.session().commit()
    to = target(db.session(), notification)
    if to is None:
        flash(_("What this notification was about has since been deleted."), "warning")
        return redirect(url_for("notifications.index"))
    return redirect(to)


@bp.post("/read")
@requires("see_notifications")
def mark_all_read():
    if not OpenForm().validate_on_submit():
        abort(400)
    services.mark_all_read(db.session(), current_user.id)
    db.session().commit()
    flash(_("Every notification is marked read."), "success")
    return redirect(url_for("notifications.index"))
