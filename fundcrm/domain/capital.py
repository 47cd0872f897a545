"""Each LP's capital account in a sub-fund (DOMAIN.md section 6, the ILPA roll-forward), pure:
no Flask, no database.

On a date D, for LP i of a sub-fund with NAV on D and fees and expenses E dated on or before D:

    balanceᵢ = callsᵢ − distributionsᵢ + paid-in shareᵢ × (NAV + Σ distributions − Σ calls + E)
               − commitment shareᵢ × E

where the paid-in share is of the sub-fund's calls dated on or before D and the commitment share
of the commitments in force on D of the LPs that bear fees (an LP of type `gp` bears none unless
set). The shares are exact fractions; each balance is rounded to the fen and the fen left over
go one each to the LPs with the largest remainders (ties: in the order given), so Σ balances
= NAV exactly. Each LP's share of the fees and expenses (commitment share × E, to date and in
the period) is rounded the same way, so the shares add up to E.

Where no call is dated on or before D the paid-in shares are those of the commitments in force
(every LP's, fee-bearing or not): with nothing invested yet, each balance is then −commitment
share × E. Where no fee-bearing LP has a commitment in force, the fees fall on the paid-in
shares. Where no LP has a call or a commitment in force there is nothing to share: every
balance is callsᵢ − distributionsᵢ (zero in practice) and `unallocated` says what of the NAV
no account holds.

An LP that commits after the first close joins without equalisation (DOMAIN.md is silent;
no interest is charged on its catch-up call and no earlier gain is re-allocated): from its
first call it shares gains and losses by its paid-in share, and from its commitment's start
its commitment share of every fee and expense to date.

Net IRR of an LP = XIRR of its calls (−) and distributions (+) dated on or before D and its
balance on D (+); the total of an LP in several sub-funds adds its accounts and takes the XIRR
of its flows in all of them with its total balance.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from math import floor

from fundcrm.domain.metrics import xirr

ZERO = Decimal(0)
FEN_PER_YUAN = 100
SHARE_PLACES = Decimal("0.0000000001")  # a share as shown: ten decimals (the sums are exact)

Flow = tuple[date, Decimal]


def bears_fees(flag: bool | None, lp_type: str) -> bool:
    """Whether the LP bears a share of the fees and expenses: as set, else every type but `gp`."""
    return flag if flag is not None else lp_type != "gp"


@dataclass(frozen=True)
class Investor:
    """An LP in one sub-fund: its commitment in force on D, whether it bears fees, its flows."""

    lp_id: int
    committed: Decimal
    bears_fees: bool
    calls: tuple[Flow, ...] = ()
    distributions: tuple[Flow, ...] = ()


@dataclass(frozen=True)
class Ledger:
    """A sub-fund's NAV on D, its fees and expenses, and its LPs."""

    nav: Decimal
    expenses: tuple[Flow, ...]
    investors: tuple[Investor, ...]


