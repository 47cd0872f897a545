"""A synthetic portfolio on top of generated deals, written with SQLAlchemy Core bulk inserts.

    python -m bench.portfolio --holdings 5000 --transactions 100000 --database URL
                              [--deals 10000] [--seed 7] [--reset] [--check]

The schema is migrated to head first. A database without deals gets `--deals` deals from
bench.generate first (its own transaction and marker); one that already holds holdings or LPs
is refused unless --reset, which drops everything in it first. The portfolio is written in one
transaction, together with a `bench_portfolio` marker row, so an interrupted run leaves no
half-built portfolio behind. Like bench.generate it bypasses the ORM (and with it the audit
hook and the metrics' data version, which it raises itself, emptying the metrics cache).

What is written follows DOMAIN.md section 6: each holding is one company in one sub-fund
(distinct pairs: first those of the generated deals at 交割, then other companies, then new
ones when the deals brought too few), opened by an investment, its transactions on distinct
days in order between START and END; a write-off or a full exit ends it (dated after every
other transaction) and only dividends and proceeds without exit follow; marks are counted
(imported from the command line) and dated before the end; LPs' calls never exceed their
commitment and come on or after its date.
"""

import argparse
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from bench import generate
from bench.generate import AlreadyPopulated, Counts, table
from fundcrm import migrate
from fundcrm.db import bulk_cache, make_engine
from fundcrm.demo.funds import COMMITMENTS, LPS
from fundcrm.domain.vocab import ROUNDS

START, END = date(2024, 1, 1), date(2026, 10, 31)
COMMITTED_ON = date(2023, 12, 29)  # every commitment is in force before the first investment
DEFAULT_DEALS = 10_000  # deals generated first in a database without any
FEN = Decimal("0.01")
PCT = Decimal("0.0001")
# How a holding ends: written off, fully exited, or still held.
WRITE_OFF_SHARE, FULL_EXIT_SHARE = 0.06, 0.08
# The kinds of the transactions between the first investment and the end.
MIDDLE_KINDS = {"investment": 40, "dividend": 30, "partial": 30}
PARTIAL_WITHOUT_PCT = 0.03  # partial exits with the ownership after unknown ("mark needed")
MARKS_PER_HOLDING = (0, 1, 1, 2, 2, 3, 4)
PENDING_SHARE = 0.04  # holdings with one more mark waiting for risk's review
SUB_FUNDS_BY_STAGE = {
    "startup": ("ANGEL",),
    "growth": ("ANGEL", "INDUSTRY"),
    "mature": ("INDUSTRY",),
}
METHODS = {"recent_round": 50, "comparables": 25, "cost": 15, "dcf": 10}
COMMITMENT_OVER_COST = Decimal("1.5")  # each sub-fund's commitments: 1.5 × what it invests
FEE_PER_QUARTER = Decimal("0.005")  # 2% of commitments a year, paid each quarter
EXPENSE_PER_YEAR = Decimal("0.0005")  # audit and custody, each December
DISTRIBUTED = Decimal("0.8")  # of a quarter's proceeds and dividends, paid out the next one
EXTRA_LPS = 194  # institutions and industry leaders besides the demo's six LPs: 200 in all
LP_BRANDS = ["渝新", "嘉陵", "长江", "缙云", "两江", "巴南", "科创", "西部", "明月", "歌乐"]

marker_metadata = sa.MetaData()
marker_table = sa.Table(
    "bench_portfolio",
    marker_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("holdings", sa.Integer, nullable=False),
    sa.Column("transactions", sa.Integer, nullable=False),
    sa.Column("seed", sa.Integer, nullable=False),
    sa.Column("generated_at", sa.String(40), nullable=False),
)


