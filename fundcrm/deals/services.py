"""Deal rules: creating and editing deals, and moving them through the gates (flush only)."""

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from fundcrm import audit, clock
from fundcrm.auth import services as accounts
from fundcrm.db import refused_if_taken, upsert
from fundcrm.domain import stages
from fundcrm.domain.text import ascii_number
from fundcrm.errors import ServiceError
from fundcrm.funds.services import committed_by_sub_fund
from fundcrm.i18n import format_wan, vocab_label
from fundcrm.models import (
    Deal,
    DealMember,
    DealRefCounter,
    DealSubFund,
    StageGate,
    StageMove,
    SubFund,
    User,
    utcnow,
)
from fundcrm.permissions import user_can
from fundcrm.versioning import check_version, unless_changed_meanwhile
from fundcrm.workspace import services as workspace

DEAL_FIELDS = (
    "company_id",
    "round",
    "source",
    "owner_id",
    "ask_yuan",
    "pre_money_yuan",
    "next_step",
    "next_step_due",
    "notes",
)

FIELD_LABELS = {
    "focus_area": _l("focus area"),
    "enterprise_stage": _l("enterprise stage"),
    "sub_funds": _l("at least one participating sub-fund"),
    "owner": _l("owner"),
    "round": _l("round"),
    "source": _l("source"),
    "ask_wan": _l("amount sought"),
    "proposed_wan": _l("a proposed amount for every sub-fund"),
    "pre_money_wan": _l("pre-money valuation"),
    "next_step": _l("next step"),
}
CONDITION_LABELS = {
    "memo_submitted": _l("a submitted IC memo"),
    "dd_closed": _l("every due-diligence workstream closed or waived with a reason"),
    "ic_approved": _l("an IC decision to approve (with or without conditions)"),
    "closing_form": _l("the closing form, which records the investment"),
}
BREACH_MESSAGES = {
    "stage": _l("%(sub_fund)s: the company's enterprise stage is outside the mandate"),
    "focus": _l("%(sub_fund)s: the company's focus area is outside the mandate"),
    "period": _l("%(sub_fund)s: the investment period ended on %(end)s; no new companies"),
    "cap": _l(
        "%(sub_fund)s: %(total)s 万元 in one company exceeds the single-project cap of "
        "%(limit)s 万元"
    ),
}


NEXT_STEP_NEEDED = _l("A due date needs the next step it is for.")


class DealError(ServiceError):
    """A refused change of this feature."""


@dataclass
class MoveRefused(Exception):
    """A refused move: messages in the user's language; `breaches` can be overridden."""

    messages: list
    breaches: list[stages.Breach]
    overridable: bool = False


def gates(db: Session) -> dict[str, stages.Gate]:
    """The gate of every stage: the admin's rule where saved, else the default."""
    result = {to: stages.Gate(list(f), list(c)) for to, (f, c) in stages.DEFAULT_GATES.items()}
    for row in db.exec(select(StageGate)).all():
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


def met_conditions(db: Session, deal: Deal) -> set[str]:
    """Conditions this deal meets. IC memos, IC decisions and the closing form are later
    capabilities: until they exist no deal can meet them, so their gates hold."""
    return {"dd_closed"} if workspace.dd_closed(db, deal.id) else set()


def _invested_yuan(db: Session, sub_fund_id: int, company_id: int) -> Decimal:
    """The sub-fund's cost in the company so far: no investment has been recorded yet, as
    investment transactions arrive with the portfolio capability."""
    return Decimal(0)


