"""Performance metrics (DOMAIN.md section 6), pure: no Flask, no database.

Money is `Decimal` (yuan) throughout; rates are the one place floats are allowed. A holding is
one company in one sub-fund; its transactions are investments (cost), proceeds (an exit,
partial or full, or after one: escrow, earn-out, recovery), dividends and write-offs; its
counted valuation marks give its fair value. Every figure is "as of" a date D: only what is
dated on or before D counts.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from pyxirr import InvalidPaymentsError
from pyxirr import xirr as _pyxirr

INVESTMENT, PROCEEDS, DIVIDEND, WRITE_OFF = "investment", "proceeds", "dividend", "write_off"
PARTIAL, FULL = "partial", "full"
FEN = Decimal("0.01")
ZERO = Decimal("0")


@dataclass(frozen=True)
class Txn:
    """A portfolio transaction. `seq` orders those of one day as they were entered;
    `equity_pct` is the holding's total ownership after it, when known."""

    on: date
    kind: str
    amount: Decimal = ZERO
    exit: str | None = None
    equity_pct: Decimal | None = None
    seq: int = 0


@dataclass(frozen=True)
class Mark:
    """A counted valuation mark (pending and rejected marks never reach this module)."""

    on: date
    fair_value: Decimal
    seq: int = 0


@dataclass(frozen=True)
class FairValue:
    value: Decimal
    # a partial exit after the last mark, with the ownership before or after it unknown: the
    # prior value stands and the holding needs a new mark
    mark_needed: bool = False


def _order(items):
    return sorted(items, key=lambda x: (x.on, x.seq))


def _ended(txn: Txn) -> bool:
    return txn.kind == WRITE_OFF or (txn.kind == PROCEEDS and txn.exit == FULL)


def fair_value(txns: Iterable[Txn], marks: Iterable[Mark], as_of: date) -> FairValue:
    """The holding's fair value at `as_of` (DOMAIN.md section 6)."""
    history = _order(t for t in txns if t.on <= as_of)
    if any(_ended(t) for t in history):
        return FairValue(ZERO)
    counted = _order(m for m in marks if m.on <= as_of)
    last = counted[-1] if counted else None
    value = last.fair_value if last else ZERO
    flagged = False
    owned = None  # the holding's ownership after the latest transaction that gave it
    for txn in history:
        after_mark = last is None or txn.on > last.on
        if after_mark and txn.kind == INVESTMENT:
            value += txn.amount
        elif after_mark and txn.kind == PROCEEDS and txn.exit == PARTIAL:
            if owned and txn.equity_pct is not None:
                value = (value * txn.equity_pct / owned).quantize(FEN, ROUND_HALF_UP)
            else:
                flagged = True
        if txn.equity_pct is not None:
            owned = txn.equity_pct
        elif txn.kind in (INVESTMENT, PROCEEDS):  # ownership changed, by how much unknown
            owned = None
    return FairValue(value, flagged)


def xirr(flows: Iterable[tuple[date, Decimal]]) -> float | None:
    """Excel's XIRR (Actual/365, guess 0.1) of dated flows, fund's side; never raises.

    Outflows only (nothing came back, nothing is left): -100%. No root, or no flow: None."""
    flows = [(d, a) for d, a in flows if a != 0]
    if not flows:
        return None
    if all(a < 0 for _d, a in flows):
        return -1.0
    if len({d for d, _a in flows}) == 1:
        return None  # no time passes: no rate
    if all(a > 0 for _d, a in flows):
        return None
    try:
        rate = _pyxirr([d for d, _a in flows], [float(a) for _d, a in flows], silent=True)
    except (InvalidPaymentsError, ValueError, OverflowError):
        return None
    if rate is None or rate != rate or rate in (float("inf"), float("-inf")):
        return None  # no root (NaN) or none a reader can use
    return float(rate)


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """numerator ÷ denominator, undefined (None) for a zero denominator."""
    return None if not denominator else numerator / denominator


@dataclass(frozen=True)
class HoldingFigures:
    invested: Decimal
    proceeds: Decimal
    dividends: Decimal
    fair_value: Decimal
    moic: Decimal | None
    gross_irr: float | None
    mark_needed: bool = False
    first_flow: date | None = None
    flows: tuple[tuple[date, Decimal], ...] = field(default=(), repr=False)


def _sum(txns: Iterable[Txn], kind: str) -> Decimal:
    return sum((t.amount for t in txns if t.kind == kind), ZERO)


def cash_flows(txns: Iterable[Txn], as_of: date) -> list[tuple[date, Decimal]]:
    """The fund's side of a holding: investments out (−), proceeds and dividends in (+)."""
    sign = {INVESTMENT: -1, PROCEEDS: 1, DIVIDEND: 1}
    return [
        (t.on, sign[t.kind] * t.amount) for t in _order(txns) if t.on <= as_of and t.kind in sign
    ]


