"""Timings of the home page's dashboard for a signed-in manager at 100,000 deals, on SQLite and
PostgreSQL.

    python -m bench.dashboard [--deals 100000] [--holdings 1000] [--transactions 20000]
                              [--databases sqlite,postgresql] [--database URL ...]
                              [--repeat 15] [--seed 7] [--clean]

The data is bench.portfolio's (deals from bench.generate, then holdings and transactions), in
the databases bench.metrics builds and reuses. Two measures, each `--repeat` times, interleaved
across the databases: the dashboard's data alone (`fundcrm.main.dashboard.build` for the
manager, in a new session inside a request context), and the whole home page through Flask's
WSGI test client. Each run's SQL statements are counted; the dashboard's must not depend on the
number of deals. Target: the dashboard's data under 100 ms.
"""

import statistics
import sys
import time

from sqlmodel import Session

from bench import metrics, pages
from fundcrm import clock

TARGET_MS = 100.0


def time_data(target: metrics.Target, user_id: int) -> tuple[float, int, object]:
    """One dashboard.build for the user: (ms, statements, the dashboard)."""
    from fundcrm.main import dashboard
    from fundcrm.models import User

    with target.app.test_request_context("/"), Session(target.engine) as session:
        user = session.get(User, user_id)
        today = clock.today()
        target.counted()
        started = time.perf_counter()
        board = dashboard.build(session, user, today)
        ms = (time.perf_counter() - started) * 1000
        return ms, target.counted(), board


def measure(targets: list[metrics.Target], repeat: int) -> dict:
    """{kind: {"data": [(ms, statements)], "page": [samples], "board": the last dashboard}}."""
    results = {t.kind: {"data": [], "page": [], "changed": [], "board": None} for t in targets}
    managers = {t.kind: pages.manager_id(t.app) for t in targets}
    for target in targets:  # warm-up: templates, the connection pool, the metrics cache
        time_data(target, managers[target.kind])
        target.view("/")
    for _ in range(repeat):
        for target in targets:
            mine = results[target.kind]
            ms, statements, mine["board"] = time_data(target, managers[target.kind])
            mine["data"].append((ms, statements))
            mine["page"].append(target.view("/"))
            forget_pipeline(target)
            ms, statements, _board = time_data(target, managers[target.kind])
            mine["changed"].append((ms, statements))
    return results


def forget_pipeline(target: metrics.Target) -> None:
    """What a write to a deal, a deal team or a company does to the cached counts."""
    import sqlalchemy as sa

    with target.engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM metrics_cache WHERE name = 'pipeline'"))


def figures(board) -> list[str]:
    """The dashboard's figures, one line per chart."""
    lines = []
    for chart in board.charts.values():
        counts = ", ".join(f"{b.code or '-'} {b.count:,}" for b in [*chart.bars, *chart.extra])
        lines.append(f"- {chart.title} ({chart.total:,}): {counts}")
    if board.deployment is not None and board.deployment.points:
        last = board.deployment.points[-1]
        lines.append(
            f"- deployment: {len(board.deployment.points)} quarter ends; on "
            f"{last.on.isoformat()} invested {last.invested:,} yuan against {last.committed:,}"
        )
    lines.append(f"- upcoming IC meetings shown: {len(board.meetings or [])}")
    return lines


def report(results: dict, deals: int, holdings: int, transactions: int) -> str:
    lines = []
    for kind, mine in results.items():
        data = [ms for ms, _n in mine["data"]]
        changed = [ms for ms, _n in mine["changed"]]
        changed_statements = "/".join(str(n) for n in sorted({n for _ms, n in mine["changed"]}))
        page = [s["ms"] for s in mine["page"]]
        data_statements = "/".join(str(n) for n in sorted({n for _ms, n in mine["data"]}))
        page_statements = "/".join(str(n) for n in sorted({s["statements"] for s in mine["page"]}))
        median = statistics.median(data)
        verdict = "met" if median < TARGET_MS else "missed"
        lines += [
            f"Home dashboard on {kind} ({deals:,} deals, {holdings:,} holdings, "
            f"{transactions:,} transactions; a manager; ms):",
            "",
            "| measure | n | min | median | max | statements |",
            "|---|---:|---:|---:|---:|---:|",
            f"| dashboard data | {len(data)} | {min(data):.1f} | {median:.1f} | {max(data):.1f} "
            f"| {data_statements} |",
            f"| dashboard data, first view after a deal changed | {len(changed)} "
            f"| {min(changed):.1f} | {statistics.median(changed):.1f} | {max(changed):.1f} "
            f"| {changed_statements} |",
            f"| home page `/` | {len(page)} | {min(page):.1f} | {statistics.median(page):.1f} "
            f"| {max(page):.1f} | {page_statements} |",
            "",
            *figures(mine["board"]),
            "",
            f"- {kind}: target (dashboard data under {TARGET_MS:.0f} ms) {verdict}",
            "",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    defaults = {"deals": 100_000, "holdings": 1000, "transactions": 20_000, "repeat": 15}
    return metrics.bench_main(argv, "python -m bench.dashboard", __doc__, defaults, measure, report)


if __name__ == "__main__":
    sys.exit(main())
