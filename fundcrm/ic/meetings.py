"""IC meetings (DOMAIN.md section 4): scheduled by an administrator with a date, a place, a
chair and members (users who sit on the IC); an agenda of submitted memo versions; attendance
recorded by the chair or an administrator. Services flush; the view commits."""

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from fundcrm.auth.queries import all_may
from fundcrm.db import lock_for_edit
from fundcrm.errors import ServiceError
from fundcrm.ic import queries
from fundcrm.models import IcAgendaItem, IcMeeting, IcMeetingMember, IcMemo, IcMemoVersion
from fundcrm.notifications import services as notifications

MEETING_CHANGED = _l(
    "Someone changed this meeting meanwhile: nothing was saved. Look at it again and retry."
)


class MeetingError(ServiceError):
    pass


def save_meeting(db: Session, meeting: IcMeeting | None, values: dict, seen, user) -> IcMeeting:
    """A new meeting, or its details changed. values: held_on, starts_at, place, chair_id,
    member_ids, note. A member who has voted on the meeting stays on it."""
    members = list(dict.fromkeys(values["member_ids"]))
    if len(members) < 2:
        raise MeetingError(_l("A meeting needs at least two IC members."), "member_ids")
    if not all_may(db, members, "sit_on_ic"):
        raise MeetingError(_l("Every member must be an active IC member."), "member_ids")
    if values["chair_id"] not in members:
        raise MeetingError(_l("The chair is one of the meeting's members."), "chair_id")
    if meeting is None:
        meeting = IcMeeting(created_by_id=user.id, chair_id=values["chair_id"])
        db.add(meeting)
    else:
        lock_for_edit(db, meeting, "members")
        if meeting.version != seen:
            raise MeetingError(MEETING_CHANGED)
        voted = queries.voted_on_meeting(db, meeting.id) - set(members)
        if any(not i.is_open for i in meeting.items) and values["held_on"] != meeting.held_on:
            raise MeetingError(_l("A meeting with decided items keeps its date."), "held_on")
        if voted:
            raise MeetingError(
                _l("A member who has voted on this meeting's agenda stays on it."), "member_ids"
            )
    for key in ("held_on", "starts_at", "place", "chair_id"):
        setattr(meeting, key, values[key])
    meeting.note = (values.get("note") or "").strip()
    kept = {m.member_id: m for m in meeting.members}
    meeting.members = [kept.get(m) or IcMeetingMember(member_id=m) for m in members]
    _flush(db, MEETING_CHANGED)
    return meeting


def record_attendance(db: Session, meeting: IcMeeting, attended: set[int], seen) -> None:
    lock_for_edit(db, meeting, "members")
    if meeting.version != seen:
        raise MeetingError(MEETING_CHANGED)
    for member in meeting.members:
        member.attended = member.member_id in attended
    flag_modified(meeting, "note")  # attendance is part of the meeting: count its version up
    _flush(db, MEETING_CHANGED)


def add_item(db: Session, meeting: IcMeeting, version_id: int | None, user) -> IcAgendaItem:
    """Put a memo's latest submitted version on the agenda: one open item per memo, none for a
    deal already approved, and a later meeting than the one that last decided on it."""
    version = db.get(IcMemoVersion, version_id) if version_id else None
    if version is None or version.status != "submitted":
        raise MeetingError(_l("Choose a submitted memo version."), "memo_version_id")
    memo = db.get(IcMemo, version.memo_id)
    lock_for_edit(db, memo)  # two additions of one memo run one after the other
    latest_submitted = max(v.number for v in memo.versions if v.status == "submitted")
    if version.number != latest_submitted:
        raise MeetingError(
            _l("Only the memo's latest submitted version goes on an agenda."), "memo_version_id"
        )
    if queries.open_item_of_memo(db, memo.id) is not None:
        raise MeetingError(
            _l("This memo is on an agenda whose vote is still open."), "memo_version_id"
        )
    last = queries.latest_decision(db, memo.deal_id)
    if last is not None and last.approving:
        raise MeetingError(_l("The IC has approved this deal already."), "memo_version_id")
    earlier = [m.held_on for _i, m, _n in queries.items_of_deal(db, memo.deal_id)]
    if earlier and meeting.held_on < max(earlier):
        raise MeetingError(
            _l("A memo goes on a later meeting than the one that last considered it."),
            "memo_version_id",
        )
    item = IcAgendaItem(
        meeting_id=meeting.id,
        memo_version_id=version.id,
        deal_id=memo.deal_id,
        position=len(meeting.items) + 1,
        added_by_id=user.id,
    )
    db.add(item)
    _flush(db, _l("This memo version is on this meeting's agenda already."))
    notifications.on_agenda(db, meeting, item, memo.deal)
    return item


def remove_item(db: Session, item: IcAgendaItem) -> None:
    """Take an item off the agenda while nobody has voted on it (the item locked, as a vote
    and a closing lock it)."""
    lock_for_edit(db, item)
    if not item.is_open:
        raise MeetingError(_l("A decided item stays on the agenda."))
    if queries.votes_of(db, item.id):
        raise MeetingError(_l("Members have voted on this item: it stays on the agenda."))
    db.delete(item)
    db.flush()


def _flush(db: Session, message) -> None:
    try:
        with db.begin_nested():
            db.flush()
    except (IntegrityError, StaleDataError):
        raise MeetingError(message) from None
