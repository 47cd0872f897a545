"""Compliance with the guidance-fund rules of DOMAIN.md section 1 as of a date, for one
sub-fund: each government commitment's re-investment (required against achieved, with every
company counted or not and why), the single-project cap per company, the stage and focus
mandate, the investment period; every breach found on the holdings.

What is computed here reads only data that raises the metrics version (transactions, holdings,
companies, relocations, commitments and their changes, LP flows, sub-funds), so the result is
kept in the metrics cache (fundcrm.portfolio.cache) per as-of date, sub-fund and settings: a
repeat view runs a fixed number of statements whatever the portfolio's size. What can change
without raising it — overrides on moves, conditions subsequent and the date they fall overdue,
the names of people — is read fresh by fundcrm.compliance.report.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fundcrm.compliance import check_queries as queries
from fundcrm.domain import compliance as rules
from fundcrm.domain import stages
from fundcrm.domain.location import Move, Place, location_on
from fundcrm.funds.queries import commitment_schedules, paid_in_by_commitment
from fundcrm.portfolio import cache as metrics_cache

SCOPE = "compliance-v2"  # names the payload's layout: a release changing it reads no older one


@dataclass(frozen=True)
class Settings:
    """The settings the rules read (config.py): part of the cache's key."""

    multiplier: Decimal
    risk_pct: Decimal
    risk_months: int
    near_pct: Decimal

    @classmethod
    def of(cls, config) -> "Settings":
        return cls(
            Decimal(str(config["DEFAULT_REINVEST_MULTIPLIER"])),
            Decimal(str(config["REINVEST_AT_RISK_PCT"])),
            int(config["REINVEST_AT_RISK_MONTHS"]),
            Decimal(str(config["CAP_NEAR_PCT"])),
        )

    @property
    def key(self) -> str:
        return f"{self.multiplier}/{self.risk_pct}/{self.risk_months}/{self.near_pct}"


@dataclass
class Inputs:
    """Everything the rules read, for one sub-fund or all of them."""

    commitments: list
    schedules: dict  # (lp_id, sub_fund_id) → Schedule
    paid_in: dict  # (lp_id, sub_fund_id) → calls dated on or before the date
    investments: dict  # (sub_fund_id, company_id) → investment rows, oldest first
    companies: dict  # id → row
    moves: dict  # company_id → [Move], in the order they took effect


def read(db, as_of: date, sub_fund_id: int | None = None) -> Inputs:
    """The rows behind the checks (eight statements)."""
    investments: dict = {}
    for row in queries.investments(db, sub_fund_id):
        investments.setdefault((row.sub_fund_id, row.company_id), []).append(row)
    moves: dict = {}
    for r in queries.relocations(db, sub_fund_id):
        move = Move(r.effective_on, Place.of(r.from_district, r.from_city),
                    Place.of(r.to_district, r.to_city))  # fmt: skip
        moves.setdefault(r.company_id, []).append(move)
    return Inputs(
        queries.government_commitments(db, sub_fund_id),
        commitment_schedules(db),
        paid_in_by_commitment(db, as_of),
        investments,
        {c.id: c for c in queries.held_companies(db, sub_fund_id)},
        moves,
    )


def report(db, fund, as_of: date, settings: Settings) -> dict:
    """The sub-fund's checks as of a date (see `compute`), from the metrics cache."""
    scope = f"{SCOPE}:{fund.id}:{settings.key}"
    return metrics_cache.cached(
        db, as_of, scope, lambda: compute(fund, read(db, as_of, fund.id), as_of, settings)
    )


# -- computing: a JSON-able payload -----------------------------------------------------------


def _text(value) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def size_on(fund, inputs: Inputs) -> Callable[[date], Decimal]:
    """The sub-fund's committed size on a date."""
    return rules.size_timeline(inputs.schedules, fund.id, fund.target_yuan)


@dataclass(frozen=True)
class Holding:
    """One company the sub-fund invested in by the date."""

    company: object  # its row
    investments: list  # rows dated on or before the date
    cost: Decimal
    first_on: date


def holdings(fund, inputs: Inputs, as_of: date) -> list[Holding]:
    found = []
    for (fund_id, company_id), rows in inputs.investments.items():
        dated = [r for r in rows if r.made_on <= as_of]
        if fund_id == fund.id and dated and company_id in inputs.companies:
            cost = sum((r.amount for r in dated), Decimal(0))
            found.append(Holding(inputs.companies[company_id], dated, cost, dated[0].made_on))
    return sorted(found, key=lambda h: (-h.cost, h.company.name, h.company.id))


def compute(fund, inputs: Inputs, as_of: date, settings: Settings) -> dict:
    """Everything the page shows that the metrics version covers (see the module's note)."""
    held = holdings(fund, inputs, as_of)
    sizes = size_on(fund, inputs)
    limit = stages.cap_limit(sizes(as_of), fund.project_cap_pct)
    pledges = [c for c in inputs.commitments if c.sub_fund_id == fund.id]
    counts = {c.id: [_count(c, fund, h, inputs, as_of, settings) for h in held] for c in pledges}
    commitments = [_commitment(c, fund, counts[c.id], inputs, as_of, settings) for c in pledges]
    companies = [
        _company(h, inputs, limit, [counts[c.id][i] for c in pledges], as_of, settings)
        for i, h in enumerate(held)
    ]
    breaches = [b for h in held for b in _breaches(fund, h, sizes, as_of)]
    return {
        "size": str(sizes(as_of)),
        "limit": str(limit),
        "commitments": commitments,
        "companies": companies,
        "breaches": breaches,
    }


