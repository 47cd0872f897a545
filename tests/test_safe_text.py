"""Control characters, over-long and malformed input: refused with a message, nothing written,
and nothing already stored can break a page or an export."""

import csv
import importlib
import inspect
import io
import pkgutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from flask_wtf import FlaskForm
from openpyxl import load_workbook
from sqlmodel import func, select

import fundcrm
from fundcrm.models import (
    Activity,
    Company,
    Contact,
    DDItem,
    Deal,
    DealRefCounter,
    Document,
    LimitedPartner,
    Task,
    User,
)
from tests import factories
from tests.conftest import csrf_token, post_form, sign_in
from tests.test_deals import deal_form, move

CONTROL_MESSAGE = "invisible control character (U+{code})"


@pytest.fixture
def english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def count(dbs, model) -> int:
    dbs.expire_all()
    return dbs.exec(select(func.count()).select_from(model)).one()


def company_fields(**fields):
    return {
        "name": "重庆灵犀具身智能科技有限公司",
        "uscc": factories.make_uscc(77),
        "focus_area": "embodied_ai",
        "enterprise_stage": "startup",
        **fields,
    }


def _forms(staff):
    """(url, form data, field given a control character, model whose rows are counted)."""
    company = staff["company"]
    return [
        ("/companies/new", company_fields(), "name", Company),
        (f"/companies/{company.id}/edit", company_fields(uscc=company.uscc), "description", None),
        ("/deals/new", deal_form(staff), "notes", Deal),
        (f"/companies/{company.id}/contacts", {"name": "李工"}, "title", Contact),
        (
            f"/companies/{company.id}/activities/new",
            {"kind": "call", "occurred_on": "2026-03-02", "summary": "电话沟通"},
            "summary",
            Activity,
        ),
        (
            "/tasks/new",
            {"title": "准备立项报告", "assignee_id": str(staff["manager"].id)},
            "title",
            Task,
        ),
        (
            "/admin/users/new",
            {
                "email": "new@example.com",
                "name": "新经理",
                "roles": ["manager"],
                "password": "x" * 12,
            },
            "name",
            User,
        ),
    ]


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x0b"])
def test_a_control_character_in_any_form_field_is_refused(english, staff, dbs, char):
    sign_in(english, staff["admin"].id)
    for url, data, field, model in _forms(staff):
        before = count(dbs, model) if model else None
        value = f"{data.get(field, '')}正文{char}尾"
        token_page = url.split("/contacts")[0]
        response = post_form(english, url, {**data, field: value}, token_from=token_page)
        page = response.get_data(as_text=True)
        assert response.status_code in (200, 400), url
        assert CONTROL_MESSAGE.format(code=f"{ord(char):04X}") in page, url
        if model:
            assert count(dbs, model) == before, url
    company = staff["company"]
    dbs.expire_all()
    assert dbs.get(Company, company.id).description is None
    # what a browser sends from a textarea (CRLF) and a pasted tab are kept
    form = company_fields(uscc=company.uscc, name=company.name, version=str(company.version))
    text = "第一行\r\n第二行\t制表"
    response = post_form(english, f"/companies/{company.id}/edit", {**form, "description": text})
    assert response.status_code == 302, response.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(Company, company.id).description.replace("\r\n", "\n") == "第一行\n第二行\t制表"


def test_every_form_refuses_control_characters():
    """Each form of the app derives from SafeForm, so a new form cannot forget the check."""
    from fundcrm.forms import SafeForm

    forms = []
    for module in pkgutil.walk_packages(fundcrm.__path__, "fundcrm."):
        if module.name.endswith(".forms"):
            loaded = importlib.import_module(module.name)
            forms += [c for _n, c in inspect.getmembers(loaded, inspect.isclass)]
    flask_forms = {
        c for c in forms if issubclass(c, FlaskForm) and c.__module__.startswith("fundcrm.")
    }
    assert len(flask_forms) > 20
    assert [c.__name__ for c in flask_forms if not issubclass(c, SafeForm)] == []


