"""The LPs' capital accounts as of a date, and the performance of their sub-funds (DOMAIN.md
section 6): every LP's account in every sub-fund, computed by fundcrm.domain.capital from plain
rows and each sub-fund's NAV (fundcrm.portfolio.figures.compute), kept in the metrics cache
(fundcrm.portfolio.cache) per as-of date and period start. A repeat view of any LP's statement
reads one statement; a first view a fixed number, whatever the number of LPs and holdings."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session, select

from fundcrm.domain import capital
from fundcrm.domain.capital import Account, Investor, Ledger, Period
from fundcrm.domain.commitments import total
from fundcrm.funds import queries
from fundcrm.funds.positions import Positions, SubFundPosition
from fundcrm.models import Commitment, LimitedPartner, LpFlow, SubFund
from fundcrm.portfolio import cache, figures

# the cache's scope names the payload's layout: a release that changes it never reads a result
# an older release stored
SCOPE = "capital-v1"
ZERO = Decimal(0)
ACCOUNT_MONEY = ("committed", "calls", "distributions", "calls_in_period",
                 "distributions_in_period", "fees", "fees_in_period", "balance")  # fmt: skip
PERFORMANCE_MONEY = ("committed", "paid_in", "distributions", "expenses", "nav")
PERFORMANCE_RATIOS = ("dpi", "rvpi", "tvpi")


@dataclass(frozen=True)
class Performance:
    """A sub-fund's performance summary; `first_call` and `first_investment` date the first
    flow behind the net and the gross IRR ("n.m." within a year of it)."""

    committed: Decimal
    paid_in: Decimal
    distributions: Decimal
    expenses: Decimal
    nav: Decimal
    dpi: Decimal | None
    rvpi: Decimal | None
    tvpi: Decimal | None
    net_irr: float | None
    gross_irr: float | None
    first_call: date | None
    first_investment: date | None


@dataclass(frozen=True)
class SubFundAccount:
    """What an LP's statement shows of one sub-fund: the sub-fund, its NAV and fees and
    expenses (to date and in the period), how gains were shared, and the LP's account."""

    sub_fund_id: int
    code: str
    name: str
    nav: Decimal
    expenses: Decimal
    expenses_in_period: Decimal
    basis: str
    performance: Performance
    account: Account


@dataclass(frozen=True)
class Statement:
    lp_id: int
    as_of: date
    start: date
    parts: list[SubFundAccount]
    total: Account


def year_start(day: date) -> date:
    """The default start of a statement's period: 1 January of the as-of date's year."""
    return date(day.year, 1, 1)


def statement(db: Session, lp_id: int, as_of: date, start: date) -> Statement:
    """The LP's capital account in each sub-fund it has a commitment to (or flows with), and
    its total, as of a date for the period [start, as_of]."""
    payload = every_account(db, as_of, start)
    key = str(lp_id)
    parts = [_part(fund, fund["accounts"][key]) for fund in payload["sub_funds"]
             if key in fund["accounts"]]  # fmt: skip
    total = payload["totals"].get(key)
    return Statement(lp_id, as_of, start, parts,
                     _account(total) if total else _nothing(lp_id))  # fmt: skip


def accounts_in(fund: dict) -> list[Account]:
    """Every LP's account in one sub-fund of the payload (`every_account`), by LP id."""
    return [_account(fund["accounts"][key]) for key in sorted(fund["accounts"], key=int)]


def every_account(db: Session, as_of: date, start: date, computed=None) -> dict:
    """Every LP's accounts and the sub-funds' figures (the cached payload); `computed`: every
    sub-fund's figures on the date (figures.compute), when the caller has them."""
    scope = f"{SCOPE}:{start.isoformat()}"
    return cache.cached(db, as_of, scope, lambda: _compute(db, Period(start, as_of), computed))


def sub_funds_of(db: Session, lp_id: int) -> list[SubFund]:
    """The sub-funds the LP has a commitment to (what its representative sees), in order."""
    query = (
        select(SubFund)
        .join(Commitment, Commitment.sub_fund_id == SubFund.id)
        .where(Commitment.lp_id == lp_id)
        .order_by(SubFund.id)
    )
    return list(db.exec(query).all())


def seen_by(held: Positions, lp_id: int, sub_funds: list[SubFund]) -> Positions:
    """What an LP's representative sees of the committed, paid-in and unfunded figures: its
    LP's sub-funds (each with its total) and its own LP's rows; the total of those sub-funds."""
    ids = {f.id for f in sub_funds}
    parts = [
        SubFundPosition(p.sub_fund, p.position, [r for r in p.lps if r.lp_id == lp_id])
        for p in held.sub_funds
        if p.sub_fund.id in ids
    ]
    return Positions(held.as_of, parts, total(p.position for p in parts))


# -- computing the payload (a first view of a date and a period) --------------------------------


def _lp_rows(db: Session) -> dict[int, bool]:
    """Each LP's id → whether it bears fees (domain.capital.bears_fees)."""
    query = select(LimitedPartner.id, LimitedPartner.bears_fees, LimitedPartner.lp_type)
    return {i: capital.bears_fees(flag, kind) for i, flag, kind in db.exec(query).all()}


