"""Timings of the LP capital account and the compliance page on a generated portfolio of
5,000 holdings and 200 LPs, on SQLite and PostgreSQL.

    python -m bench.compliance [--holdings 5000] [--transactions 100000] [--deals 10000]
                               [--databases sqlite,postgresql] [--database URL ...]
                               [--repeat 5] [--seed 7] [--clean]

The data is bench.portfolio's (the demo's six LPs and 194 more), in the databases
bench.metrics builds and reuses. The pages go through Flask's WSGI test client signed in as a
manager: for each database a first view (the metrics cache emptied), then `--repeat` views of
each page, interleaved across the databases. The capital account is that of the LP with the
most commitments; the compliance page that of each sub-fund. Each view's SQL statements are
counted. Target: each page under 100 ms.
"""

import argparse
import statistics
import sys

import sqlalchemy as sa

from bench import metrics

TARGET_MS = 100.0


def views(target: metrics.Target) -> dict[str, str]:
    """The pages to time on one database: name → path."""
    with target.engine.connect() as connection:
        lp_id = connection.execute(
            sa.text(
                "SELECT lp_id FROM commitments GROUP BY lp_id ORDER BY count(*) DESC, lp_id LIMIT 1"
            )
        ).scalar_one()
        codes = connection.execute(sa.text("SELECT code FROM sub_funds ORDER BY code")).scalars()
        paths = {"capital account": f"/funds/lps/{lp_id}"}
        paths.update({f"compliance {code}": f"/funds/{code}/compliance" for code in codes})
    return paths


def time_views(targets: list[metrics.Target], repeat: int) -> dict:
    """{kind: {name: (path, [first sample], [repeat samples])}}."""
    results = {}
    for target in targets:
        target.empty_cache()
        mine = results[target.kind] = {}
        for name, path in views(target).items():
            mine[name] = (path, [target.view(path)], [])
    for _ in range(repeat):
        for target in targets:
            for _name, (path, _first, samples) in results[target.kind].items():
                samples.append(target.view(path))
    return results


def report(results: dict, holdings: int, transactions: int) -> str:
    lines = []
    for kind, pages in results.items():
        lines += [
            f"Capital account and compliance on {kind} ({holdings:,} holdings, "
            f"{transactions:,} transactions, 200 LPs; ms):",
            "",
            "| page | URL | first | n | min | median | statements | KB |",
            "|---|---|---:|---:|---:|---:|---:|---:|",
        ]
        missed = []
        for name, (path, first, samples) in pages.items():
            ms = [s["ms"] for s in samples]
            median = statistics.median(ms)
            statements = "/".join(str(n) for n in sorted({s["statements"] for s in samples}))
            lines.append(
                f"| {name} | `{path}` | {first[0]['ms']:.1f} | {len(ms)} | {min(ms):.1f} "
                f"| {median:.1f} | {statements} | {samples[-1]['kb']:,.0f} |"
            )
            if median >= TARGET_MS:
                missed.append(f"{name} ({median:.0f} ms)")
        verdict = f"missed by {', '.join(missed)}" if missed else "met by every page"
        lines += ["", f"- {kind}: target (each page under {TARGET_MS:.0f} ms) {verdict}", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.compliance", description=__doc__.split("\n")[0]
    )
    metrics.add_data_arguments(parser)
    args = parser.parse_args(argv)
    urls = metrics.databases(args, parser)
    if urls is None:
        return 0
    with metrics.targets_of(urls) as targets:
        print(report(time_views(targets, args.repeat), args.holdings, args.transactions))
    return 0


if __name__ == "__main__":
    sys.exit(main())
