"""How a refused move is worded: the one place its sentences are built, in the user's
language, from the codes and facts fundcrm.deals.moves' checks return."""

from dataclasses import dataclass, field

from flask_babel import format_date, format_decimal
from flask_babel import lazy_gettext as _l

from fundcrm.domain import stages
from fundcrm.errors import ServiceError
from fundcrm.i18n import format_wan, vocab_label

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

# Every sentence a refused move says, by refusal code: the one place they are worded.
MESSAGES = {
    "already_there": _l("The deal is already in %(stage)s."),
    "not_a_target": _l("A deal cannot move from %(from)s to %(to)s."),
    "pass_reason": _l("Give the reason for passing on this deal."),
    "moved_meanwhile": _l(
        "This deal was moved to %(stage)s meanwhile: look at it again before moving it."
    ),
    "needs": _l("Moving to %(stage)s needs: %(missing)s."),
    "stage": _l(
        "%(sub_fund)s invests in companies at these enterprise stages: %(allowed)s; "
        "this company is %(value)s."
    ),
    "focus": _l(
        "%(sub_fund)s invests in these focus areas: %(allowed)s; this company's is %(value)s."
    ),
    "period": _l("%(sub_fund)s's investment period ended on %(end)s: no new companies."),
    "cap": _l(
        "%(sub_fund)s would hold %(total)s 万元 in this company (%(invested)s 万元 invested + "
        "%(proposed)s 万元 proposed), over its single-project cap of %(limit)s 万元 "
        "(%(pct)s%% of %(size)s 万元)."
    ),
    "override": _l("Risk or an administrator may override this with a reason."),
}
# The vocabulary of a mandate breach's `allowed` and `value`.
MANDATE_VOCABULARIES = {"stage": "enterprise_stage", "focus": "focus_area"}
NOT_GIVEN = _l("not given")


class MoveRefused(ServiceError):
    """A refused move: each message in the user's language; `breaches` are the mandate
    breaches an override would pass, `overridable` whether this user may give one."""

    def __init__(self, messages: list[str], breaches=(), overridable: bool = False):
        super().__init__(" ".join(messages), "to_stage")
        self.messages = list(messages)
        self.breaches = list(breaches)
        self.overridable = overridable


@dataclass(frozen=True)
class Refusal:
    code: str  # a key of MESSAGES
    params: dict = field(default_factory=dict)


# -- wording -------------------------------------------------------------------------------


def refusal_messages(refusals: list) -> list[str]:
    """Each refusal (or mandate breach) as a sentence; the gates' shortfalls in one."""
    needs = [r for r in refusals if r.code == "needs"]
    merged = [r for r in refusals if r.code != "needs"]
    if needs:
        missing = [r.params["item"] for r in needs]
        merged.insert(0, Refusal("needs", {"stage": needs[0].params["stage"], "missing": missing}))
    return [message(r) for r in merged]


def breach_message(breach: stages.Breach) -> str:
    return message(breach)


def message(refusal) -> str:
    """The one place a refusal is worded: its sentence, each fact shown as users read it."""
    params = dict(refusal.params)
    if isinstance(refusal, stages.Breach):
        params["sub_fund"] = refusal.sub_fund
    shown = {name: _shown(refusal.code, name, value) for name, value in params.items()}
    return str(MESSAGES[refusal.code]) % shown


def _shown(code: str, name: str, value) -> str:
    if name in ("stage", "from", "to"):
        return vocab_label("stage", value)
    if name == "missing":
        return str(_l("; ")).join(str(FIELD_LABELS.get(m) or CONDITION_LABELS[m]) for m in value)
    if name in ("allowed", "value"):
        codes = value if isinstance(value, list) else [value]
        labels = [vocab_label(MANDATE_VOCABULARIES[code], c) for c in codes if c]
        return str(_l(", ")).join(labels) or str(NOT_GIVEN)
    if name in ("total", "limit", "invested", "proposed", "size"):
        return format_wan(value, exact=True)
    if name == "pct":
        return format_decimal(value)
    if name == "end":
        return format_date(value)
    return str(value)
