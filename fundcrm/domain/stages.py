"""The pipeline (DOMAIN.md section 3): which moves exist, what each gate asks, mandate checks.

Pure rules over plain values; fundcrm.deals.moves gathers the facts and applies them.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

PATH = ["sourcing", "screening", "approved", "due_diligence", "ic", "signing", "closed"]
OFF_PATH = ["on_hold", "passed"]
ALL_STAGES = PATH + OFF_PATH

# What a gate may require: deal fields that must be filled …
GATE_FIELDS = [
    "focus_area",
    "enterprise_stage",
    "sub_funds",
    "owner",
    "round",
    "source",
    "ask_wan",
    "proposed_wan",
    "pre_money_wan",
    "next_step",
]
# … and conditions that must hold (the later capabilities provide the facts behind them).
GATE_CONDITIONS = ["memo_submitted", "dd_closed", "ic_approved", "closing_form"]

DEFAULT_GATES = {
    "approved": (["focus_area", "enterprise_stage", "sub_funds", "owner"], []),
    "ic": ([], ["memo_submitted", "dd_closed"]),
    "signing": ([], ["ic_approved"]),
    "closed": ([], ["closing_form"]),
}

# Stages at which the mandate (stage, focus, investment period) is checked on entry,
# and those at which the single-project cap is (DOMAIN.md: "at IC and at closing").
MANDATE_STAGES = {"approved", "due_diligence", "ic", "signing", "closed"}
CAP_STAGES = {"ic", "closed"}


def targets(stage: str, return_stage: str | None) -> list[str]:
    """The stages a deal in `stage` may move to: back to any earlier stage, forward (through
    the gates of every stage on the way), on hold or passed; from there back to the stage
    left, and a deal on hold may also be passed."""
    if stage == "closed":
        return []
    if stage in OFF_PATH:
        back = [return_stage] if return_stage else []
        return [*back, "passed"] if stage == "on_hold" else back
    return [s for s in PATH if s != stage] + OFF_PATH


def traversed(from_stage: str, to_stage: str) -> list[str]:
    """The stages a forward move enters, the target last."""
    if not is_forward(from_stage, to_stage):
        return []
    return PATH[PATH.index(from_stage) + 1 : PATH.index(to_stage) + 1]


def opens_checklist(stage: str) -> bool:
    """A deal entering `stage` gets its due-diligence checklist: from 立项 on, however it got
    there."""
    return stage in PATH and PATH.index(stage) >= PATH.index("approved")


def is_forward(from_stage: str, to_stage: str) -> bool:
    return from_stage in PATH and to_stage in PATH and PATH.index(to_stage) > PATH.index(from_stage)


def suggested_target(stage: str, return_stage: str | None) -> str | None:
    """The move a user most likely makes next, never a backward one: the next stage on the
    path, or from on hold or passed the stage the deal returns to. None from 签约 on, as only
    the closing form closes a deal."""
    if stage in OFF_PATH:
        return return_stage
    if stage in PATH[:-2]:
        return PATH[PATH.index(stage) + 1]
    return None


def menu_groups(stage: str, return_stage: str | None) -> dict[str, list[str]]:
    """The stages a move form or card menu offers (every target but `closed`, which only the
    closing form reaches), grouped as the menu shows them: `ahead` (the suggested stage first,
    then the other forward ones), `back` (earlier stages) and `aside` (on hold, passed). A
    quick click on the first item never moves a deal backward."""
    offered = [s for s in targets(stage, return_stage) if s != "closed"]
    suggested = suggested_target(stage, return_stage)
    ahead = [s for s in offered if s == suggested or (stage in PATH and is_forward(stage, s))]
    ahead.sort(key=lambda s: s != suggested)  # stable: the rest stay in pipeline order
    aside = [s for s in offered if s in OFF_PATH]
    back = [s for s in offered if s not in ahead and s not in aside]
    return {"ahead": ahead, "back": back, "aside": aside}


def menu_targets(stage: str, return_stage: str | None) -> list[str]:
    """The stages a move form or card menu offers, in the menu's order (see menu_groups)."""
    return [s for group in menu_groups(stage, return_stage).values() for s in group]


