"""Fund setup rules: sub-funds with their LPA settings, LPs and commitments (flush only).

Each rule is one function that the setup forms and the imports both call, so they cannot
disagree: `check_sub_fund_rules`, `check_commitment` (amount and re-investment terms) and
`flag_effects` (what an LP's government flag does to its commitments).
"""

import re
from contextlib import nullcontext
from datetime import date
from decimal import Decimal

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from fundcrm import clock
from fundcrm.db import lock_for_edit, refused_if_taken
from fundcrm.domain.commitments import Schedule, first_shortfall, schedule, start_of
from fundcrm.domain.ratios import is_ratio
from fundcrm.errors import ServiceError
from fundcrm.funds import queries
from fundcrm.i18n import format_wan
from fundcrm.models import Commitment, FundSettings, LimitedPartner, SubFund

# Other features read the setup through these names.
fund_settings = queries.fund_settings
sub_funds = queries.sub_funds
committed_by_sub_fund = queries.committed_by_sub_fund

CODE = re.compile(r"^[A-Z0-9_-]{1,30}$")
CODE_TAKEN = _l("Another sub-fund already uses this code.")
LP_TAKEN = _l("An LP with this name already exists.")
COMMITMENT_TAKEN = _l("This LP already has a commitment to this sub-fund.")
NO_TERMS = {"reinvest_ratio": None, "reinvest_area": [], "reinvest_base": None}
TERMS = tuple(NO_TERMS)


class SetupError(ServiceError):
    """A refused change of this feature."""


def save_fund_settings(db, values: dict) -> FundSettings:
    return _apply(db, fund_settings(db) or FundSettings(name="", target_yuan=Decimal(0)), values)


# -- sub-funds ---------------------------------------------------------------------------------


MAX_IC_MEMBERS = 99


def sub_fund_defaults(settings) -> dict:
    """What a new sub-fund starts from (the LPA settings' defaults of config.py)."""
    return {
        "project_cap_pct": Decimal(settings["DEFAULT_PROJECT_CAP_PCT"]),
        "ic_quorum": settings["DEFAULT_IC_QUORUM"],
        "ic_threshold": settings["DEFAULT_IC_THRESHOLD"],
        "ic_min_eligible": int(settings["DEFAULT_IC_MIN_ELIGIBLE"]),
    }


def normalise_sub_fund(values: dict) -> dict:
    """The code upper-cased, ratios without spaces: as stored, whoever typed them."""
    normalised = {**values, "code": (values.get("code") or "").strip().upper()}
    for name in ("ic_quorum", "ic_threshold"):
        if isinstance(values.get(name), str):
            normalised[name] = "".join(values[name].split())
    return normalised


def check_sub_fund_rules(values: dict) -> None:
    """The rules a sub-fund's values follow, whoever enters them (form or import); a value
    missing here was refused (or is required) elsewhere."""
    if not CODE.match(values["code"]):
        raise SetupError(_l("A code has capital letters A–Z, digits, - and _ only."), "code")
    target, cap = values.get("target_yuan"), values.get("project_cap_pct")
    if target is not None and target <= 0:
        raise SetupError(_l("The target size must be more than zero."), "target_wan")
    if cap is not None and cap <= 0:
        raise SetupError(_l("The cap must be more than 0 percent."), "project_cap_pct")
    for name in ("ic_quorum", "ic_threshold"):
        if values.get(name) is not None and not is_ratio(values[name]):
            raise SetupError(
                _l("Write a fraction such as 2/3 or a percentage such as 60%, at most 1 (100%)."),
                name,
            )
    least = values.get("ic_min_eligible")
    if least is not None and not 1 <= least <= MAX_IC_MEMBERS:
        raise SetupError(
            _l("At least 1 and at most %(n)s members.", n=MAX_IC_MEMBERS), "ic_min_eligible"
        )
    dates = [values.get("first_close"), values.get("investment_end"), values.get("term_end")]
    present = [d for d in dates if d]
    if present != sorted(present):
        raise SetupError(
            _l("Dates must run first close ≤ investment period end ≤ term end."), "investment_end"
        )


def _check_sub_fund(db, sub_fund_id: int | None, values: dict) -> None:
    if queries.code_taken(db, values["code"], sub_fund_id):
        raise SetupError(CODE_TAKEN, "code")
    check_sub_fund_rules(values)


def save_sub_fund(db, sub_fund: SubFund, values: dict) -> SubFund:
    """Checks run before any change touches the record, so a refusal leaves it as it was."""
    values = normalise_sub_fund(values)
    _check_sub_fund(db, sub_fund.id, values)
    return _apply(db, sub_fund, values, SetupError(CODE_TAKEN, "code"))