def _flows(db: Session, until: date) -> dict[tuple[int, int], dict[str, list]]:
    """Each (lp_id, sub_fund_id)'s calls and distributions dated on or before `until`, by kind
    ("call", "distribution"), oldest first."""
    query = select(
        LpFlow.lp_id, LpFlow.sub_fund_id, LpFlow.flow_on, LpFlow.kind, LpFlow.amount_yuan
    ).where(LpFlow.flow_on <= until)
    found: dict[tuple[int, int], dict[str, list]] = {}
    for lp_id, fund_id, on, kind, amount in db.exec(query.order_by(LpFlow.flow_on)).all():
        found.setdefault((lp_id, fund_id), {}).setdefault(kind, []).append((on, Decimal(amount)))
    return found


def _compute(db: Session, period: Period, computed=None) -> dict:
    as_of = period.end
    _fund, parts = computed if computed is not None else figures.compute(db, as_of)
    funds = {f.code: f for f in queries.sub_funds(db)}
    schedules = queries.commitment_schedules(db)
    fee_bearing, flows = _lp_rows(db), _flows(db, as_of)
    investors: dict[int, list[tuple[Investor, Account]]] = defaultdict(list)  # by LP, every fund
    sub_funds = []
    for part in parts:
        fund = funds[part.code]
        lp_ids = sorted({lp for lp, f in (*schedules, *flows) if f == fund.id})
        people = tuple(_investor(lp, fund.id, schedules, flows, fee_bearing, as_of)
                       for lp in lp_ids)  # fmt: skip
        ledger = Ledger(part.figures.nav, part.money.expenses, people)
        result = capital.accounts(ledger, period)
        for person, account in zip(people, result.accounts, strict=True):
            investors[person.lp_id].append((person, account))
        sub_funds.append(_fund_json(fund, part, result))
    totals = {str(lp): _account_json(capital.total(mine, as_of)) for lp, mine in investors.items()}
    return {"sub_funds": sub_funds, "totals": totals}


def _investor(lp_id, fund_id, schedules, flows, fee_bearing, as_of) -> Investor:
    found = schedules.get((lp_id, fund_id))
    own = flows.get((lp_id, fund_id), {})
    return Investor(
        lp_id=lp_id,
        committed=found.on(as_of) if found else ZERO,
        bears_fees=fee_bearing.get(lp_id, True),
        calls=tuple(own.get("call", ())),
        distributions=tuple(own.get("distribution", ())),
    )


# -- the payload: JSON as the metrics cache keeps it -------------------------------------------


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _account_json(account: Account) -> dict:
    out = {name: str(getattr(account, name)) for name in ACCOUNT_MONEY}
    return out | {
        "lp_id": account.lp_id,
        "net_irr": account.net_irr,
        "first_flow": account.first_flow.isoformat() if account.first_flow else None,
        "paid_in_share": _text(account.paid_in_share),
        "commitment_share": _text(account.commitment_share),
    }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _account(stored: dict) -> Account:
    return Account(
        lp_id=stored["lp_id"],
        **{name: Decimal(stored[name]) for name in ACCOUNT_MONEY},
        net_irr=stored["net_irr"],
        first_flow=_day(stored["first_flow"]),
        paid_in_share=_decimal(stored["paid_in_share"]),
        commitment_share=_decimal(stored["commitment_share"]),
    )


def _nothing(lp_id: int) -> Account:
    """The account of an LP with no commitment and no flow."""
    return Account(lp_id, *(ZERO,) * len(ACCOUNT_MONEY), net_irr=None, first_flow=None)


def _fund_json(fund, part: figures.SubFundFigures, result: capital.SubFundAccounts) -> dict:
    f = part.figures
    calls = [d for d, _a in part.money.calls]
    invested = [h.first_flow for _h, h in part.holdings if h.first_flow]
    performance = {name: str(getattr(f, name)) for name in PERFORMANCE_MONEY}
    performance |= {name: _text(getattr(f, name)) for name in PERFORMANCE_RATIOS}
    performance |= {
        "net_irr": f.net_irr,
        "gross_irr": f.gross_irr,
        "first_call": min(calls).isoformat() if calls else None,
        "first_investment": min(invested).isoformat() if invested else None,
    }
    return {
        "id": fund.id,
        "code": fund.code,
        "name": fund.name,
        "nav": str(result.nav),
        "expenses": str(result.expenses),
        "expenses_in_period": str(result.expenses_in_period),
        "basis": result.basis,
        "performance": performance,
        "accounts": {str(a.lp_id): _account_json(a) for a in result.accounts},
    }


def _performance(stored: dict) -> Performance:
    return Performance(
        **{name: Decimal(stored[name]) for name in PERFORMANCE_MONEY},
        **{name: _decimal(stored[name]) for name in PERFORMANCE_RATIOS},
        net_irr=stored["net_irr"],
        gross_irr=stored["gross_irr"],
        first_call=_day(stored["first_call"]),
        first_investment=_day(stored["first_investment"]),
    )


def _part(fund: dict, stored: dict) -> SubFundAccount:
    return SubFundAccount(
        sub_fund_id=fund["id"],
        code=fund["code"],
        name=fund["name"],
        nav=Decimal(fund["nav"]),
        expenses=Decimal(fund["expenses"]),
        expenses_in_period=Decimal(fund["expenses_in_period"]),
        basis=fund["basis"],
        performance=_performance(fund["performance"]),
        account=_account(stored),
    )
