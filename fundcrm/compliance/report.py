"""What the compliance page and the home page's alert show: the cached checks
(fundcrm.compliance.checks) with what is read fresh each time — the overrides on the sub-fund's
deals' moves (who, when, why), the conditions subsequent overdue on the date, people's names —
each breach matched to its override, or listed without one (imported history)."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

from fundcrm.compliance import check_queries as queries
from fundcrm.compliance import checks
from fundcrm.compliance.queries import names_of
from fundcrm.deals.moves import fund_label
from fundcrm.deals.refusals import breach_message
from fundcrm.domain import compliance as rules
from fundcrm.funds.queries import sub_funds
from fundcrm.portfolio import cache as metrics_cache

MONEY = ("cost", "required", "achieved", "base_amount")


@dataclass(frozen=True)
class Override:
    """An override given for a breach: who, when, why, and where it was given."""

    who: str
    at: datetime | None
    why: str
    where: str  # "investment" (the closing form, or a direct investment) or a deal's move


@dataclass
class Breach:
    code: str
    text: str
    company_id: int
    company: str
    made_on: date | None
    override: Override | None


@dataclass
class CompliancePage:
    fund: object
    as_of: date
    size: Decimal
    limit: Decimal
    commitments: list
    companies: list  # stored rows: parse the ones shown with `company_row`
    breaches: list[Breach]
    moves: list
    conditions: list
    counts: dict = field(default_factory=dict)

    @property
    def near(self) -> list:
        return [company_row(c) for c in self.companies if c[checks.NEAR]]


def _decimal(value):
    return None if value is None else Decimal(value)


def _day(value):
    return None if value is None else date.fromisoformat(value)


def commitment_row(stored: dict) -> SimpleNamespace:
    row = SimpleNamespace(**stored)
    for name in (*MONEY[1:], "ratio", "multiplier"):
        setattr(row, name, Decimal(stored[name]))
    row.deadline, row.risk_from = _day(stored["deadline"]), _day(stored["risk_from"])
    row.progress = row.achieved / row.required if row.required > 0 else None
    return row


def company_row(stored: list) -> SimpleNamespace:
    """A stored company row (checks.COMPANY_FIELDS) as the page shows it (amounts and dates
    parsed)."""
    stored = dict(zip(checks.COMPANY_FIELDS, stored, strict=True))
    row = SimpleNamespace(**stored)
    row.cost, row.share = Decimal(stored["cost"]), _decimal(stored["share"])
    row.first_on = _day(stored["first_on"])
    row.district, row.city = stored["place"]
    row.moved = None
    if stored["moved"]:
        on, from_d, from_c, to_d, to_c = stored["moved"]
        row.moved = SimpleNamespace(on=_day(on), origin=from_d or from_c, destination=to_d or to_c)
    row.counts = [
        SimpleNamespace(status=s, counted=Decimal(n), multiplier=_decimal(m), since=_day(since))
        for s, n, m, since in stored["counts"]
    ]
    return row


def page(db, fund, as_of: date, settings: checks.Settings) -> CompliancePage:
    stored = checks.report(db, fund, as_of, settings)
    moves = queries.breach_moves(db, fund.id)
    conditions = queries.overdue_conditions(db, fund.id, as_of)
    names = names_of(db, [b["by_id"] for b in stored["breaches"]]
                               + [m.by_id for m in moves])  # fmt: skip
    breaches = matched(stored["breaches"], moves, names, fund_label(fund))
    commitments = [commitment_row(c) for c in stored["commitments"]]
    counts = {
        "breaches": len(breaches),
        "without_override": sum(1 for b in breaches if b.override is None),
        "reinvest_breaches": sum(1 for c in commitments if c.status == rules.BREACH),
        "at_risk": sum(1 for c in commitments if c.status == rules.AT_RISK),
        "near": sum(1 for c in stored["companies"] if c[checks.NEAR]),
        "overdue": len(conditions),
    }
    return CompliancePage(
        fund, as_of, Decimal(stored["size"]), Decimal(stored["limit"]), commitments,
        stored["companies"], breaches, [_move(m, names, fund) for m in moves], conditions, counts,
    )  # fmt: skip


def _move_override(move, names: dict) -> Override:
    return Override(names.get(move.by_id) or move.by_label, move.at, move.override, "move")


def matched(stored: list, moves: list, names: dict, label: str) -> list[Breach]:
    """Each stored breach, worded, with its override: the one given at its investment (the
    closing form's, or a direct investment's reason), else one given on a move of the deal (or,
    for the company's stage or focus, of any deal of the company), else none."""
    overridden = [m for m in moves if m.override]
    by_deal = {m.deal_id: m for m in overridden}
    by_company = {m.company_id: m for m in overridden}
    found = []
    for b in stored:
        override = None
        if b["override"]:
            at = datetime.fromisoformat(b["at"]) if b["at"] else None
            override = Override(names.get(b["by_id"], ""), at, b["override"], "investment")
        elif (move := by_deal.get(b["deal_id"]) or by_company.get(b["company_id"])) is not None:
            override = _move_override(move, names)
        text = breach_message(checks.breach_from(b, label))
        found.append(Breach(b["code"], text, b["company_id"], b["company"],
                            _day(b["made_on"]), override))  # fmt: skip
    return found


def _move(move, names: dict, fund) -> SimpleNamespace:
    """A move that recorded breaches or an override, with this sub-fund's breaches (each
    message names its sub-fund; all of them when none names this one)."""
    labels = [n for n in (fund.name, fund.name_en) if n]
    mine = [b for b in move.breaches if any(b.startswith(n) for n in labels)]
    return SimpleNamespace(
        deal_id=move.deal_id, deal_ref=move.deal_ref, company=move.company,
        from_stage=move.from_stage, to_stage=move.to_stage, at=move.at, kind=move.kind,
        who=names.get(move.by_id) or move.by_label, override=move.override,
        breaches=mine or list(move.breaches),
    )  # fmt: skip


# -- the home page's alert ------------------------------------------------------------------


def _summaries(db, today: date, settings: checks.Settings) -> dict:
    """What each sub-fund has to be alerted of today (the metrics version covers it)."""
    inputs = checks.read(db, today)
    found = []
    for fund in sub_funds(db):
        payload = checks.compute(fund, inputs, today, settings)
        statuses = [c["status"] for c in payload["commitments"]]
        found.append({
            "id": fund.id, "code": fund.code, "name": fund.name, "name_en": fund.name_en,
            "breaches": [[b["company_id"], bool(b["override"])] for b in payload["breaches"]],
            "reinvest_breaches": statuses.count(rules.BREACH),
            "at_risk": statuses.count(rules.AT_RISK),
            "near": sum(1 for c in payload["companies"] if c[checks.NEAR]),
        })  # fmt: skip
    return {"funds": found}


def alerts(db, today: date, settings: checks.Settings) -> list[SimpleNamespace]:
    """The sub-funds with a breach, a re-investment at risk, a company near its cap or an
    overdue condition subsequent today: three statements once cached."""
    scope = f"{checks.SCOPE}-alerts:{settings.key}"
    stored = metrics_cache.cached(db, today, scope, lambda: _summaries(db, today, settings))
    overdue = queries.overdue_counts(db, today)
    overridden = queries.overridden_companies(db)
    found = []
    for f in stored["funds"]:
        breaches = f["breaches"]
        bare = [c for c, given in breaches if not given and (f["id"], c) not in overridden]
        row = SimpleNamespace(
            code=f["code"], name=f["name"], name_en=f["name_en"], breaches=len(breaches),
            without_override=len(bare), reinvest_breaches=f["reinvest_breaches"],
            at_risk=f["at_risk"], near=f["near"], overdue=overdue.get(f["id"], 0),
        )  # fmt: skip
        if row.breaches or row.reinvest_breaches or row.at_risk or row.near or row.overdue:
            found.append(row)
    return found
