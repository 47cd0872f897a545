"""Timings of the industry map's data at 100,000 deals and 5,000 holdings, on SQLite and
PostgreSQL.

    python -m bench.map [--deals 100000] [--holdings 5000] [--transactions 100000]
                        [--databases sqlite,postgresql] [--database URL ...]
                        [--repeat 15] [--seed 7] [--clean]

The data is bench.portfolio's (deals from bench.generate, then holdings and transactions), in
the databases bench.metrics builds and reuses. For each view of the map (VIEWS: deal measures,
one with the list filters, and portfolio measures), `--repeat` times, interleaved across the
views and databases: the map's data alone — `figures.read_ask`, `figures.tally` and the table's
rows (`view.rows`) for a manager, in a new session inside a request context — as a first view
(the cached results of its source emptied, as a write to a deal or a holding leaves them) and as
a repeat view; then `/map/data.json` through Flask's WSGI test client. Each run's SQL statements
are counted: they must not depend on the number of deals. Target: the map's data under 100 ms.
"""

import statistics
import sys
import time
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from bench import metrics, pages
from fundcrm import clock

TARGET_MS = 100.0
VIEWS = {
    "deals": "measure=deals",
    "deals, filtered": "measure=deals&focus_area=embodied_ai&stage=screening&sub_fund=ANGEL",
    "proposed": "measure=proposed",
    "invested": "measure=invested",
    "companies": "measure=companies",
}
DATA_URL = "/map/data.json"


def source_of(query: str) -> str:
    """The metrics_cache name a view's figures are kept under."""
    from fundcrm.industry_map import measures

    code = query.split("measure=", 1)[1].split("&", 1)[0]
    return "metrics" if measures.MEASURES[code].portfolio else "pipeline"


def forget(target: metrics.Target, name: str) -> None:
    """What a write to a deal or a company (`pipeline`) or to the portfolio (`metrics`) does to
    the cached results (bench.dashboard.forget_pipeline)."""
    with target.engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM metrics_cache WHERE name = :name"), {"name": name})


def map_data(session, user, query: str):
    """The map's data as its routes compute it: the ask, the tally and the table's rows."""
    from flask import request

    from fundcrm.industry_map import figures, view

    ask = figures.read_ask(request.args, session, user, clock.today(), lambda _lp_id: [])
    tally = figures.tally(session, ask)
    return tally, view.rows(ask, tally, None)


def time_data(target: metrics.Target, user_id: int, query: str) -> tuple[float, int, object]:
    """The map's data once, for the user: (ms, statements, the tally)."""
    from fundcrm.models import User

    with target.app.test_request_context(f"/map?{query}"), Session(target.engine) as session:
        user = session.get(User, user_id)
        target.counted()
        started = time.perf_counter()
        tally, _rows = map_data(session, user, query)
        ms = (time.perf_counter() - started) * 1000
        return ms, target.counted(), tally


def view_json(target: metrics.Target, query: str) -> dict:
    """One GET of /map/data.json: its time (ms), statements and the answer."""
    target.counted()
    started = time.perf_counter()
    response = target.client.get(f"{DATA_URL}?{query}")
    ms = (time.perf_counter() - started) * 1000
    statements = target.counted()
    assert response.status_code == 200, f"{target.kind} {query}: HTTP {response.status_code}"
    answer = response.get_json()
    assert len(answer["districts"]) == 38, f"{target.kind} {query}: not 38 districts"
    return {"ms": ms, "statements": statements, "answer": answer}


def measure(targets: list[metrics.Target], repeat: int) -> dict:
    """{kind: {view: {"first": [(ms, n)], "repeat": [(ms, n)], "json": [samples], "tally"}}}."""
    results = {t.kind: {name: {"first": [], "repeat": [], "json": [], "tally": None}
                        for name in VIEWS} for t in targets}  # fmt: skip
    managers = {t.kind: pages.manager_id(t.app) for t in targets}
    for target in targets:  # warm-up: templates, the connection pool, the cached results
        for query in VIEWS.values():
            time_data(target, managers[target.kind], query)
            view_json(target, query)
    for _ in range(repeat):
        for name, query in VIEWS.items():
            for target in targets:
                mine = results[target.kind][name]
                forget(target, source_of(query))
                ms, n, _tally = time_data(target, managers[target.kind], query)
                mine["first"].append((ms, n))
                ms, n, mine["tally"] = time_data(target, managers[target.kind], query)
                mine["repeat"].append((ms, n))
                mine["json"].append(view_json(target, query))
    return results