def read_marker(engine: sa.Engine) -> tuple[int, int, int] | None:
    """(holdings, transactions, seed) of the last completed portfolio here, or None."""
    if not sa.inspect(engine).has_table("bench_portfolio"):
        return None
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(marker_table.c.holdings, marker_table.c.transactions, marker_table.c.seed)
            .order_by(marker_table.c.id.desc())
            .limit(1)
        ).first()
    return tuple(row) if row else None


def _count(connection, name: str) -> int:
    return connection.execute(sa.select(sa.func.count()).select_from(table(name))).scalar()


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(FEN, ROUND_HALF_UP)


def _at(day: date, hour: int = 2) -> datetime:
    return datetime.combine(day, clock_time(hour), tzinfo=UTC)


def _quarter(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarters() -> list[date]:
    """The first day of every quarter from START to END."""
    found, day = [], START
    while day <= END:
        found.append(day)
        day = date(day.year + day.month // 10, (day.month + 2) % 12 + 1, 1)
    return found


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def split_counts(rng: random.Random, holdings: int, transactions: int) -> list[int]:
    """Transactions per holding: about the average (half to one and a half times it), summing
    to `transactions` exactly."""
    average = transactions / holdings
    low, high = max(1, int(average * 0.5)), max(1, round(average * 1.5 + 0.5))
    counts = [rng.randint(low, high) for _ in range(holdings)]
    missing = transactions - sum(counts)
    while missing:
        step = 1 if missing > 0 else -1
        i = rng.randrange(holdings)
        if low <= counts[i] + step <= high:
            counts[i] += step
            missing -= step
    return counts


class History:
    """One holding's transactions and marks, built in date order."""

    def __init__(self, rng: random.Random, count: int, manager_ids: list[int]):
        self.rng, self.count, self.manager_ids = rng, count, manager_ids
        span = max(3 * count, 120)
        self.opened = START + timedelta(days=rng.randrange((END - START).days - span + 1))
        offsets = sorted(rng.sample(range(1, (END - self.opened).days + 1), count - 1))
        self.dates = [self.opened] + [self.opened + timedelta(days=d) for d in offsets]
        self.txns: list[dict] = []
        self.marks: list[dict] = []
        self.owned = Decimal(0)  # true ownership, %, even where a row leaves it out
        self.peak = Decimal(0)
        self.cost = self.first = Decimal(0)
        self.ended: date | None = None

    def _txn(self, day: date, kind: str, amount: Decimal, **extra) -> None:
        row = {"made_on": day, "kind": kind, "amount_yuan": amount, "exit": None}
        row.update({"equity_pct": None, "round": None, "post_money_yuan": None, **extra})
        self.txns.append(row)

    def build(self) -> "History":
        rng = self.rng
        fate = rng.random()
        ending = "write_off" if fate < WRITE_OFF_SHARE else None
        if WRITE_OFF_SHARE <= fate < WRITE_OFF_SHARE + FULL_EXIT_SHARE:
            ending = "full"
        after_end = min(rng.choice((0, 0, 1, 2)), self.count - 2) if ending else 0
        end_index = self.count - 1 - after_end if ending and self.count > 1 else None
        self._first()
        for i, day in enumerate(self.dates[1:], start=1):
            if i == end_index:
                self._end(day, ending)
            elif end_index is not None and i > end_index:
                self._after_end(day)
            else:
                self._middle(day)
        self._marks()
        return self

    def _first(self) -> None:
        rng = self.rng
        wan = rng.choice((200, 300, 500, 800, 1000, 1500, 2000, 3000, 5000)) * rng.uniform(
            0.8, 1.25
        )
        amount = _money(wan * 10_000 + rng.random())
        self.owned = self.peak = Decimal(str(rng.uniform(3, 25))).quantize(PCT)
        self.cost = self.first = amount
        post_money = _money(amount * 100 / self.owned)
        self._txn(
            self.opened,
            "investment",
            amount,
            equity_pct=self.owned,
            round=rng.choice(ROUNDS.codes),
            post_money_yuan=post_money,
        )

    def _middle(self, day: date) -> None:
        rng = self.rng
        kind = _weighted(rng, MIDDLE_KINDS)
        after = (self.owned * Decimal(str(rng.uniform(0.5, 0.9)))).quantize(PCT)
        if kind == "partial" and not Decimal(0) < after < self.owned:
            kind = "dividend"
        if kind == "investment":
            amount = _money(self.first * Decimal(str(rng.uniform(0.2, 1.0))))
            self.owned = min(
                self.owned + Decimal(str(rng.uniform(0.5, 5))).quantize(PCT), Decimal(60)
            )
            self.peak = max(self.peak, self.owned)
            self.cost += amount
            self._txn(
                day, "investment", amount, equity_pct=self.owned, round=rng.choice(ROUNDS.codes)
            )
        elif kind == "partial":
            sold = self.cost * (self.owned - after) / self.peak
            amount = max(_money(sold * Decimal(str(rng.uniform(0.6, 3.0)))), FEN)
            known = rng.random() >= PARTIAL_WITHOUT_PCT
            self._txn(day, "proceeds", amount, exit="partial", equity_pct=after if known else None)
            self.owned = after
        else:
            self._txn(
                day,
                "dividend",
                max(_money(self.cost * Decimal(str(rng.uniform(0.005, 0.04)))), FEN),
            )

    def _end(self, day: date, ending: str) -> None:
        rng = self.rng
        self.ended = day
        if ending == "write_off":
            left = _money(self.cost * self.owned / self.peak)
            self._txn(day, "write_off", left if rng.random() < 0.5 else Decimal(0))
        else:
            held = self.cost * self.owned / self.peak
            amount = max(_money(held * Decimal(str(rng.uniform(0.3, 4.0)))), FEN)
            self._txn(day, "proceeds", amount, exit="full", equity_pct=Decimal(0))
        self.owned = Decimal(0)

    def _after_end(self, day: date) -> None:
        """Escrow, earn-out or recovery (proceeds without exit), or a late dividend."""
        share = Decimal(str(self.rng.uniform(0.01, 0.2)))
        kind = "proceeds" if self.rng.random() < 0.6 else "dividend"
        self._txn(day, kind, max(_money(self.cost * share), FEN))

    def _state(self, day: date) -> tuple[Decimal, Decimal]:
        """(cost invested, share of the peak ownership still held) after `day`'s transactions."""
        cost, owned, peak = Decimal(0), Decimal(0), Decimal(0)
        for txn in self.txns:
            if txn["made_on"] > day:
                break
            if txn["kind"] == "investment":
                cost += txn["amount_yuan"]
            if txn["equity_pct"] is not None:
                owned = txn["equity_pct"]
                peak = max(peak, owned)
        return cost, (owned / peak if peak else Decimal(1))

    def _marks(self) -> None:
        rng = self.rng
        last = (self.ended - timedelta(days=1)) if self.ended else END
        days = (last - self.opened).days + 1
        if days < 1:
            return
        wanted = min(rng.choice(MARKS_PER_HOLDING), days)
        for offset in sorted(rng.sample(range(days), wanted)):
            self._mark(self.opened + timedelta(days=offset), "counted")
        if self.ended is None and rng.random() < PENDING_SHARE:
            self._mark(END, "pending")

    def _mark(self, day: date, status: str) -> None:
        rng = self.rng
        cost, held = self._state(day)
        value = _money(cost * held * Decimal(str(rng.uniform(0.5, 2.5))))
        pending = status == "pending"
        self.marks.append(
            {
                "marked_on": day,
                "fair_value_yuan": value,
                "method": _weighted(rng, METHODS),
                "note": "新一轮融资意向" if pending else "年度估值",
                "status": status,
                "author_id": rng.choice(self.manager_ids) if pending else None,
                "reviewer_id": None,
                "reviewed_at": None,
                "reject_reason": None,
                "created_at": _at(day + timedelta(days=1)),
            }
        )


class PortfolioBuilder:
    """The rows of one portfolio, deterministically from the seed and the database's deals."""

    def __init__(self, connection, holdings: int, transactions: int, seed: int):
        self.rng = random.Random(f"portfolio-{seed}")
        self.connection, self.holdings, self.transactions = connection, holdings, transactions
        self.seed = seed
        rows = connection.execute(sa.select(table("sub_funds").c.code, table("sub_funds").c.id))
        self.sub_fund_ids = dict(rows.all())
        missing = {"ANGEL", "INDUSTRY"} - set(self.sub_fund_ids)
        if missing:
            raise RuntimeError(f"sub-funds missing (run bench.generate first): {sorted(missing)}")
        roles = table("user_roles")
        self.manager_ids = list(
            connection.execute(
                sa.select(roles.c.user_id)
                .where(roles.c.role == "manager")
                .order_by(roles.c.user_id)
            ).scalars()
        ) or [None]

    # --- which (sub-fund, company) pairs are held -------------------------------------------

    def pairs(self, counts: Counts) -> list[tuple[int, int]]:
        """`holdings` distinct (sub-fund, company): those of deals at 交割 first, then other
        companies' in a random order (a startup in ANGEL, a mature company in INDUSTRY, a
        growth company in either), then those of new companies."""
        deals, parts, companies = table("deals"), table("deal_sub_funds"), table("companies")
        closed = self.connection.execute(
            sa.select(parts.c.sub_fund_id, deals.c.company_id)
            .join(deals, deals.c.id == parts.c.deal_id)
            .where(deals.c.stage == "closed")
            .order_by(deals.c.id, parts.c.sub_fund_id)
        ).all()
        chosen = dict.fromkeys(list(dict.fromkeys(tuple(row) for row in closed))[: self.holdings])
        known = self.connection.execute(
            sa.select(companies.c.id, companies.c.enterprise_stage).order_by(companies.c.id)
        ).all()
        self.rng.shuffle(known)
        for pair in self._allowed(known):
            if len(chosen) >= self.holdings:
                break
            chosen.setdefault(pair)
        if len(chosen) < self.holdings:
            for pair in self._allowed(self._new_companies(self.holdings - len(chosen), counts)):
                chosen.setdefault(pair)
        return list(chosen)[: self.holdings]

    def _allowed(self, companies) -> list[tuple[int, int]]:
        return [
            (self.sub_fund_ids[code], company_id)
            for company_id, stage in companies
            for code in SUB_FUNDS_BY_STAGE.get(stage, ("ANGEL", "INDUSTRY"))
        ]

    def _new_companies(self, lacking: int, counts: Counts) -> list[tuple[int, str]]:
        """Companies enough for `lacking` more holdings, written now."""
        maker = generate.Builder(0, self.seed, datetime.now(UTC))
        companies = table("companies")
        highest = self.connection.execute(sa.select(sa.func.max(companies.c.id))).scalar()
        maker.next_company = (highest or 0) + 1
        rows, fields = [], []
        while lacking > 0:
            row, its_fields = maker.company(_at(START) - timedelta(days=30))
            rows.append(row)
            fields += its_fields
            lacking -= len(SUB_FUNDS_BY_STAGE.get(row["enterprise_stage"], ("ANGEL", "INDUSTRY")))
        generate._insert(self.connection, "companies", rows, counts)
        generate._insert(self.connection, "company_fields", fields, counts)
        return [(row["id"], row["enterprise_stage"]) for row in rows]

    # --- holdings, transactions, marks ------------------------------------------------------

    def portfolio(self, counts: Counts) -> tuple[list[dict], list[dict], list[dict]]:
        pairs = self.pairs(counts)
        if len(pairs) < self.holdings:
            raise RuntimeError(f"only {len(pairs)} (sub-fund, company) pairs for the holdings")
        per_holding = split_counts(self.rng, self.holdings, self.transactions)
        stories = [History(self.rng, n, self.manager_ids).build() for n in per_holding]
        held = sorted(zip(stories, pairs, strict=True), key=lambda x: (x[0].opened, x[1]))
        holdings, txns, marks = [], [], []
        for holding_id, (story, (sub_fund_id, company_id)) in enumerate(held, start=1):
            created = _at(story.opened)
            holdings.append(
                {
                    "id": holding_id,
                    "sub_fund_id": sub_fund_id,
                    "company_id": company_id,
                    "opened_on": story.opened,
                    "created_at": created,
                }
            )
            for row in story.txns:
                txns.append(
                    {
                        "id": len(txns) + 1,
                        "holding_id": holding_id,
                        "deal_id": None,
                        **row,
                        "override_reason": None,
                        "note": "",
                        "created_by_id": None,
                        "created_at": _at(row["made_on"], 3),
                    }
                )
            for row in story.marks:
                marks.append({"id": len(marks) + 1, "holding_id": holding_id, **row})
        self.sub_fund_of = {h["id"]: h["sub_fund_id"] for h in holdings}
        return holdings, txns, marks

    # --- LPs, commitments, calls, distributions, fees ---------------------------------------

    def lps(self) -> tuple[list[dict], list[tuple[int, str, int, dict]]]:
        """The demo's six LPs and their commitments' weights, and EXTRA_LPS more."""
        rng = self.rng
        lps = [
            {"id": i, "name": name, "lp_type": kind, "is_government": gov}
            for i, (name, kind, gov) in enumerate(LPS, start=1)
        ]
        ids = {lp["name"]: lp["id"] for lp in lps}
        weights = []  # (lp id, sub-fund code, weight, reinvestment terms)
        for name, code, wan, ratio, area, base in COMMITMENTS:
            terms = {
                "reinvest_ratio": Decimal(ratio) if ratio else None,
                "reinvest_area": area,
                "reinvest_base": base,
            }
            weights.append((ids[name], code, wan, terms))
        for i in range(EXTRA_LPS):
            lp_id = len(lps) + 1
            kind = "industry_leader" if i % 3 == 0 else "institution"
            suffix = (
                "产业集团有限公司" if kind == "industry_leader" else "股权投资合伙企业（有限合伙）"
            )
            lps.append(
                {
                    "id": lp_id,
                    "name": f"重庆{LP_BRANDS[i % 10]}{i + 1:02d}{suffix}",
                    "lp_type": kind,
                    "is_government": False,
                }
            )
            for code in rng.sample(["ANGEL", "INDUSTRY"], rng.choice((1, 1, 2))):
                terms = {"reinvest_ratio": None, "reinvest_area": [], "reinvest_base": None}
                weights.append((lp_id, code, rng.randint(2, 20) * 1000, terms))
        return lps, weights

    def money(self, txns: list[dict]) -> dict[str, list[dict]]:
        """Commitments of 1.5 × what each sub-fund invests; each quarter the management fee,
        a call covering the quarter's investments, fee and expenses, and a distribution of 80%
        of the previous quarter's proceeds and dividends, both pro rata to the commitments."""
        lps, weights = self.lps()
        invested = dict.fromkeys(self.sub_fund_ids.values(), Decimal(0))
        going: dict[tuple[int, date], Decimal] = {}  # (sub-fund, quarter): invested
        back: dict[tuple[int, date], Decimal] = {}  # (sub-fund, quarter): proceeds, dividends
        for txn in txns:
            key = (self.sub_fund_of[txn["holding_id"]], _quarter(txn["made_on"]))
            if txn["kind"] == "investment":
                invested[key[0]] += txn["amount_yuan"]
                going[key] = going.get(key, Decimal(0)) + txn["amount_yuan"]
            elif txn["kind"] in ("proceeds", "dividend"):
                back[key] = back.get(key, Decimal(0)) + txn["amount_yuan"]
        commitments, expenses, flows = [], [], []
        for code, sf in self.sub_fund_ids.items():
            mine = [(lp_id, w, terms) for lp_id, c, w, terms in weights if c == code]
            total_weight = sum(w for _lp, w, _t in mine)
            committed = max(invested[sf], Decimal(1_000_000)) * COMMITMENT_OVER_COST
            shares = []
            for lp_id, w, terms in mine:
                amount = _money(committed * w / total_weight)
                commitments.append(
                    {
                        "id": len(commitments) + 1,
                        "lp_id": lp_id,
                        "sub_fund_id": sf,
                        "committed_yuan": amount,
                        "committed_on": COMMITTED_ON,
                        **terms,
                        "created_at": _at(COMMITTED_ON),
                    }
                )
                shares.append((lp_id, amount / committed))

            def pay(day, kind, amount, note, sf=sf, shares=shares):
                for lp_id, share in shares:
                    if (part := _money(amount * share)) > 0:
                        flows.append(
                            {
                                "id": len(flows) + 1,
                                "lp_id": lp_id,
                                "sub_fund_id": sf,
                                "flow_on": day,
                                "kind": kind,
                                "amount_yuan": part,
                                "note": note,
                                "created_at": _at(day),
                            }
                        )

            def spend(day, kind, amount, note, sf=sf):
                expenses.append(
                    {
                        "id": len(expenses) + 1,
                        "sub_fund_id": sf,
                        "spent_on": day,
                        "kind": kind,
                        "amount_yuan": amount,
                        "note": note,
                        "created_at": _at(day),
                    }
                )
                return amount

            previous = None
            for n, quarter in enumerate(quarters(), start=1):
                label = f"{quarter.year}Q{(quarter.month - 1) // 3 + 1}"
                spent = spend(
                    quarter,
                    "management_fee",
                    _money(committed * FEE_PER_QUARTER),
                    f"管理费 {label}",
                )
                audit = date(quarter.year, 12, 20)
                if quarter.month == 10 and audit <= END:
                    spent += spend(
                        audit,
                        "expense",
                        _money(committed * EXPENSE_PER_YEAR),
                        f"审计及托管费 {quarter.year}",
                    )
                called = going.get((sf, quarter), Decimal(0)) + spent
                pay(quarter, "call", called, f"第{n}期实缴 {label}")
                if previous is not None:
                    returned = back.get((sf, previous), Decimal(0)) * DISTRIBUTED
                    pay(quarter, "distribution", returned, f"收益分配 {label}")
                previous = quarter
        return {
            "lps": lps,
            "commitments": commitments,
            "lp_flows": flows,
            "fund_expenses": expenses,
        }


SEQUENCES = (
    "companies",
    "holdings",
    "portfolio_transactions",
    "valuation_marks",
    "lps",
    "commitments",
    "lp_flows",
    "fund_expenses",
)


def _fix_sequences(connection) -> None:
    """Explicit ids were given: move PostgreSQL's sequences past them."""
    if connection.dialect.name != "postgresql":
        return
    for name in SEQUENCES:
        connection.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608 - fixed names
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"
            )
        )


