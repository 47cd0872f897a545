"""/imports: upload → preview (each row's status) → confirm, templates, and bad uploads."""

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import func, select

from fundcrm.domain.vocab import VOCABULARIES
from fundcrm.imports.formats import KINDS
from fundcrm.models import AuditEntry, Company, Deal, User
from tests.conftest import post_form, sign_in
from tests.factories import make_uscc

DATA = Path(__file__).parent / "data"
BAD = DATA / "bad"
TOKEN = re.compile(r"/imports/([A-Za-z0-9_-]{22})$")


@pytest.fixture
def manager(client, staff):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in(client, staff["manager"].id)
    return staff["manager"]


def upload(client, kind: str, data: bytes, name: str):
    return post_form(client, "/imports", {"kind": kind, "file": (io.BytesIO(data), name)})


def upload_file(client, kind: str, path: Path, name: str | None = None):
    return upload(client, kind, path.read_bytes(), name or path.name)


def token_of(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)
    return TOKEN.search(response.location).group(1)


def pending_folders(app) -> set[str]:
    folder = Path(app.instance_path) / "imports"
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def companies(dbs) -> dict[str, Company]:
    dbs.expire_all()
    return {c.uscc: c for c in dbs.exec(select(Company)).all()}


def test_manager_uploads_previews_and_confirms(app, client, manager, dbs):
    page = client.get("/imports").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and "/imports/template/deals.xlsx" in page
    token = token_of(upload_file(client, "companies", DATA / "companies_gb18030.csv"))
    folder = Path(app.instance_path) / "imports" / token
    assert {p.name for p in folder.iterdir()} == {"meta.json", "report.json", "upload.csv"}
    assert len(companies(dbs)) == 1  # nothing written before confirming

    page = client.get(f"/imports/{token}").get_data(as_text=True)
    assert "The file passes every check: 3 to create, 0 to update, 0 unchanged." in page
    assert page.count('class="import-row status-new"') == 3
    assert make_uscc(101) in page and "companies_gb18030.csv" in page

    last = dbs.exec(select(func.max(AuditEntry.id))).one()
    response = post_form(client, f"/imports/{token}/confirm", {}, token_from=f"/imports/{token}")
    assert response.location == f"/imports/{token}"
    page = client.get(response.location).get_data(as_text=True)
    assert "Imported: 3 created, 0 updated, 0 unchanged." in page
    assert 'id="confirm-import"' not in page
    assert make_uscc(102, "440300") in companies(dbs)
    labels = set(dbs.exec(select(AuditEntry.actor_label).where(AuditEntry.id > last)).all())
    assert labels == {manager.email}
    assert not (folder / "upload.csv").exists()  # only the result is kept


def test_a_bad_row_shows_its_error_and_nothing_is_imported(app, client, manager, dbs):
    text = (
        "name,uscc,focus_area,enterprise_stage\n"
        f"重庆好机器人有限公司,{make_uscc(60)},embodied_ai,growth\n"
        f"重庆坏机器人有限公司,{make_uscc(61)},flying,growth\n"
    )
    token = token_of(upload(client, "companies", text.encode(), "two.csv"))
    page = client.get(f"/imports/{token}").get_data(as_text=True)
    assert "Errors found: 1. Nothing can be imported" in page
    row = re.search(r'<tr class="import-row status-error" data-row="3">.*?</tr>', page, re.S)
    assert row and "focus_area" in row.group(0) and "Unknown code: flying" in row.group(0)
    assert 'data-row="2"' in page and 'id="confirm-import"' not in page
    post_form(client, f"/imports/{token}/confirm", {}, token_from=f"/imports/{token}")
    assert make_uscc(60) not in companies(dbs)
    page = client.get(f"/imports/{token}", follow_redirects=True).get_data(as_text=True)
    assert "Nothing was imported" in page