def check(kind: str, name: str, mine: dict) -> None:
    """The JSON's total is the tally's, and the places add up to it."""
    from fundcrm.industry_map import measures

    query = VIEWS[name]
    code = query.split("measure=", 1)[1].split("&", 1)[0]
    tally, answer = mine["tally"], mine["json"][-1]["answer"]
    at = measures.index_of(measures.MEASURES[code])
    placed = sum(f[at] for f in tally.districts.values()) + tally.outside[at] + tally.none[at]
    assert placed == tally.total[at], f"{kind} {name}: the places do not add up to the total"
    shown = Decimal(str(answer["total"]["value"]))
    assert shown == tally.total[at], f"{kind} {name}: the JSON's total is not the tally's"


def _stats(samples: list[tuple[float, int]]) -> str:
    ms = [s for s, _n in samples]
    statements = "/".join(str(n) for n in sorted({n for _s, n in samples}))
    return f"{len(ms)} | {min(ms):.1f} | {statistics.median(ms):.1f} | {max(ms):.1f} | {statements}"


def figures(name: str, tally) -> str:
    """One line of the view's figures: the total, the places, the largest districts."""
    from fundcrm.industry_map import measures

    code = VIEWS[name].split("measure=", 1)[1].split("&", 1)[0]
    measure = measures.MEASURES[code]
    at = measures.index_of(measure)
    unit = " yuan" if measure.money else ""
    largest = sorted(tally.districts.items(), key=lambda kv: -kv[1][at])[:3]
    named = ", ".join(f"{code} {f[at]:,}{unit}" for code, f in largest)
    some = sum(1 for f in tally.districts.values() if f[at])
    return (
        f"- {name}: total {tally.total[at]:,}{unit}; {some} districts with any (largest "
        f"{named}); outside Chongqing {tally.outside[at]:,}{unit} in {len(tally.cities)} cities; "
        f"no district {tally.none[at]:,}{unit}"
    )


def report(results: dict, deals: int, holdings: int, transactions: int) -> str:
    lines = []
    for kind, views in results.items():
        lines += [
            f"Industry map data on {kind} ({deals:,} deals, {holdings:,} holdings, "
            f"{transactions:,} transactions; a manager; ms):",
            "",
            "| view | query | run | n | min | median | max | statements |",
            "|---|---|---|---:|---:|---:|---:|---:|",
        ]
        for name, mine in views.items():
            check(kind, name, mine)
            query = f"`{VIEWS[name]}`"
            json_samples = [(s["ms"], s["statements"]) for s in mine["json"]]
            lines += [
                f"| {name} | {query} | first view (cache emptied) | {_stats(mine['first'])} |",
                f"| {name} | {query} | repeat view | {_stats(mine['repeat'])} |",
                f"| {name} | {query} | `{DATA_URL}` | {_stats(json_samples)} |",
            ]
        lines += ["", *(figures(name, mine["tally"]) for name, mine in views.items()), ""]
        medians = {n: statistics.median(ms for ms, _ in m["repeat"]) for n, m in views.items()}
        missed = [f"{n} ({ms:.0f} ms)" for n, ms in medians.items() if ms >= TARGET_MS]
        verdict = f"missed by {', '.join(missed)}" if missed else "met by every view"
        lines += [f"- {kind}: target (map data under {TARGET_MS:.0f} ms) {verdict}", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    defaults = {"deals": 100_000, "holdings": 5000, "transactions": 100_000, "repeat": 15}
    return metrics.bench_main(argv, "python -m bench.map", __doc__, defaults, measure, report)


if __name__ == "__main__":
    sys.exit(main())