# -- LPs and their government flag -------------------------------------------------------------


def flag_effects(lp: LimitedPartner, is_government: bool, commitments, settings=None) -> list:
    """What setting an LP's government flag does to its commitments: (commitment, new terms).

    An LP that stops being a government LP keeps no re-investment requirement; one that
    becomes a government LP gives each commitment without terms the settings' defaults."""
    if lp.id is None or bool(lp.is_government) == bool(is_government):
        return []
    if not is_government:
        return [(c, dict(NO_TERMS)) for c in commitments if c.reinvest_ratio is not None]
    lacking = [c for c in commitments if c.reinvest_ratio is None]
    return [(c, reinvestment_terms(True, NO_TERMS, True, settings)) for c in lacking]


def flag_notice(effects: list) -> str | None:
    """What the user is told about the commitments a flag change touched."""
    if not effects:
        return None
    codes = ", ".join(sorted(c.sub_fund.code for c, _terms in effects))
    if all(terms["reinvest_ratio"] is None for _c, terms in effects):
        return _(
            "The commitments to %(codes)s no longer carry a re-investment requirement.", codes=codes
        )
    return _(
        "The commitments to %(codes)s take the default re-investment terms: check them.",
        codes=codes,
    )


def save_lp(db, lp: LimitedPartner, values: dict, notices: list | None = None) -> LimitedPartner:
    """Save the LP and apply what its government flag means to its commitments; `notices`
    (when given) receives what the user should know about that."""
    values = {**values, "name": values["name"].strip()}
    if queries.lp_name_taken(db, values["name"], lp.id):
        raise SetupError(LP_TAKEN, "name")
    effects = []
    if "is_government" in values and lp.id is not None:
        effects = flag_effects(lp, values["is_government"], queries.commitments_of(db, lp.id))
    saved = _apply(db, lp, values, SetupError(LP_TAKEN, "name"))
    for commitment, terms in effects:
        _apply(db, commitment, terms)
    if notices is not None and (notice := flag_notice(effects)):
        notices.append(notice)
    return saved


# -- commitments -------------------------------------------------------------------------------


def default_terms(settings) -> dict:
    """The re-investment terms a government commitment starts from."""
    return {
        "reinvest_ratio": Decimal(settings["DEFAULT_REINVEST_RATIO"]),
        "reinvest_area": [settings["DEFAULT_REINVEST_AREA"]],
        "reinvest_base": settings["DEFAULT_REINVEST_BASE"],
    }


def reinvestment_terms(is_government: bool, values: dict, starts: bool, settings=None) -> dict:
    """The terms a commitment carries: none for a non-government LP's; for a government LP's,
    the given ones, checked. A commitment that `starts` its terms (new, or without any so far)
    takes the settings' defaults for the ones left blank."""
    if not is_government:
        return dict(NO_TERMS)
    terms = {k: values.get(k) for k in TERMS}
    if starts and any(terms[k] in (None, []) for k in TERMS):
        defaults = default_terms(settings or current_app.config)
        terms = {k: defaults[k] if terms[k] in (None, []) else terms[k] for k in TERMS}
    if terms["reinvest_ratio"] is None:
        raise SetupError(
            _l("A government commitment needs a re-investment ratio."), "reinvest_ratio"
        )
    area = terms["reinvest_area"] or []
    if not area:
        raise SetupError(_l("Choose the re-investment area."), "reinvest_area")
    if "chongqing" in area and len(area) > 1:
        raise SetupError(
            _l("Choose the whole city or a list of districts, not both."), "reinvest_area"
        )
    return {**terms, "reinvest_base": terms["reinvest_base"] or "committed"}


def terms_ignored(is_government: bool, values: dict) -> str | None:
    """The term a non-government LP's commitment was given and does not keep, if any."""
    if is_government:
        return None
    return next((k for k in TERMS if values.get(k) not in (None, [])), None)


IGNORED_TERMS = _l(
    "Ignored: only a government LP's commitment carries a re-investment requirement."
)


def check_commitment(
    values: dict, is_government: bool, starts: bool, settings=None, may_be_zero: bool = False
) -> dict:
    """A commitment's rules, whoever enters it: a positive amount (zero allowed, `may_be_zero`,
    for one whose amount comes from the transfers it received), and the re-investment terms
    its LP's flag calls for. The values to store."""
    amount = values.get("committed_yuan")
    if amount is None or amount < 0 or (amount == 0 and not may_be_zero):
        raise SetupError(_l("The committed amount must be more than zero."), "committed_wan")
    committed_on = values.get("committed_on")
    if committed_on is not None and committed_on > clock.today():
        raise SetupError(_l("A commitment is dated today or earlier."), "committed_on")
    terms = reinvestment_terms(is_government, values, starts, settings)
    return {**values, **terms, **relocation_terms(is_government, values)}


