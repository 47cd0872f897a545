"""The demo's request to override a mandate breach: the manager asks risk to take on into due
diligence the deal risk let into 立项 with an override (the angel fund co-investing in a mature
company, outside its mandate); the request waits on risk's list, and risk and the
administrator are told."""

from sqlmodel import Session, select

from fundcrm.auth.queries import find_user
from fundcrm.compliance import overrides
from fundcrm.domain import stages
from fundcrm.models import Deal, DealMember, OverrideRequest

NOTE = (
    "该企业为链主企业核心配套供应商，立项时已经风控特批；建议继续推进尽职调查，"
    "上投委会前再评估天使基金的参与比例。"
)


def seed_override_request(db: Session) -> int:
    """The manager's request on the first of its deals whose next move only a mandate refuses;
    how many were added (0 once there is any request, or no such deal)."""
    if db.exec(select(OverrideRequest.id).limit(1)).first() is not None:
        return 0
    manager = find_user(db, "manager@example.com")
    if manager is None:
        return 0
    for deal in _deals_of(db, manager.id):
        to_stage = stages.suggested_target(deal.stage, deal.return_stage)
        if to_stage is None or not overrides.may_request(manager, deal):
            continue
        try:
            overrides.breaches_of(db, deal, to_stage, manager)
        except overrides.OverrideError:  # no breach, or refused for another reason too
            continue
        overrides.request_override(db, deal, to_stage, manager, NOTE, deal.stage)
        return 1
    return 0


def _deals_of(db: Session, user_id: int) -> list[Deal]:
    """The open deals the user owns or works on, oldest first."""
    on_team = select(DealMember.deal_id).where(DealMember.user_id == user_id)
    query = select(Deal).where(
        (Deal.owner_id == user_id) | Deal.id.in_(on_team),
        Deal.stage.not_in(("closed", "passed", "on_hold")),
    )
    return list(db.exec(query.order_by(Deal.id)).all())
