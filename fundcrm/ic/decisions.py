"""Closing an agenda item's vote into a decision, recording a historical one, and keeping
every decision as it was written (DOMAIN.md section 4).

Closing locks the item (votes lock it too): the votes stop changing and are shown. The
decision applies the strictest rule of the memo's sub-funds to the eligible members' votes
(fundcrm.domain.ic_votes) and is written once — at the close for a vote that does not approve,
right after it for an approving one, whose closer then reads the votes to set the amounts and
consolidate the conditions: the
rule, the counts, each vote, the recusals, the outcome, the approved amount per sub-fund (the
memo's, lowered perhaps, never raised) and the conditions the approving votes attached, each
kept or merged into another, none dropped. A decision never changes afterwards: the session
refuses to flush a change to one (`ClosedDecision`). Services flush; the view commits."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from fundcrm import clock
from fundcrm.db import lock_for_edit
from fundcrm.domain.ic_votes import APPROVING, Tally, Vote, VoteRule, strictest, tally
from fundcrm.errors import ServiceError
from fundcrm.ic import queries
from fundcrm.models import Deal, IcAgendaItem, IcCondition, IcDecision
from fundcrm.notifications import services as notifications
from fundcrm.permissions import user_can

MAX_TEXT = 2000


class DecisionError(ServiceError):
    pass


class ClosedDecision(RuntimeError):
    """A flush that would change or delete a written decision."""


@event.listens_for(OrmSession, "before_flush")
def _decisions_never_change(session, _context, _instances) -> None:
    for obj in session.deleted:
        if isinstance(obj, IcDecision):
            raise ClosedDecision(f"decision {obj.id} is closed")
    for obj in session.dirty:
        if isinstance(obj, IcDecision) and session.is_modified(obj, include_collections=False):
            raise ClosedDecision(f"decision {obj.id} is closed")


@dataclass(frozen=True)
class ConditionDraft:
    """One condition attached by an approving vote, as the closer consolidates it: its own
    condition (`into` None) with its text, kind and due date, or merged into an earlier one."""

    text: str = ""
    kind: str = "precedent"
    due_on: date | None = None
    into: int | None = None


def rule_of(db: Session, proposed: dict) -> tuple[VoteRule, dict]:
    """The strictest rule of the sub-funds a memo version proposes amounts for, and how the
    decision records it: quorum and threshold as the sub-fund wrote them, the minimum, the
    veto holders and the sub-funds."""
    funds = queries.rules_of(db, proposed.keys())
    if not funds:
        raise DecisionError(_l("The memo proposes no amount for any sub-fund: no rule applies."))
    rules = [
        VoteRule.of(f.ic_quorum, f.ic_threshold, f.ic_min_eligible, f.veto_holder_ids)
        for f in funds
    ]
    rule = strictest(rules)
    written = {
        "quorum": next(
            f.ic_quorum for f, r in zip(funds, rules, strict=True) if r.quorum == rule.quorum
        ),
        "threshold": next(
            f.ic_threshold
            for f, r in zip(funds, rules, strict=True)
            if r.threshold == rule.threshold
        ),
        "min_eligible": rule.min_eligible,
        "veto_holders": sorted(rule.veto_holders),
        "sub_funds": [f.code for f in funds],
    }
    return rule, written


def preview(db: Session, item: IcAgendaItem) -> Tally:
    """The tally of the item's votes now (the closer's form; the decision after the close)."""
    seat = queries.item_seat(db, item)
    rule, _written = rule_of(db, item.memo_version.proposed)
    votes = {v.member_id: Vote(v.choice, v.condition) for v in queries.votes_of(db, item.id)}
    return tally(rule, seat.member_ids, seat.recused_ids, votes)


def _may_close(db: Session, item: IcAgendaItem, user):
    seat = queries.item_seat(db, item)
    if user.id in seat.recused_ids and not user_can(user, "chair_meetings", seat):
        raise DecisionError(
            _l("You are recused on this item: the chair's closing passes to an administrator.")
        )
    if not user_can(user, "chair_meetings", seat):
        raise DecisionError(_l("Only the meeting's chair or an administrator closes the vote."))
    return seat


def close_vote(db: Session, item: IcAgendaItem, user, today: date | None = None):
    """Close the vote: the votes no longer change and are shown. A vote that does not approve
    is decided at once (no amounts, no conditions); an approving one waits for `decide`, where
    the closer, now reading the votes, sets the amounts and the conditions. Returns the
    decision, or None when it waits."""
    lock_for_edit(db, item)
    if not item.is_open:
        raise DecisionError(_l("This vote is closed already; its decision never changes."))
    _may_close(db, item, user)
    item.closed_at, item.closed_by_id = clock.now(), user.id
    db.flush()
    if preview(db, item).outcome in APPROVING:
        return None
    return _write(db, item, user, {}, [], today)


def decide(
    db: Session,
    item: IcAgendaItem,
    user,
    amounts: dict[str, Decimal | None],
    drafts: list[ConditionDraft],
    today: date | None = None,
) -> IcDecision:
    """The decision of a closed, approving vote: the approved amounts and the conditions."""
    lock_for_edit(db, item)
    if item.is_open:
        raise DecisionError(_l("Close the vote first."))
    if queries.decisions_of_items(db, [item.id]):
        raise DecisionError(_l("This vote is closed and its decision never changes."))
    _may_close(db, item, user)
    return _write(db, item, user, amounts, drafts, today)


def _write(db: Session, item, user, amounts: dict, drafts: list, today: date | None):
    """`today`: the fund clock's date, unless the demo dates a past meeting's closing."""
    seat = queries.item_seat(db, item)
    votes = queries.votes_of(db, item.id)
    proposed = item.memo_version.proposed
    rule, written = rule_of(db, proposed)
    cast = {v.member_id: Vote(v.choice, v.condition) for v in votes}
    result = tally(rule, seat.member_ids, seat.recused_ids, cast)
    approving = result.outcome in APPROVING
    decision = IcDecision(
        deal_id=item.deal_id,
        item_id=item.id,
        decided_on=today or clock.today(),
        outcome=result.outcome,
        rule=written,
        eligible_count=len(result.eligible),
        cast_count=result.cast,
        approving_count=result.approving,
        rejecting_count=result.rejecting,
        abstaining_count=result.abstaining,
        votes=[
            {"member_id": v.member_id, "choice": v.choice, "condition": v.condition}
            for v in votes
            if v.member_id in seat.eligible_ids
        ],
        recused=sorted(result.recused),
        vetoed_by=list(result.vetoed_by),
        amounts=_approved_amounts(proposed, amounts) if approving else {},
        decided_by_id=user.id,
    )
    db.add(decision)
    db.flush()
    if approving:
        for condition in consolidate(result.conditions, drafts):
            condition.decision_id, condition.deal_id = decision.id, item.deal_id
            db.add(condition)
    db.flush()
    notifications.vote_closed(db, decision, seat, db.get(Deal, item.deal_id))
    return decision


def _approved_amounts(proposed: dict, amounts: dict) -> dict:
    approved = {}
    for key, memo_amount in proposed.items():
        amount = amounts.get(key)
        if amount is None or amount <= 0:
            raise DecisionError(
                _l("Each sub-fund's approved amount is above zero."), f"amount_{key}"
            )
        if amount > Decimal(memo_amount):
            raise DecisionError(
                _l("An approved amount may be lowered from the memo's, never raised."),
                f"amount_{key}",
            )
        approved[key] = str(amount)
    return approved


def consolidate(
    attached: tuple[tuple[int, str], ...], drafts: list[ConditionDraft]
) -> list[IcCondition]:
    """The decision's conditions from the votes' (member, condition) pairs and the closer's
    draft for each: kept as its own condition or merged into an earlier kept one (which then
    names both members); every attached condition ends in exactly one."""
    if len(drafts) != len(attached):
        raise DecisionError(_l("Each condition attached by a vote is kept or merged."))
    made: dict[int, IcCondition] = {}
    for index, ((member_id, _text), draft) in enumerate(zip(attached, drafts, strict=True)):
        if draft.into is not None:
            target = made.get(draft.into)
            if target is None:
                raise DecisionError(
                    _l("A condition merges into an earlier condition that is kept."),
                    f"cond_{index}_into",
                )
            target.from_members = [*target.from_members, member_id]
            continue
        made[index] = _condition(draft, [member_id], f"cond_{index}")
    return list(made.values())


def _condition(draft: ConditionDraft, members: list[int], field: str) -> IcCondition:
    text = (draft.text or "").strip()
    if not text:
        raise DecisionError(_l("Write the condition."), f"{field}_text")
    if len(text) > MAX_TEXT:
        raise DecisionError(_l("At most 2,000 characters of conditions."), f"{field}_text")
    if draft.kind not in ("precedent", "subsequent"):
        raise DecisionError(_l("A condition is precedent or subsequent."), f"{field}_kind")
    if draft.due_on is None:
        raise DecisionError(_l("Give each condition its due date."), f"{field}_due_on")
    return IcCondition(kind=draft.kind, text=text, due_on=draft.due_on, from_members=members)


def record_historical(db: Session, deal: Deal, values: dict, user) -> IcDecision:
    """A decision taken before the system, for a deal imported at 签约 or 交割: marked as
    recorded. values: decided_on, outcome, amounts {sub-fund id: yuan}, note, conditions
    [ConditionDraft]."""
    if deal.stage not in ("signing", "closed"):
        raise DecisionError(
            _l("A historical decision is recorded for a deal at signing or closed.")
        )
    if queries.latest_decision(db, deal.id) is not None:
        raise DecisionError(_l("This deal has an IC decision already."))
    if values["decided_on"] > clock.today():
        raise DecisionError(_l("A historical decision is dated today or earlier."), "decided_on")
    outcome = values["outcome"]
    if outcome not in APPROVING:
        raise DecisionError(
            _l(
                "A deal at signing or closed had an approving decision: approve, or approve "
                "with conditions."
            ),
            "outcome",
        )
    drafts = [d for d in values["conditions"] if (d.text or "").strip()]
    if outcome == "approve_conditions" and not drafts:
        raise DecisionError(_l("An approval with conditions lists its conditions."), "cond_0_text")
    if outcome == "approve" and drafts:
        raise DecisionError(_l("Conditions belong to an approval with conditions."), "outcome")
    amounts = {}
    for part in deal.participations:
        amount = values["amounts"].get(str(part.sub_fund_id))
        if amount is None or amount <= 0:
            raise DecisionError(
                _l("Each sub-fund's approved amount is above zero."), f"amount_{part.sub_fund_id}"
            )
        amounts[str(part.sub_fund_id)] = str(amount)
    decision = IcDecision(
        deal_id=deal.id,
        decided_on=values["decided_on"],
        outcome=outcome,
        recorded=True,
        amounts=amounts,
        note=(values.get("note") or "").strip()[:MAX_TEXT],
        decided_by_id=user.id,
    )
    db.add(decision)
    db.flush()
    for index, draft in enumerate(drafts):
        condition = _condition(draft, [], f"cond_{index}")
        condition.decision_id, condition.deal_id = decision.id, deal.id
        db.add(condition)
    db.flush()
    return decision