# Set on the commitment form only (the `commitments` import leaves them as they are); blank:
# the setting's multiplier, the sub-fund's investment period end (DOMAIN.md section 1).
RELOCATION_TERMS = ("reinvest_multiplier", "reinvest_deadline")


def relocation_terms(is_government: bool, values: dict) -> dict:
    """The relocation multiplier and the re-investment deadline given (a non-government LP's
    commitment keeps neither); none when the values do not name them."""
    given = {k: values[k] for k in RELOCATION_TERMS if k in values}
    if not is_government:
        return dict.fromkeys(given)
    multiplier = given.get("reinvest_multiplier")
    if multiplier is not None and multiplier < 1:
        raise SetupError(_l("The relocation multiplier is at least 1."), "reinvest_multiplier")
    return given


def save_commitment(db, commitment: Commitment, values: dict, settings=None) -> Commitment:
    """Government commitments carry a re-investment requirement; others carry none."""
    lp = db.get(LimitedPartner, values["lp_id"])
    if lp is None or db.get(SubFund, values["sub_fund_id"]) is None:
        raise SetupError(_l("Choose an existing LP and sub-fund."), "lp_id")
    if queries.commitment_taken(db, values["lp_id"], values["sub_fund_id"], commitment.id):
        raise SetupError(COMMITMENT_TAKEN, "sub_fund_id")
    changes = []
    if commitment.id is not None:
        lock_for_edit(db, commitment)  # a change recorded meanwhile waits, or is seen
        changes = queries.changes_touching(db, commitment.id)
    starts = commitment.id is None or commitment.reinvest_ratio is None
    received = any(c.to_commitment_id == commitment.id for c in changes)
    values = check_commitment(values, lp.is_government, starts, settings, may_be_zero=received)
    _check_changes_kept(db, commitment, values, changes)
    return _apply(db, commitment, values, SetupError(COMMITMENT_TAKEN, "sub_fund_id"))


KEYS_KEPT = _l("This commitment has dated changes: its LP and sub-fund stay as they are.")


def _check_changes_kept(db, commitment: Commitment, values: dict, changes: list) -> None:
    """An edit of a commitment's amount or date keeps what its dated changes need: its LP and
    sub-fund, a start on or before the first of them, and never less in force than the LP's
    calls paid by then (an edit of a commitment without changes is checked the same way)."""
    keys = ("lp_id", "sub_fund_id")
    moved = any(getattr(commitment, k) != values[k] for k in keys)
    if commitment.id is None or (moved and not changes):
        return
    if moved:
        raise SetupError(KEYS_KEPT, "sub_fund_id")
    if all(getattr(commitment, k) == values.get(k) for k in ("committed_yuan", "committed_on")):
        return
    start = start_of(
        values.get("committed_on"), db.get(SubFund, commitment.sub_fund_id).first_close
    )
    if changes and start is not None and changes[0].changed_on < start:
        raise SetupError(
            _l("A dated change of %(date)s comes before this date.",
               date=format_date(changes[0].changed_on)),
            "committed_on",
        )  # fmt: skip
    amounts = schedule(start, values["committed_yuan"], queries.steps_of(changes, commitment.id))
    check_in_force(db, commitment, amounts, start or date.min, "committed_wan")


def check_in_force(db, commitment: Commitment, amounts: Schedule, since: date, field: str):
    """Refuse `amounts` (the commitment's schedule as it would be) if, on a date from `since` on,
    the amount in force falls below the LP's calls paid by then, or below zero."""
    calls = queries.calls_of(db, commitment.lp_id, commitment.sub_fund_id)
    short = first_shortfall(amounts, [(c.flow_on, c.amount_yuan) for c in calls], since)
    if short is None:
        return
    if short.called == 0:
        message = _l(
            "The commitment in force would fall below zero on %(date)s (%(amount)s 万元).",
            date=format_date(short.on),
            amount=format_wan(short.in_force),
        )
    else:
        message = _l(
            "The commitment in force on %(date)s (%(amount)s 万元) would fall below the LP's "
            "calls paid by then (%(called)s 万元).",
            date=format_date(short.on),
            amount=format_wan(short.in_force),
            called=format_wan(short.called),
        )
    raise SetupError(message, field)


def _apply(db, record, values: dict, taken: SetupError | None = None):
    """Write the values; `taken` is the refusal for a unique key saved meanwhile by another."""
    with refused_if_taken(db, taken) if taken else nullcontext():
        for key, value in values.items():
            setattr(record, key, value)
        db.add(record)
        db.flush()
    return record