def _new_data_version(connection) -> None:
    """What every write to the metrics' data does in the app: raise the `metrics` version (and
    drop results computed from older ones)."""
    versions = table("data_versions")
    raised = connection.execute(
        sa.update(versions)
        .where(versions.c.name == "metrics")
        .values(version=versions.c.version + 1)
    )
    if not raised.rowcount:
        connection.execute(sa.insert(versions), {"name": "metrics", "version": 1})
    connection.execute(sa.delete(table("metrics_cache")))


def generate_portfolio(
    engine: sa.Engine, holdings: int, transactions: int, seed: int = 7
) -> Counts:
    """Write the portfolio into a database holding generated deals and no portfolio yet."""
    counts = Counts()
    with engine.begin() as connection, bulk_cache(connection):
        builder = PortfolioBuilder(connection, holdings, transactions, seed)
        holding_rows, txns, marks = builder.portfolio(counts)
        generate._insert(connection, "holdings", holding_rows, counts)
        generate._insert(connection, "portfolio_transactions", txns, counts)
        generate._insert(connection, "valuation_marks", marks, counts)
        for name, rows in builder.money(txns).items():
            generate._insert(connection, name, rows, counts)
        _fix_sequences(connection)
        _new_data_version(connection)
        marker_metadata.create_all(connection)
        connection.execute(
            sa.insert(marker_table),
            {
                "holdings": holdings,
                "transactions": transactions,
                "seed": seed,
                "generated_at": datetime.now(UTC).isoformat(),
            },
        )
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
    migrate.refresh_statistics(engine)
    return counts


