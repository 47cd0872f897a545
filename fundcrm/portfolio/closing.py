"""The closing form (DOMAIN.md section 3): a deal at 签约 becomes 交割 in one transaction that
records each participating sub-fund's investment and opens or extends its holding.

Refused, with the reason, and nothing written: a deal not at 签约; no approving IC decision
(the deal's latest); an open condition precedent; an investment dated after today (the fund's
clock) or in a closed period, of no amount or above what the IC approved for that sub-fund; an
ownership outside 0–100%. The single-project cap and the investment period are judged on each
investment's own date and amount (the sub-fund's real cumulative cost in the company so far); a
breach needs risk's or an administrator's override with a reason, kept on the move and the
transaction. Conditions subsequent stay open on the deal (and so on its holdings). Services
flush; the view commits."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from fundcrm import clock
from fundcrm.compliance import periods
from fundcrm.deals import moves
from fundcrm.deals.refusals import MoveRefused, Refusal, message, refusal_messages
from fundcrm.domain import stages
from fundcrm.domain.compliance import committed_size
from fundcrm.errors import ServiceError
from fundcrm.funds.queries import commitment_schedules
from fundcrm.ic import queries as ic_queries
from fundcrm.models import Deal, Holding, PortfolioTransaction
from fundcrm.permissions import user_can
from fundcrm.portfolio import holdings, queries


class ClosingError(ServiceError):
    pass


@dataclass(frozen=True)
class Investment:
    """One sub-fund's investment as the closing form gives it."""

    sub_fund_id: int
    made_on: date | None
    amount_yuan: Decimal | None
    equity_pct: Decimal | None
    post_money_yuan: Decimal | None


def close_deal(db: Session, deal: Deal, investments: list[Investment], user, override: str = ""):
    """Record the investments, open or extend the holdings, move the deal to 交割."""
    db.refresh(deal, with_for_update=True)  # one closing at a time, and the stage as it is
    if deal.stage != "signing":
        raise ClosingError(_l("The closing form closes a deal at signing."))
    decision = ic_queries.latest_decision(db, deal.id)
    if decision is None or not decision.approving:
        raise ClosingError(_l("The deal has no approving IC decision."))
    pending = [c for c in ic_queries.open_conditions(db, deal.id) if c.kind == "precedent"]
    if pending:
        texts = "；".join(c.text for c in pending)
        raise ClosingError(
            _l("Every condition precedent is met or waived first; open: %(texts)s", texts=texts)
        )
    given = {i.sub_fund_id: i for i in investments}
    approved = decision.approved_yuan
    rows = [_checked(given.get(p.sub_fund_id), p, approved) for p in deal.participations]
    for row in rows:
        periods.check_open(db, row.made_on, f"sub_fund_{row.sub_fund_id}_on")
    breaches = _mandate_breaches(db, deal, rows)
    override = (override or "").strip()
    if breaches and not (user_can(user, "override_mandate") and override):
        texts = refusal_messages(breaches)
        if user_can(user, "override_mandate"):
            texts.append(str(message(Refusal("override"))))
        raise ClosingError("；".join(texts), "override_reason")
    for row in rows:
        _record(db, deal, row, user, override if breaches else None)
    try:
        moves.move_stage(db, deal, "closed", user, seen_stage="signing",
                         override_reason=override, closing_breaches=breaches)  # fmt: skip
    except MoveRefused as refused:
        raise ClosingError("；".join(str(m) for m in refused.messages)) from None
    return rows


def _checked(row: Investment | None, participation, approved: dict) -> Investment:
    field = f"sub_fund_{participation.sub_fund_id}"
    if row is None or row.made_on is None:
        raise ClosingError(_l("Give the date of each sub-fund's investment."), f"{field}_on")
    if row.made_on > clock.today():
        raise ClosingError(_l("An investment is dated today or earlier."), f"{field}_on")
    if row.amount_yuan is None or row.amount_yuan <= 0:
        raise ClosingError(_l("Each investment's amount is above zero."), f"{field}_amount")
    limit = approved.get(participation.sub_fund_id)
    if limit is None or row.amount_yuan > limit:
        raise ClosingError(
            _l("An investment is at most what the IC approved for its sub-fund."),
            f"{field}_amount",
        )
    if row.equity_pct is not None and not 0 < row.equity_pct <= 100:
        raise ClosingError(_l("Ownership is a percentage above 0, at most 100."), f"{field}_equity")
    return row


def _mandate_breaches(db: Session, deal: Deal, rows: list[Investment]) -> list[stages.Breach]:
    """Each sub-fund's mandate on its investment's date, with its real cost in the company."""
    schedules = commitment_schedules(db)
    company = deal.company
    found = []
    for row, part in zip(rows, deal.participations, strict=True):
        fund = part.sub_fund
        invested = queries.invested_yuan(db, fund.id, company.id, until=row.made_on)
        new_company = queries.invested_yuan(db, fund.id, company.id) == 0
        found += investment_breaches(
            fund, company, row.made_on, row.amount_yuan, invested, new_company, schedules
        )
    return found


def investment_breaches(
    fund, company, made_on, amount_yuan, invested_yuan, new_company: bool, schedules: dict
) -> list[stages.Breach]:
    """What an investment of the sub-fund in the company on a date breaks of its mandate: the
    stage and focus, the cap on its cumulative cost (`invested_yuan` before this one) against the
    sub-fund's committed size on that date (`schedules`: commitment_schedules) and the
    investment period for a new company. The closing form refuses them unless overridden; the
    transactions import (historical data) lists them in its report; the compliance page judges
    every recorded investment by the same rules (fundcrm.domain.compliance)."""
    facts = stages.MandateFacts(
        sub_fund=moves.fund_label(fund),
        allowed_stages=fund.allowed_stages,
        focus_areas=fund.focus_areas,
        cap_pct=fund.project_cap_pct,
        size_yuan=committed_size(schedules, fund.id, made_on, fund.target_yuan),
        invested_yuan=invested_yuan,
        proposed_yuan=amount_yuan,
        investment_end=fund.investment_end,
        new_company=new_company,
    )
    return stages.mandate_breaches(
        ["closed"], company.enterprise_stage, company.focus_area, [facts], made_on
    )


def _record(db: Session, deal: Deal, row: Investment, user, override: str | None) -> None:
    holding = queries.holding_of(db, row.sub_fund_id, deal.company_id)
    if holding is None:
        holding = Holding(sub_fund_id=row.sub_fund_id, company_id=deal.company_id,
                          opened_on=row.made_on)  # fmt: skip
        db.add(holding)
        db.flush()
    elif holdings.ended_on(holding) is not None:
        raise ClosingError(
            _l("The sub-fund's holding of this company is fully exited or written off."),
            f"sub_fund_{row.sub_fund_id}_amount",
        )
    elif row.made_on < holding.opened_on:
        raise ClosingError(
            _l("A follow-on is dated on or after the holding's first investment."),
            f"sub_fund_{row.sub_fund_id}_on",
        )
    db.add(
        PortfolioTransaction(
            holding_id=holding.id,
            deal_id=deal.id,
            made_on=row.made_on,
            kind="investment",
            amount_yuan=row.amount_yuan,
            equity_pct=row.equity_pct,
            round=deal.round,
            post_money_yuan=row.post_money_yuan,
            override_reason=override,
            created_by_id=user.id,
        )
    )
    db.flush()
