"""A decision's conditions (DOMAIN.md section 4): met, with evidence confirmed by risk, or
waived with a reason by the chair of the meeting that decided (unless recused on it) or an
administrator. An open condition past its due date reads as overdue. Services flush; the view
commits."""

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from fundcrm import clock
from fundcrm.db import lock_for_edit
from fundcrm.errors import ServiceError
from fundcrm.ic import queries
from fundcrm.models import IcAgendaItem, IcCondition
from fundcrm.permissions import user_can

MAX_TEXT = 2000


class ConditionError(ServiceError):
    pass


def may_waive(db: Session, user, condition: IcCondition) -> bool:
    """The chair of the meeting that decided (not recused on it) or an administrator."""
    item_id = condition.decision.item_id
    if item_id is None:  # a recorded decision has no meeting: its conditions are the admin's
        return user_can(user, "manage_meetings")
    seat = queries.item_seat(db, db.get(IcAgendaItem, item_id))
    return user_can(user, "chair_meetings", seat)


def resolve(db: Session, condition: IcCondition, user, action: str, text: str, seen) -> None:
    """`met` with `text` as the evidence (risk), or `waived` with `text` as the reason."""
    lock_for_edit(db, condition)
    if condition.version != seen:
        raise ConditionError(_l("This condition changed meanwhile: look at it again."))
    if condition.status != "open":
        raise ConditionError(_l("This condition is resolved already."))
    text = (text or "").strip()
    if action == "met":
        if not user_can(user, "confirm_conditions"):
            raise ConditionError(_l("Risk confirms a condition's evidence."))
        if not text:
            raise ConditionError(_l("Give the evidence that the condition is met."), "text")
        condition.evidence = text[:MAX_TEXT]
    elif action == "waived":
        if not may_waive(db, user, condition):
            raise ConditionError(
                _l("Only the deciding meeting's chair or an administrator waives a condition.")
            )
        if not text:
            raise ConditionError(_l("Give the reason for waiving the condition."), "text")
        condition.waive_reason = text[:MAX_TEXT]
    else:
        raise ConditionError(_l("A condition is met or waived."), "action")
    condition.status, condition.resolved_on, condition.resolved_by_id = (
        action,
        clock.today(),
        user.id,
    )
    try:
        db.flush()
    except StaleDataError:
        raise ConditionError(_l("This condition changed meanwhile: look at it again.")) from None
