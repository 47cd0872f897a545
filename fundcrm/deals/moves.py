"""Moving deals through the pipeline (DOMAIN.md section 3): gates, mandates and the record of
every move (flush only).

`check_move` runs small named checks, one rule each, in the steps of `CHECKS`: the move itself,
the gates of every stage it enters (every shortfall named in one sentence), then each
participating sub-fund's mandate (every breach named; risk or an administrator may override
with a reason). The first step that refuses decides. A check returns what it refuses as codes
and facts; fundcrm.deals.refusals alone words them, in the user's language.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property

from flask import has_app_context
from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from fundcrm import clock
from fundcrm.db import refused_if_taken
from fundcrm.deals import queries
from fundcrm.deals.refusals import MoveRefused, Refusal, breach_message, message, refusal_messages
from fundcrm.deals.services import DealError, actor_label
from fundcrm.domain import stages
from fundcrm.funds.services import committed_by_sub_fund
from fundcrm.i18n import current_locale
from fundcrm.ic import queries as ic_queries
from fundcrm.models import Deal, StageGate, StageMove, SubFund, User, utcnow
from fundcrm.models.records import orm
from fundcrm.permissions import user_can
from fundcrm.portfolio import queries as portfolio_queries
from fundcrm.workspace import services as workspace

# -- the facts a move is judged on --------------------------------------------------------


@dataclass
class ProposedMove:
    """A move being judged: what every check looks at."""

    db: Session
    deal: Deal
    to_stage: str
    user: User | None
    pass_reason: str
    override_reason: str
    today: date
    # moved by the closing form, which records the investments and has judged the mandates
    # on the investments' own dates and amounts
    closing: bool = False

    @property
    def possible(self) -> bool:
        return self.to_stage in stages.targets(self.deal.stage, self.deal.return_stage)

    @cached_property
    def entered(self) -> list[str]:
        return stages.traversed(self.deal.stage, self.to_stage)

    @cached_property
    def gate(self) -> stages.Gate:
        rules = gates(self.db) if self.entered else {}
        return stages.combined([rules[s] for s in self.entered if s in rules])

    def needs(self, item: str) -> list[Refusal]:
        return [Refusal("needs", {"stage": self.to_stage, "item": item})]

    def unmet(self, condition: str, met: Callable[[], bool]) -> list[Refusal]:
        """A gate's condition, refused when a stage entered asks for it and it is not met."""
        asked = condition in self.gate.conditions
        return self.needs(condition) if asked and not met() else []


def gates(db: Session) -> dict[str, stages.Gate]:
    """The gate of every stage: the admin's rule where saved, else the default."""
    result = {to: stages.Gate(list(f), list(c)) for to, (f, c) in stages.DEFAULT_GATES.items()}
    for row in queries.saved_gates(db):
        result[row.to_stage] = stages.Gate(list(row.required_fields), list(row.conditions))
    return result


def save_gate(db: Session, to_stage: str, required_fields: list[str], conditions: list[str]):
    unknown = [f for f in required_fields if f not in stages.GATE_FIELDS] + [
        c for c in conditions if c not in stages.GATE_CONDITIONS
    ]
    if to_stage not in stages.ALL_STAGES or unknown:
        raise DealError(_l("Unknown gate rule: %(rule)s", rule=", ".join(unknown) or to_stage))
    meanwhile = DealError(_l("Someone saved this gate meanwhile: look at it again."))
    with refused_if_taken(db, meanwhile):  # the first rule of a stage, saved twice at once
        gate = db.get(StageGate, to_stage) or StageGate(to_stage=to_stage)
        gate.required_fields, gate.conditions = list(required_fields), list(conditions)
        db.add(gate)
        db.flush()


def filled_fields(deal: Deal) -> set[str]:
    company = deal.company
    present = {
        "focus_area": company.focus_area,
        "enterprise_stage": company.enterprise_stage,
        "sub_funds": deal.participations,
        "owner": deal.owner_id,
        "round": deal.round,
        "source": deal.source,
        "ask_wan": deal.ask_yuan,
        "pre_money_wan": deal.pre_money_yuan,
        "next_step": deal.next_step,
        "proposed_wan": deal.participations and all(p.proposed_yuan for p in deal.participations),
    }
    return {name for name, value in present.items() if value}


def fund_label(fund: SubFund) -> str:
    """A sub-fund as refusals name it: its name in the user's language."""
    english = has_app_context() and current_locale() == "en"
    return (english and fund.name_en) or fund.name