def test_confirming_checks_the_file_again(app, client, manager, staff, make_user, dbs):
    owner_id, email = make_user("manager")
    text = "company_uscc,sub_fund,stage,owner_email\n"
    text += f"{staff['company'].uscc},ANGEL,screening,{email}\n"
    token = token_of(upload(client, "deals", text.encode(), "deals.csv"))
    assert "passes every check" in client.get(f"/imports/{token}").get_data(as_text=True)
    owner = dbs.get(User, owner_id)
    owner.active = False  # meanwhile, an administrator disables the owner
    dbs.commit()
    post_form(client, f"/imports/{token}/confirm", {}, token_from=f"/imports/{token}")
    page = client.get(f"/imports/{token}").get_data(as_text=True)
    assert "Choose an active user as owner." in page
    assert dbs.exec(select(func.count()).select_from(Deal)).one() == 1


def test_a_second_confirm_writes_nothing_more(app, client, manager, dbs):
    token = token_of(upload_file(client, "companies", DATA / "companies.xlsx"))
    for _ in range(2):
        post_form(client, f"/imports/{token}/confirm", {}, token_from=f"/imports/{token}")
    assert len(companies(dbs)) == 3
    creates = dbs.exec(
        select(func.count()).where(
            AuditEntry.table_name == "companies", AuditEntry.action == "create"
        )
    ).one()
    assert creates == 3


def test_one_request_at_a_time_writes_an_import(app, tmp_path):
    import os
    import time

    from fundcrm.imports import storage

    pending = storage.create(str(tmp_path), 1, "companies", "a.csv", "csv", b"x")
    assert storage.claim(str(tmp_path), pending)
    assert not storage.claim(str(tmp_path), pending)  # another worker is writing it
    lock = tmp_path / "imports" / pending.token / "writing.lock"
    old = time.time() - storage.STALE_LOCK_MINUTES * 60 - 1
    os.utime(lock, (old, old))  # its process died long ago
    assert storage.claim(str(tmp_path), pending)
    storage.release(str(tmp_path), pending)
    assert storage.claim(str(tmp_path), pending)


def test_only_the_uploader_sees_and_confirms_an_import(app, client, manager, staff, dbs):
    token = token_of(upload_file(client, "companies", DATA / "companies.xlsx"))
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in(other, staff["admin"].id)
    response = other.get(f"/imports/{token}")
    assert response.status_code == 302 and response.location == "/imports"
    assert "no longer available" in other.get("/imports").get_data(as_text=True)
    post_form(other, f"/imports/{token}/confirm", {}, token_from="/imports")
    assert len(companies(dbs)) == 1


def test_discarding_removes_the_pending_file(app, client, manager, dbs):
    token = token_of(upload_file(client, "companies", DATA / "companies.xlsx"))
    post_form(client, f"/imports/{token}/discard", {}, token_from=f"/imports/{token}")
    assert token not in pending_folders(app)
    assert len(companies(dbs)) == 1


def test_the_preview_follows_the_users_language(app, client, manager, dbs):
    text = f"name,uscc,focus_area,enterprise_stage\n重庆甲有限公司,{make_uscc(62)},flying,growth\n"
    token = token_of(upload(client, "companies", text.encode(), "a.csv"))
    assert "Unknown code: flying" in client.get(f"/imports/{token}").get_data(as_text=True)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    assert "无效的代码：flying" in client.get(f"/imports/{token}").get_data(as_text=True)


BAD_UPLOADS = [
    ("empty.csv", "empty.csv", "The file is empty."),
    ("undecodable.csv", "undecodable.csv", "The text cannot be read as UTF-8 or GB18030/GBK."),
    ("no_data_sheet.xlsx", "no_data_sheet.xlsx", "has no data: put the column names in row 1"),
    ("png_renamed.csv", "png_renamed.csv", "content is not CSV text (it looks like PNG)"),
    ("path_in_name.csv", "../../x.csv", "The file name must be a plain name without a folder"),
    ("path_in_name.csv", "companies.txt", "Choose a .csv or .xlsx file."),
    ("path_in_name.csv", "companies.xlsx", "content is not an XLSX workbook"),
]


