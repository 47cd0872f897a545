"""IC meetings: scheduling, the agenda and attendance (DOMAIN.md section 4). An agenda item's
votes and decision are in fundcrm.ic.decision_routes."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from fundcrm import clock, db
from fundcrm.auth.queries import users_who_can
from fundcrm.errors import ServiceError
from fundcrm.funds.queries import users_by_id
from fundcrm.ic import meetings, queries
from fundcrm.ic.blueprint import bp
from fundcrm.ic.forms import (
    AddItemForm,
    AttendanceForm,
    MeetingForm,
    RemoveItemForm,
)
from fundcrm.models import IcAgendaItem, IcMeeting
from fundcrm.permissions import authorize, requires, user_can
from fundcrm.views import MAX_ID, flash_form_errors, get_or_404, posted, refused_and_audited, submit

# -- meetings ------------------------------------------------------------------------------------


@bp.get("/ic")
@requires("read_meetings")
def index():
    session, today = db.session(), clock.today()
    mine = current_user.id if not user_can(current_user, "read_meetings", _nobody()) else None
    lists = {
        upcoming: list(session.exec(queries.meetings(session, mine, upcoming, today)).all())
        for upcoming in (True, False)
    }
    shown = [m for found in lists.values() for m in found]
    return render_template(
        "ic/meetings.html",
        upcoming=lists[True],
        past=lists[False],
        decisions=queries.decisions_of_items(session, [i.id for m in shown for i in m.items]),
        people=users_by_id(session),
        mine=mine is not None,
    )


def _nobody():
    """A meeting nobody sits on: whoever may read it reads every meeting."""
    return queries.Seat(0, 0, frozenset())


def _meeting_form(session, meeting: IcMeeting | None) -> MeetingForm:
    form = MeetingForm(obj=meeting)
    people = [(u.id, u.name) for u in users_who_can(session, "sit_on_ic")]
    form.member_ids.choices = people
    form.chair_id.choices = people
    if meeting is not None and request.method == "GET":
        form.member_ids.data = meeting.member_ids
        form.seen.data = meeting.version
    return form


@bp.route("/ic/meetings/new", methods=["GET", "POST"])
@requires("manage_meetings")
def new_meeting():
    session = db.session()
    form = _meeting_form(session, None)
    done = submit(
        form,
        lambda: meetings.save_meeting(session, None, form.values(), None, current_user),
        _("The meeting is scheduled."),
        lambda meeting: url_for("ic.show_meeting", meeting_id=meeting.id),
    )
    return done or render_template("ic/meeting_form.html", form=form, meeting=None)


@bp.route("/ic/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@requires("manage_meetings")
def edit_meeting(meeting_id: int):
    session = db.session()
    meeting = get_or_404(IcMeeting, meeting_id)
    form = _meeting_form(session, meeting)
    done = submit(
        form,
        lambda: meetings.save_meeting(
            session, meeting, form.values(), _number(form.seen.data), current_user
        ),
        _("The meeting is saved."),
        url_for("ic.show_meeting", meeting_id=meeting.id),
    )
    return done or render_template("ic/meeting_form.html", form=form, meeting=meeting)


def _number(text) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        return -1  # no version any record has: refused as changed meanwhile


@bp.get("/ic/meetings/<int:meeting_id>")
@requires("read_meetings")
def show_meeting(meeting_id: int):
    session = db.session()
    meeting = get_or_404(IcMeeting, meeting_id)
    seat = queries.meeting_seat(meeting)
    authorize("read_meetings", seat)
    item_ids = [i.id for i in meeting.items]
    attendance = AttendanceForm(seen=meeting.version)
    attendance.attended.choices = [(m.member_id, "") for m in meeting.members]
    attendance.attended.data = [m.member_id for m in meeting.members if m.attended]
    add_form = AddItemForm()
    add_form.memo_version_id.choices = [
        (v.id, " · ".join((f"{ref} {name}", _("Version %(n)s", n=v.number))))
        for v, ref, name in queries.agenda_candidates(session)
    ]
    return render_template(
        "ic/meeting.html",
        meeting=meeting,
        seat=seat,
        people=users_by_id(session),
        items=queries.items_with_deals(session, item_ids),
        decisions=queries.decisions_of_items(session, item_ids),
        attendance=attendance,
        add_form=add_form,
        remove_form=RemoveItemForm(),
        with_votes=queries.items_with_votes(session, item_ids),
    )


@bp.post("/ic/meetings/<int:meeting_id>/attendance")
@requires("chair_meetings")
def record_attendance(meeting_id: int):
    meeting = get_or_404(IcMeeting, meeting_id)
    authorize("chair_meetings", queries.meeting_seat(meeting))
    form = AttendanceForm()
    form.attended.choices = [(m.member_id, "") for m in meeting.members]
    to = url_for("ic.show_meeting", meeting_id=meeting.id)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(to)
    try:
        meetings.record_attendance(
            db.session(), meeting, set(form.attended.data or []), _number(form.seen.data)
        )
    except ServiceError as refusal:
        db.session().rollback()
        flash(str(refusal.message), "danger")
        return redirect(to)
    db.session().commit()
    flash(_("Attendance is recorded."), "success")
    return redirect(to)


@bp.post("/ic/meetings/<int:meeting_id>/items")
@requires("manage_meetings")
def add_item(meeting_id: int):
    meeting = get_or_404(IcMeeting, meeting_id)
    form = AddItemForm()
    to = url_for("ic.show_meeting", meeting_id=meeting.id)
    valid = form.validate_on_submit() and 0 < (form.memo_version_id.data or 0) <= MAX_ID
    version_id = form.memo_version_id.data if valid else None
    try:
        meetings.add_item(db.session(), meeting, version_id, current_user)
    except ServiceError as refusal:
        refused_and_audited(meeting, "add_item", refusal)
        return redirect(to)
    db.session().commit()
    flash(_("The memo is on the agenda."), "success")
    return redirect(to)


@bp.post("/ic/items/<int:item_id>/remove")
@requires("manage_meetings")
def remove_item(item_id: int):
    item = get_or_404(IcAgendaItem, item_id)
    to = url_for("ic.show_meeting", meeting_id=item.meeting_id)
    action = lambda: meetings.remove_item(db.session(), item)  # noqa: E731
    return posted(
        RemoveItemForm(), action, item, "remove_item", _("The memo is off the agenda."), to
    )