def mandate_facts(
    db: Session, deal: Deal, committed: dict | None = None
) -> list[stages.MandateFacts]:
    """The facts of each participating sub-fund; `committed`: committed_by_sub_fund, when the
    caller (an import) has it already."""
    committed = committed_by_sub_fund(db) if committed is None else committed
    facts = []
    for p in deal.participations:
        fund = p.sub_fund
        invested = portfolio_queries.invested_yuan(db, fund.id, deal.company_id)  # real cost
        facts.append(
            stages.MandateFacts(
                sub_fund=fund_label(fund),
                allowed_stages=fund.allowed_stages,
                focus_areas=fund.focus_areas,
                cap_pct=fund.project_cap_pct,
                size_yuan=committed.get(fund.id) or fund.target_yuan,
                invested_yuan=invested,
                proposed_yuan=p.proposed_yuan or Decimal(0),
                investment_end=fund.investment_end,
                new_company=invested == 0,
            )
        )
    return facts


# -- the checks: one rule each ---------------------------------------------------------------


def already_there(move: ProposedMove) -> list[Refusal]:
    if move.to_stage == move.deal.stage:
        return [Refusal("already_there", {"stage": move.to_stage})]
    return []


def reachable_from_here(move: ProposedMove) -> list[Refusal]:
    """Back to an earlier stage, forward, on hold or passed; from there back (stages.targets)."""
    if move.to_stage != move.deal.stage and not move.possible:
        return [Refusal("not_a_target", {"from": move.deal.stage, "to": move.to_stage})]
    return []


def pass_reason_given(move: ProposedMove) -> list[Refusal]:
    if move.possible and move.to_stage == "passed" and not move.pass_reason:
        return [Refusal("pass_reason")]
    return []


def required_fields(move: ProposedMove) -> list[Refusal]:
    """The fields the gates on the way require (the admin's rule, else DOMAIN.md's)."""
    filled = filled_fields(move.deal) if move.gate.required_fields else set()
    return [r for f in move.gate.required_fields if f not in filled for r in move.needs(f)]


def memo_submitted(move: ProposedMove) -> list[Refusal]:
    """A submitted version of the deal's IC memo (fundcrm.ic.memos)."""
    return move.unmet(
        "memo_submitted", lambda: ic_queries.has_submitted_memo(move.db, move.deal.id)
    )


def workstreams_closed(move: ProposedMove) -> list[Refusal]:
    return move.unmet("dd_closed", lambda: workspace.dd_closed(move.db, move.deal.id))


def ic_decision(move: ProposedMove) -> list[Refusal]:
    """The deal's latest closed IC decision approves, with or without conditions."""

    def approved() -> bool:
        latest = ic_queries.latest_decision(move.db, move.deal.id)
        return latest is not None and latest.approving

    return move.unmet("ic_approved", approved)


def closing_form(move: ProposedMove) -> list[Refusal]:
    """Only the closing form closes a deal, whatever the gates say: it records the
    investment."""
    asked = "closed" in move.entered or "closing_form" in move.gate.conditions
    return move.needs("closing_form") if asked and not move.closing else []


def within_mandates(move: ProposedMove) -> list[stages.Breach]:
    """Each participating sub-fund's mandate, rule by rule (stages.MANDATE_RULES: enterprise
    stage, focus area, investment period, single-project cap)."""
    if not move.entered or move.closing:
        return []
    company = move.deal.company
    facts = mandate_facts(move.db, move.deal)
    return stages.mandate_breaches(
        move.entered, company.enterprise_stage, company.focus_area, facts, move.today
    )


# The steps of judging a move, in order: the first that refuses decides. The last, the
# mandates, may be overridden.
CHECKS: list[list[Callable]] = [
    [already_there, reachable_from_here, pass_reason_given],
    [required_fields, memo_submitted, workstreams_closed, ic_decision, closing_form],
    [within_mandates],
]


def check_move(
    db: Session,
    deal: Deal,
    to_stage: str,
    user: User | None,
    pass_reason: str | None = None,
    override_reason: str | None = None,
    today: date | None = None,
    closing: bool = False,
) -> list[stages.Breach]:
    """Raise MoveRefused unless the move may happen; returns the breaches it overrides."""
    move = ProposedMove(
        db,
        deal,
        to_stage,
        user,
        (pass_reason or "").strip(),
        (override_reason or "").strip(),
        today or clock.today(),
        closing,
    )
    *rules, mandates = CHECKS
    for step in rules:
        refused = [r for check in step for r in check(move)]
        if refused:
            raise MoveRefused(refusal_messages(refused))
    breaches = [b for check in mandates for b in check(move)]
    may_override = user_can(user, "override_mandate")
    if breaches and not (may_override and move.override_reason):
        override = message(Refusal("override"))
        raise MoveRefused([*refusal_messages(breaches), override], breaches, may_override)
    return breaches