def mandate_facts(db: Session, deal: Deal) -> list[stages.MandateFacts]:
    committed = committed_by_sub_fund(db)
    facts = []
    for p in deal.participations:
        fund = p.sub_fund
        invested = _invested_yuan(db, fund.id, deal.company_id)
        facts.append(
            stages.MandateFacts(
                sub_fund=fund.code,
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


def breach_message(breach: stages.Breach) -> str:
    params = {"sub_fund": breach.sub_fund, **breach.params}
    for key in ("limit", "total"):
        if key in params:
            params[key] = format_wan(params[key], exact=True)
    if "end" in params:
        params["end"] = format_date(params["end"])
    return str(BREACH_MESSAGES[breach.code] % params)


def check_move(
    db: Session,
    deal: Deal,
    to_stage: str,
    user: User | None,
    pass_reason: str | None = None,
    override_reason: str | None = None,
    today: date | None = None,
) -> list[stages.Breach]:
    """Raise MoveRefused unless the move may happen; returns the breaches it overrides."""
    if to_stage == deal.stage:
        raise MoveRefused(
            [_l("The deal is already in %(stage)s.", stage=vocab_label("stage", to_stage))], []
        )
    if to_stage not in stages.targets(deal.stage, deal.return_stage):
        raise MoveRefused(
            [
                _l(
                    "A deal cannot move from %(from)s to %(to)s.",
                    **{
                        "from": vocab_label("stage", deal.stage),
                        "to": vocab_label("stage", to_stage),
                    },
                )
            ],
            [],
        )
    if to_stage == "closed":  # only the closing form closes a deal: it records the investment
        raise MoveRefused(
            [
                _l(
                    "Moving to %(stage)s needs: %(missing)s.",
                    stage=vocab_label("stage", "closed"),
                    missing=str(CONDITION_LABELS["closing_form"]),
                )
            ],
            [],
        )
    if to_stage == "passed" and not (pass_reason or "").strip():
        raise MoveRefused([_l("Give the reason for passing on this deal.")], [])
    entered = stages.traversed(deal.stage, to_stage)
    if entered:
        rules = gates(db)
        missing = stages.gate_shortfalls(
            [rules[s] for s in entered if s in rules], filled_fields(deal), met_conditions(db, deal)
        )
        if missing:
            labels = [str(FIELD_LABELS.get(m) or CONDITION_LABELS[m]) for m in missing]
            separator = str(_l("; "))
            raise MoveRefused(
                [
                    _l(
                        "Moving to %(stage)s needs: %(missing)s.",
                        stage=vocab_label("stage", to_stage),
                        missing=separator.join(labels),
                    )
                ],
                [],
            )
        breaches = stages.mandate_breaches(
            entered,
            deal.company.enterprise_stage,
            deal.company.focus_area,
            mandate_facts(db, deal),
            today or clock.today(),
        )
        may_override = user_can(user, "override_mandate")
        if breaches and not (may_override and (override_reason or "").strip()):
            raise MoveRefused([breach_message(b) for b in breaches], breaches, may_override)
        return breaches
    return []


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
) -> StageMove:
    """Move a deal through the gates (see check_move) and keep the move.

    The deal's row is locked and read again first, so simultaneous moves of one deal happen
    one after another; `seen_stage`, the stage the user saw, must still be the deal's stage."""
    db.refresh(deal, with_for_update=True)  # SQLite: the writing session already holds the lock
    if seen_stage is not None and seen_stage != deal.stage:
        raise MoveRefused([moved_meanwhile(deal)], [])
    now = now or utcnow()  # taken under the lock: each move starts when the one before ended
    breaches = check_move(
        db, deal, to_stage, user, pass_reason, override_reason, clock.local_date(now)
    )
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


def moved_meanwhile(deal: Deal) -> str:
    return _l(
        "This deal was moved to %(stage)s meanwhile: look at it again before moving it.",
        stage=vocab_label("stage", deal.stage),
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


def _by_label(db: Session, user: User | None) -> str:
    return user.email if user else audit.actor(db)[1]


def _record_move(
    db, deal, to_stage, at, user, *, kind, reason=None, override_reason=None, breaches=()
) -> StageMove:
    seconds = max(0, int((at - deal.stage_entered_at).total_seconds()))
    move = StageMove(
        deal_id=deal.id,
        from_stage=deal.stage,
        to_stage=to_stage,
        at=at,
        by_id=user.id if user else None,
        by_label=_by_label(db, user),
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
    deal.stage, deal.stage_entered_at = to_stage, at
    if kind == "import":
        deal.updated_at = at  # historical data: the deal was last touched then
    db.add(move)
    db.flush()
    if to_stage in stages.PATH and stages.PATH.index(to_stage) >= stages.PATH.index("approved"):
        workspace.ensure_checklist(db, deal)  # however the deal got to 立项
    return move


# prefix (as long as a counter's), year, number: XM2026-0001
REF_PATTERN = re.compile(r"(\D{0,20})(\d{4})-(\d{1,9})", re.ASCII)


def next_deal_ref(db: Session, prefix: str, year: int) -> str:
    """The next free reference `<prefix><year>-NNNN`. The number comes from the (prefix, year)
    counter row, which stays locked until the transaction ends, so no two deals share it."""
    while True:
        ref = f"{prefix}{year}-{_take_number(db, prefix, year):04d}"
        # a reference typed in by hand may already hold a number the counter has not seen
        if db.exec(select(Deal.id).where(Deal.deal_ref == ref)).first() is None:
            return ref


def note_used_ref(db: Session, ref: str) -> None:
    """Advance the counter past a reference given explicitly (imports), so later numbers
    never collide with it."""
    match = REF_PATTERN.fullmatch(ref)
    if not match:
        return
    prefix, year, number = match[1], int(match[2]), int(match[3])
    table = DealRefCounter.__table__
    _seed_counter(db, prefix, year)
    db.connection().execute(
        sa.update(table)
        .where(table.c.prefix == prefix, table.c.year == year, table.c.last_number < number)
        .values(last_number=number)
    )


def _take_number(db: Session, prefix: str, year: int) -> int:
    table = DealRefCounter.__table__
    _seed_counter(db, prefix, year)
    return (
        db.connection()
        .execute(
            sa.update(table)
            .where(table.c.prefix == prefix, table.c.year == year)
            .values(last_number=table.c.last_number + 1)
            .returning(table.c.last_number)
        )
        .scalar_one()
    )


def _seed_counter(db: Session, prefix: str, year: int) -> None:
    """Start a (prefix, year) counter at the highest number its deals already use."""
    table = DealRefCounter.__table__
    found = table.c.prefix == prefix, table.c.year == year
    if db.connection().execute(sa.select(table.c.year).where(*found)).first():
        return
    stem = f"{prefix}{year}-"
    refs = db.exec(select(Deal.deal_ref).where(Deal.deal_ref.startswith(stem, autoescape=True)))
    numbers = [int(n) for r in refs if ascii_number(n := r[len(stem) :])]
    row = {"prefix": prefix, "year": year, "last_number": max(numbers, default=0)}
    # a simultaneous first deal of the year may create the row first: then it is already right
    db.connection().execute(upsert(db, table).values(**row).on_conflict_do_nothing())


def due_without_step(values: dict, deal: Deal | None) -> bool:
    """A due date with no next step, after the values (possibly partial) meet the deal."""

    def current(name):
        return values[name] if name in values else getattr(deal, name, None)

    return bool(current("next_step_due")) and not current("next_step")


def _check_deal_values(db: Session, values: dict, deal: Deal | None = None) -> None:
    """The rules a deal's values follow; for an update, `values` may hold only what changes."""
    participations = values.get("participations")
    if participations is not None and not participations:
        raise DealError(_l("Choose at least one participating sub-fund."), "sub_fund")
    ids = [sub_fund_id for sub_fund_id, _ in participations or []]
    if len(set(ids)) != len(ids):
        raise DealError(_l("Each sub-fund takes part once."), "sub_fund")
    if ids and len(db.exec(select(SubFund.id).where(SubFund.id.in_(ids))).all()) != len(ids):
        raise DealError(_l("Unknown sub-fund."), "sub_fund")
    new_owner = "owner_id" in values and (deal is None or values["owner_id"] != deal.owner_id)
    if new_owner and not accounts.all_may(db, [values["owner_id"]], "read_pipeline"):
        raise DealError(_l("Choose an active user as owner."), "owner_email")
    team = values.get("team_ids") or []
    if not accounts.all_may(db, team, "read_pipeline"):
        raise DealError(_l("The deal team takes users who may see the pipeline."), "team")
    if due_without_step(values, deal):
        raise DealError(NEXT_STEP_NEEDED, "next_step")


def create_deal(
    db: Session, values: dict, user: User | None, *, prefix: str, at: datetime | None = None
) -> Deal:
    """A new deal in `sourcing` (or the stage an import sets afterwards)."""
    at = at or utcnow()
    _check_deal_values(db, values)
    created_on = values.get("created_on") or clock.local_date(at)
    deal = Deal(
        proposed_total_yuan=sum(
            (a or Decimal(0) for _i, a in values["participations"]), Decimal(0)
        ),
        deal_ref=_deal_ref(db, values.get("deal_ref"), prefix, created_on.year),
        stage="sourcing",
        stage_entered_at=at,
        created_on=created_on,
        **{k: values.get(k) for k in DEAL_FIELDS},
    )
    db.add(deal)
    db.flush()
    _sync_participations(deal, values["participations"])
    _sync_team(deal, values.get("team_ids") or [])
    workspace.sync_next_step(db, deal)
    db.add(
        StageMove(
            deal_id=deal.id,
            to_stage="sourcing",
            at=at,
            kind="create",
            by_id=user.id if user else None,
            by_label=_by_label(db, user),
        )
    )
    db.flush()
    return deal


def _deal_ref(db: Session, given: str | None, prefix: str, year: int) -> str:
    if not given:
        return next_deal_ref(db, prefix, year)
    if db.exec(select(Deal.id).where(Deal.deal_ref == given)).first() is not None:
        raise DealError(_l("Deal reference %(ref)s is already taken.", ref=given), "deal_ref")
    note_used_ref(db, given)
    return given


def update_deal(db: Session, deal: Deal, values: dict, expected_version: int | None = None) -> Deal:
    check_version(db, deal, "deals", expected_version)
    _check_deal_values(db, values, deal)
    with unless_changed_meanwhile(db, deal, "deals"):
        with db.no_autoflush:  # one flush, so the audit trail keeps the edit as one entry
            for key in DEAL_FIELDS:
                if key in values:
                    setattr(deal, key, values[key])
            if "participations" in values:
                _sync_participations(deal, values["participations"])
            if "team_ids" in values:
                _sync_team(deal, values["team_ids"])
            # every save is a new version, also one that changes only the team or sub-funds
            deal.updated_at = utcnow()
        db.flush()
    workspace.sync_next_step(db, deal)
    return deal


def _sync_participations(deal: Deal, wanted: list[tuple[int, Decimal | None]]) -> None:
    amounts = dict(wanted)
    for p in list(deal.participations):
        if p.sub_fund_id not in amounts:
            deal.participations.remove(p)
        elif p.proposed_yuan != amounts[p.sub_fund_id]:
            p.proposed_yuan = amounts[p.sub_fund_id]
    have = {p.sub_fund_id for p in deal.participations}
    deal.participations.extend(
        DealSubFund(sub_fund_id=i, proposed_yuan=a) for i, a in wanted if i not in have
    )
    deal.proposed_total_yuan = sum((a or Decimal(0) for _i, a in wanted), Decimal(0))


def _sync_team(deal: Deal, user_ids: list[int]) -> None:
    wanted = set(user_ids) | {deal.owner_id}
    for member in list(deal.team):
        if member.user_id not in wanted:
            deal.team.remove(member)
    have = {m.user_id for m in deal.team}
    deal.team.extend(DealMember(user_id=i) for i in sorted(wanted - have))
