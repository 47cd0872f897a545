"""The JSON API as a program uses it: the app under gunicorn's worker processes on a free
loopback port, `fundcrm worker` for the report job, a token made with `fundcrm tokens create`,
and nothing but `requests` and that token from there on: a company, a deal, its move, an
activity, a holding's figures, a report queued and downloaded.

Without gunicorn or Redis (the rate-limit counters of several workers) this skips with the
reason, unless FUNDCRM_REQUIRE_SERVICES is set (CI), which makes the skip a failure."""

import shutil
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import requests

from fundcrm import clock
from fundcrm.models import Holding, PortfolioTransaction, ValuationMark
from tests import factories
from tests.test_job_workers import (
    environment,
    free_port,
    rate_limit_storage,
    start_worker,
    stop,
    unavailable,
    wait_for,
)

FUNDCRM = [sys.executable, "-c", "from fundcrm.cli import main; main()"]


def _gunicorn() -> str:
    beside = Path(sys.executable).with_name("gunicorn")
    found = shutil.which("gunicorn") or (str(beside) if beside.exists() else None)
    if found is None:
        unavailable("gunicorn is not installed (pip install '.[test]' on Linux)")
    return found


def _seed(dbs, manager_id: int) -> int:
    """天使基金 with a commitment (a report can be asked for), and a holding of it bought for
    3,000 万元 on 2025-03-01 and marked (counted) at 4,500 万元 on 2025-12-31; its id."""
    angel = factories.sub_fund(dbs, "ANGEL")
    factories.commitment(dbs, factories.lp(dbs, "重庆市产业投资母基金"), angel, "100000000")
    company = factories.company(dbs, "重庆灵巧手机器人有限公司", factories.make_uscc(41))
    holding = Holding(sub_fund_id=angel.id, company_id=company.id, opened_on=date(2025, 3, 1))
    dbs.add(holding)
    dbs.flush()
    dbs.add(PortfolioTransaction(holding_id=holding.id, made_on=date(2025, 3, 1),
                                 kind="investment", amount_yuan=Decimal("30000000")))  # fmt: skip
    dbs.add(ValuationMark(holding_id=holding.id, marked_on=date(2025, 12, 31), method="dcf",
                          fair_value_yuan=Decimal("45000000"), author_id=manager_id,
                          status="counted"))  # fmt: skip
    dbs.commit()
    return holding.id


