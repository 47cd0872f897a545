"""Background jobs through the web: a big export becomes a job with its page, progress and file;
a big import is checked and written by jobs; each job is its owner's; retries, expired files,
dead workers and an unreachable queue. The suite runs jobs inside the request that queues them
(JOBS_IMMEDIATE); tests/test_job_workers.py runs them in real workers."""

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from sqlmodel import select

from fundcrm import clock, create_app
from fundcrm.jobs import beats, services
from fundcrm.models import AuditEntry, Company, Job
from tests import factories
from tests.conftest import csrf_token, page_text, post_form, settings_for_tests, sign_in

ENGLISH = {"Accept-Language": "en"}
EXPORT = "/exports/companies.csv"


@pytest.fixture
def small_jobs(app, monkeypatch):
    """Jobs from three rows on, so a test needs only a few records."""
    monkeypatch.setitem(app.config, "EXPORT_JOB_ROWS", 2)
    monkeypatch.setitem(app.config, "IMPORT_JOB_ROWS", 2)


def three_companies(dbs) -> list[str]:
    names = [f"重庆第{n}机器人有限公司" for n in range(1, 4)]
    for n, name in enumerate(names, start=1):
        factories.company(dbs, name, factories.make_uscc(n))
    dbs.commit()
    return names


def start_export(client, url: str = EXPORT):
    token = csrf_token(client, url)
    return client.post(url, data={"csrf_token": token}, headers=ENGLISH)


def only_job(dbs) -> Job:
    dbs.rollback()
    (job,) = dbs.exec(select(Job)).all()
    return job


EXPORT_PARAMS = {"export_kind": "companies", "format": "csv", "args": [], "locale": "en"}


def stored_job(dbs, user_id: int, state: str, kind: str = "export", params=None, **fields) -> Job:
    """A job row as a worker (or its death) left it: an export of every company by default."""
    job = Job(kind=kind, user_id=user_id, title="Stored title", state=state,
              params=EXPORT_PARAMS if params is None else params, **fields)  # fmt: skip
    dbs.add(job)
    dbs.commit()
    return job


def silent_since(app, seconds_over: int = 1):
    """A heartbeat older than JOB_STALE_SECONDS by so many seconds."""
    return clock.now() - timedelta(seconds=app.config["JOB_STALE_SECONDS"] + seconds_over)


def test_a_big_export_runs_as_a_job_and_its_file_downloads(app, client, dbs, login_as, small_jobs):
    names = three_companies(dbs)
    user_id, _email = login_as("manager")
    page = client.get(EXPORT, headers=ENGLISH)
    assert page.status_code == 200
    assert "more than 2 rows" in page_text(page.get_data(as_text=True))
    assert dbs.exec(select(Job)).all() == []  # asking costs nothing: the button starts it

    started = start_export(client)

    job = only_job(dbs)
    assert started.status_code == 302 and started.location == f"/jobs/{job.id}"
    assert (job.user_id, job.kind, job.state, job.attempt) == (user_id, "export", "done", 1)
    assert (job.progress_done, job.progress_total) == (3, 3)
    assert job.result_name == f"companies-{clock.stamp()}.csv"
    shown = page_text(client.get(f"/jobs/{job.id}", headers=ENGLISH).get_data(as_text=True))
    assert "3 rows exported." in shown and f"Download companies-{clock.stamp()}.csv" in shown
    status = client.get(f"/jobs/{job.id}/status").get_json()
    assert status["finished_at"] == job.finished_at.isoformat()
    assert status | {"message": None, "created_at": 0, "started_at": 0, "finished_at": 0} == {
        "id": job.id,
        "state": "done",
        "done": 3,
        "total": 3,
        "percent": 100,
        "message": None,
        "attempt": 1,
        "downloadable": True,
        "counts_rows": True,
        "step": "",
        "created_at": 0,
        "started_at": 0,
        "finished_at": 0,
    }
    download = client.get(f"/jobs/{job.id}/download")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].endswith(f"companies-{clock.stamp()}.csv")
    rows = list(csv.DictReader(io.StringIO(download.get_data().decode("utf-8-sig"))))
    assert sorted(r["name"] for r in rows) == names


def test_a_small_export_still_streams_at_once(app, client, dbs, login_as, small_jobs):
    factories.company(dbs, "重庆小数据有限公司", factories.make_uscc(1))
    dbs.commit()
    login_as("manager")
    response = client.get(EXPORT)
    assert response.status_code == 200 and "重庆小数据有限公司" in response.get_data(as_text=True)
    assert dbs.exec(select(Job)).all() == []