def build(
    url: str,
    holdings: int,
    transactions: int,
    deals: int = DEFAULT_DEALS,
    seed: int = 7,
    reset: bool = False,
) -> Counts:
    """Migrate, generate `deals` deals when there are none, then the portfolio."""
    if holdings < 1 or transactions < holdings:
        raise ValueError("at least one holding, and at least one transaction per holding")
    if transactions > holdings * 200:
        raise ValueError("at most 200 transactions per holding (one a day at most)")
    engine = make_engine(url)
    try:
        if reset:
            migrate.drop_everything(engine)
        migrate.upgrade(engine)
        counts = Counts()
        if not generate.deal_count(engine):
            counts.rows.update(generate.generate(engine, deals, seed).rows)
        with engine.connect() as connection:
            held = {name: _count(connection, name) for name in ("holdings", "lps")}
        if any(held.values()):
            found = ", ".join(f"{n} {name}" for name, n in held.items() if n)
            raise AlreadyPopulated(
                f"The database already holds {found}; pass --reset to drop everything first."
            )
        counts.rows.update(generate_portfolio(engine, holdings, transactions, seed).rows)
        return counts
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------------------
# Checking the rules of DOMAIN.md section 6 on what is stored


def problems(engine: sa.Engine, today: date | None = None) -> list[str]:
    """What in the database breaks the rules the app's services enforce (empty: none)."""
    today = today or date.today()
    found: list[str] = []
    with engine.connect() as connection:
        holdings = {r.id: r for r in connection.execute(sa.select(table("holdings")))}
        txns: dict[int, list] = {}
        t = table("portfolio_transactions")
        for row in connection.execute(sa.select(t).order_by(t.c.holding_id, t.c.made_on, t.c.id)):
            txns.setdefault(row.holding_id, []).append(row)
        marks: dict[int, list] = {}
        for row in connection.execute(sa.select(table("valuation_marks"))):
            marks.setdefault(row.holding_id, []).append(row)
        for holding_id, holding in holdings.items():
            found += _holding_problems(
                holding, txns.get(holding_id, []), marks.get(holding_id, []), today
            )
        found += _money_problems(connection)
    return found


