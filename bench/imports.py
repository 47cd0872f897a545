"""Rows per second of the company and deal imports (CSV and XLSX) and export, audit trail on.

    python -m bench.imports [--rows 50000] [--deals 50000] [--database URL] [--reset]

The import runs as `fundcrm import` does (fundcrm.imports.service.run_import, then one commit),
so every created company and application field gets its audit row. Timed, each in a fresh
session: a CSV of new companies, the same CSV again (all unchanged), an export to CSV and to
XLSX, then (after emptying the tables) an XLSX of new companies, then a CSV of new deals
(one per company in turn, one deal in five with two sub-funds, three in twenty at 立项 or later,
each with an owner), and the same deal CSV again (all unchanged). The files are made before the
clock starts, by the export writers.

Without --database a SQLite file in bench/.data/ is used and rebuilt each run. A database given
with --database is migrated to head; one that already holds companies is refused unless
--reset, which drops everything in it first (benchmark databases only).
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from werkzeug.datastructures import MultiDict

import config as fundcrm_config
from fundcrm import create_app, db, migrate
from fundcrm.audit import set_actor
from fundcrm.db import make_engine
from fundcrm.domain import uscc
from fundcrm.domain.vocab import (
    APPLICATION_FIELDS,
    DISTRICTS,
    ENTERPRISE_STAGES,
    FOCUS_AREAS,
    ROUNDS,
    SOURCES,
    SPECIALIZED_LEVELS,
    ZONES,
)
from fundcrm.imports import exports, sheets
from fundcrm.imports.formats import COMPANIES, DEALS
from fundcrm.imports.service import run_import

DATA_DIR = Path(__file__).resolve().parent / ".data"
BRANDS = ["灵犀", "擎天", "云帆", "智语", "织梦", "启明", "巴渝", "山城", "两江", "缙云"]
TRADES = ["具身智能", "机器人", "大模型", "智能装备", "服务机器人"]


def company_rows(n: int) -> list[dict]:
    """`n` invented companies with valid, distinct USCCs, spread over the vocabularies."""
    rows = []
    for i in range(n):
        zone = ZONES.codes[i % len(ZONES.codes)]
        # A company outside Chongqing has no Chongqing district (the import refuses both).
        district = "" if zone == "outside" else DISTRICTS.codes[i % len(DISTRICTS.codes)]
        rows.append(
            {
                "name": f"重庆{BRANDS[i % 10]}{TRADES[i % 5]}{i:06d}有限公司",
                "uscc": uscc.complete(f"91500112{i:09d}"),
                "district": district,
                "zone": zone,
                "founded_on": f"20{10 + i % 15}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                "headcount": 10 + i % 900,
                "focus_area": FOCUS_AREAS.codes[i % 3],
                "application_fields": APPLICATION_FIELDS.codes[i % 7 : i % 7 + 1 + i % 2],
                "enterprise_stage": ENTERPRISE_STAGES.codes[i % 3],
                "specialized_level": SPECIALIZED_LEVELS.codes[i % 3],
                "description": f"{district or '深圳'}的服务机器人企业，团队来自重庆大学。编号{i}。",
            }
        )
    return rows


OWNER = "manager@bench.example.com"
# a fund's history: most deals stop at first contact or screening or are passed; three in
# twenty reach 立项 or later (and get a due-diligence checklist)
STAGE_MIX = ["sourcing"] * 6 + ["screening"] * 5 + ["passed"] * 4 + ["on_hold"] * 2
STAGE_MIX += ["approved", "due_diligence", "ic"]
SUB_FUND_CODES = ("ANGEL", "INDUSTRY")


def deal_rows(n: int, companies: int) -> list[dict]:
    """`n` new deals on the first `companies` of company_rows, as a deal import file's rows."""
    rows = []
    for i in range(n):
        c = i % companies
        common = {
            "company_uscc": uscc.complete(f"91500112{c:09d}"),
            "round": ROUNDS.codes[(i // companies + i) % len(ROUNDS.codes)],
            "stage": STAGE_MIX[i % len(STAGE_MIX)],
            "pass_reason": "估值过高" if STAGE_MIX[i % len(STAGE_MIX)] == "passed" else "",
            "source": SOURCES.codes[i % len(SOURCES.codes)],
            "owner_email": OWNER,
            "ask_wan": f"{1000 + i % 9000}",
            "pre_money_wan": f"{20000 + i % 50000}",
            "created_on": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}",
        }
        funds = SUB_FUND_CODES if i % 5 == 0 else SUB_FUND_CODES[i % 2 : i % 2 + 1]
        for code in funds:
            rows.append(
                {
                    **common,
                    "deal_ref": f"BX{i:07d}",
                    "sub_fund": code,
                    "proposed_wan": f"{500 + i % 3000}",
                }
            )
    return rows


def setup_fund(app) -> None:
    """The demo's fund and sub-funds, and the deals' owner (as the setup pages would make)."""
    from fundcrm.auth.services import create_user
    from fundcrm.demo.funds import seed_fund

    with app.app_context():
        session = db.session()
        set_actor(session, None, "bench")
        seed_fund(session)
        create_user(
            session,
            email=OWNER,
            name="投资经理 陈晨",
            roles=["manager"],
            password="bench-password-1",  # noqa: S106 - synthetic account
            settings=current_app.config,
        )
        session.commit()


def prepare(url: str, reset: bool) -> None:
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        with engine.connect() as connection:
            held = connection.execute(sa.text("SELECT count(*) FROM companies")).scalar()
        if held and not reset:
            sys.exit(f"{url} holds {held} companies: use --reset (drops everything) or another one")
        migrate.drop_everything(engine)
        migrate.upgrade(engine)
    finally:
        engine.dispose()


def app_for(url: str):
    settings = fundcrm_config.TestConfig()
    settings.DATABASE_URL = url
    settings.INSTANCE_PATH = Path(tempfile.mkdtemp(prefix="fundcrm-bench-"))
    return create_app(settings)


def timed(app, label: str, rows: int, work) -> float:
    with app.app_context():
        session = db.session()
        set_actor(session, None, "bench")
        start = time.perf_counter()
        work(session)
        seconds = time.perf_counter() - start
    print(f"{label:<28} {rows:>8,} rows {seconds:8.2f} s {rows / seconds:>10,.0f} rows/s")
    return seconds


def importing(data: bytes, name: str, expect: tuple[int, int, int], kind: str = "companies"):
    def work(session):
        report = run_import(session, kind, data, name, user=None, settings=current_app.config)
        if report.errors:
            sys.exit(f"import refused: {report.errors[:3]}")
        session.commit()
        counts = (report.created, report.updated, report.unchanged)
        if counts != expect:
            sys.exit(f"unexpected counts {counts}, wanted {expect}")

    return work


def exporting(fmt: str):
    def work(session):
        # the command's path: rows streamed to a file, never the whole file in memory
        with tempfile.TemporaryDirectory(prefix="fundcrm-bench-") as folder:
            out = Path(folder) / f"companies.{fmt}"
            exports.write_file(session, "companies", fmt, MultiDict(), out)
            if out.stat().st_size < 100:
                sys.exit("empty export")

    return work


def empty_tables(app) -> int:
    """Remove the imported companies and their audit rows; how many audit rows there were."""
    with app.app_context(), db.engine().begin() as connection:
        audited = connection.execute(sa.text("SELECT count(*) FROM audit_log")).scalar()
        for table in ("company_fields", "companies", "audit_log"):
            connection.execute(sa.text(f"DELETE FROM {table}"))  # noqa: S608 - fixed names
    return audited


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--deals", type=int, default=50_000, help="deals in the deal import")
    parser.add_argument("--database", help="default: a SQLite file in bench/.data/")
    parser.add_argument("--reset", action="store_true", help="drop everything in --database")
    args = parser.parse_args(argv)
    url = args.database or f"sqlite:///{DATA_DIR / 'imports.db'}"
    DATA_DIR.mkdir(exist_ok=True)
    prepare(url, args.reset or not args.database)
    rows = company_rows(args.rows)
    csv_data = sheets.write_csv(COMPANIES, rows)
    xlsx_data = sheets.write_xlsx(COMPANIES, rows)
    app = app_for(url)
    n = args.rows
    print(f"Database: {sa.make_url(url).render_as_string(hide_password=True)}")
    print(f"CSV {len(csv_data) / 2**20:.1f} MB, XLSX {len(xlsx_data) / 2**20:.1f} MB")
    timed(app, "import CSV (new)", n, importing(csv_data, "bench.csv", (n, 0, 0)))
    timed(app, "import CSV again (unchanged)", n, importing(csv_data, "bench.csv", (0, 0, n)))
    timed(app, "export CSV", n, exporting("csv"))
    timed(app, "export XLSX", n, exporting("xlsx"))
    audited = empty_tables(app)
    timed(app, "import XLSX (new)", n, importing(xlsx_data, "bench.xlsx", (n, 0, 0)))
    print(f"Audit rows written by one import of {n:,} companies: {audited:,}")
    setup_fund(app)
    d = args.deals
    deals_csv = sheets.write_csv(DEALS, deal_rows(d, n))
    timed(app, "import deals CSV (new)", d, importing(deals_csv, "deals.csv", (d, 0, 0), "deals"))
    again = importing(deals_csv, "deals.csv", (0, 0, d), "deals")
    timed(app, "import deals CSV again", d, again)


if __name__ == "__main__":
    main()
