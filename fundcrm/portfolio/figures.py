"""The figures of DOMAIN.md section 6 for the fund, each sub-fund and each holding, as of a
date: read from the database once, computed by the pure metrics engine
(fundcrm.domain.metrics), and written as the object `fundcrm metrics --json` prints and the
metrics page shows. Each figure keeps the dated flows behind it (`trace`), which add up to it.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from fundcrm.domain import metrics
from fundcrm.domain.metrics import money_text, number
from fundcrm.funds.queries import sub_funds
from fundcrm.portfolio import queries


@dataclass(frozen=True)
class Held:
    """A holding as the figures name it, with its transactions as the engine reads them."""

    id: int
    company: str
    uscc: str
    txns: tuple


@dataclass
class SubFundFigures:
    code: str
    figures: metrics.FundFigures
    money: metrics.FundFlows
    holdings: list = field(default_factory=list)  # (Held, HoldingFigures)


def compute(db: Session, as_of: date, code: str | None = None) -> tuple[metrics.FundFigures, list]:
    """(the fund's figures, each sub-fund's figures with its holdings'), as of a date: plain
    rows from a fixed number of statements (no ORM objects), whatever the portfolio's size."""
    funds = [f for f in sub_funds(db) if code is None or f.code == code]
    wanted = {f.id for f in funds}
    found = [h for h in queries.holding_rows(db) if h.sub_fund_id in wanted]
    txns, marks = queries.ledgers(db, None if code is None else [h.id for h in found])
    flows = queries.lp_flows(db, as_of)
    spent = queries.expenses(db, as_of)
    committed: dict[int, Decimal] = {}  # each sub-fund's commitments in force on as_of
    for (_lp_id, fund_id), schedule in queries.commitment_schedules(db).items():
        committed[fund_id] = committed.get(fund_id, Decimal(0)) + schedule.on(as_of)
    result = []
    for fund in funds:
        mine = [(Held(h.id, h.company, h.uscc, tuple(txns.get(h.id, ()))),
                 metrics.holding(txns.get(h.id, []), marks.get(h.id, []), as_of))
                for h in found if h.sub_fund_id == fund.id and h.opened_on <= as_of]  # fmt: skip
        money = metrics.FundFlows(
            committed=committed.get(fund.id, Decimal(0)),
            calls=tuple((f.flow_on, f.amount_yuan) for f in flows
                        if f.sub_fund_id == fund.id and f.kind == "call"),
            distributions=tuple((f.flow_on, f.amount_yuan) for f in flows
                                if f.sub_fund_id == fund.id and f.kind == "distribution"),
            expenses=tuple((e.spent_on, e.amount_yuan) for e in spent if e.sub_fund_id == fund.id),
        )  # fmt: skip
        figures = metrics.fund([f for _h, f in mine], money, as_of)
        result.append(SubFundFigures(fund.code, figures, money, mine))
    everything = [f for s in result for _h, f in s.holdings]
    total = metrics.fund(everything, metrics.merge(s.money for s in result), as_of)
    return total, result


FUND_MONEY = ("committed", "paid_in", "distributions", "expenses", "invested", "proceeds",
              "dividends", "fair_value", "nav")  # fmt: skip
FUND_RATIOS = ("moic", "dpi", "rvpi", "tvpi", "gross_irr", "net_irr")
HOLDING_MONEY = ("invested", "proceeds", "dividends", "fair_value")


def _fund_json(figures: metrics.FundFigures) -> dict:
    out = {key: money_text(getattr(figures, key)) for key in FUND_MONEY}
    out.update({key: number(getattr(figures, key)) for key in FUND_RATIOS})
    return out


def scoped(computed: tuple, codes: set[str], as_of: date) -> tuple:
    """The figures of every sub-fund (`compute`'s result) cut to some sub-funds: the same as
    computing those alone."""
    total, parts = computed
    mine = [p for p in parts if p.code in codes]
    if len(mine) == len(parts):
        return total, mine
    held = [f for p in mine for _h, f in p.holdings]
    return metrics.fund(held, metrics.merge(p.money for p in mine), as_of), mine


def as_json(db: Session, as_of: date, code: str | None = None, computed=None) -> dict:
    """The object of DOMAIN.md section 6: as_of, fund, sub_funds, holdings (from `computed`,
    the result of `compute`, when the caller has it)."""
    total, parts = computed if computed is not None else compute(db, as_of, code)
    holding_rows = []
    for part in parts:
        for holding, figures in part.holdings:
            row = {
                "company_uscc": holding.uscc,
                "company_name": holding.company,
                "sub_fund": part.code,
            }
            row.update({key: money_text(getattr(figures, key)) for key in HOLDING_MONEY})
            row.update({"moic": number(figures.moic), "gross_irr": number(figures.gross_irr)})
            holding_rows.append(row)
    return {
        "as_of": as_of.isoformat(),
        "fund": _fund_json(total),
        "sub_funds": [{"code": p.code, **_fund_json(p.figures)} for p in parts],
        "holdings": holding_rows,
    }


def traces(part: SubFundFigures, calls, distributions, expenses, lp_names, as_of: date) -> dict:
    """The dated flows behind each money figure of a sub-fund: (what, date, yuan) rows that add
    up to the figure. `lp_names`: id → name, or None where the reader may not see LPs."""

    def lp(flow, fallback):
        return lp_names.get(flow.lp_id, "") if lp_names is not None else fallback

    rows = {key: [] for key in ("invested", "proceeds", "dividends", "fair_value")}
    kinds = {"investment": "invested", "proceeds": "proceeds", "dividend": "dividends"}
    for holding, figures in part.holdings:
        for txn in holding.txns:
            if txn.on <= as_of and txn.kind in kinds:
                rows[kinds[txn.kind]].append((holding.company, txn.on, txn.amount))
        rows["fair_value"].append((holding.company, as_of, figures.fair_value))
    return {
        "paid_in": [(lp(c, "—"), c.flow_on, c.amount_yuan) for c in calls],
        "distributions": [(lp(d, "—"), d.flow_on, d.amount_yuan) for d in distributions],
        "expenses": [(e.kind, e.spent_on, e.amount_yuan) for e in expenses],
        **rows,
    }
