"""The pipeline (DOMAIN.md section 3): which moves exist, what each gate asks, mandate checks.

Pure rules over plain values; fundcrm.deals.services gathers the facts and applies them.
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


def is_forward(from_stage: str, to_stage: str) -> bool:
    return from_stage in PATH and to_stage in PATH and PATH.index(to_stage) > PATH.index(from_stage)


@dataclass(frozen=True)
class Gate:
    required_fields: list[str]
    conditions: list[str]


def gate_shortfalls(gates: list[Gate], filled: set[str], met: set[str]) -> list[str]:
    """Codes of what the gates on the way miss: field codes first, then condition codes."""
    fields = [f for gate in gates for f in gate.required_fields if f not in filled]
    conditions = [c for gate in gates for c in gate.conditions if c not in met]
    return list(dict.fromkeys(fields + conditions))


@dataclass
class MandateFacts:
    """One participating sub-fund's view of a deal."""

    sub_fund: str
    allowed_stages: list[str]
    focus_areas: list[str]
    cap_pct: Decimal
    size_yuan: Decimal  # the sub-fund's committed size (target while nothing is committed)
    invested_yuan: Decimal  # its cumulative cost in this company so far
    proposed_yuan: Decimal
    investment_end: date | None
    new_company: bool  # the sub-fund has not invested in the company before


@dataclass
class Breach:
    code: str  # stage / focus / cap / period
    sub_fund: str
    params: dict = field(default_factory=dict)


def mandate_breaches(
    entered: list[str],
    company_stage: str | None,
    company_focus: str | None,
    facts: list[MandateFacts],
    today: date,
) -> list[Breach]:
    """What entering these stages would break of each participating sub-fund's mandate."""
    breaches: list[Breach] = []
    if not MANDATE_STAGES.intersection(entered):
        return breaches
    for f in facts:
        if f.allowed_stages and company_stage not in f.allowed_stages:
            breaches.append(Breach("stage", f.sub_fund, {"value": company_stage}))
        if f.focus_areas and company_focus not in f.focus_areas:
            breaches.append(Breach("focus", f.sub_fund, {"value": company_focus}))
        if f.new_company and f.investment_end and today > f.investment_end:
            breaches.append(Breach("period", f.sub_fund, {"end": f.investment_end}))
        if CAP_STAGES.intersection(entered):
            limit = (f.size_yuan * f.cap_pct / 100).quantize(Decimal("0.01"))
            total = f.invested_yuan + f.proposed_yuan
            if total > limit:
                breaches.append(Breach("cap", f.sub_fund, {"limit": limit, "total": total}))
    return breaches
