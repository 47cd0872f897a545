"""Requests to override a mandate breach (DOMAIN.md section 3): a manager whose move was
refused only for breaking a sub-fund's mandate asks risk or an administrator to perform it,
saying why; they perform it with the override's reason (the move runs through the gates again,
as their own move) or decline it with a reason, and the manager is told either way. The
manager may withdraw a request still waiting.

The breaches a request lists are the move's own, judged again here, never taken from the
form. One request waits per deal and stage. A request is decided once: its version column
makes the second of two simultaneous decisions update no row (the first holds the row until it
commits), and that decision is refused. Services flush; the view commits."""

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from fundcrm import clock
from fundcrm.compliance import queries
from fundcrm.db import lock_for_edit
from fundcrm.deals import moves
from fundcrm.deals.refusals import MoveRefused, Refusal, breach_message, message
from fundcrm.errors import ServiceError
from fundcrm.i18n import vocab_label
from fundcrm.models import Deal, OverrideRequest, StageMove, User
from fundcrm.notifications import services as notifications
from fundcrm.permissions import user_can

REASON_MAX = 500  # the override's reason is kept on the move (StageMove.override_reason)
DECIDED_MEANWHILE = _l("Someone decided this request meanwhile: look at it again.")


class OverrideError(ServiceError):
    pass


def may_request(user, deal) -> bool:
    """A user who may move the deal but not override a breach: one who asks."""
    return user_can(user, "request_overrides", deal) and not user_can(user, "override_mandate")


def breaches_of(db: Session, deal: Deal, to_stage: str, user: User) -> list[str]:
    """The mandate breaches refusing this move, as its refusal words them. Refused when the
    move is refused for another reason too, or not refused at all."""
    try:
        moves.check_move(db, deal, to_stage, user)
    except MoveRefused as refused:
        if not refused.breaches:
            raise OverrideError(" ".join(str(m) for m in refused.messages), "to_stage") from None
        return [breach_message(b) for b in refused.breaches]
    raise OverrideError(_l("This move breaks no mandate: move the deal."), "to_stage")


def request_override(
    db: Session, deal: Deal, to_stage: str, user: User, note: str, seen_stage: str | None = None
) -> OverrideRequest:
    """Ask risk to perform a move its mandates refuse; every user who may override is told."""
    lock_for_edit(db, deal)  # after a move or a request of the deal made meanwhile
    if seen_stage and seen_stage != deal.stage:
        raise OverrideError(message(Refusal("moved_meanwhile", {"stage": deal.stage})), "note")
    if not may_request(user, deal):
        raise OverrideError(
            _l("You may override a breach yourself: give the reason on the move form."), "note"
        )
    note = (note or "").strip()
    if not note:
        raise OverrideError(_l("Say why the move should be made despite the breach."), "note")
    waiting = queries.pending_request(db, deal.id, to_stage)
    if waiting is not None:
        raise OverrideError(
            _l(
                "A request to move this deal to %(stage)s already waits for risk: one is enough.",
                stage=vocab_label("stage", to_stage),
            ),
            "note",
        )
    request = OverrideRequest(
        deal_id=deal.id,
        from_stage=deal.stage,
        to_stage=to_stage,
        breaches=breaches_of(db, deal, to_stage, user),
        note=note,
        requested_by_id=user.id,
        created_at=clock.now(),
    )
    db.add(request)
    db.flush()
    notifications.override_requested(db, request, deal, user)
    return request


def perform(
    db: Session, request: OverrideRequest, user: User, reason: str, seen_version: int | None
) -> StageMove:
    """Make the move as the deciding user with the override's reason; refused (the request
    still waiting) when the move is refused now for another reason."""
    _decide(request, "performed", user, reason, seen_version)
    _written(db)
    deal = db.get(Deal, request.deal_id)
    try:
        move = moves.move_stage(db, deal, request.to_stage, user, seen_stage=request.from_stage,
                                override_reason=request.decision_reason)  # fmt: skip
    except MoveRefused as refused:
        raise OverrideError(" ".join(str(m) for m in refused.messages), "reason") from None
    notifications.override_decided(db, request, deal, user)
    return move


def decline(
    db: Session, request: OverrideRequest, user: User, reason: str, seen_version: int | None
) -> None:
    _decide(request, "declined", user, reason, seen_version)
    _written(db)
    notifications.override_decided(db, request, db.get(Deal, request.deal_id), user)


def withdraw(db: Session, request: OverrideRequest, user: User) -> None:
    """The requester takes back a request still waiting."""
    _still_pending(request, None)
    request.status, request.decided_by_id, request.decided_at = "withdrawn", user.id, clock.now()
    _written(db)


def _still_pending(request: OverrideRequest, seen_version: int | None) -> None:
    if request.status != "pending" or seen_version not in (None, request.version):
        raise OverrideError(DECIDED_MEANWHILE, "reason")


def _decide(request, status: str, user: User, reason: str, seen_version: int | None) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise OverrideError(_l("Give the reason for your decision."), "reason")
    _still_pending(request, seen_version)
    request.status, request.decided_by_id, request.decided_at = status, user.id, clock.now()
    request.decision_reason = reason[:REASON_MAX]


def _written(db: Session) -> None:
    """Write the decision: a simultaneous one committed first leaves no row at this version."""
    try:
        db.flush()
    except StaleDataError:
        raise OverrideError(DECIDED_MEANWHILE, "reason") from None