def test_the_jobs_page_lists_ones_own_jobs_and_an_administrator_sees_all(
    app, client, dbs, login_as, make_user, small_jobs
):
    three_companies(dbs)
    login_as("manager")
    start_export(client)
    mine = page_text(client.get("/jobs", headers=ENGLISH).get_data(as_text=True))
    assert "Export of Companies (CSV, 3 rows)" in mine and "Done" in mine
    chinese = page_text(client.get("/jobs", headers={"Accept-Language": "zh-CN"}).get_data(True))
    assert "导出企业库（CSV，3 行）" in chinese  # in the reader's language, not the starter's

    other = app.test_client()
    sign_in(other, make_user("manager")[0])
    theirs = page_text(other.get("/jobs", headers=ENGLISH).get_data(as_text=True))
    assert "Export of Companies" not in theirs and "No jobs yet" in theirs

    admin = app.test_client()
    sign_in(admin, make_user("admin")[0])
    everyone = page_text(admin.get("/jobs", headers=ENGLISH).get_data(as_text=True))
    assert "Export of Companies (CSV, 3 rows)" in everyone and "Started by" in everyone


@pytest.mark.parametrize("path", ["", "/status", "/download"])
def test_another_users_job_is_refused(app, client, dbs, login_as, make_user, small_jobs, path):
    three_companies(dbs)
    login_as("manager")
    start_export(client)
    job = only_job(dbs)
    other = app.test_client()
    sign_in(other, make_user("manager", "risk")[0])
    refused = other.get(f"/jobs/{job.id}{path}", headers=ENGLISH)
    assert refused.status_code == 403
    assert "Only whoever started this job or an administrator" in refused.get_data(as_text=True)
    if path == "/status":  # the progress bar's JSON
        assert refused.get_json()["ok"] is False
    admin = app.test_client()
    sign_in(admin, make_user("admin")[0])
    assert admin.get(f"/jobs/{job.id}{path}").status_code == 200
    assert client.get("/jobs/99999").status_code == 404


def test_a_retry_of_a_job_that_succeeded_is_refused(app, client, dbs, login_as, small_jobs):
    three_companies(dbs)
    login_as("manager")
    start_export(client)
    job = only_job(dbs)
    answer = post_form(
        client, f"/jobs/{job.id}/retry", {}, token_from=f"/jobs/{job.id}", headers=ENGLISH
    )
    assert answer.status_code == 302
    shown = page_text(client.get(answer.location, headers=ENGLISH).get_data(as_text=True))
    assert "Only a job that failed can be retried." in shown
    again = only_job(dbs)
    assert (again.state, again.attempt, again.finished_at) == ("done", 1, job.finished_at)


def test_a_retry_needs_a_csrf_token(app, client, dbs, login_as, small_jobs):
    three_companies(dbs)
    login_as("manager")
    start_export(client)
    job = only_job(dbs)
    assert client.post(f"/jobs/{job.id}/retry").status_code == 400


def test_a_result_is_removed_after_the_days_kept_and_its_download_says_so(
    app, client, dbs, login_as, small_jobs
):
    three_companies(dbs)
    login_as("manager")
    start_export(client)
    job = only_job(dbs)
    file = app.instance_path + f"/jobs/{job.result_file}"
    with time_machine.travel(clock.now() + timedelta(days=6, hours=23)):
        assert services.sweep(dbs, app.instance_path, app.config)["expired"] == 0
    with time_machine.travel(clock.now() + timedelta(days=7, minutes=1)):
        assert services.sweep(dbs, app.instance_path, app.config)["expired"] == 1
    assert not Path(file).exists()
    gone = client.get(f"/jobs/{job.id}/download", headers=ENGLISH)
    assert gone.status_code == 410
    assert "removed after 7 days: start the export again" in gone.get_data(as_text=True)


