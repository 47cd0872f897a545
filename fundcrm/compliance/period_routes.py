"""Closed periods (`/funds/periods`): the closes with who, when and why, closing the books
through a date and reopening a close in force; and the closed-through date every form that
records a dated row shows (`closed_period()` in templates)."""

from flask import Blueprint, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from fundcrm import clock, db
from fundcrm.compliance import periods, queries
from fundcrm.compliance.period_forms import CloseForm, ReopenForm
from fundcrm.models import PeriodClose
from fundcrm.permissions import requires
from fundcrm.views import get_or_404, submit

bp = Blueprint("periods", __name__, url_prefix="/funds/periods")


@bp.app_context_processor
def _closed_period():
    """The closed-through date, read only where a page shows it (its forms' hint)."""

    def closed_period():
        return periods.closed_through(db.session()) if current_user.is_authenticated else None

    return {"closed_period": closed_period}


@bp.route("", methods=["GET", "POST"])
@requires("close_periods")
def index():
    form = CloseForm()
    form.pending = []
    saved = submit(
        form,
        lambda: periods.close_period(
            db.session(), form.closed_through.data, current_user, form.note.data
        ),
        lambda close: _(
            "The books are closed through %(date)s: nothing dated on or before it can be "
            "recorded until the close is reopened.",
            date=close.closed_through.isoformat(),
        ),
        url_for("periods.index"),
    )
    return saved or _page(form)


@bp.post("/<int:close_id>/reopen")
@requires("close_periods")
def reopen(close_id: int):
    close = get_or_404(PeriodClose, close_id)
    form = ReopenForm()
    saved = submit(
        form,
        lambda: periods.reopen(db.session(), close, current_user, form.reason.data),
        _("The close is reopened: dated rows in it may be recorded again."),
        url_for("periods.index"),
    )
    return saved or _page(reopened=(close.id, form))


def _page(form: CloseForm | None = None, reopened: tuple | None = None):
    """The closes and the forms; a refused form shown with its errors."""
    session = db.session()
    if form is None:
        form = CloseForm(formdata=None)
        form.pending = []
    closes = queries.period_closes(session)
    reopen_forms = {c.id: ReopenForm(formdata=None) for c in closes}
    if reopened is not None:
        reopen_forms[reopened[0]] = reopened[1]
    users = queries.names_of(
        session, [i for c in closes for i in (c.closed_by_id, c.reopened_by_id)]
    )
    return render_template(
        "compliance/periods.html",
        form=form,
        closes=closes,
        reopen_forms=reopen_forms,
        users=users,
        closed_through=periods.closed_through(session),
        today=clock.today(),
    )
