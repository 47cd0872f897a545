"""Timings of the portfolio metrics and of the /portfolio page on a generated portfolio, on
SQLite and PostgreSQL.

    python -m bench.metrics [--holdings 5000] [--transactions 100000] [--deals 10000]
                            [--databases sqlite,postgresql] [--database URL ...] [--repeat 5]
                            [--as-of 2026-10-31] [--seed 7] [--profile] [--clean]

The metrics are the app's own functions, `fundcrm.portfolio.figures.compute` and `as_json`
(what `fundcrm metrics --json` prints), each call in a new session. The page goes through
Flask's WSGI test client signed in as a manager, as bench.pages times pages: the first view
as of today (after one warm-up view as of a date before any holding, and with the metrics
cache emptied), then every sort both ways `--repeat` times, interleaved, then views as of
other dates. Each view's SQL statements are counted (`before_cursor_execute`). `--profile`
adds, per database, the time of each step of the computation (ORM loads, the same rows with
Core, the metrics engine, pyxirr) and the top functions of cProfile.

Databases: a SQLite file in bench/.data/ and a PostgreSQL database on the server of
FUNDCRM_BENCH_ADMIN_URL (as bench.pages), both named fundcrm_portfolio_<holdings>_<transactions>,
built once by bench.portfolio and rebuilt when its marker or the schema revision differs;
`--database URL` names databases of your own instead.
"""

import argparse
import contextlib
import cProfile
import math
import pstats
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session

from bench import generate, pages, portfolio
from fundcrm import clock, migrate
from fundcrm.db import make_engine

DATA_DIR = Path(__file__).resolve().parent / ".data"
SORTS = ("company", "sub_fund", "invested", "fair_value", "proceeds", "moic", "irr")
REPEAT_VIEWS = {
    "default": "/portfolio",
    **{sort: f"/portfolio?sort={sort}" for sort in SORTS},
    **{f"-{sort}": f"/portfolio?sort=-{sort}" for sort in SORTS},
}
WARM_UP_AS_OF = portfolio.START - timedelta(days=1)  # no holding yet: templates, user, pool
OTHER_AS_OF = date(2025, 6, 30)
HOLDING_LINK = re.compile(r'href="/portfolio/(\d+)[?"]')
METRICS_TARGET_S, REPEAT_TARGET_MS = 1.0, 50.0


def database_name(holdings: int, transactions: int) -> str:
    return f"fundcrm_portfolio_{holdings}_{transactions}"