def test_the_sweeper_fails_a_job_whose_worker_died_and_a_retry_finishes_it(
    app, client, dbs, login_as, small_jobs
):
    three_companies(dbs)
    user_id, _email = login_as("manager")
    silent = silent_since(app)
    job = stored_job(dbs, user_id, "running", heartbeat_at=silent, started_at=silent)
    alive = stored_job(dbs, user_id, "running", heartbeat_at=clock.now())

    assert services.sweep(dbs, app.instance_path, app.config)["dead"] == 1

    dbs.refresh(job), dbs.refresh(alive)
    assert job.state == "failed" and alive.state == "running"
    assert "The worker running this job stopped (no sign of life for 60 seconds)" in job.message
    retried = post_form(client, f"/jobs/{job.id}/retry", {}, token_from=f"/jobs/{job.id}")
    assert retried.status_code == 302
    dbs.refresh(job)
    assert (job.state, job.attempt, job.progress_done) == ("done", 2, 3)
    assert client.get(f"/jobs/{job.id}/download").status_code == 200


def test_reading_a_dead_jobs_page_marks_it_failed(app, client, dbs, login_as):
    user_id, _email = login_as("manager")
    job = stored_job(dbs, user_id, "running", heartbeat_at=silent_since(app, 5))
    status = client.get(f"/jobs/{job.id}/status").get_json()
    assert status["state"] == "failed" and "no sign of life" in status["message"]


def test_a_beat_written_to_the_file_keeps_a_job_alive(app, dbs, login_as):
    """On SQLite a running import holds the write lock: the heartbeat goes to a file, and the
    sweeper reads it."""
    user_id, _email = login_as("manager")
    job = stored_job(dbs, user_id, "running", kind="import_write", params={},
                     heartbeat_at=silent_since(app, 5), progress_total=10)  # fmt: skip
    beats.write(app.instance_path, job.id, job.attempt, clock.now(), 7, 10)
    assert services.sweep(dbs, app.instance_path, app.config)["dead"] == 0
    assert services.describe(app.instance_path, job)["done"] == 7
    beats.write(app.instance_path, job.id, job.attempt + 1, clock.now(), 7, 10)  # another try's
    assert services.sweep(dbs, app.instance_path, app.config)["dead"] == 1


def test_an_export_with_an_unknown_filter_starts_no_job(app, client, dbs, login_as, small_jobs):
    three_companies(dbs)
    login_as("manager")
    token = csrf_token(client, EXPORT)
    refused = client.post(f"{EXPORT}?colour=red", data={"csrf_token": token}, headers=ENGLISH)
    assert refused.status_code == 400
    assert "Unknown filter for companies: colour" in refused.get_data(as_text=True)
    assert dbs.exec(select(Job)).all() == []
    assert client.post(EXPORT, data={}).status_code == 400  # no CSRF token
    assert dbs.exec(select(Job)).all() == []


def test_a_job_whose_stored_filter_was_tampered_with_fails_clearly(app, client, dbs, login_as):
    user_id, _email = login_as("manager")
    results = Path(app.instance_path) / "jobs"
    before = set(results.glob("*"))
    tampered = EXPORT_PARAMS | {"export_kind": "deals", "args": [["stage", "bogus"]]}
    job = stored_job(dbs, user_id, "failed", params=tampered)
    post_form(client, f"/jobs/{job.id}/retry", {}, token_from=f"/jobs/{job.id}")
    dbs.refresh(job)
    assert job.state == "failed" and job.attempt == 2
    assert "bogus" in job.message and job.result_file is None
    assert set(results.glob("*")) == before


def test_an_unreachable_redis_answers_503_and_keeps_no_job(app, tmp_path_factory, dbs, make_user):
    settings = settings_for_tests(
        tmp_path_factory,
        DATABASE_URL=app.config["DATABASE_URL"],
        JOBS_IMMEDIATE=False,
        REDIS_URL="redis://127.0.0.1:9/0",
        EXPORT_JOB_ROWS=2,
    )
    served = create_app(settings)
    three_companies(dbs)
    client = served.test_client()
    sign_in(client, make_user("manager")[0])
    answer = start_export(client)
    assert answer.status_code == 503
    assert "The job queue cannot be reached" in answer.get_data(as_text=True)
    assert dbs.exec(select(Job)).all() == []
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["queue"] == "unreachable"


# -- imports as jobs --------------------------------------------------------------------------

COMPANIES_CSV = "name,uscc,focus_area,enterprise_stage\n" + "".join(
    f"重庆导入{n}机器人有限公司,{factories.make_uscc(n)},embodied_ai,startup\n" for n in (1, 2, 3)
)


def upload_companies(client):
    """The three companies of COMPANIES_CSV uploaded on the import page."""
    form = {"kind": "companies", "file": (io.BytesIO(COMPANIES_CSV.encode()), "companies.csv")}
    return post_form(client, "/imports", form, token_from="/imports", headers=ENGLISH)


