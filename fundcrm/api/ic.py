"""`/api/v1/ic/decisions` (read only): the IC's decisions as the IC's pages show them (DOMAIN.md
section 4). The staff read every decision, an IC member those of the meetings it sits on (and
the recorded ones); a member recused on an item reads its outcome, amounts and conditions but
never its votes, its tally or its recusals."""

from dataclasses import replace
from datetime import date
from typing import Literal

from flask_babel import gettext as _
from flask_login import current_user
from pydantic import BaseModel, Field

from fundcrm import db
from fundcrm.api import bp
from fundcrm.api import queries as api_queries
from fundcrm.api.common import page_of, record_or_404
from fundcrm.api.fields import PageInfo, PageQuery, RecordId, WanOut, page_info
from fundcrm.api.spec import operation
from fundcrm.funds.queries import sub_funds
from fundcrm.ic import queries
from fundcrm.models import Deal, IcAgendaItem, IcDecision
from fundcrm.permissions import authorize, requires, sees_votes, user_can

TAG = "ic"


class ApprovedAmount(BaseModel):
    sub_fund_id: int
    sub_fund: str = Field(description="The sub-fund's code.")
    approved_wan: WanOut


class ConditionOut(BaseModel):
    id: int
    kind: Literal["precedent", "subsequent"]
    text: str
    due_on: date
    status: Literal["open", "met", "waived"]


class MeetingRef(BaseModel):
    id: int
    held_on: date


class VoteOut(BaseModel):
    member_id: int
    choice: str
    condition: str | None = None


class TallyOut(BaseModel):
    eligible: int
    cast: int
    approving: int
    rejecting: int
    abstaining: int
    vetoed_by: list[int]
    recused: list[int] = Field(description="The members recused (回避) on the item.")


class DecisionOut(BaseModel):
    id: int
    deal_id: int
    deal_ref: str
    outcome: Literal["approve", "approve_conditions", "reject", "no_quorum"]
    decided_on: date
    recorded: bool = Field(description="A historical decision entered afterwards (no meeting).")
    meeting: MeetingRef | None
    item_id: int | None
    amounts: list[ApprovedAmount] = Field(description="Approved per sub-fund, in 万元.")
    conditions: list[ConditionOut]
    note: str
    votes: list[VoteOut] | None = Field(
        description="null for a member recused on the item (and a recorded decision's: none)."
    )
    tally: TallyOut | None = Field(description="null where the votes are not shown.")


class DecisionList(BaseModel):
    items: list[DecisionOut]
    page: PageInfo


class DecisionQuery(PageQuery):
    deal_id: RecordId | None = None


def _codes() -> dict[int, str]:
    return {f.id: f.code for f in sub_funds(db.session())}


def decision_out(decision: IcDecision, meeting, deal_ref: str, codes: dict) -> DecisionOut:
    # the recusals as they stood at the close (kept on the decision), as the item's page reads
    recused = frozenset(decision.recused)
    seen = meeting is not None and sees_votes(
        current_user, replace(queries.meeting_seat(meeting), recused_ids=recused)
    )
    return DecisionOut(
        id=decision.id,
        deal_id=decision.deal_id,
        deal_ref=deal_ref,
        outcome=decision.outcome,
        decided_on=decision.decided_on,
        recorded=decision.recorded,
        meeting=MeetingRef(id=meeting.id, held_on=meeting.held_on) if meeting else None,
        item_id=decision.item_id,
        amounts=[
            ApprovedAmount(sub_fund_id=i, sub_fund=codes.get(i, ""), approved_wan=amount)
            for i, amount in sorted(decision.approved_yuan.items())
        ],
        conditions=[
            ConditionOut(id=c.id, kind=c.kind, text=c.text, due_on=c.due_on, status=c.status)
            for c in decision.conditions
        ],
        note=decision.note,
        votes=[VoteOut(**vote) for vote in decision.votes] if seen else None,
        tally=_tally(decision) if seen else None,
    )


def _tally(decision: IcDecision) -> TallyOut:
    return TallyOut(
        eligible=decision.eligible_count,
        cast=decision.cast_count,
        approving=decision.approving_count,
        rejecting=decision.rejecting_count,
        abstaining=decision.abstaining_count,
        vetoed_by=list(decision.vetoed_by),
        recused=sorted(decision.recused),
    )


def _member_only() -> int | None:
    """An IC member reads only the meetings it sits on (the record rule of read_meetings): its
    id; None for who reads every meeting (a seat nobody sits on tells which)."""
    everyone = user_can(current_user, "read_meetings", queries.Seat(0, 0, frozenset()))
    return None if everyone else current_user.id


@bp.get("/ic/decisions")
@requires("read_meetings")
@operation(TAG, {200: DecisionList}, query=DecisionQuery)
def list_decisions(query: DecisionQuery):
    """The decisions the user may read, latest decided first (then by id)."""
    listed = api_queries.decision_list(_member_only(), query.deal_id)
    page = page_of(listed, query)
    codes = _codes()
    items = [decision_out(d, meeting, ref, codes) for d, meeting, ref in page.items]
    return DecisionList(items=items, page=page_info(page))


@bp.get("/ic/decisions/<int:decision_id>")
@requires("read_meetings")
@operation(TAG, {200: DecisionOut})
def get_decision(decision_id: int):
    """One decision; an IC member not sitting on its meeting is refused (403)."""
    session = db.session()
    decision = record_or_404(IcDecision, decision_id, _("decision"))
    meeting = None
    if decision.item_id is not None:
        item = session.get(IcAgendaItem, decision.item_id)
        authorize("read_meetings", queries.item_seat(session, item))
        meeting = item.meeting
    deal_ref = session.get(Deal, decision.deal_id).deal_ref
    return decision_out(decision, meeting, deal_ref, _codes())