def _holding_problems(holding, txns: list, marks: list, today: date) -> list[str]:
    name = f"holding {holding.id}"
    if not txns or txns[0].kind != "investment" or txns[0].made_on != holding.opened_on:
        return [f"{name}: does not open with an investment on its opening day"]
    found, ended, owned = [], None, None
    for before, txn in zip([None, *txns], txns, strict=False):
        if before is not None and txn.made_on <= before.made_on:
            found.append(f"{name}: transaction {txn.id} not after the one before")
        if txn.made_on > today or txn.made_on < holding.opened_on:
            found.append(f"{name}: transaction {txn.id} dated outside the holding's life")
        if txn.amount_yuan < 0 or (txn.amount_yuan == 0 and txn.kind != "write_off"):
            found.append(f"{name}: transaction {txn.id} has amount {txn.amount_yuan}")
        if txn.amount_yuan != txn.amount_yuan.quantize(FEN):
            found.append(f"{name}: transaction {txn.id} amount beyond fen")
        ends = txn.kind == "write_off" or txn.exit == "full"
        if ended is not None and (txn.kind in ("investment", "write_off") or txn.exit):
            found.append(f"{name}: {txn.kind} {txn.exit or ''} after its end")
        if ended is None and txn.kind == "proceeds" and not txn.exit:
            found.append(f"{name}: proceeds without exit before the end")
        if txn.exit == "partial" and txn.equity_pct is not None and owned is not None:
            if txn.equity_pct >= owned:
                found.append(f"{name}: partial exit {txn.id} does not lower the ownership")
        if txn.equity_pct is not None:
            owned = txn.equity_pct
        elif txn.kind in ("investment", "proceeds"):
            owned = None
        if ends:
            ended = txn.made_on
    for mark in marks:
        if mark.status not in ("counted", "pending") or mark.fair_value_yuan < 0:
            found.append(f"{name}: mark {mark.id} is {mark.status}, {mark.fair_value_yuan}")
        if mark.marked_on < holding.opened_on or mark.marked_on > today:
            found.append(f"{name}: mark {mark.id} dated outside the holding's life")
        if ended is not None and mark.marked_on >= ended:
            found.append(f"{name}: mark {mark.id} on or after the end")
    return found


