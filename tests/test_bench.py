"""Every bench module runs at a tiny size, so none can rot: the data generators (SQLite, and
PostgreSQL when the suite runs on it), the page and metrics timings, the import timings and
the load generator against a real HTTP server on a loopback port."""

import os
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session
from werkzeug.serving import make_server

import config as fundcrm_config
from bench import (
    api,
    compliance,
    dashboard,
    export_job,
    generate,
    imports,
    load,
    metrics,
    pages,
    portfolio,
    report,
)
from bench import map as map_bench
from fundcrm import create_app
from fundcrm.db import make_engine
from fundcrm.portfolio import figures


def count(url: str, table: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608
    finally:
        engine.dispose()


def check_generated(url: str, deals: int) -> None:
    """The deals, their marker and the managers who sign in; a second run refuses."""
    counts = generate.build(url, deals, seed=3)
    assert counts.rows["deals"] == deals
    assert count(url, "deals") == deals
    assert count(url, "users") == 12 and count(url, "companies") > 0
    engine = make_engine(url)
    try:
        assert generate.read_marker(engine) == deals
    finally:
        engine.dispose()
    assert generate.main(["--deals", "5", "--database", url]) == 2  # holds deals: refused
    assert generate.main(["--deals", "5", "--database", url, "--reset"]) == 0
    assert count(url, "deals") == 5


def test_generate_on_sqlite(tmp_path):
    check_generated(f"sqlite:///{tmp_path / 'bench.db'}", 40)


@pytest.fixture
def throwaway_postgresql():
    """A database of its own next to the suite's PostgreSQL database, dropped afterwards."""
    url = os.environ.get("FUNDCRM_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("bench.generate on PostgreSQL runs when FUNDCRM_TEST_DATABASE_URL is one")
    base = make_url(url)
    name = f"{base.database}_bench_generate"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")

    def drop():
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    drop()
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        drop()
        admin.dispose()


def test_generate_on_postgresql(throwaway_postgresql):
    check_generated(throwaway_postgresql, 40)


def check_portfolio(url: str) -> None:
    """Deals first (too few companies: more are made), then the portfolio: every count, valid
    under DOMAIN.md section 6, read by the app's own metrics; a second run refuses."""
    counts = portfolio.build(url, holdings=40, transactions=400, deals=20, seed=3)
    assert counts.rows["deals"] == 20 and counts.rows["holdings"] == 40
    assert count(url, "portfolio_transactions") == 400
    # 20 deals bring at most 20 companies, too few for 40 holdings: the others are made here
    assert count(url, "companies") == counts.rows["companies"] > 20
    for table in ("valuation_marks", "lps", "commitments", "lp_flows", "fund_expenses"):
        assert count(url, table) > 0, table
    engine = make_engine(url)
    try:
        assert portfolio.problems(engine) == []
        assert portfolio.read_marker(engine) == (40, 400, 3)
        with engine.connect() as connection:
            kinds = set(
                connection.execute(
                    sa.text("SELECT DISTINCT kind FROM portfolio_transactions")
                ).scalars()
            )
            version = connection.execute(
                sa.text("SELECT version FROM data_versions WHERE name = 'metrics'")
            ).scalar()
        assert kinds == {"investment", "proceeds", "dividend", "write_off"} and version == 1
        with Session(engine) as session:
            out = figures.as_json(session, portfolio.END)
        assert len(out["holdings"]) == 40 and out["fund"]["net_irr"] is not None
    finally:
        engine.dispose()
    argv = ["--holdings", "5", "--transactions", "30", "--database", url]
    assert portfolio.main(argv) == 2  # holds a portfolio: refused
    assert portfolio.main([*argv, "--deals", "8", "--reset", "--check"]) == 0
    assert count(url, "holdings") == 5 and count(url, "deals") == 8


def test_portfolio_on_sqlite(tmp_path):
    check_portfolio(f"sqlite:///{tmp_path / 'portfolio.db'}")


def test_portfolio_on_postgresql(throwaway_postgresql):
    check_portfolio(throwaway_postgresql)


def test_portfolio_problems_finds_a_mark_after_the_end(tmp_path):
    url = f"sqlite:///{tmp_path / 'portfolio.db'}"
    portfolio.build(url, holdings=30, transactions=300, deals=20, seed=3)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            ended = connection.execute(
                sa.text(
                    "SELECT holding_id, made_on FROM portfolio_transactions"
                    " WHERE kind = 'write_off' OR exit = 'full'"
                )
            ).first()
            connection.execute(
                sa.text(
                    "INSERT INTO valuation_marks (id, holding_id, marked_on, fair_value_yuan,"
                    " method, note, status, created_at) VALUES (999999, :holding, :on, 1, 'cost',"
                    " '', 'counted', '2026-11-01 00:00:00')"
                ),
                {"holding": ended.holding_id, "on": ended.made_on},
            )
        found = portfolio.problems(engine)
    finally:
        engine.dispose()
    assert found == [f"holding {ended.holding_id}: mark 999999 on or after the end"]


def check_metrics(argv: list[str], capsys) -> None:
    assert (
        metrics.main(
            [
                *argv,
                "--holdings",
                "8",
                "--transactions",
                "80",
                "--deals",
                "20",
                "--repeat",
                "1",
                "--profile",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "| compute min | compute median | as_json min | as_json median | statements |" in out
    for view, path in metrics.REPEAT_VIEWS.items():
        assert f"| {view} | `{path}` | 1 |" in out
    assert "| first view | `/portfolio` | 1 |" in out and "| other date, repeat |" in out
    assert "target (metrics under 1 s)" in out and "target (repeat views under 50 ms" in out
    assert "| ORM holdings_for_list" in out and "cProfile of one figures.compute" in out


def test_metrics_times_the_metrics_and_the_page_on_sqlite(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(metrics, "DATA_DIR", tmp_path)
    monkeypatch.setenv("FUNDCRM_INSTANCE_PATH", str(tmp_path / "instance"))
    check_metrics(["--databases", "sqlite"], capsys)
    assert (tmp_path / "fundcrm_portfolio_8_80.db").exists()
    check_metrics(["--databases", "sqlite"], capsys)  # the data is reused
    assert (
        metrics.main(
            ["--databases", "sqlite", "--holdings", "8", "--transactions", "80", "--clean"]
        )
        == 0
    )
    assert not (tmp_path / "fundcrm_portfolio_8_80.db").exists()


def test_metrics_on_postgresql(throwaway_postgresql, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FUNDCRM_INSTANCE_PATH", str(tmp_path / "instance"))
    check_metrics(["--database", throwaway_postgresql], capsys)


def test_compliance_times_the_capital_account_and_the_compliance_pages(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(metrics, "DATA_DIR", tmp_path)
    monkeypatch.setenv("FUNDCRM_INSTANCE_PATH", str(tmp_path / "instance"))
    argv = ["--databases", "sqlite", "--holdings", "8", "--transactions", "80", "--deals", "20"]
    assert compliance.main([*argv, "--repeat", "2"]) == 0
    out = capsys.readouterr().out
    assert "| capital account | `/funds/lps/" in out
    assert "| compliance ANGEL | `/funds/ANGEL/compliance` |" in out
    assert "| compliance INDUSTRY | `/funds/INDUSTRY/compliance` |" in out
    assert "target (each page under 100 ms)" in out
    assert compliance.main([*argv, "--clean"]) == 0
    assert not (tmp_path / "fundcrm_portfolio_8_80.db").exists()


def test_dashboard_times_the_home_dashboard_with_a_fixed_number_of_statements(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(metrics, "DATA_DIR", tmp_path)
    monkeypatch.setenv("FUNDCRM_INSTANCE_PATH", str(tmp_path / "instance"))
    argv = ["--databases", "sqlite", "--holdings", "8", "--transactions", "80", "--deals", "30"]
    assert dashboard.main([*argv, "--repeat", "2"]) == 0
    out = capsys.readouterr().out
    assert "Home dashboard on sqlite (30 deals, 8 holdings, 80 transactions" in out
    assert "| dashboard data | 2 |" in out and "| home page `/` | 2 |" in out
    # the fund's language: the chart titles in Chinese
    assert "- 项目漏斗 (" in out and "- 各阶段项目数 (30):" in out
    assert "| dashboard data, first view after a deal changed | 2 |" in out
    assert "target (dashboard data under 100 ms)" in out
    data_row = next(line for line in out.splitlines() if line.startswith("| dashboard data"))
    assert "/" not in data_row.split("|")[-2]  # the same statements on every run
    assert dashboard.main([*argv, "--clean"]) == 0
    assert not (tmp_path / "fundcrm_portfolio_8_80.db").exists()


def test_map_times_the_map_data_with_a_fixed_number_of_statements(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(metrics, "DATA_DIR", tmp_path)
    monkeypatch.setenv("FUNDCRM_INSTANCE_PATH", str(tmp_path / "instance"))
    argv = ["--databases", "sqlite", "--holdings", "8", "--transactions", "80", "--deals", "30"]
    assert map_bench.main([*argv, "--repeat", "2"]) == 0
    out = capsys.readouterr().out
    assert "Industry map data on sqlite (30 deals, 8 holdings, 80 transactions" in out
    for name in map_bench.VIEWS:
        for run in ("first view (cache emptied)", "repeat view", "`/map/data.json`"):
            assert f"| {name} | `{map_bench.VIEWS[name]}` | {run} | 2 |" in out, (name, run)
    assert "- deals: total 30;" in out and "- invested: total " in out
    assert "target (map data under 100 ms)" in out
    for line in out.splitlines():
        if line.startswith("| ") and "view" in line.split("|")[3]:
            assert "/" not in line.split("|")[-2], line  # the same statements on every run
    assert map_bench.main([*argv, "--clean"]) == 0
    assert not (tmp_path / "fundcrm_portfolio_8_80.db").exists()


def test_api_times_the_deal_list_with_a_fixed_number_of_statements(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(metrics, "DATA_DIR", tmp_path)
    monkeypatch.setenv("FUNDCRM_INSTANCE_PATH", str(tmp_path / "instance"))
    argv = ["--databases", "sqlite", "--holdings", "8", "--transactions", "80", "--deals", "30"]
    assert api.main([*argv, "--repeat", "2"]) == 0
    out = capsys.readouterr().out
    assert "Deals through the API on sqlite (30 deals; a manager's token; ms):" in out
    for name, query in api.VIEWS.items():
        assert f"| {name} | `/api/v1/deals?{query}` | 2 |" in out, name
    plain = next(line for line in out.splitlines() if line.startswith("| plain |"))
    assert plain.split("|")[-3].strip() == "30"  # every deal counted
    for line in out.splitlines():
        if line.startswith("| ") and "/api/v1/deals" in line:
            assert "/" not in line.split("|")[-4], line  # the same statements on every run
    assert "target (under 50 ms)" in out
    assert api.main([*argv, "--clean"]) == 0
    assert not (tmp_path / "fundcrm_portfolio_8_80.db").exists()


def test_pages_times_both_tables_interleaved_with_production_pages(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(pages, "DATA_DIR", tmp_path)
    monkeypatch.setenv("FUNDCRM_INSTANCE_PATH", str(tmp_path / "instance"))
    assert pages.main(["--sizes", "60,120", "--databases", "sqlite", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "| database | deals | list | filtered | search | board |" in out
    assert "| stage | -proposed |" in out  # the sorted pages' table
    assert out.count("| sqlite | 60 |") == 2 and out.count("| sqlite | 120 |") == 2
    assert out.count("| sqlite | 120 / 60 | ×") == 2  # the ratio rows
    assert out.count("target (under 50 ms at 120, at most ×1.5)") == 2
    app = pages.make_app(pages.sqlite_url(60))
    assert app.config["PER_PAGE"] == fundcrm_config.ProductionConfig.PER_PAGE
    app.extensions["fundcrm.engine"].dispose()


def test_imports_runs_on_its_own_data(tmp_path, capsys):
    """Its companies outside Chongqing have no district: the import takes every row."""
    imports.main(["--rows", "30", "--database", f"sqlite:///{tmp_path / 'imports.db'}"])
    out = capsys.readouterr().out
    for label in ("import CSV (new)", "import CSV again", "export XLSX", "import XLSX (new)"):
        assert label in out
    assert "Audit rows written by one import of 30 companies" in out


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A generated database served over HTTP on a free loopback port, in a thread."""
    url = f"sqlite:///{tmp_path / 'load.db'}"
    generate.build(url, 60)
    monkeypatch.setenv("FUNDCRM_INSTANCE_PATH", str(tmp_path / "instance"))
    settings = fundcrm_config.TestConfig()
    settings.DATABASE_URL = url
    settings.EXPORT_JOB_ROWS = 10  # the deals export is a job (run in the request here)
    app = create_app(settings)
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}", url
    finally:
        http.shutdown()
        thread.join()
        app.extensions["fundcrm.engine"].dispose()


def test_load_prints_its_figures_and_loses_no_write(server, capsys):
    address, _url = server
    argv = ["--url", address, "--sessions", "3", "--rate", "20", "--seconds", "2"]
    assert load.main([*argv, "--grace", "5"]) == 0
    out = capsys.readouterr().out
    assert "3 sessions signed in" in out
    assert "offered 20 requests/s for 2 s: 40 requests" in out
    for figure in ("achieved", "p50", "p95", "p99", "errors (not 2xx/3xx) 0", "generator CPU"):
        assert figure in out
    assert "lost 0" in out and "writes acknowledged 0" not in out


def test_load_counts_a_write_missing_on_read_back(server):
    address, url = server
    session = load.Load(address, sessions=2, password=generate.PASSWORD, seed=1)
    for client in session.clients:
        session.one(client, "write", 0.0, load.random.Random(1))
    assert session.lost_writes() == (2, 0)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM activity_users"))
        connection.execute(sa.text("DELETE FROM activities"))
    engine.dispose()
    assert session.lost_writes() == (2, 2)


def test_load_find_max_steps_the_rate(server, capsys):
    address, _url = server
    argv = ["--url", address, "--sessions", "2", "--find-max", "--start-rate", "5"]
    assert load.main([*argv, "--step", "5", "--max-rate", "10", "--step-seconds", "1"]) == 0
    out = capsys.readouterr().out
    assert "5 req/s offered" in out and "10 req/s offered" in out
    assert "highest rate sustained with p95 under 300 ms: " in out


def test_load_refuses_a_server_without_the_bench_users(server, capsys):
    address, _url = server
    argv = ["--url", address, "--sessions", "2", "--password", "not-the-password"]
    assert load.main(argv) == 2
    assert "could not sign in" in capsys.readouterr().err


def test_export_job_times_the_click_to_the_downloaded_file(server, capsys):
    address, url = server
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT count(*) FROM deals LEFT JOIN deal_sub_funds ON deal_id = deals.id")
        ).scalar_one()
    engine.dispose()
    assert export_job.main(["--url", address]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["format", "rows", "MB", "click→file", "queued", "writing"]
    assert [line.split()[:2] for line in lines[1:]] == [["csv", f"{rows:,}"], ["xlsx", f"{rows:,}"]]


def test_report_times_the_annual_report_in_both_files(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(metrics, "DATA_DIR", tmp_path)
    monkeypatch.setenv("FUNDCRM_INSTANCE_PATH", str(tmp_path / "instance"))
    argv = ["--databases", "sqlite", "--holdings", "8", "--transactions", "80", "--deals", "20"]
    assert report.main([*argv, "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "Annual report, whole fund, staff edition (8 holdings, 80 transactions" in out
    assert "| pdf | 1 |" in out and "| xlsx | 1 |" in out
    assert "target (each file under 10 s)" in out
    assert report.main([*argv, "--clean"]) == 0
