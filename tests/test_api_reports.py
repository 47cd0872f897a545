"""`/api/v1/reports`: the annual report queued as on /reports (a background job; run at once in
tests), its state and its file; an LP's representative gets only its own LP's edition."""

import io

import openpyxl
import pytest
import time_machine
from sqlmodel import func, select

from fundcrm.models import Job, User
from fundcrm.reports.jobs import KIND
from tests.api_fixtures import ApiClient, token_for
from tests.test_capital_accounts import fund as fund  # noqa: F401 - the fixture


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel("2026-01-20T03:00:00Z", tick=False):
        yield


def as_user(app, user_id: int) -> ApiClient:
    return ApiClient(app.test_client(), token_for(app, user_id))


@pytest.fixture
def representative(app, dbs, fund, make_user):
    """A viewer tied to the institution B (in ANGEL only)."""
    user_id, _email = make_user("viewer")
    dbs.get(User, user_id).lp_id = fund["b"].id
    dbs.commit()
    return user_id


def jobs_count(dbs) -> int:
    dbs.expire_all()
    return dbs.exec(select(func.count()).select_from(Job)).one()


def test_staff_queue_follow_and_download_a_report(app, dbs, fund):
    api = as_user(app, fund["manager"])
    asked = api.post("/reports", json={"year": 2025, "language": "en", "format": "xlsx"})
    assert asked.status_code == 202, asked.json
    report = asked.json
    assert (report["state"], report["edition"], report["format"]) == ("done", "staff", "xlsx")
    assert report["progress"]["percent"] == 100 and report["downloadable"] is True
    assert report["download_name"].endswith(".xlsx")
    state = api.get(f"/reports/{report['id']}").json
    assert state["state"] == "done" and state["id"] == report["id"]
    data = api.get(f"/reports/{report['id']}/download?format=xlsx")
    assert data.status_code == 200
    assert data.headers["Content-Disposition"].startswith("attachment")
    assert data.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = openpyxl.load_workbook(io.BytesIO(data.get_data()))
    assert book.sheetnames  # a real workbook
    assert api.get(f"/reports/{report['id']}/download").status_code == 200
    other_format = api.get(f"/reports/{report['id']}/download?format=pdf")
    assert other_format.status_code == 404 and "XLSX" in other_format.json["error"]["message"]


def test_a_report_not_done_is_409_and_others_reports_are_refused(app, dbs, fund, api_as):
    job = Job(kind=KIND, user_id=fund["manager"], state="queued", title="t",
              params={"year": 2025, "sub_fund": None, "language": "en", "edition": "staff",
                      "lp_id": None, "file_format": "pdf"})  # fmt: skip
    dbs.add(job)
    dbs.commit()
    api = as_user(app, fund["manager"])
    assert api.get(f"/reports/{job.id}").json["state"] == "queued"
    waiting = api.get(f"/reports/{job.id}/download")
    assert waiting.status_code == 409 and waiting.json["error"]["code"] == "not_ready"
    other, _id = api_as("risk")
    assert other.get(f"/reports/{job.id}").status_code == 403
    assert other.get(f"/reports/{job.id}/download").status_code == 403
    assert api.get("/reports/999999").status_code == 404
    export = Job(kind="export", user_id=fund["manager"], params={}, title="x")
    dbs.add(export)
    dbs.commit()
    assert api.get(f"/reports/{export.id}").status_code == 404  # not a report


def test_bad_asks_are_refused_and_nothing_is_queued(app, dbs, fund, api_as):
    api = as_user(app, fund["manager"])
    before = jobs_count(dbs)
    bad = [
        ({"year": 2030}, 422, "year"),  # not begun
        ({"year": 2025, "sub_fund": "NOPE"}, 422, "sub_fund"),
        ({"year": 2025, "edition": "lp"}, 422, "lp_id"),
        ({"year": 2025, "format": "docx"}, 400, "format"),
        ({"year": "2025x"}, 400, "year"),
        ({"year": "2025"}, 400, "year"),  # a string, not a number
        ({"year": True}, 400, "year"),
        ({"year": 2025.5}, 400, "year"),
        ({"year": 2025, "edition": "lp", "lp_id": "1"}, 400, "lp_id"),
        ({"year": 2025, "colour": "red"}, 400, "colour"),
        ({}, 400, "year"),
    ]
    for body, status, field in bad:
        answer = api.post("/reports", json=body)
        assert answer.status_code == status, (body, answer.json)
        assert field in answer.json["error"]["fields"], answer.json
    ic_member, _id = api_as("ic_member")  # no make_reports
    assert ic_member.post("/reports", json={"year": 2025}).status_code == 403
    assert jobs_count(dbs) == before


def test_a_representative_gets_only_its_own_lps_edition(app, dbs, fund, representative):
    api = as_user(app, representative)
    before = jobs_count(dbs)
    assert api.post("/reports", json={"year": 2025}).status_code == 403  # the staff edition
    other_lp = {"year": 2025, "edition": "lp", "lp_id": fund["a"].id}
    assert api.post("/reports", json=other_lp).status_code == 403
    assert jobs_count(dbs) == before
    own = api.post("/reports", json={"year": 2025, "edition": "lp", "language": "en"})
    assert own.status_code == 202, own.json
    assert (own.json["edition"], own.json["lp_id"], own.json["state"]) == (
        "lp", fund["b"].id, "done"
    )  # fmt: skip
    pdf = api.get(f"/reports/{own.json['id']}/download?format=pdf")
    assert pdf.status_code == 200 and pdf.get_data()[:5] == b"%PDF-"


def test_the_description_declares_the_resources(app, client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/api/v1/activities", "/api/v1/tasks/{task_id}", "/api/v1/holdings",
                 "/api/v1/sub-funds/{code}", "/api/v1/ic/decisions/{decision_id}",
                 "/api/v1/reports", "/api/v1/reports/{report_id}/download"):  # fmt: skip
        assert path in paths, sorted(paths)
    download = paths["/api/v1/reports/{report_id}/download"]["get"]["responses"]
    assert "200" in download and "409" in download
    assert "application/pdf" in download["200"]["description"]
    assert "202" in paths["/api/v1/reports"]["post"]["responses"]
    assert "422" in paths["/api/v1/reports"]["post"]["responses"]