def _money_problems(connection) -> list[str]:
    found = []
    commitments = {
        (r.lp_id, r.sub_fund_id): r for r in connection.execute(sa.select(table("commitments")))
    }
    called: dict[tuple[int, int], Decimal] = {}
    for flow in connection.execute(sa.select(table("lp_flows"))):
        key = (flow.lp_id, flow.sub_fund_id)
        commitment = commitments.get(key)
        if commitment is None or (
            commitment.committed_on and flow.flow_on < commitment.committed_on
        ):
            found.append(f"LP flow {flow.id}: no commitment in force")
        if flow.amount_yuan <= 0:
            found.append(f"LP flow {flow.id}: amount {flow.amount_yuan}")
        if flow.kind == "call":
            called[key] = called.get(key, Decimal(0)) + flow.amount_yuan
    for key, amount in called.items():
        if amount > commitments[key].committed_yuan:
            found.append(f"LP {key[0]} in sub-fund {key[1]}: calls above the commitment")
    for expense in connection.execute(sa.select(table("fund_expenses"))):
        if expense.amount_yuan <= 0:
            found.append(f"expense {expense.id}: amount {expense.amount_yuan}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.portfolio", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--holdings", type=int, default=5000, help="holdings (default 5,000)")
    parser.add_argument(
        "--transactions",
        type=int,
        default=100_000,
        help="portfolio transactions in all (default 100,000)",
    )
    parser.add_argument("--database", required=True, help="SQLAlchemy URL of the target database")
    parser.add_argument(
        "--deals",
        type=int,
        default=DEFAULT_DEALS,
        help=f"deals generated first when there are none (default {DEFAULT_DEALS:,})",
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument(
        "--reset", action="store_true", help="drop everything in the database first"
    )
    parser.add_argument("--check", action="store_true", help="check the rules on what was written")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        counts = build(
            args.database, args.holdings, args.transactions, args.deals, args.seed, args.reset
        )
    except ValueError as error:
        parser.error(str(error))
    except AlreadyPopulated as error:
        print(error, file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - started
    for name, n in counts.rows.items():
        print(f"{name:22} {n:>10,}")
    print(f"{'total':22} {counts.total:>10,} rows in {elapsed:.1f} s")
    if args.check:
        engine = make_engine(args.database)
        try:
            found = problems(engine)
        finally:
            engine.dispose()
        for problem in found[:20]:
            print(problem, file=sys.stderr)
        print(f"rule check: {len(found)} problems")
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