def terms_of(c, fund, settings: Settings) -> rules.Terms:
    return rules.terms(c.ratio, c.area, c.base, c.multiplier, c.deadline, settings.multiplier,
                       fund.investment_end)  # fmt: skip


def _count(c, fund, h: Holding, inputs: Inputs, as_of: date, settings: Settings) -> rules.Count:
    present = Place.of(h.company.district, h.company.city)
    moves = inputs.moves.get(h.company.id, [])
    return rules.company_count(terms_of(c, fund, settings), present, moves, h.first_on, h.cost,
                               as_of)  # fmt: skip


def _commitment(c, fund, counts: list, inputs: Inputs, as_of: date, settings: Settings) -> dict:
    t = terms_of(c, fund, settings)
    schedule = inputs.schedules.get((c.lp_id, c.sub_fund_id))
    committed = schedule.on(as_of) if schedule else Decimal(0)
    paid_in = inputs.paid_in.get((c.lp_id, c.sub_fund_id), Decimal(0))
    required = rules.required(t, committed, paid_in)
    achieved = sum((n.counted for n in counts), Decimal(0))
    found = rules.standing(t, required, achieved, as_of, settings.risk_pct, settings.risk_months)
    statuses = [n.status for n in counts]
    return {
        "id": c.id, "lp": c.lp, "ratio": str(t.ratio), "area": list(t.area), "base": t.base,
        "base_amount": str(paid_in if t.base == "paid_in" else committed),
        "multiplier": str(t.multiplier), "multiplier_default": c.multiplier is None,
        "deadline": _text(t.deadline), "deadline_default": c.deadline is None,
        "required": str(required), "achieved": str(achieved), "status": found.status,
        "risk_from": _text(found.risk_from),
        "counted": statuses.count(rules.COUNTED), "outside": statuses.count(rules.OUTSIDE),
        "unknown": statuses.count(rules.UNKNOWN),
    }  # fmt: skip


def _latest_move(moves: list[Move], as_of: date) -> list | None:
    done = [m for m in moves if m.effective_on <= as_of]
    if not done:
        return None
    m = done[-1]
    return [m.effective_on.isoformat(), m.origin.district, m.origin.city,
            m.destination.district, m.destination.city]  # fmt: skip


# a company's stored row, in this order (a list: the payload stays small at thousands of rows)
COMPANY_FIELDS = ("id", "name", "stage", "focus", "place", "moved", "cost", "first_on", "share",
                  "near", "over", "counts")  # fmt: skip
NEAR = COMPANY_FIELDS.index("near")
SHARE_PLACES = Decimal("0.000001")  # a share of the cap, as the page shows it (to 0.1%)


def _company(
    h: Holding, inputs: Inputs, limit: Decimal, counts: list, as_of: date, settings: Settings
) -> list:
    company, moves = h.company, inputs.moves.get(h.company.id, [])
    place = location_on(Place.of(company.district, company.city), moves, as_of)
    share = rules.cap_share(h.cost, limit)
    return [
        company.id, company.name, company.enterprise_stage, company.focus_area,
        [place.district, place.city], _latest_move(moves, as_of), str(h.cost),
        h.first_on.isoformat(), None if share is None else str(share.quantize(SHARE_PLACES)),
        rules.near_cap(h.cost, limit, settings.near_pct), h.cost > limit,
        [[n.status, str(n.counted), None if n.multiplier == 1 else str(n.multiplier),
          _text(n.relocated_on)] for n in counts],
    ]  # fmt: skip


def mandate_of(fund, label: str = "") -> rules.Mandate:
    return rules.Mandate(label, fund.allowed_stages, fund.focus_areas, fund.project_cap_pct,
                         fund.investment_end)  # fmt: skip


def _breaches(fund, h: Holding, sizes, as_of: date) -> list[dict]:
    company = h.company
    rows = [(r.made_on, r.amount, r.id) for r in h.investments]
    found = rules.holding_breaches(mandate_of(fund), company.enterprise_stage,
                                   company.focus_area, rows, sizes, as_of)  # fmt: skip
    by_id = {r.id: r for r in h.investments}
    # a breach of the company's stage or focus: the override given at an investment, if any
    overridden = next((r for r in h.investments if r.override), h.investments[0])
    return [
        {"code": j.breach.code, "params": breach_params(j.breach.params),
         "company_id": company.id, "company": company.name, "made_on": _text(j.made_on),
         **_override(by_id.get(j.seq) or overridden)}
        for j in found
    ]  # fmt: skip


def _override(txn) -> dict:
    return {"txn_id": txn.id, "deal_id": txn.deal_id, "override": txn.override,
            "by_id": txn.by_id, "at": _text(txn.at)}  # fmt: skip


MONEY_PARAMS = ("invested", "proposed", "total", "limit", "size", "pct")


def breach_params(params: dict) -> dict:
    """A breach's facts as JSON (amounts and the percentage as text, the date ISO)."""
    return {k: _text(v) if isinstance(v, (Decimal, date)) else v for k, v in params.items()}


def breach_from(found: dict, label: str) -> stages.Breach:
    """A stored breach again, named with the sub-fund's label in the reader's language."""
    params = {
        k: Decimal(v) if k in MONEY_PARAMS else date.fromisoformat(v) if k == "end" else v
        for k, v in found["params"].items()
    }
    return stages.Breach(found["code"], label, params)