@dataclass(frozen=True)
class Gate:
    required_fields: list[str]
    conditions: list[str]


def combined(gates: list[Gate]) -> Gate:
    """What the gates of every stage a move enters ask, together, each once and in order."""
    fields = [f for gate in gates for f in gate.required_fields]
    conditions = [c for gate in gates for c in gate.conditions]
    return Gate(list(dict.fromkeys(fields)), list(dict.fromkeys(conditions)))


@dataclass
class MandateFacts:
    """One participating sub-fund's view of a deal."""

    sub_fund: str  # the sub-fund as messages name it
    allowed_stages: list[str]
    focus_areas: list[str]
    cap_pct: Decimal
    size_yuan: Decimal  # the sub-fund's committed size (target while nothing is committed)
    invested_yuan: Decimal  # its cumulative cost in this company so far
    proposed_yuan: Decimal
    investment_end: date | None
    new_company: bool  # the sub-fund has not invested in the company before


@dataclass(frozen=True)
class MandateCase:
    """The move being judged: the stages it enters, the company and the business date."""

    entered: list[str]
    company_stage: str | None
    company_focus: str | None
    today: date


@dataclass
class Breach:
    code: str  # stage / focus / period / cap
    sub_fund: str
    params: dict = field(default_factory=dict)


def outside_stages(f: MandateFacts, case: MandateCase) -> Breach | None:
    """The company's enterprise stage is not one the sub-fund invests in."""
    if f.allowed_stages and case.company_stage not in f.allowed_stages:
        return Breach(
            "stage", f.sub_fund, {"allowed": f.allowed_stages, "value": case.company_stage}
        )
    return None


def outside_focus(f: MandateFacts, case: MandateCase) -> Breach | None:
    """The company's focus area is not one the sub-fund invests in."""
    if f.focus_areas and case.company_focus not in f.focus_areas:
        return Breach("focus", f.sub_fund, {"allowed": f.focus_areas, "value": case.company_focus})
    return None


def after_investment_period(f: MandateFacts, case: MandateCase) -> Breach | None:
    """A new company after the sub-fund's investment period (follow-ons are allowed)."""
    if f.new_company and f.investment_end and case.today > f.investment_end:
        return Breach("period", f.sub_fund, {"end": f.investment_end})
    return None


def cap_limit(size_yuan: Decimal, cap_pct: Decimal) -> Decimal:
    """The single-project cap in yuan: cap % of the sub-fund's committed size."""
    return (size_yuan * cap_pct / 100).quantize(Decimal("0.01"))


def over_cap(f: MandateFacts, case: MandateCase) -> Breach | None:
    """The sub-fund's cost in one company would exceed its single-project cap (at IC and at
    closing only)."""
    if not CAP_STAGES.intersection(case.entered):
        return None
    limit = cap_limit(f.size_yuan, f.cap_pct)
    total = f.invested_yuan + f.proposed_yuan
    if total <= limit:
        return None
    amounts = {"invested": f.invested_yuan, "proposed": f.proposed_yuan, "total": total}
    return Breach(
        "cap", f.sub_fund, {**amounts, "limit": limit, "pct": f.cap_pct, "size": f.size_yuan}
    )


MANDATE_RULES = (outside_stages, outside_focus, after_investment_period, over_cap)


def mandate_breaches(
    entered: list[str],
    company_stage: str | None,
    company_focus: str | None,
    facts: list[MandateFacts],
    today: date,
) -> list[Breach]:
    """What entering these stages would break of each participating sub-fund's mandate."""
    if not MANDATE_STAGES.intersection(entered):
        return []
    case = MandateCase(entered, company_stage, company_focus, today)
    return [b for f in facts for rule in MANDATE_RULES if (b := rule(f, case))]