def url_of(kind: str, name: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{DATA_DIR / (name + '.db')}"
    return pages.postgresql_database(name)


def drop(kinds: list[str], name: str) -> None:
    if "postgresql" in kinds:
        admin = sa.create_engine(pages.ADMIN_URL, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        finally:
            admin.dispose()
    if "sqlite" in kinds:
        for suffix in ("", "-wal", "-shm"):
            (DATA_DIR / f"{name}.db{suffix}").unlink(missing_ok=True)


def ensure_data(url: str, holdings: int, transactions: int, deals: int, seed: int) -> None:
    """Build the portfolio unless the markers of a finished generation say it is there."""
    engine = make_engine(url)
    try:
        migrated = migrate.current_revision(engine) == migrate.head_revision(engine)
        built = portfolio.read_marker(engine) == (holdings, transactions, seed)
        if migrated and built and generate.read_marker(engine) == deals:
            print(
                f"  reusing {holdings:,} holdings, {transactions:,} transactions", file=sys.stderr
            )
            return
    finally:
        engine.dispose()
    started = time.perf_counter()
    counts = portfolio.build(url, holdings, transactions, deals, seed, reset=True)
    print(
        f"  generated {counts.total:,} rows ({deals:,} deals, {holdings:,} holdings, "
        f"{transactions:,} transactions) in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )


class Target:
    """One database: the app on it, a signed-in client and a count of SQL statements."""

    def __init__(self, kind: str, url: str):
        self.kind, self.url = kind, url
        self.app = pages.make_app(url)
        self.engine = self.app.extensions["fundcrm.engine"]
        self.statements = 0
        event.listen(self.engine, "before_cursor_execute", self._count)
        self.client = self.app.test_client()
        pages.sign_in(self.client, pages.manager_id(self.app))

    def _count(self, *_args) -> None:
        self.statements += 1

    def counted(self) -> int:
        """Statements since the last call."""
        seen, self.statements = self.statements, 0
        return seen

    def empty_cache(self) -> None:
        """Drop the stored metrics results (migration 0020's table), so a first view computes."""
        if sa.inspect(self.engine).has_table("metrics_cache"):
            with self.engine.begin() as connection:
                connection.execute(sa.text("DELETE FROM metrics_cache"))

    def view(self, path: str) -> dict:
        """One request: its time (ms), statements, holdings shown and size (KB)."""
        self.counted()
        started = time.perf_counter()
        response = self.client.get(path)
        ms = (time.perf_counter() - started) * 1000
        statements = self.counted()
        assert response.status_code == 200, f"{self.kind} {path}: HTTP {response.status_code}"
        page = response.get_data(as_text=True)
        shown = len(dict.fromkeys(HOLDING_LINK.findall(page)))
        return {"ms": ms, "statements": statements, "rows": shown, "kb": len(page) / 1024}

    def run(self, work: Callable, as_of: date) -> tuple[float, int, object]:
        """`work(session, as_of)` in a new session inside an app context: (s, statements, out)."""
        self.empty_cache()
        with self.app.app_context(), Session(self.engine) as session:
            self.counted()
            started = time.perf_counter()
            out = work(session, as_of)
            seconds = time.perf_counter() - started
            return seconds, self.counted(), out

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)
        self.engine.dispose()


# ---------------------------------------------------------------------------------------------
# The metrics


def time_metrics(targets: list[Target], as_of: date, repeat: int) -> dict:
    """compute and as_json, each `repeat` times on each database, interleaved."""
    from fundcrm.portfolio import figures

    samples = {
        t.kind: {"compute": [], "as_json": [], "statements": 0, "holdings": 0} for t in targets
    }
    for _ in range(repeat):
        for target in targets:
            seconds, statements, (_total, parts) = target.run(figures.compute, as_of)
            mine = samples[target.kind]
            mine["compute"].append(seconds)
            mine["statements"] = statements
            held = sum(len(part.holdings) for part in parts)
            seconds, _statements, out = target.run(figures.as_json, as_of)
            assert len(out["holdings"]) == held, "as_json and compute disagree"
            mine["as_json"].append(seconds)
            mine["holdings"] = held
    return samples


def metrics_report(samples: dict, as_of: date, holdings: int, transactions: int) -> str:
    lines = [
        f"Metrics as of {as_of.isoformat()} ({holdings:,} holdings, {transactions:,} "
        "transactions), seconds:",
        "",
        "| database | holdings as of | compute min | compute median | as_json min "
        "| as_json median | statements |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, mine in samples.items():
        c, j = mine["compute"], mine["as_json"]
        lines.append(
            f"| {kind} | {mine['holdings']:,} | {min(c):.3f} | {statistics.median(c):.3f} "
            f"| {min(j):.3f} | {statistics.median(j):.3f} | {mine['statements']} |"
        )
    for kind, mine in samples.items():
        median = statistics.median(mine["as_json"])
        verdict = "met" if median < METRICS_TARGET_S else "missed"
        lines.append(f"- {kind}: target (metrics under {METRICS_TARGET_S:.0f} s) {verdict}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# The page


def time_page(targets: list[Target], repeat: int, today: date) -> dict:
    """The views of /portfolio on each database: {kind: {view: [samples]}}."""
    results = {t.kind: {} for t in targets}

    def record(target: Target, name: str, path: str, rows: bool = True) -> None:
        sample = target.view(path)
        if rows:
            assert sample["rows"] > 0, f"{target.kind} {path}: the page shows no holding"
        results[target.kind].setdefault(name, (path, []))[1].append(sample)

    for target in targets:
        target.empty_cache()
        target.view(f"/portfolio?as_of={WARM_UP_AS_OF.isoformat()}")
        record(target, "first view", "/portfolio")
    for _ in range(repeat):
        for name, path in REPEAT_VIEWS.items():
            for target in targets:
                record(target, name, path)
    for n in range(repeat):
        day = OTHER_AS_OF - timedelta(days=n)
        for target in targets:
            record(target, "other date, first", f"/portfolio?as_of={day.isoformat()}", False)
    for _ in range(repeat):
        for target in targets:
            path = f"/portfolio?as_of={OTHER_AS_OF.isoformat()}"
            record(target, "other date, repeat", path, False)
    return results


def page_report(results: dict, today: date) -> str:
    lines = []
    for kind, views in results.items():
        lines += [
            f"/portfolio on {kind} (as of {today.isoformat()} unless the URL says; ms):",
            "",
            "| view | URL | n | min | median | statements | holdings shown | KB |",
            "|---|---|---:|---:|---:|---:|---:|---:|",
        ]
        for name, (path, samples) in views.items():
            ms = [s["ms"] for s in samples]
            statements = "/".join(str(n) for n in sorted({s["statements"] for s in samples}))
            lines.append(
                f"| {name} | `{path}` | {len(ms)} | {min(ms):.1f} | {statistics.median(ms):.1f} "
                f"| {statements} | {samples[-1]['rows']:,} | {samples[-1]['kb']:,.0f} |"
            )
        repeats = {
            name: statistics.median(s["ms"] for s in views[name][1]) for name in REPEAT_VIEWS
        }
        missed = [f"{name} ({ms:.0f} ms)" for name, ms in repeats.items() if ms >= REPEAT_TARGET_MS]
        verdict = f"missed by {len(missed)} of {len(repeats)}" if missed else "met by every view"
        lines += [
            "",
            f"- {kind}: target (repeat views under {REPEAT_TARGET_MS:.0f} ms, any sort) {verdict}",
            "",
        ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Where the time goes


def _best(target: Target, work: Callable, repeat: int) -> tuple[float, object]:
    """The least time of `work(session)` over `repeat` runs, each in a new session."""
    best, out = math.inf, None
    for _ in range(repeat):
        with target.app.app_context(), Session(target.engine) as session:
            started = time.perf_counter()
            out = work(session)
            best = min(best, time.perf_counter() - started)
    return best, out


def phases(target: Target, as_of: date, repeat: int) -> list[tuple[str, float, str]]:
    """(step, least seconds over `repeat`, what it handled) for each step of figures.compute,
    and for the same rows read with Core instead of ORM objects."""
    from fundcrm.domain import metrics
    from fundcrm.funds.queries import sub_funds
    from fundcrm.models import PortfolioTransaction, ValuationMark
    from fundcrm.portfolio import figures, holdings, queries

    steps = []
    seconds, found = _best(target, queries.holdings_for_list, repeat)
    txns = sum(len(h.transactions) for h in found)
    steps.append(
        (
            "ORM holdings_for_list: holdings + selectin transactions, companies, sub-funds",
            seconds,
            f"{len(found):,} holdings, {txns:,} transactions",
        )
    )
    ids = [h.id for h in found]
    seconds, marks = _best(target, lambda s: queries.marks_of(s, ids), repeat)
    steps.append(
        (
            "ORM marks_of (every mark of the holdings)",
            seconds,
            f"{sum(len(m) for m in marks.values()):,} marks",
        )
    )

    def the_rest(session):
        sub_funds(session)
        queries.lp_flows(session, as_of)
        queries.expenses(session, as_of)
        return queries.commitments_with_funds(session)

    seconds, _ = _best(target, the_rest, repeat)
    steps.append(("ORM sub-funds, LP flows, expenses, commitments", seconds, ""))

    table = PortfolioTransaction.__table__
    seconds, rows = _best(target, lambda s: s.connection().execute(sa.select(table)).all(), repeat)
    steps.append(
        (
            "Core: every column of portfolio_transactions (no ORM objects)",
            seconds,
            f"{len(rows):,} rows × {len(table.columns)} columns",
        )
    )
    engine_columns = sa.select(
        table.c.holding_id,
        table.c.made_on,
        table.c.kind,
        table.c.amount_yuan,
        table.c.exit,
        table.c.equity_pct,
        table.c.id,
    ).order_by(table.c.holding_id, table.c.made_on, table.c.id)
    seconds, rows = _best(target, lambda s: s.connection().execute(engine_columns).all(), repeat)
    steps.append(("Core: the 7 columns the engine reads, ordered", seconds, f"{len(rows):,} rows"))
    marks_table = ValuationMark.__table__
    counted = sa.select(
        marks_table.c.holding_id,
        marks_table.c.marked_on,
        marks_table.c.fair_value_yuan,
        marks_table.c.id,
    ).where(marks_table.c.status == "counted")
    seconds, _ = _best(target, lambda s: s.connection().execute(counted).all(), repeat)
    steps.append(("Core: counted marks, 4 columns", seconds, ""))

    def core_txns(_session):
        grouped: dict[int, list] = {}
        for holding_id, *values in rows:
            on, kind, amount, exit_, pct, seq = values
            grouped.setdefault(holding_id, []).append(
                metrics.Txn(on, kind, amount, exit_, pct, seq)
            )
        return grouped

    seconds, _ = _best(target, core_txns, repeat)
    steps.append(("Python: metrics.Txn from the Core rows", seconds, ""))

    # The metrics engine on loaded objects (no database).
    with target.app.app_context(), Session(target.engine) as session:
        found = [h for h in queries.holdings_for_list(session) if h.opened_on <= as_of]
        marks = queries.marks_of(session, [h.id for h in found])
        best = math.inf
        for _ in range(repeat):
            started = time.perf_counter()
            inputs = [holdings.engine_inputs(h, marks.get(h.id, [])) for h in found]
            best = min(best, time.perf_counter() - started)
        steps.append(("engine_inputs: ORM objects to metrics.Txn and Mark", best, ""))
        best = math.inf
        for _ in range(repeat):
            started = time.perf_counter()
            results = [metrics.holding(t, m, as_of) for t, m in inputs]
            best = min(best, time.perf_counter() - started)
        steps.append(
            (
                "metrics.holding for every holding (pyxirr included)",
                best,
                f"{len(results):,} holdings",
            )
        )
        flows = [[*r.flows, (as_of, r.fair_value)] for r in results]
        best = math.inf
        for _ in range(repeat):
            started = time.perf_counter()
            for one in flows:
                metrics.xirr(one)
            best = min(best, time.perf_counter() - started)
        steps.append(
            (
                "  of which metrics.xirr (pyxirr) per holding",
                best,
                f"{sum(len(f) for f in flows):,} flows",
            )
        )
        pooled = [flow for r in results for flow in r.flows]
        total_value = sum(r.fair_value for r in results)
        best = math.inf
        for _ in range(repeat):
            started = time.perf_counter()
            metrics.fund(results, metrics.FundFlows(), as_of)
            best = min(best, time.perf_counter() - started)
        steps.append(
            (
                "metrics.fund once over every holding (pooled sums and XIRR)",
                best,
                f"{len(pooled):,} pooled flows",
            )
        )
        best = math.inf
        for _ in range(repeat):
            started = time.perf_counter()
            metrics.xirr([*pooled, (as_of, total_value)])
            best = min(best, time.perf_counter() - started)
        steps.append(("  of which the pooled metrics.xirr (pyxirr)", best, ""))
    seconds, _ = _best(target, lambda s: figures.compute(s, as_of), repeat)
    steps.append(("figures.compute, the whole (for reference)", seconds, ""))
    seconds, _ = _best(target, lambda s: figures.as_json(s, as_of), repeat)
    steps.append(("figures.as_json, the whole (for reference)", seconds, ""))
    return steps


def profile_top(target: Target, as_of: date, top: int = 15) -> list[str]:
    """cProfile of one figures.compute in a new session: the top functions by own time."""
    from fundcrm.portfolio import figures

    profiler = cProfile.Profile()
    with target.app.app_context(), Session(target.engine) as session:
        profiler.enable()
        figures.compute(session, as_of)
        profiler.disable()
    return _top(profiler, "one figures.compute", top)


def profile_view(target: Target, path: str, top: int = 15) -> list[str]:
    """cProfile of one repeat view of the page (asked once before, unprofiled)."""
    target.view(path)
    profiler = cProfile.Profile()
    profiler.enable()
    target.client.get(path)
    profiler.disable()
    return _top(profiler, f"one repeat view of `{path}`", top)


def cache_sizes(target: Target) -> str:
    """The stored results (migration 0020's metrics_cache): how many, and their size."""
    if not sa.inspect(target.engine).has_table("metrics_cache"):
        return "no metrics_cache table"
    with target.engine.connect() as connection:
        sizes = connection.execute(sa.text("SELECT payload FROM metrics_cache")).scalars().all()
    lengths = sorted((len(s) for s in sizes), reverse=True)
    if not lengths:
        return "metrics_cache: empty"
    return (
        f"metrics_cache: {len(lengths)} entries, the largest {lengths[0] / 1024:,.0f} KB of JSON, "
        f"{sum(lengths) / 1024:,.0f} KB in all"
    )


def _top(profiler: cProfile.Profile, what: str, top: int) -> list[str]:
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:top]
    lines = [
        f"cProfile of {what}: {total:.2f} s under the profiler; top {top} by own time",
        "",
        "| function | calls | own s | cumulative s |",
        "|---|---:|---:|---:|",
    ]
    for (path, line, name), (_cc, calls, own, cumulative, _callers) in rows:
        where = _short(path)
        lines.append(f"| `{where}:{line}({name})` | {calls:,} | {own:.3f} | {cumulative:.3f} |")
    return lines


def _short(path: str) -> str:
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def profile_report(targets: list[Target], as_of: date, repeat: int) -> str:
    lines = []
    for target in targets:
        lines += [
            f"Where the time goes on {target.kind}, as of {as_of.isoformat()} "
            f"(least of {repeat}, seconds):",
            "",
            "| step | s | handled |",
            "|---|---:|---|",
        ]
        for step, seconds, handled in phases(target, as_of, repeat):
            lines.append(f"| {step} | {seconds:.3f} | {handled} |")
        lines += ["", *profile_top(target, as_of), ""]
        lines += [*profile_view(target, REPEAT_VIEWS["-irr"]), "", cache_sizes(target), ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """The options naming the generated portfolio and the databases it is in (bench.metrics
    and bench.compliance time pages on the same data)."""
    parser.add_argument("--holdings", type=int, default=5000, help="holdings (default 5,000)")
    parser.add_argument(
        "--transactions",
        type=int,
        default=100_000,
        help="portfolio transactions in all (default 100,000)",
    )
    parser.add_argument(
        "--deals",
        type=int,
        default=portfolio.DEFAULT_DEALS,
        help="deals generated under the portfolio (default 10,000)",
    )
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite and/or postgresql")
    parser.add_argument(
        "--database",
        action="append",
        default=[],
        help="a database URL of your own instead (repeatable)",
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each measurement")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the data")
    parser.add_argument(
        "--clean", action="store_true", help="drop the benchmark databases of this size and exit"
    )


@contextlib.contextmanager
def targets_of(urls: list[tuple[str, str]]) -> Iterator[list[Target]]:
    """A Target per (kind, URL), named by its kind (numbered when a kind repeats), closed after
    the block."""
    targets = []
    try:
        for n, (kind, url) in enumerate(urls, start=1):
            label = kind if [k for k, _u in urls].count(kind) == 1 else f"{kind} {n}"
            targets.append(Target(label, url))
        yield targets
    finally:
        for target in targets:
            target.close()


def databases(args, parser: argparse.ArgumentParser) -> list[tuple[str, str]] | None:
    """(kind, URL) of each database the options name, built when missing; None after
    `--clean` dropped them."""
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    if unknown := set(kinds) - {"sqlite", "postgresql"}:
        parser.error(f"unknown database kind: {', '.join(sorted(unknown))}")
    name = database_name(args.holdings, args.transactions)
    if args.clean:
        drop(kinds, name)
        return None
    DATA_DIR.mkdir(exist_ok=True)
    urls = [(sa.make_url(url).get_backend_name(), url) for url in args.database]
    urls = urls or [(kind, url_of(kind, name)) for kind in kinds]
    for kind, url in urls:
        print(f"{kind}: {sa.make_url(url).render_as_string()}", file=sys.stderr)
        ensure_data(url, args.holdings, args.transactions, args.deals, args.seed)
    return urls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.metrics", description=__doc__.split("\n")[0]
    )
    add_data_arguments(parser)
    parser.add_argument(
        "--as-of",
        default=portfolio.END.isoformat(),
        help=f"the metrics' as-of date (default {portfolio.END.isoformat()})",
    )
    parser.add_argument("--profile", action="store_true", help="add where the time goes")
    args = parser.parse_args(argv)
    try:
        as_of = date.fromisoformat(args.as_of)
    except ValueError:
        parser.error("--as-of is YYYY-MM-DD")
    urls = databases(args, parser)
    if urls is None:
        return 0
    with targets_of(urls) as targets:
        with targets[0].app.app_context():
            today = clock.today()
        samples = time_metrics(targets, as_of, args.repeat)
        print(metrics_report(samples, as_of, args.holdings, args.transactions))
        print()
        print(page_report(time_page(targets, args.repeat, today), today))
        if args.profile:
            print(profile_report(targets, as_of, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())


def bench_main(argv, prog: str, doc: str, defaults: dict, measure, report) -> int:
    """A timing script's command line: the data's arguments (with the script's defaults), the
    databases, then `measure(targets, repeat)` and the printed
    `report(results, deals, holdings, transactions)`."""
    parser = argparse.ArgumentParser(prog=prog, description=doc.split("\n")[0])
    add_data_arguments(parser)
    parser.set_defaults(**defaults)
    args = parser.parse_args(argv)
    urls = databases(args, parser)
    if urls is None:
        return 0
    with targets_of(urls) as targets:
        results = measure(targets, args.repeat)
        print(report(results, args.deals, args.holdings, args.transactions))
    return 0