# -- moving -------------------------------------------------------------------------------


def move_stage(
    db: Session,
    deal: Deal,
    to_stage: str,
    user: User | None,
    *,
    seen_stage: str | None = None,
    pass_reason: str | None = None,
    override_reason: str | None = None,
    now: datetime | None = None,
    closing_breaches: list | None = None,
) -> StageMove:
    """Move a deal through the gates (see check_move) and keep the move. `closing_breaches`:
    the closing form moves the deal to 交割, with the mandate breaches it judged (and had
    overridden) on the investments' dates.

    The deal's row is locked and read again first, so simultaneous moves of one deal happen
    one after another; `seen_stage`, the stage the user saw, must still be the deal's stage."""
    db.refresh(deal, with_for_update=True)  # SQLite: the writing session already holds the lock
    if seen_stage is not None and seen_stage != deal.stage:
        raise MoveRefused([message(Refusal("moved_meanwhile", {"stage": deal.stage}))])
    now = now or utcnow()  # taken under the lock: each move starts when the one before ended
    closing = closing_breaches is not None
    breaches = check_move(
        db, deal, to_stage, user, pass_reason, override_reason, clock.local_date(now), closing
    )
    breaches = closing_breaches if closing else breaches
    return _record_move(
        db,
        deal,
        to_stage,
        now,
        user,
        kind="move",
        reason=pass_reason.strip() if to_stage == "passed" else None,
        override_reason=override_reason.strip() if breaches else None,
        breaches=[breach_message(b) for b in breaches],
    )


def record_import_move(
    db: Session,
    deal: Deal,
    to_stage: str,
    at: datetime,
    user: User | None = None,
    pass_reason: str | None = None,
) -> list[str]:
    """Set a stage as historical data (imports, demo): no gates; breaches are returned for
    the import's report."""
    if to_stage not in stages.ALL_STAGES:
        raise DealError(_l("Unknown stage: %(code)s", code=to_stage), "stage")
    entered = stages.traversed(deal.stage, to_stage) or [to_stage]
    found = stages.mandate_breaches(
        entered,
        deal.company.enterprise_stage,
        deal.company.focus_area,
        mandate_facts(db, deal),
        clock.local_date(at),
    )
    breaches = [breach_message(b) for b in found]
    if deal.stage != to_stage:
        _record_move(
            db, deal, to_stage, at, user, kind="import", reason=pass_reason, breaches=breaches
        )
    return breaches


def _record_move(
    db, deal, to_stage, at, user, *, kind, reason=None, override_reason=None, breaches=()
) -> StageMove:
    move = apply_move(
        deal,
        to_stage,
        at,
        user,
        actor_label(db, user),
        kind=kind,
        reason=reason,
        override_reason=override_reason,
        breaches=breaches,
    )
    db.add(move)
    db.flush()
    if to_stage == "passed":
        workspace.sync_next_step(db, deal)  # its open next-step task is closed, as on the form
    if stages.opens_checklist(to_stage):
        workspace.ensure_checklist(db, deal)  # however the deal got to 立项
    return move


def apply_move(
    deal,
    to_stage,
    at,
    user,
    label,
    *,
    kind,
    reason=None,
    override_reason=None,
    breaches=(),
    new=orm,
) -> StageMove:
    """What a move does to the deal itself, and the move to record (not yet added; `new`: see
    models.records)."""
    seconds = max(0, int((at - deal.stage_entered_at).total_seconds()))
    move = new(
        StageMove,
        deal_id=deal.id,
        from_stage=deal.stage,
        to_stage=to_stage,
        at=at,
        by_id=user.id if user else None,
        by_label=label,
        seconds_in_stage=seconds,
        kind=kind,
        reason=reason,
        override_reason=override_reason,
        breaches=list(breaches),
    )
    if to_stage in stages.OFF_PATH:
        deal.return_stage = deal.return_stage if deal.stage in stages.OFF_PATH else deal.stage
    elif deal.stage in stages.OFF_PATH:
        deal.return_stage = None
    if to_stage == "passed":
        deal.pass_reason = reason
        # nothing more to do on a deal the fund passes on: its next step goes as if cleared on
        # the deal form (the audit trail keeps it); reopening does not bring it back
        deal.next_step, deal.next_step_due = None, None
    elif deal.stage == "passed":
        deal.pass_reason = None  # reopened: the reason stays on the move that passed it
    deal.stage, deal.stage_entered_at = to_stage, at
    if kind == "import":
        deal.updated_at = at  # historical data: the deal was last touched then
    return move
