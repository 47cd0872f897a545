"""/reports: generating the annual report as jobs, following and downloading it, and what an LP's
representative may ask for and read (only its own LP's edition, nothing of the other LPs)."""

import io
from datetime import date

import openpyxl
import pytest
import time_machine
from sqlmodel import select

from fundcrm.compliance import periods
from fundcrm.models import IssuedReport, Job, User
from tests.conftest import page_text, post_form, sign_in
from tests.ic_fixtures import ENGLISH
from tests.test_capital_accounts import fund as fund  # noqa: F401 - the fixture


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel("2026-01-20T03:00:00Z", tick=False):
        yield


@pytest.fixture
def representative(app, dbs, fund, make_user):
    """A viewer tied to the institution B (in ANGEL only)."""
    user_id, _email = make_user("viewer")
    dbs.get(User, user_id).lp_id = fund["b"].id
    dbs.commit()
    return user_id


def _client(app, user_id):
    client = app.test_client()
    sign_in(client, user_id)
    return client


FORM = {"year": "2025", "sub_fund": "", "language": "en", "edition": "lp", "xlsx": "y"}


def test_the_representative_gets_only_its_own_lps_edition(app, dbs, fund, representative):
    client = _client(app, representative)
    page = page_text(client.get("/reports", headers=ENGLISH).get_data(as_text=True))
    assert "LP edition for the LP you represent." in page
    # it asks for the staff edition of another LP: it gets its own LP's edition
    asked = {**FORM, "edition": "staff", "lp": str(fund["a"].id), "pdf": "y"}
    answer = post_form(client, "/reports", asked, token_from="/reports")
    assert answer.status_code == 302 and answer.location == "/reports"
    jobs = dbs.exec(select(Job).order_by(Job.id)).all()
    assert [j.params["file_format"] for j in jobs] == ["pdf", "xlsx"]
    assert {(j.params["edition"], j.params["lp_id"]) for j in jobs} == {("lp", fund["b"].id)}
    assert {j.state for j in jobs} == {"done"}
    assert {(j.progress_done, j.progress_total) for j in jobs} == {(10, 10)}
    shown = page_text(client.get("/reports", headers=ENGLISH).get_data(as_text=True))
    assert "This is a draft" in shown and "annual-report-2025-fund-lp" in shown
    (book_job,) = [j for j in jobs if j.params["file_format"] == "xlsx"]
    data = client.get(f"/jobs/{book_job.id}/download").get_data()
    book = openpyxl.load_workbook(io.BytesIO(data))
    text = " ".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row
                    if c.value is not None)  # fmt: skip
    assert fund["b"].name in text and "Other LPs (3)" in text
    for key in ("a", "g", "late"):
        assert fund[key].name not in text
    assert "INDUSTRY" not in text


def test_the_representative_reads_only_its_lps_issued_reports(app, dbs, fund, representative,
                                                              make_user):  # fmt: skip
    risk = dbs.get(User, fund["risk"])
    periods.close_period(dbs, date(2025, 12, 31), risk, "")
    dbs.commit()
    staff = _client(app, fund["risk"])
    for edition, lp in (("staff", ""), ("lp", str(fund["b"].id)), ("lp", str(fund["a"].id))):
        asked = {**FORM, "edition": edition, "lp": lp}
        assert post_form(staff, "/reports", asked, token_from="/reports").status_code == 302
    issued = dbs.exec(select(IssuedReport).order_by(IssuedReport.id)).all()
    assert [(r.edition, r.lp_id) for r in issued] == [
        ("staff", None), ("lp", fund["b"].id), ("lp", fund["a"].id)]  # fmt: skip
    mine = _client(app, representative)
    listed = mine.get("/reports", headers=ENGLISH).get_data(as_text=True)
    assert f"/reports/issued/{issued[1].id}" in listed
    assert f"/reports/issued/{issued[0].id}" not in listed
    assert f"/reports/issued/{issued[2].id}" not in listed
    assert mine.get(f"/reports/issued/{issued[1].id}").status_code == 200
    assert mine.get(f"/reports/issued/{issued[0].id}").status_code == 403
    assert mine.get(f"/reports/issued/{issued[2].id}").status_code == 403
    download = staff.get(f"/reports/issued/{issued[0].id}")
    assert download.status_code == 200 and download.data[:2] == b"PK"


def test_a_refused_ask_queues_nothing(app, dbs, fund):
    client = _client(app, fund["manager"])
    asked = {**FORM, "year": "2027", "sub_fund": "NOPE", "edition": "staff"}
    answer = post_form(client, "/reports", asked, token_from="/reports", headers=ENGLISH)
    assert answer.status_code == 400
    shown = page_text(answer.get_data(as_text=True))
    assert "2027 is in the future" in shown and "No sub-fund has the code NOPE." in shown
    none = {**FORM, "xlsx": ""}
    answer = post_form(client, "/reports", none, token_from="/reports", headers=ENGLISH)
    assert answer.status_code == 400 and "Choose PDF, Excel or both." in page_text(
        answer.get_data(as_text=True)
    )
    assert dbs.exec(select(Job)).all() == []


def test_an_ic_member_and_an_untied_viewer(app, dbs, fund, make_user):
    assert _client(app, fund["ic_member"]).get("/reports").status_code == 403
    loose, _email = make_user("viewer")
    page = _client(app, loose).get("/reports", headers=ENGLISH).get_data(as_text=True)
    assert "Your account is not tied to an LP" in page_text(page)


@pytest.mark.parametrize("lp", ["²", "99999999999999999999", "abc", "-1"])
def test_an_odd_lp_is_a_field_error_not_a_500(app, dbs, fund, lp):
    client = _client(app, fund["manager"])
    asked = {**FORM, "edition": "lp", "lp": lp}
    answer = post_form(client, "/reports", asked, token_from="/reports", headers=ENGLISH)
    assert answer.status_code == 400
    assert "Not a valid choice" in page_text(answer.get_data(as_text=True))
    assert dbs.exec(select(Job)).all() == []