@pytest.mark.parametrize(("source", "name", "message"), BAD_UPLOADS)
def test_bad_uploads_get_a_clear_message_and_write_nothing(
    app, client, manager, dbs, source, name, message
):
    before = pending_folders(app)
    response = upload_file(client, "companies", BAD / source, name)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page and 'id="upload-error"' in page
    assert pending_folders(app) == before
    assert len(companies(dbs)) == 1
    assert not (Path(app.instance_path).parent / "x.csv").exists()


def test_a_windows_path_in_the_file_name_never_reaches_the_disk(app, client, manager, dbs):
    """Newer Werkzeug drops a backslash folder from multipart file names itself; older ones
    pass it on and the upload is refused. Either way nothing lands outside the pending folder
    and nothing is imported."""
    response = upload_file(client, "companies", BAD / "path_in_name.csv", "..\\..\\x.csv")
    page = response.get_data(as_text=True)
    refused = "The file name must be a plain name without a folder" in page
    assert refused or response.status_code == 302
    assert not (Path(app.instance_path).parent / "x.csv").exists()
    assert len(companies(dbs)) == 1


@pytest.mark.parametrize(("excess", "status"), [(10, 200), (2 * 1024 * 1024, 413)])
def test_a_file_over_the_size_limit_is_refused(
    app, client, manager, dbs, monkeypatch, excess, status
):
    """Just over: refused by the upload's check; far over: by the app's MAX_CONTENT_LENGTH,
    before the body is read."""
    monkeypatch.setitem(app.config, "MAX_IMPORT_MB", 1)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2 * 1024 * 1024)
    head = "name,uscc,focus_area,enterprise_stage,description\n"
    row = f"重庆大文件机器人有限公司,{make_uscc(63)},embodied_ai,growth,{'长' * 300}\n"
    data = (head + row * ((1024 * 1024 + excess) // len(row.encode()) + 1)).encode()
    data = data[: 1024 * 1024 + excess]
    before = pending_folders(app)
    response = upload(client, "companies", data, "big.csv")
    assert response.status_code == status
    assert 'id="upload-form"' in response.get_data(as_text=True)
    assert "The file is larger than 1 MB: split it into smaller files." in response.get_data(
        as_text=True
    )
    assert pending_folders(app) == before and len(companies(dbs)) == 1


@pytest.mark.parametrize("kind", list(KINDS))
def test_templates_have_labels_an_example_and_every_vocabulary(client, staff, kind):
    sign_in(client, staff["admin"].id)  # who imports every kind
    response = client.get(f"/imports/template/{kind}.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook[kind]
    header = [c.value for c in sheet[1]]
    assert header == [c.label + ("*" if c.required else "") for c in KINDS[kind].columns]
    assert any(c.value is not None for c in sheet[2]) and sheet.max_row == 2
    vocab = workbook.worksheets[1]
    listed = {(row[1], row[2], row[3]) for row in vocab.iter_rows(min_row=2, values_only=True)}
    for column, vocabulary in KINDS[kind].vocabularies:
        assert vocabulary is VOCABULARIES[vocabulary.name]
        assert {(t.code, t.zh, t.en) for t in vocabulary.terms} <= listed, column.code


@pytest.mark.parametrize("kind", ["companies", "sub_funds", "commitments"])
def test_a_filled_in_template_imports_with_its_labels(client, manager, dbs, kind):
    template = client.get(f"/imports/template/{kind}.xlsx").data
    token = token_of(upload(client, kind, template, f"{kind}.xlsx"))
    page = client.get(f"/imports/{token}").get_data(as_text=True)
    assert "The file passes every check: 1 to create" in page, page


def test_the_navigation_shows_imports_to_managers_only(client, staff):
    sign_in(client, staff["manager"].id)
    assert 'href="/imports"' in client.get("/").get_data(as_text=True)
    sign_in(client, staff["ic_member"].id)
    assert 'href="/imports"' not in client.get("/").get_data(as_text=True)


def test_a_zip_bomb_upload_is_refused_and_nothing_is_kept(app, client, manager, dbs):
    from tests.test_imports import BOMB_MB, _padding, xlsx_with_sheet

    bomb = xlsx_with_sheet(_padding(BOMB_MB))
    before = pending_folders(app)
    response = upload(client, "companies", bomb, "bomb.xlsx")
    assert "The workbook unpacks to more than 200 MB" in response.get_data(as_text=True)
    assert pending_folders(app) == before and len(companies(dbs)) == 1


# -- the kind recognised from the header row -------------------------------------------------


def test_the_import_page_preselects_no_kind(client, manager):
    page = client.get("/imports").get_data(as_text=True)
    options = re.findall(r"<option[^>]*>", page[page.index('id="kind"') :].split("</select>")[0])
    assert options[0] == '<option value="">' and not [o for o in options if "selected" in o]
    assert "Recognise it from the header row" in page


def test_a_file_without_a_chosen_kind_is_recognised_from_its_labels(app, client, manager, dbs):
    token = token_of(upload_file(client, "", DATA / "companies_gb18030.csv"))
    page = client.get(f"/imports/{token}").get_data(as_text=True)
    assert 'id="recognised-kind"' in page
    assert "Recognised from the header row: this file holds Companies." in page
    assert "3 to create" in page
    post_form(client, f"/imports/{token}/confirm", {}, token_from=f"/imports/{token}")
    assert make_uscc(102, "440300") in companies(dbs)


def test_a_chosen_kind_is_not_called_recognised(client, manager):
    token = token_of(upload_file(client, "companies", DATA / "companies_gb18030.csv"))
    assert 'id="recognised-kind"' not in client.get(f"/imports/{token}").get_data(as_text=True)


def test_deals_are_recognised_from_codes_and_an_exported_workbook_by_its_sheet(
    client, manager, dbs
):
    token = token_of(upload_file(client, "", DATA / "deals_two_sub_funds.csv"))
    assert "this file holds Deals." in client.get(f"/imports/{token}").get_data(as_text=True)
    exported = client.get("/exports/commitments.xlsx").data
    token = token_of(upload(client, "", exported, "pledges.xlsx"))
    page = client.get(f"/imports/{token}").get_data(as_text=True)
    assert "this file holds Commitments." in page and "0 to create, 0 to update" in page


def test_an_unknown_column_still_lets_the_kind_be_recognised(client, manager):
    text = (
        f"name,uscc,focus_area,enterprise_stage,colour\n甲公司,{make_uscc(70)},大模型,成长期,红\n"
    )
    token = token_of(upload(client, "", text.encode(), "a.csv"))
    page = client.get(f"/imports/{token}").get_data(as_text=True)
    assert "this file holds Companies." in page and "Unknown column." in page


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            "name,name_en",
            "Row 1 fits more than one kind (Sub-funds (sub_funds), Companies (companies)): "
            "choose what the file holds.",
        ),
        (
            "colour,size",
            "Row 1 does not name the columns of any kind (Sub-funds (sub_funds), Commitments "
            "(commitments), Companies (companies), Deals (deals), Portfolio transactions "
            "(transactions), Valuation marks (valuations), LP calls and distributions "
            "(lp_flows), Fees and expenses (expenses), Company KPIs (kpis), Milestones "
            "(milestones)): choose what the file holds",
        ),
    ],
)
def test_a_header_that_names_no_single_kind_asks_for_the_kind(
    app, client, manager, header, message
):
    before = pending_folders(app)
    response = upload(client, "", f"{header}\n甲,乙\n".encode(), "a.csv")
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert pending_folders(app) == before