@pytest.mark.parametrize("url", ["/deals", "/companies", "/deals/board", "/admin/audit"])
@pytest.mark.parametrize("query", ["q=%00", "q=a%1Fb", "owner_email=a%00b", "row=%00"])
def test_a_control_character_in_the_address_is_a_400_page(english, staff, url, query):
    sign_in(english, staff["admin"].id)
    response = english.get(f"{url}?{query}")
    assert response.status_code == 400
    assert "invisible control character" in response.get_data(as_text=True)


BAD_FILTERS = [
    "owner_email=abc",
    "owner_email=" + "a" * 1500 + "@example.com",
    "sub_fund=xyz",
    "sub_fund=" + "X" * 1000,
    "created_from=2026-13-45",
    "created_to=99999-01-01",
    "page=-1",
    "page=99999999999999999999999999",
    "page=abc",
    "stage=" + "s" * 1900,
    "q=" + "测" * 1900,
    "sort=" + "x" * 500,
]
BAD_AUDIT_FILTERS = ["row=" + "9" * 70, "date_from=2026-13-45", "table=nope", "user=" + "u" * 1500]


def test_bad_filters_get_a_message_never_a_500(english, staff):
    sign_in(english, staff["admin"].id)
    for url in ("/deals", "/companies", "/deals/board", "/exports/deals.csv"):
        for query in BAD_FILTERS:
            assert english.get(f"{url}?{query}").status_code in (200, 400), (url, query)
    big = "9" * 30  # beyond PostgreSQL's INTEGER, which would raise
    for url in (f"/tasks/new?deal={big}", f"/deals/new?company={big}", "/deals/new?company=-5"):
        assert english.get(url).status_code == 200, url
    for url in (f"/deals/{big}", f"/companies/{big}", f"/companies/{big}/edit", f"/tasks/{big}"):
        assert english.get(url).status_code == 404, url
    for query in BAD_AUDIT_FILTERS:
        assert english.get(f"/admin/audit?{query}").status_code == 400, query
    for url in ("/deals", "/companies", "/admin/audit", "/login"):
        response = english.get(f"{url}?q=" + "a" * 2001)
        assert response.status_code == 400, url
        assert "is too long" in response.get_data(as_text=True)


