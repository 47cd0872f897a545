"""Timings of the annual portfolio report (PDF and workbook) on a generated portfolio of 1,000
holdings and 50,000 transactions, on SQLite and PostgreSQL.

    python -m bench.report [--holdings 1000] [--transactions 50000] [--deals 10000]
                           [--databases sqlite,postgresql] [--database URL ...]
                           [--repeat 3] [--year YYYY] [--seed 7] [--clean]

The data is bench.portfolio's, in the databases bench.metrics builds and reuses. Each run
makes the whole fund's staff edition in Chinese as `fundcrm report annual` does (the sections
gathered with the metrics cache emptied, then the file laid out), once as PDF and once as a
workbook, interleaved across the databases; each run's SQL statements are counted. The year is
the latest with a transaction unless given. Target: each file under 10 s.
"""

import argparse
import statistics
import sys
import time
from datetime import date

import sqlalchemy as sa
from flask_babel import force_locale

from bench import metrics

TARGET_S = 10.0


def latest_year(target: metrics.Target) -> int:
    with target.engine.connect() as connection:
        last = connection.execute(sa.text("SELECT max(made_on) FROM portfolio_transactions"))
        found = last.scalar_one()
    return date.fromisoformat(str(found)[:10]).year if found else date.today().year


def make(target: metrics.Target, year: int, file_format: str) -> dict:
    """One report: seconds to gather, to lay out, statements, size."""
    from fundcrm.reports import annual
    from fundcrm.reports.context import Ask

    def work(session, _as_of):
        with force_locale("zh_Hans_CN"):
            ask = Ask(year, file_format=file_format)
            started = time.perf_counter()
            report = annual.build(session, ask, target.app.config, "bench")
            gathered = time.perf_counter() - started
            data = annual.render(report)
            return gathered, data, sum(len(t.rows) for s in report.sections for t in s.tables())

    seconds, statements, (gathered, data, rows) = target.run(work, date(year, 12, 31))
    return {
        "s": seconds,
        "gather": gathered,
        "statements": statements,
        "kb": len(data) / 1024,
        "rows": rows,
    }


def time_reports(targets: list[metrics.Target], years: dict, repeat: int) -> dict:
    results = {t.kind: {"pdf": [], "xlsx": []} for t in targets}
    for _ in range(repeat):
        for target in targets:
            for file_format in ("pdf", "xlsx"):
                results[target.kind][file_format].append(
                    make(target, years[target.kind], file_format)
                )
    return results


def report(results: dict, years: dict, holdings: int, transactions: int) -> str:
    lines = [
        f"Annual report, whole fund, staff edition ({holdings:,} holdings, {transactions:,} "
        "transactions; seconds):",
        "",
        "| database | year | file | n | gather median | total min | total median "
        "| statements | table rows | KB |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    missed = []
    for kind, files in results.items():
        for file_format, samples in files.items():
            total = [s["s"] for s in samples]
            gather = statistics.median(s["gather"] for s in samples)
            statements = "/".join(str(n) for n in sorted({s["statements"] for s in samples}))
            lines.append(
                f"| {kind} | {years[kind]} | {file_format} | {len(samples)} | {gather:.2f} "
                f"| {min(total):.2f} | {statistics.median(total):.2f} | {statements} "
                f"| {samples[-1]['rows']:,} | {samples[-1]['kb']:,.0f} |"
            )
            if statistics.median(total) >= TARGET_S:
                missed.append(f"{kind} {file_format}")
    verdict = f"missed by {', '.join(missed)}" if missed else "met by every file"
    lines += ["", f"- target (each file under {TARGET_S:.0f} s) {verdict}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.report", description=__doc__.split("\n")[0]
    )
    metrics.add_data_arguments(parser)
    parser.set_defaults(holdings=1000, transactions=50_000, repeat=3)
    parser.add_argument("--year", type=int, help="the report's year (default: the latest)")
    args = parser.parse_args(argv)
    urls = metrics.databases(args, parser)
    if urls is None:
        return 0
    with metrics.targets_of(urls) as targets:
        years = {t.kind: args.year or latest_year(t) for t in targets}
        results = time_reports(targets, years, args.repeat)
        print(report(results, years, args.holdings, args.transactions))
    return 0


if __name__ == "__main__":
    sys.exit(main())