def test_a_program_drives_the_api_of_a_live_server_with_a_cli_token(app, dbs, make_user, tmp_path):
    gunicorn, storage = _gunicorn(), rate_limit_storage()
    manager_id, email = make_user("manager")
    holding_id = _seed(dbs, manager_id)
    env = environment(app, tmp_path / "instance") | {"FUNDCRM_RATELIMIT_STORAGE_URL": storage}
    made = subprocess.run([*FUNDCRM, "tokens", "create", email, "--name", "live test"],
                          env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert secret.startswith("fcrm_") and "\n" not in secret

    port, log = free_port(), tmp_path / "servers.log"
    command = [gunicorn, "--workers", "2", "--bind", f"127.0.0.1:{port}", "fundcrm:create_app()"]
    web = subprocess.Popen(command, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    worker = start_worker(env, log)
    base = f"http://127.0.0.1:{port}/api/v1"
    api = requests.Session()
    api.headers.update({"Authorization": f"Bearer {secret}", "Accept-Language": "en"})
    try:
        wait_for(lambda: _answers(base), 120, "gunicorn to answer")
        _journey(api, base, holding_id, log)
    finally:
        stop(worker)
        stop(web)


def _answers(base: str) -> bool:
    try:
        return requests.get(base + "/openapi.json", timeout=5).status_code == 200
    except requests.RequestException:  # not listening yet, or busy starting
        return False


def _journey(api: requests.Session, base: str, holding_id: int, log: Path) -> None:
    anonymous = requests.get(base + "/companies", timeout=30)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"]

    company = api.post(base + "/companies", json={
        "name": "重庆云识具身智能科技有限公司", "uscc": factories.make_uscc(42),
        "focus_area": "embodied_ai", "enterprise_stage": "startup",
    }, timeout=30)  # fmt: skip
    assert company.status_code == 201, company.text
    company_id = company.json()["id"]
    assert company.json()["version"] == 1

    deal = api.post(base + "/deals", json={
        "company_id": company_id, "round": "angel", "ask_wan": "2000",
        "sub_funds": [{"code": "ANGEL", "proposed_wan": "1500.5"}],
    }, timeout=30)  # fmt: skip
    assert deal.status_code == 201, deal.text
    created = deal.json()
    assert created["stage"] == "sourcing" and created["company_id"] == company_id
    ((code, proposed),) = [(p["code"], Decimal(p["proposed_wan"])) for p in created["sub_funds"]]
    assert (code, proposed) == ("ANGEL", Decimal("1500.5")), created  # 万元 decimal strings
    assert Decimal(created["proposed_wan"]) == Decimal("1500.5")
    assert Decimal(created["ask_wan"]) == Decimal("2000")
    deal_id = created["id"]

    moved = api.post(f"{base}/deals/{deal_id}/stage", json={"stage": "screening"}, timeout=30)
    assert moved.status_code == 200, moved.text
    assert moved.json()["stage"] == "screening"
    assert api.get(f"{base}/deals/{deal_id}", timeout=30).json()["stage"] == "screening"
    skipped = api.post(f"{base}/deals/{deal_id}/stage", json={"stage": "closed"}, timeout=30)
    assert skipped.status_code == 422, skipped.text

    on = (clock.today() - timedelta(days=1)).isoformat()
    activity = api.post(base + "/activities", json={
        "deal_id": deal_id, "kind": "call", "occurred_on": on,
        "summary": "电话沟通本轮估值与领投方进展。",
    }, timeout=30)  # fmt: skip
    assert activity.status_code == 201, activity.text
    logged = activity.json()
    assert (logged["deal_id"], logged["company_id"], logged["kind"]) == (
        deal_id,
        company_id,
        "call",
    )
    listed = api.get(base + "/activities", params={"deal_id": deal_id}, timeout=30).json()
    assert [a["id"] for a in listed["items"]] == [logged["id"]]

    figures = api.get(f"{base}/holdings/{holding_id}", params={"as_of": "2026-01-01"}, timeout=30)
    assert figures.status_code == 200, figures.text
    held = figures.json()
    assert (held["as_of"], held["sub_fund"]) == ("2026-01-01", "ANGEL")
    assert (held["invested"], held["fair_value"]) == ("30000000.00", "45000000.00")
    assert held["proceeds"] == "0.00" and held["moic"] == 1.5
    before = api.get(f"{base}/holdings/{holding_id}", params={"as_of": "2025-06-30"}, timeout=30)
    assert before.json()["fair_value"] == "30000000.00"  # the cost until the year-end mark

    asked = api.post(base + "/reports", json={
        "year": clock.today().year, "format": "pdf", "language": "zh", "edition": "staff",
    }, timeout=30)  # fmt: skip
    assert asked.status_code == 202, asked.text
    report_id = asked.json()["id"]
    assert asked.json()["state"] in ("queued", "running", "done")

    def finished():
        state = api.get(f"{base}/reports/{report_id}", timeout=30).json()
        return state if state["state"] in ("done", "failed") else None

    report = wait_for(finished, 180, "the report job")
    assert report["state"] == "done", (report, log.read_text()[-3000:])
    assert report["downloadable"] and report["download_name"].endswith(".pdf")
    download = api.get(f"{base}/reports/{report_id}/download", timeout=60)
    assert download.status_code == 200, download.text
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.content[:5] == b"%PDF-" and len(download.content) > 10_000