@pytest.mark.parametrize("kind", ["companies", "deals"])
def test_stored_control_characters_break_no_page_or_export(english, staff, dbs, kind):
    """Text saved before control characters were refused (e.g. by an old import)."""
    company, deal = staff["company"], staff["deal"]
    nul = "" if dbs.get_bind().dialect.name == "postgresql" else "\x00"  # PostgreSQL never held one
    company.description = f"旧数据{nul}含\x1b控制\x07字符"
    company.name_en = "Old\x0bName"
    deal.notes = f"备注{nul}\x0c"
    deal.next_step = "下一步\x1f"
    dbs.add_all([company, deal])
    dbs.commit()
    sign_in(english, staff["manager"].id)
    for url in (f"/companies/{company.id}", "/deals", f"/deals/{deal.id}", "/deals/board"):
        assert english.get(url).status_code == 200, url
    response = english.get(f"/exports/{kind}.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    expected = "旧数据含控制字符" if kind == "companies" else "下一步"
    assert expected in values
    response = english.get(f"/exports/{kind}.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert expected in [cell for row in rows for cell in row]


def test_the_board_move_is_checked_like_the_form(english, staff, dbs):
    sign_in(english, staff["manager"].id)
    deal = staff["deal"]
    cases = [
        ({"pass_reason": "r" * 10_000}, "longer than 500"),  # WTForms' Length message
        ({"override_reason": "o" * 501}, "longer than 500"),
        ({"pass_reason": "创始人\x00退出"}, CONTROL_MESSAGE.format(code="0000")),
        ({"pass_reason": "bad \ud800 text"}, CONTROL_MESSAGE.format(code="D800")),
        ({"from_stage": "moon"}, "Unknown stage: moon"),
    ]
    for extra, message in cases:
        response = move(english, deal.id, "passed", **extra)
        assert response.status_code == 422, extra
        body = response.get_json()
        assert body["ok"] is False and any(message in e for e in body["errors"]), body
    response = move(english, deal.id, "nowhere")
    assert "Unknown stage: nowhere" in response.get_json()["errors"][0]
    dbs.expire_all()
    assert dbs.get(Deal, deal.id).stage == "sourcing" and len(dbs.get(Deal, deal.id).moves) == 1


def test_the_move_form_refuses_an_overlong_reason(english, staff, dbs):
    sign_in(english, staff["manager"].id)
    deal = staff["deal"]
    response = post_form(
        english,
        f"/deals/{deal.id}/move",
        {"to_stage": "passed", "pass_reason": "r" * 10_000},
        token_from=f"/deals/{deal.id}",
        follow_redirects=True,
    )
    assert "longer than 500" in response.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(Deal, deal.id).stage == "sourcing"


def _required_choices_left_out(staff):
    company = {k: v for k, v in company_fields().items() if k != "focus_area"}
    activity = f"/companies/{staff['company'].id}/activities/new"
    return [
        ("/funds/lps/new", {"name": "某区引导基金", "is_government": "y"}, LimitedPartner),
        ("/funds/lps/new", {"name": "某区引导基金", "lp_type": ""}, LimitedPartner),
        ("/funds/lps/new", {"name": "某区引导基金", "lp_type": "  "}, LimitedPartner),
        ("/companies/new", company_fields(focus_area=" "), Company),
        ("/companies/new", company, Company),
        (activity, {"occurred_on": "2026-03-02", "summary": "电话沟通"}, Activity),
        (activity, {"kind": " ", "occurred_on": "2026-03-02", "summary": "电话"}, Activity),
        ("/tasks/new", {"title": "准备立项报告"}, Task),
        ("/tasks/new", {"title": "准备立项报告", "assignee_id": "abc"}, Task),
    ]


def test_a_required_choice_left_out_is_a_form_error(english, staff, dbs):
    sign_in(english, staff["admin"].id)
    for url, data, model in _required_choices_left_out(staff):
        before = count(dbs, model)
        response = post_form(english, url, data)
        assert response.status_code in (200, 400), (url, data)
        assert 'class="invalid-feedback' in response.get_data(as_text=True), (url, data)
        assert count(dbs, model) == before, (url, data)


def test_a_dd_item_without_status_or_severity_is_refused(english, staff, dbs, app):
    factories.workspace(dbs, staff, Path(app.instance_path) / "documents")
    item = dbs.exec(select(DDItem)).first()
    sign_in(english, staff["manager"].id)
    from fundcrm.workspace.services import item_fingerprint

    response = post_form(
        english,
        f"/deals/{item.deal_id}/dd/{item.workstream}",
        {f"item{item.id}-seen": item_fingerprint(item), f"item{item.id}-finding": "无重大问题"},
        token_from=f"/deals/{item.deal_id}/dd",
    )
    assert response.status_code == 400
    assert "Choose one of the options." in response.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(DDItem, item.id).finding != "无重大问题"


def upload_document(client, owner, name, data):
    return client.post(
        "/documents",
        data={
            "owner": owner,
            "title": "",
            "file": (io.BytesIO(data), name),
            "csrf_token": csrf_token(client, "/"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_control_characters_are_stripped_from_an_uploaded_document_name(english, staff, dbs):
    from fundcrm.demo import demo_pdf

    sign_in(english, staff["manager"].id)
    owner = f"company:{staff['company'].id}"
    page = upload_document(english, owner, "商业\x00计划\x1b书\t.pdf", demo_pdf("v1"))
    assert "control characters were removed from the file name" in page.get_data(as_text=True)
    document = dbs.exec(select(Document)).one()
    assert document.filename == document.title == "商业计划书.pdf"
    response = english.get(f"/documents/{document.id}")
    assert response.status_code == 200 and response.data == demo_pdf("v1")


def test_an_import_file_name_with_control_characters_is_refused(english, staff, dbs):
    sign_in(english, staff["manager"].id)
    text = (
        "name,uscc,focus_area,enterprise_stage\n"
        f"重庆好机器人有限公司,{factories.make_uscc(60)},embodied_ai,growth\n"
    )
    response = post_form(
        english,
        "/imports",
        {"kind": "companies", "file": (io.BytesIO(text.encode()), "公司\x07名单.csv")},
    )
    assert "The file name holds an invisible control character" in response.get_data(as_text=True)
    assert count(dbs, Company) == 1


@pytest.mark.parametrize("owner_id", ["99999999999", "99999999999999999999"])
def test_an_upload_for_an_id_no_record_can_have_is_refused(english, staff, dbs, owner_id):
    from fundcrm.demo import demo_pdf

    sign_in(english, staff["manager"].id)
    response = upload_document(english, f"company:{owner_id}", "bp.pdf", demo_pdf("v1"))
    assert response.status_code == 400 and count(dbs, Document) == 0


def test_a_long_file_name_without_a_title_is_kept_under_a_shortened_title(app, english, staff, dbs):
    from fundcrm.demo import demo_pdf

    def stored_files():
        return [p for p in Path(app.instance_path, "documents").rglob("*") if p.is_file()]

    before = len(stored_files())
    sign_in(english, staff["manager"].id)
    name = "商业计划书" * 47 + ".pdf"  # 239 characters; a title holds 200
    response = upload_document(english, f"company:{staff['company'].id}", name, demo_pdf("v1"))
    assert response.status_code == 200
    document = dbs.exec(select(Document)).one()
    assert (document.filename, document.title) == (name, name[:200])
    assert len(stored_files()) == before + 1


def test_text_that_grows_when_case_is_folded_breaks_nothing(app, english, staff, dbs):
    """ "İ" lower-cases to two characters and "ß" upper-cases to "SS": a value at its field's
    limit becomes longer than its column after normalising."""
    from fundcrm import db
    from fundcrm.auth import services as accounts

    assert (
        post_form(english, "/login", {"email": "İ" * 254, "password": "x" * 12}).status_code == 200
    )
    with app.test_request_context(method="POST"):
        with pytest.raises(accounts.SignInRefused):
            accounts.authenticate(db.session(), "İ" * 254, "x" * 12, app.config)
    sign_in(english, staff["manager"].id)
    fields = company_fields(name="İ" * 200, uscc=factories.make_uscc(61))
    created = post_form(english, "/companies/new", fields)
    assert created.status_code == 302 and count(dbs, Company) == 2


def test_an_odd_reference_does_not_stop_the_numbering_of_its_year(client, staff, dbs):
    odd = factories.deal(dbs, staff["company"], staff["manager"], [(staff["angel"], "1")])
    odd.deal_ref = "XM2026-²"  # a superscript two: a digit to str.isdigit, not to int()
    dbs.commit()
    dbs.exec(sa.delete(DealRefCounter))  # as after the upgrade: the year is seeded anew
    dbs.commit()
    sign_in(client, staff["manager"].id)
    with time_machine.travel(datetime(2026, 6, 1, 4, tzinfo=UTC), tick=False):
        sign_in(client, staff["manager"].id)
        created = post_form(client, "/deals/new", deal_form(staff), token_from="/deals/new")
    assert created.status_code == 302
    newest = dbs.exec(select(Deal).order_by(Deal.id.desc())).first()
    assert newest.deal_ref == "XM2026-0002"