def test_a_big_import_is_checked_and_written_by_jobs(app, client, dbs, login_as, small_jobs):
    user_id, email = login_as("manager")
    upload = upload_companies(client)
    assert upload.status_code == 302
    check = only_job(dbs)
    assert (check.kind, check.state, check.user_id) == ("import_check", "done", user_id)
    preview = page_text(client.get(upload.location, headers=ENGLISH).get_data(as_text=True))
    assert "The file passes every check: 3 to create" in preview
    assert dbs.exec(select(Company)).all() == []

    token = upload.location.rsplit("/", 1)[-1]
    confirmed = post_form(
        client, f"/imports/{token}/confirm", {}, token_from=upload.location, headers=ENGLISH
    )
    assert confirmed.status_code == 302
    dbs.rollback()
    write = dbs.exec(select(Job).where(Job.kind == "import_write")).one()
    assert write.state == "done" and "Imported: 3 created" in write.message
    assert len(dbs.exec(select(Company)).all()) == 3
    entries = dbs.exec(select(AuditEntry).where(AuditEntry.table_name == "companies")).all()
    assert [e.actor_label for e in entries] == [email] * 3
    done = page_text(client.get(upload.location, headers=ENGLISH).get_data(as_text=True))
    assert "Imported: 3 created, 0 updated, 0 unchanged." in done


def test_a_big_file_that_is_not_a_spreadsheet_is_refused_before_queueing(
    app, client, dbs, login_as, small_jobs
):
    login_as("manager")
    fake = b"%PDF-1.4\n" + b"x\n" * 10
    refused = post_form(
        client,
        "/imports",
        {"kind": "companies", "file": (io.BytesIO(fake), "companies.csv")},
        token_from="/imports",
        headers=ENGLISH,
    )
    assert refused.status_code == 200 and "PDF" in refused.get_data(as_text=True)
    assert dbs.exec(select(Job)).all() == []


def test_the_jobs_link_is_in_the_menu_of_those_who_export(app, client, login_as):
    login_as("ic_member")
    assert re.search(r'href="/jobs"', client.get("/").get_data(as_text=True))


def test_two_simultaneous_retries_queue_the_job_once(app, dbs, make_user):
    from tests.test_concurrency import all_at_once, posting

    three_companies(dbs)
    user_id = make_user("manager")[0]
    job = stored_job(dbs, user_id, "failed", message="The worker running this job stopped.")
    url = f"/jobs/{job.id}/retry"
    results = Path(app.instance_path) / "jobs"
    before = set(results.glob("*.csv"))

    answers = all_at_once(app, user_id, [posting(url, {}, f"/jobs/{job.id}")] * 2)

    assert [a.status_code for a in answers] == [302, 302]
    dbs.refresh(job)
    assert (job.state, job.attempt, job.progress_done) == ("done", 2, 3)
    assert set(results.glob("*.csv")) - before == {results / job.result_file}  # one run


def failed_job(dbs, user_id: int, kind: str = "export", **params) -> Job:
    return stored_job(dbs, user_id, "failed", kind=kind, params=EXPORT_PARAMS | params)


def test_a_job_queued_too_long_is_queued_again_by_the_sweep(app, dbs, make_user):
    """Its task may be lost (a worker killed between taking it and claiming the job)."""
    three_companies(dbs)
    waited = clock.now() - timedelta(minutes=app.config["JOB_REQUEUE_MINUTES"] + 1)
    job = failed_job(dbs, make_user("manager")[0])
    job.state, job.created_at = "queued", waited
    fresh = failed_job(dbs, job.user_id)
    fresh.state = "queued"
    dbs.commit()
    with app.app_context():  # as the worker's periodic sweep runs
        assert services.sweep(dbs, app.instance_path, app.config)["requeued"] == 1
    dbs.refresh(job), dbs.refresh(fresh)
    assert job.state == "done" and fresh.state == "queued"


def test_a_retry_needs_the_role_the_job_needs(app, dbs, make_user):
    user_id = make_user("risk")[0]  # sees jobs, may not import companies
    job = failed_job(dbs, user_id, kind="import_write", import_token="x", file="c.csv",
                     import_kind="companies")  # fmt: skip
    client = app.test_client()
    sign_in(client, user_id)
    refused = post_form(client, f"/jobs/{job.id}/retry", {}, token_from=f"/jobs/{job.id}")
    assert refused.status_code == 403
    dbs.refresh(job)
    assert (job.state, job.attempt) == ("failed", 1)


