"""Timings of the deal list through the JSON API at 100,000 deals, on SQLite and PostgreSQL.

    python -m bench.api [--deals 100000] [--holdings 5000] [--transactions 100000]
                        [--databases sqlite,postgresql] [--database URL ...]
                        [--repeat 15] [--seed 7] [--clean]

The data is bench.portfolio's (deals from bench.generate, then holdings and transactions), in
the databases bench.metrics builds and reuses. Each view of the list (VIEWS: plain, filtered as
bench.pages filters, a search) is asked `--repeat` times, interleaved across the views and the
databases, as `GET /api/v1/deals?…` through Flask's WSGI test client with a manager's personal
token (`Authorization: Bearer`): routing, the token's sign-in, validation, the queries and the
JSON. Every answer must be 200 with a full page of deals; each run's SQL statements are counted
and must not depend on the number of deals. The same list as a web page (`/deals?…`, signed in
as the same manager, 50 rows) is timed alongside, for reference: the two share their queries.
Target: every view under 50 ms (median).
"""

import statistics
import sys
import time

from sqlmodel import Session

from bench import metrics, pages

TARGET_MS = 50.0
PATH = "/api/v1/deals"
VIEWS = {
    "plain": "",
    "filtered": "sub_fund=ANGEL&stage=due_diligence&focus_area=embodied_ai",
    "search": f"q={pages.SEARCH_TERM}",
}


def token(target: metrics.Target, user_id: int) -> str:
    """A new personal token of the user (its secret)."""
    from fundcrm.auth.tokens import create_token
    from fundcrm.models import User

    with target.app.app_context(), Session(target.engine) as session:
        made = create_token(session, session.get(User, user_id), "bench.api", 1)
        session.commit()
        return made.secret


def ask(target: metrics.Target, secret: str, name: str) -> dict:
    """One GET of the view: its time (ms), statements and the answer."""
    query = VIEWS[name]
    headers = {"Authorization": f"Bearer {secret}", "Accept-Language": "zh-CN"}
    target.counted()
    started = time.perf_counter()
    response = target.client.get(f"{PATH}?{query}", headers=headers)
    ms = (time.perf_counter() - started) * 1000
    statements = target.counted()
    assert response.status_code == 200, f"{target.kind} {name}: HTTP {response.status_code}"
    answer = response.get_json()
    page = answer["page"]
    assert answer["items"] or name != "plain", f"{target.kind} {name}: no deals"
    assert len(answer["items"]) == min(page["per_page"], page["total"]), f"{name}: short page"
    return {"ms": ms, "statements": statements, "page": page}


def measure(targets: list[metrics.Target], repeat: int) -> dict:
    """{kind: {view: {"api": [samples], "web": [ms]}}}, after one warm-up request of each."""
    secrets = {t.kind: token(t, pages.manager_id(t.app)) for t in targets}
    results = {t.kind: {name: {"api": [], "web": []} for name in VIEWS} for t in targets}
    for target in targets:  # warm-up: the connection pool, the token's first use, templates
        for name in VIEWS:
            ask(target, secrets[target.kind], name)
            target.view(f"/deals?{VIEWS[name]}")
    for _ in range(repeat):
        for name in VIEWS:
            for target in targets:
                mine = results[target.kind][name]
                mine["api"].append(ask(target, secrets[target.kind], name))
                mine["web"].append(target.view(f"/deals?{VIEWS[name]}")["ms"])
    return results


def report(results: dict, deals: int, holdings: int, transactions: int) -> str:
    lines = []
    for kind, views in results.items():
        lines += [
            f"Deals through the API on {kind} ({deals:,} deals; a manager's token; ms):",
            "",
            "| view | query | n | min | median | max | statements | total | web page median |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for name, mine in views.items():
            samples = mine["api"]
            ms = [s["ms"] for s in samples]
            statements = "/".join(str(n) for n in sorted({s["statements"] for s in samples}))
            page = samples[-1]["page"]
            total = f"{page['total']:,}{'+' if page['total_capped'] else ''}"
            lines.append(
                f"| {name} | `{PATH}?{VIEWS[name]}` | {len(ms)} | {min(ms):.1f} | "
                f"{statistics.median(ms):.1f} | {max(ms):.1f} | {statements} | {total} | "
                f"{statistics.median(mine['web']):.1f} |"
            )
        medians = {n: statistics.median(s["ms"] for s in v["api"]) for n, v in views.items()}
        missed = [f"{n} ({ms:.0f} ms)" for n, ms in medians.items() if ms >= TARGET_MS]
        verdict = f"missed by {', '.join(missed)}" if missed else "met by every view"
        lines += ["", f"- {kind}: target (under {TARGET_MS:.0f} ms) {verdict}", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    defaults = {"deals": 100_000, "holdings": 5000, "transactions": 100_000, "repeat": 15}
    return metrics.bench_main(argv, "python -m bench.api", __doc__, defaults, measure, report)


if __name__ == "__main__":
    sys.exit(main())
