"""Fund setup rules: sub-funds with their LPA settings, LPs and commitments (flush only)."""

import re
from contextlib import nullcontext
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, func, select

from fundcrm.db import refused_if_taken
from fundcrm.domain.ratios import is_ratio
from fundcrm.errors import ServiceError
from fundcrm.models import Commitment, FundSettings, LimitedPartner, SubFund

CODE = re.compile(r"^[A-Z0-9_-]{1,30}$")
CODE_TAKEN = _l("Another sub-fund already uses this code.")
LP_TAKEN = _l("An LP with this name already exists.")
COMMITMENT_TAKEN = _l("This LP already has a commitment to this sub-fund.")


class SetupError(ServiceError):
    """A refused change of this feature."""


def fund_settings(db: Session) -> FundSettings | None:
    return db.exec(select(FundSettings).order_by(FundSettings.id)).first()


def save_fund_settings(db: Session, values: dict) -> FundSettings:
    return _apply(db, fund_settings(db) or FundSettings(name="", target_yuan=Decimal(0)), values)


def sub_funds(db: Session) -> list[SubFund]:
    return list(db.exec(select(SubFund).order_by(SubFund.id)).all())


def committed_by_sub_fund(db: Session) -> dict[int, Decimal]:
    rows = db.exec(
        select(Commitment.sub_fund_id, func.sum(Commitment.committed_yuan)).group_by(
            Commitment.sub_fund_id
        )
    ).all()
    return {sub_fund_id: total or Decimal(0) for sub_fund_id, total in rows}


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
    dates = [values.get("first_close"), values.get("investment_end"), values.get("term_end")]
    present = [d for d in dates if d]
    if present != sorted(present):
        raise SetupError(
            _l("Dates must run first close ≤ investment period end ≤ term end."), "investment_end"
        )


def _check_sub_fund(db: Session, sub_fund_id: int | None, values: dict) -> None:
    clash = db.exec(
        select(SubFund.id).where(SubFund.code == values["code"], SubFund.id != sub_fund_id)
    ).first()
    if clash:
        raise SetupError(CODE_TAKEN, "code")
    check_sub_fund_rules(values)


def _apply(db: Session, record, values: dict, taken: SetupError | None = None):
    """Write the values; `taken` is the refusal for a unique key saved meanwhile by another."""
    with refused_if_taken(db, taken) if taken else nullcontext():
        for key, value in values.items():
            setattr(record, key, value)
        db.add(record)
        db.flush()
    return record


def save_sub_fund(db: Session, sub_fund: SubFund, values: dict) -> SubFund:
    """Checks run before any change touches the record, so a refusal leaves it as it was."""
    values = {
        **values,
        "code": values["code"].strip().upper(),
        **{name: "".join(values[name].split()) for name in ("ic_quorum", "ic_threshold")},
    }
    _check_sub_fund(db, sub_fund.id, values)
    return _apply(db, sub_fund, values, SetupError(CODE_TAKEN, "code"))


def save_lp(db: Session, lp: LimitedPartner, values: dict) -> LimitedPartner:
    values = {**values, "name": values["name"].strip()}
    clash = db.exec(
        select(LimitedPartner.id).where(
            LimitedPartner.name == values["name"], LimitedPartner.id != lp.id
        )
    ).first()
    if clash:
        raise SetupError(LP_TAKEN, "name")
    return _apply(db, lp, values, SetupError(LP_TAKEN, "name"))


def save_commitment(db: Session, commitment: Commitment, values: dict) -> Commitment:
    """Government commitments carry a re-investment requirement; others carry none."""
    lp = db.get(LimitedPartner, values["lp_id"])
    if lp is None or db.get(SubFund, values["sub_fund_id"]) is None:
        raise SetupError(_l("Choose an existing LP and sub-fund."), "lp_id")
    clash = db.exec(
        select(Commitment.id).where(
            Commitment.lp_id == values["lp_id"],
            Commitment.sub_fund_id == values["sub_fund_id"],
            Commitment.id != commitment.id,
        )
    ).first()
    if clash:
        raise SetupError(COMMITMENT_TAKEN, "sub_fund_id")
    values = {**values, **_reinvestment(lp, values)}
    return _apply(db, commitment, values, SetupError(COMMITMENT_TAKEN, "sub_fund_id"))


def _reinvestment(lp: LimitedPartner, values: dict) -> dict:
    if not lp.is_government:
        return {"reinvest_ratio": None, "reinvest_area": [], "reinvest_base": None}
    if values.get("reinvest_ratio") is None:
        raise SetupError(
            _l("A government commitment needs a re-investment ratio."), "reinvest_ratio"
        )
    area = values.get("reinvest_area") or []
    if not area:
        raise SetupError(_l("Choose the re-investment area."), "reinvest_area")
    if "chongqing" in area and len(area) > 1:
        raise SetupError(
            _l("Choose the whole city or a list of districts, not both."), "reinvest_area"
        )
    return {"reinvest_base": values.get("reinvest_base") or "committed"}