def test_a_job_whose_user_lost_the_role_does_not_run(app, dbs, make_user):
    from fundcrm.jobs import runner
    from fundcrm.models import UserRole

    three_companies(dbs)
    user_id = make_user("manager")[0]
    job = failed_job(dbs, user_id)
    job.state = "queued"  # queued while a manager; the role changes before a worker takes it
    dbs.exec(select(UserRole).where(UserRole.user_id == user_id)).one().role = "viewer"
    dbs.commit()
    runner.run(app, job.id, job.attempt)
    dbs.refresh(job)
    assert job.state == "failed" and job.message == "Your role no longer allows this job."
    assert job.result_file is None


def test_odd_stored_parameters_show_the_stored_title_and_sweep_in_the_default_language(
    app, client, dbs, login_as
):
    user_id, _email = login_as("manager")
    job = failed_job(dbs, user_id, rows="many", locale="xx_YY")
    assert "Stored title" in client.get(f"/jobs/{job.id}", headers=ENGLISH).get_data(True)
    assert "Stored title" in client.get("/jobs", headers=ENGLISH).get_data(True)
    job.state = "running"
    job.heartbeat_at = clock.now() - timedelta(hours=1)
    dbs.commit()
    with app.app_context():  # as the worker's periodic sweep runs
        assert services.sweep(dbs, app.instance_path, app.config)["dead"] == 1
    dbs.refresh(job)
    assert job.message.startswith("运行此任务的后台进程已停止")  # the fund's default language


def test_an_expired_result_is_refused_even_before_the_sweeper_removes_it(
    app, client, dbs, login_as, small_jobs
):
    three_companies(dbs)
    login_as("manager")
    start_export(client)
    job = only_job(dbs)
    with time_machine.travel(clock.now() + timedelta(days=7, minutes=1)):
        gone = client.get(f"/jobs/{job.id}/download", headers=ENGLISH)
    assert gone.status_code == 410
    assert (Path(app.instance_path) / "jobs" / job.result_file).exists()


def test_an_import_job_has_no_file_to_download(app, client, dbs, login_as, small_jobs):
    login_as("manager")
    upload_companies(client)
    check = only_job(dbs)
    answer = client.get(f"/jobs/{check.id}/download", headers=ENGLISH)
    assert answer.status_code == 410
    assert "This job has no file to download." in answer.get_data(as_text=True)


def test_a_retried_import_takes_over_the_lock_its_killed_attempt_left(
    app, client, dbs, login_as, small_jobs
):
    from fundcrm.imports import storage

    _user, email = login_as("manager")
    upload = upload_companies(client)
    token = upload.location.rsplit("/", 1)[-1]
    pending = storage.load(app.instance_path, token, only_job(dbs).user_id)
    write = failed_job(dbs, pending.user_id, kind="import_write", import_token=token, file="c")
    storage.claim(app.instance_path, pending, f"job:{write.id}")  # as the killed attempt left it
    assert not storage.claim(app.instance_path, pending)  # the web may not write meanwhile

    post_form(client, f"/jobs/{write.id}/retry", {}, token_from=f"/jobs/{write.id}")

    dbs.refresh(write)
    assert write.state == "done", write.message
    assert len(dbs.exec(select(Company)).all()) == 3


def test_a_file_cannot_be_discarded_while_a_job_works_on_it(app, client, dbs, login_as, small_jobs):
    from fundcrm.imports import storage

    login_as("manager")
    upload = upload_companies(client)
    check = only_job(dbs)
    check.state = "running"
    check.heartbeat_at = clock.now()
    dbs.commit()
    token = upload.location.rsplit("/", 1)[-1]
    answer = post_form(
        client, f"/imports/{token}/discard", {}, token_from="/imports", headers=ENGLISH
    )
    assert answer.status_code == 302
    assert storage.load(app.instance_path, token, check.user_id) is not None


def test_an_export_jobs_file_is_named_by_the_funds_date(app, client, dbs, login_as, small_jobs):
    three_companies(dbs)
    with time_machine.travel("2026-12-31T16:30:00Z", tick=False):  # 00:30 on 1 January in 重庆
        login_as("manager")
        start_export(client)
    assert only_job(dbs).result_name == "companies-2027-01-01.csv"
