"""Votes on an agenda item (DOMAIN.md section 4): one per member and item (the database's
unique key), changed in place until the vote closes, hidden from the others until then.

Casting locks the item's row, so a vote and the closing of its item run one after the other:
a vote either counts or is refused as late, never lost. Services flush; the view commits."""

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from fundcrm import clock
from fundcrm.db import lock_for_edit
from fundcrm.domain.ic_votes import APPROVE_CONDITIONS, VOTE_CHOICES
from fundcrm.errors import ServiceError
from fundcrm.ic import queries
from fundcrm.models import IcAgendaItem, IcVote
from fundcrm.permissions import user_can

MAX_CONDITION = 2000


class VoteError(ServiceError):
    pass


def cast(db: Session, item: IcAgendaItem, user, choice: str, condition: str) -> IcVote:
    """The member's vote on the item: recorded, or changed if it had one."""
    lock_for_edit(db, item)
    if not item.is_open:
        raise VoteError(_l("The vote on this item is closed: votes no longer change."))
    seat = queries.item_seat(db, item)
    if user.id not in seat.member_ids:
        raise VoteError(_l("Only the meeting's IC members vote on its agenda."))
    if user.id in seat.recused_ids or not user_can(user, "cast_votes", seat):
        raise VoteError(
            _l("You have a declared conflict with this company: you are recused and do not vote.")
        )
    condition = (condition or "").strip()
    if choice not in VOTE_CHOICES:
        raise VoteError(_l("Choose approve, approve with conditions, reject or abstain."), "choice")
    if choice == APPROVE_CONDITIONS and not condition:
        raise VoteError(_l("Write the conditions of your approval."), "condition")
    if choice != APPROVE_CONDITIONS and condition:
        raise VoteError(
            _l("Only an approval with conditions carries conditions: choose it, or clear them."),
            "condition",
        )
    if len(condition) > MAX_CONDITION:
        raise VoteError(_l("At most 2,000 characters of conditions."), "condition")
    vote = queries.vote_of(db, item.id, user.id)
    if vote is None:
        vote = IcVote(item_id=item.id, member_id=user.id, choice=choice, condition=condition)
        db.add(vote)
    else:
        vote.choice, vote.condition, vote.cast_at = choice, condition, clock.now()
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError:  # the same member's simultaneous first vote took the key
        raise VoteError(
            _l("Your vote was recorded meanwhile: look at it and change it if need be.")
        ) from None
    return vote