def holding(txns: Sequence[Txn], marks: Sequence[Mark], as_of: date) -> HoldingFigures:
    dated = [t for t in txns if t.on <= as_of]
    invested, proceeds = _sum(dated, INVESTMENT), _sum(dated, PROCEEDS)
    dividends = _sum(dated, DIVIDEND)
    value = fair_value(txns, marks, as_of)
    flows = cash_flows(txns, as_of)
    return HoldingFigures(
        invested=invested,
        proceeds=proceeds,
        dividends=dividends,
        fair_value=value.value,
        moic=ratio(proceeds + dividends + value.value, invested),
        gross_irr=xirr([*flows, (as_of, value.value)]),
        mark_needed=value.mark_needed,
        first_flow=flows[0][0] if flows else None,
        flows=tuple(flows),
    )


@dataclass(frozen=True)
class FundFlows:
    """A sub-fund's (or the fund's) own money, each a list of (date, yuan ≥ 0)."""

    committed: Decimal = ZERO
    calls: tuple[tuple[date, Decimal], ...] = ()
    distributions: tuple[tuple[date, Decimal], ...] = ()
    expenses: tuple[tuple[date, Decimal], ...] = ()  # management fees and fund expenses


@dataclass(frozen=True)
class FundFigures:
    committed: Decimal
    paid_in: Decimal
    distributions: Decimal
    expenses: Decimal
    invested: Decimal
    proceeds: Decimal
    dividends: Decimal
    fair_value: Decimal
    cash: Decimal
    nav: Decimal
    moic: Decimal | None
    dpi: Decimal | None
    rvpi: Decimal | None
    tvpi: Decimal | None
    gross_irr: float | None
    net_irr: float | None


def _until(flows, as_of: date) -> list[tuple[date, Decimal]]:
    return [(d, a) for d, a in flows if d <= as_of]


def by_date(flows: Iterable[tuple[date, Decimal]]) -> list[tuple[date, Decimal]]:
    """The flows of each day added up: the same XIRR (every flow of a day is discounted
    alike), from one flow per day instead of one per transaction (100,000 → ~1,000)."""
    days: dict[date, Decimal] = {}
    for day, amount in flows:
        days[day] = days.get(day, ZERO) + amount
    return sorted(days.items())


def fund(holdings: Sequence[HoldingFigures], money: FundFlows, as_of: date) -> FundFigures:
    """A sub-fund's figures from its holdings' figures and its own money (the fund's: every
    sub-fund's holdings and money together)."""
    calls, paid = _until(money.calls, as_of), None
    distributions = _until(money.distributions, as_of)
    paid = sum((a for _d, a in calls), ZERO)
    distributed = sum((a for _d, a in distributions), ZERO)
    expenses = sum((a for _d, a in _until(money.expenses, as_of)), ZERO)
    invested = sum((h.invested for h in holdings), ZERO)
    proceeds = sum((h.proceeds for h in holdings), ZERO)
    dividends = sum((h.dividends for h in holdings), ZERO)
    value = sum((h.fair_value for h in holdings), ZERO)
    cash = paid + proceeds + dividends - invested - distributed - expenses
    nav = value + cash
    dpi, rvpi = ratio(distributed, paid), ratio(nav, paid)
    pooled = by_date(flow for h in holdings for flow in h.flows)
    lp_side = by_date([*((d, -a) for d, a in calls), *distributions])
    return FundFigures(
        committed=money.committed,
        paid_in=paid,
        distributions=distributed,
        expenses=expenses,
        invested=invested,
        proceeds=proceeds,
        dividends=dividends,
        fair_value=value,
        cash=cash,
        nav=nav,
        moic=ratio(proceeds + dividends + value, invested),
        dpi=dpi,
        rvpi=rvpi,
        tvpi=None if dpi is None or rvpi is None else dpi + rvpi,
        gross_irr=xirr([*pooled, (as_of, value)]),
        net_irr=xirr([*lp_side, (as_of, nav)]),
    )


def merge(parts: Iterable[FundFlows]) -> FundFlows:
    """The fund's own money: every sub-fund's together."""
    parts = list(parts)
    return FundFlows(
        committed=sum((p.committed for p in parts), ZERO),
        calls=tuple(f for p in parts for f in p.calls),
        distributions=tuple(f for p in parts for f in p.distributions),
        expenses=tuple(f for p in parts for f in p.expenses),
    )


def money_text(amount: Decimal) -> str:
    """Yuan as the JSON writes it: a decimal string with 2 places."""
    return str(amount.quantize(FEN, ROUND_HALF_UP))


def number(value) -> float | None:
    """A ratio or a rate as the JSON writes it: rounded to 6 places, or null."""
    return None if value is None else round(float(value), 6)