@dataclass(frozen=True)
class Period:
    """The statement's period [start, end]; `end` is the as-of date D."""

    start: date
    end: date

    def __post_init__(self):
        if self.start > self.end:
            raise ValueError("a period starts on or before its end")

    def holds(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Account:
    """An LP's capital account on D (in one sub-fund, or its total: then no shares)."""

    lp_id: int
    committed: Decimal
    calls: Decimal
    distributions: Decimal
    calls_in_period: Decimal
    distributions_in_period: Decimal
    fees: Decimal
    fees_in_period: Decimal
    balance: Decimal
    net_irr: float | None
    first_flow: date | None
    paid_in_share: Decimal | None = None
    commitment_share: Decimal | None = None

    @property
    def unfunded(self) -> Decimal:
        return self.committed - self.calls


@dataclass(frozen=True)
class SubFundAccounts:
    nav: Decimal
    calls: Decimal
    distributions: Decimal
    expenses: Decimal
    expenses_in_period: Decimal
    accounts: tuple[Account, ...]
    # how gains were shared: by "paid_in", by "committed" (nothing called yet), or "none"
    basis: str
    unallocated: Decimal = ZERO  # the NAV no account holds (only where basis is "none")


def _total(flows: Iterable[Flow], keep=lambda _day: True) -> Decimal:
    return sum((amount for day, amount in flows if keep(day)), ZERO)


def allocate(exact: Sequence[Fraction], total: Decimal) -> list[Decimal]:
    """Amounts rounded to the fen that add up to `total` (itself in fen) exactly: each exact
    amount rounded down, then the fen left one each to the largest remainders, the first given
    first among equal ones (largest remainder)."""
    fen = [floor(x * FEN_PER_YUAN) for x in exact]
    left = int(Fraction(total) * FEN_PER_YUAN) - sum(fen)
    if sum(exact, Fraction(0)) != Fraction(total) or not 0 <= left <= len(exact):
        raise ValueError("the exact amounts do not add up to the total")
    by_remainder = sorted(range(len(exact)), key=lambda k: (fen[k] - exact[k] * FEN_PER_YUAN, k))
    for k in by_remainder[:left]:
        fen[k] += 1
    return [Decimal(f).scaleb(-2) for f in fen]


def _shares(weights: Sequence[Decimal]) -> list[Fraction] | None:
    """Each weight's exact share of their sum; None where they add up to nothing."""
    whole = sum(weights, ZERO)
    return None if whole == 0 else [Fraction(w) / Fraction(whole) for w in weights]


def _shown(share: Fraction) -> Decimal:
    return (Decimal(share.numerator) / Decimal(share.denominator)).quantize(SHARE_PLACES)


def _flows(investor: Investor, day: date) -> list[Flow]:
    """The LP's side: calls out (−), distributions in (+), dated on or before `day`."""
    return [(d, -a) for d, a in investor.calls if d <= day] + [
        (d, a) for d, a in investor.distributions if d <= day
    ]


def _account(investor, period, shares, fees, fees_in_period, balance) -> Account:
    day, held = period.end, period.holds
    flows = _flows(investor, day)
    paid_in_share, commitment_share = shares
    return Account(
        lp_id=investor.lp_id,
        committed=investor.committed,
        calls=_total(investor.calls, lambda d: d <= day),
        distributions=_total(investor.distributions, lambda d: d <= day),
        calls_in_period=_total(investor.calls, held),
        distributions_in_period=_total(investor.distributions, held),
        fees=fees,
        fees_in_period=fees_in_period,
        balance=balance,
        net_irr=xirr([*flows, (day, balance)]),
        first_flow=min((d for d, _a in flows), default=None),
        paid_in_share=None if paid_in_share is None else _shown(paid_in_share),
        commitment_share=None if commitment_share is None else _shown(commitment_share),
    )


def accounts(ledger: Ledger, period: Period) -> SubFundAccounts:
    """Every LP's capital account in the sub-fund on the period's end (the module's rule)."""
    day, people = period.end, ledger.investors
    calls = [_total(i.calls, lambda d: d <= day) for i in people]
    paid_out = [_total(i.distributions, lambda d: d <= day) for i in people]
    spent = _total(ledger.expenses, lambda d: d <= day)
    spent_in_period = _total(ledger.expenses, period.holds)
    basis = "paid_in" if sum(calls, ZERO) else "committed"
    paid_in = _shares(calls) or _shares([i.committed for i in people])
    fee_bearing = _shares([i.committed if i.bears_fees else ZERO for i in people]) or paid_in
    summed = (ledger.nav, sum(calls, ZERO), sum(paid_out, ZERO), spent, spent_in_period)
    if paid_in is None:  # no call and no commitment in force: nothing to share
        balances = [c - d for c, d in zip(calls, paid_out, strict=True)]
        rows = [_account(i, period, (None, None), ZERO, ZERO, b)
                for i, b in zip(people, balances, strict=True)]  # fmt: skip
        return SubFundAccounts(*summed, tuple(rows), "none", ledger.nav - sum(balances, ZERO))
    gain = Fraction(ledger.nav + sum(paid_out, ZERO) - sum(calls, ZERO) + spent)
    exact = [Fraction(c - d) + p * gain - f * Fraction(spent)
             for c, d, p, f in zip(calls, paid_out, paid_in, fee_bearing, strict=True)]  # fmt: skip
    balances = allocate(exact, ledger.nav)
    fees = allocate([f * Fraction(spent) for f in fee_bearing], spent)
    fees_in_period = allocate([f * Fraction(spent_in_period) for f in fee_bearing],
                              spent_in_period)  # fmt: skip
    rows = [
        _account(i, period, (p, f), fee, fee_p, b)
        for i, p, f, fee, fee_p, b in zip(people, paid_in, fee_bearing, fees, fees_in_period,
                                          balances, strict=True)
    ]  # fmt: skip
    return SubFundAccounts(*summed, tuple(rows), basis)


def total(parts: Sequence[tuple[Investor, Account]], day: date) -> Account:
    """An LP's accounts in several sub-funds added up; its net IRR from all its flows dated on
    or before `day` and its total balance."""
    lp_id = parts[0][1].lp_id if parts else 0

    def added(name: str) -> Decimal:
        return sum((getattr(a, name) for _i, a in parts), ZERO)

    flows = [flow for investor, _a in parts for flow in _flows(investor, day)]
    balance = added("balance")
    return Account(
        lp_id=lp_id,
        committed=added("committed"),
        calls=added("calls"),
        distributions=added("distributions"),
        calls_in_period=added("calls_in_period"),
        distributions_in_period=added("distributions_in_period"),
        fees=added("fees"),
        fees_in_period=added("fees_in_period"),
        balance=balance,
        net_irr=xirr([*flows, (day, balance)]),
        first_flow=min((d for d, _a in flows), default=None),
    )
