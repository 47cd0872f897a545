"""Jobs in real worker processes: `fundcrm worker` killed in the middle of an export leaves the
job to the sweeper, and a retry in a new worker brings the file; the app under gunicorn's four
worker processes queues an export that `fundcrm worker` writes and the browser downloads. On
PostgreSQL the queue is Redis, on SQLite the embedded file.

Without gunicorn, or without Redis on PostgreSQL, these skip with the reason, unless
FUNDCRM_REQUIRE_SERVICES is set (CI), which makes each such skip a failure."""

import contextlib
import csv
import http.cookiejar
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import Session, select

from fundcrm import clock, create_app, search
from fundcrm.companies.services import new_company
from fundcrm.imports import bulk
from fundcrm.jobs import services
from fundcrm.models import Company, Job, User
from tests import factories
from tests.conftest import PASSWORD, settings_for_tests

REDIS_URL = os.environ.get("FUNDCRM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def unavailable(reason: str):
    if os.environ.get("FUNDCRM_REQUIRE_SERVICES"):
        pytest.fail(f"{reason} (FUNDCRM_REQUIRE_SERVICES is set)")
    pytest.skip(reason)


def on_postgresql(app) -> bool:
    return app.extensions["fundcrm.engine"].dialect.name == "postgresql"


def queue_url(app) -> str | None:
    """Redis beside PostgreSQL (as in production), the embedded queue beside SQLite."""
    return REDIS_URL if on_postgresql(app) else None


@pytest.fixture(autouse=True)
def empty_queue(app):
    """The suite's own Redis database, emptied: no task of an earlier run."""
    if not on_postgresql(app):
        return
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()
    except redis.exceptions.ConnectionError as error:
        unavailable(f"Redis is unreachable at {REDIS_URL}: {error}")


def environment(app, instance: Path, **settings) -> dict:
    env = {
        **os.environ,
        "FUNDCRM_ENV": "development",
        "FUNDCRM_SECRET_KEY": "job-workers-test-key",
        "FUNDCRM_DATABASE_URL": app.config["DATABASE_URL"],
        "FUNDCRM_INSTANCE_PATH": str(instance),
        "FUNDCRM_JOB_HEARTBEAT_SECONDS": "1",
        "FUNDCRM_JOB_STALE_SECONDS": "3",
    }
    env.pop("FUNDCRM_REDIS_URL", None)
    if url := queue_url(app):
        env["FUNDCRM_REDIS_URL"] = url
    return env | {f"FUNDCRM_{k}": str(v) for k, v in settings.items()}


def start_worker(env: dict, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-c", "from fundcrm.cli import main; main()", "worker"]
    return subprocess.Popen(command, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def queueing_app(app, tmp_path_factory, instance: Path):
    """The app as a web process builds it with a real queue (not the suite's in-request one)."""
    settings = settings_for_tests(
        tmp_path_factory,
        DATABASE_URL=app.config["DATABASE_URL"],
        JOBS_IMMEDIATE=False,
        REDIS_URL=queue_url(app),
    )
    settings.INSTANCE_PATH = instance
    return create_app(settings)


def wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.05)
    raise AssertionError(f"waited {seconds} s for {what}")


def job_state(app, job_id: int) -> Job:
    with Session(app.extensions["fundcrm.engine"]) as session:
        return session.get(Job, job_id)


def many_companies(dbs, n: int) -> None:
    now = clock.now()
    rows = [
        new_company(
            factories.make_uscc(i),
            {
                "name": f"重庆第{i}号机器人有限公司",
                "focus_area": "embodied_ai",
                "enterprise_stage": "startup",
            },
            now=now,
        )
        for i in range(1, n + 1)
    ]
    search.fill_tokens("companies", rows)
    bulk.insert(dbs, Company.__table__, rows)
    dbs.commit()


def test_a_worker_killed_mid_job_leaves_it_failed_and_a_retry_brings_the_file(
    app, dbs, make_user, tmp_path, tmp_path_factory
):
    many_companies(dbs, 8000)  # an XLSX of 8,000 rows takes seconds to write
    instance = tmp_path / "instance"
    web = queueing_app(app, tmp_path_factory, instance)
    user = make_user("manager")[0]
    with web.app_context(), Session(web.extensions["fundcrm.engine"]) as session:
        params = {"export_kind": "companies", "format": "xlsx", "args": [], "locale": "en"}
        owner = session.get(User, user)
        job_id = services.start(session, owner, "export", params, "Export").id
    env = environment(app, instance)
    log = tmp_path / "worker.log"

    worker = start_worker(env, log)
    try:
        wait_for(lambda: job_state(app, job_id).state == "running", 60, "the worker to start")
        worker.kill()  # SIGKILL: no chance to record anything
        worker.wait()
    finally:
        stop(worker)
    assert job_state(app, job_id).state == "running"  # as the dead worker left it
    assert not list((instance / "jobs").glob(f"{job_id}-*"))  # no half-written file offered

    time.sleep(3.5)  # JOB_STALE_SECONDS without a heartbeat
    stale = {**app.config, "JOB_STALE_SECONDS": 3}
    assert services.sweep(dbs, str(instance), stale)["dead"] == 1
    failed = job_state(app, job_id)
    assert failed.state == "failed" and "no sign of life for 3 seconds" in failed.message

    with web.app_context(), Session(web.extensions["fundcrm.engine"]) as session:
        services.retry(session, session.get(Job, job_id))
    worker = start_worker(env, log)
    try:
        done = wait_for(
            lambda: (j := job_state(app, job_id)).state in ("done", "failed") and j, 120, "retry"
        )
    finally:
        stop(worker)
    assert (done.state, done.attempt, done.progress_done) == ("done", 2, 8000), log.read_text()
    result = instance / "jobs" / done.result_file
    sheet = openpyxl.load_workbook(result, read_only=True).worksheets[0]
    assert sum(1 for _row in sheet.iter_rows()) == 8001  # the header and every company


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """A user's browser as far as the test needs: cookies, forms with their CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str):
        return self.opener.open(self.base + path, timeout=30)

    def post_form(self, path: str, data: dict, token_from: str | None = None):
        page = self.get(token_from or path).read().decode()
        body = {**data, "csrf_token": TOKEN.search(page).group(1)}
        request = urllib.request.Request(
            self.base + path, data=urllib.parse.urlencode(body).encode(), method="POST"
        )
        return self.opener.open(request, timeout=30)


@contextlib.contextmanager
def gunicorn_and_worker(app, tmp_path, email: str, **settings):
    """The app under gunicorn's four worker processes and `fundcrm worker`, with a browser
    signed in as `email`: (browser, the servers' log)."""
    gunicorn = shutil.which("gunicorn") or (
        str(Path(sys.executable).with_name("gunicorn"))
        if Path(sys.executable).with_name("gunicorn").exists()
        else None
    )
    if gunicorn is None:
        unavailable("gunicorn is not installed (pip install '.[test]' on Linux)")
    env = environment(app, tmp_path / "instance", **settings)
    port = free_port()
    log = tmp_path / "servers.log"
    web = subprocess.Popen(
        [gunicorn, "--workers", "4", "--bind", f"127.0.0.1:{port}", "fundcrm:create_app()"],
        env=env | {"FUNDCRM_RATELIMIT_STORAGE_URL": rate_limit_storage()},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    worker = start_worker(env, log)
    try:
        browser = Browser(f"http://127.0.0.1:{port}")
        wait_for(lambda: _answers(browser), 60, "gunicorn to answer")
        browser.post_form("/login", {"email": email, "password": PASSWORD})
        yield browser, log
    finally:
        stop(worker)
        stop(web)


def rate_limit_storage() -> str:
    """Several workers count API requests in Redis, or the app refuses to start (its counters
    would be per process): the suite's Redis, on SQLite too."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as error:
        unavailable(f"Redis (the API's rate-limit counters under gunicorn) is unreachable at "
                    f"{REDIS_URL}: {error}")  # fmt: skip
    return REDIS_URL


def finished_job(browser: Browser, job_path: str, seconds: float, what: str) -> dict:
    def finished():
        status = json.loads(browser.get(job_path + "/status").read())
        return status if status["state"] in ("done", "failed") else None

    return wait_for(finished, seconds, what)


def test_an_export_job_through_gunicorn_and_a_worker(app, dbs, make_user, tmp_path):
    for n in (1, 2, 3):
        factories.company(dbs, f"重庆第{n}机器人有限公司", factories.make_uscc(n))
    dbs.commit()
    _user, email = make_user("manager")
    with gunicorn_and_worker(app, tmp_path, email, EXPORT_JOB_ROWS=2) as (browser, log):
        offer = browser.get("/exports/companies.csv").read().decode()
        assert "start-export-job" in offer, offer
        started = browser.post_form("/exports/companies.csv", {}, "/exports/companies.csv")
        job_path = urllib.parse.urlparse(started.geturl()).path
        assert re.fullmatch(r"/jobs/\d+", job_path), started.geturl()
        status = finished_job(browser, job_path, 60, "the export job")
        assert status["state"] == "done", (status, log.read_text())
        data = browser.get(job_path + "/download").read().decode("utf-8-sig")
    names = sorted(row["name"] for row in csv.DictReader(io.StringIO(data)))
    assert names == [f"重庆第{n}机器人有限公司" for n in (1, 2, 3)]


def _answers(browser: Browser) -> bool:
    try:
        return browser.get("/healthz").status == 200
    except OSError:
        return False


def test_an_annual_report_through_gunicorn_and_a_worker(app, dbs, make_user, tmp_path):
    """The report asked on /reports under four gunicorn workers is made by `fundcrm worker`,
    its section shown as the progress, and the PDF downloads."""
    angel = factories.sub_fund(dbs, "ANGEL")
    factories.commitment(dbs, factories.lp(dbs, "重庆市产业投资母基金"), angel, "100000000")
    dbs.commit()
    _user, email = make_user("manager")
    with gunicorn_and_worker(app, tmp_path, email) as (browser, log):
        form = {"year": str(clock.today().year), "sub_fund": "", "language": "zh",
                "edition": "staff", "pdf": "y"}  # fmt: skip
        browser.post_form("/reports", form, "/reports")
        with Session(app.extensions["fundcrm.engine"]) as session:
            (job,) = session.exec(select(Job).where(Job.kind == "annual_report")).all()
        status = finished_job(browser, f"/jobs/{job.id}", 120, "the report job")
        assert status["state"] == "done", (status, log.read_text())
        assert (status["done"], status["total"]) == (10, 10)
        data = browser.get(f"/jobs/{job.id}/download").read()
    assert data[:5] == b"%PDF-"
