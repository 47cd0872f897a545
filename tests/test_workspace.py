import io
from datetime import date, timedelta

from sqlmodel import func, select

from fundcrm import clock
from fundcrm.demo import demo_pdf
from fundcrm.models import Activity, DDItem, DDTemplateItem, Deal, Document, Task
from fundcrm.workspace.defaults import DEFAULT_DD_TEMPLATE
from tests import factories
from tests.conftest import post_form, sign_in
from tests.html_forms import form_fields
from tests.test_deals import move


def log_activity(client, staff, **fields):
    company, deal = staff["company"], staff["deal"]
    data = {
        "kind": "site_visit",
        "occurred_on": "2026-03-02",
        "deal_id": str(deal.id),
        "user_ids": [str(staff["manager"].id)],
        "contact_ids": [str(staff["contact"].id)],
        "summary": "实地考察灵巧手装配线，月产能约200台",
        **fields,
    }
    return post_form(client, f"/companies/{company.id}/activities/new", data)


def test_a_site_visit_shows_on_the_deal_and_company_and_in_search(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    assert log_activity(client, staff).status_code == 302
    activity = dbs.exec(select(Activity)).one()
    assert [u.user_id for u in activity.users] == [staff["manager"].id]
    assert [c.contact_id for c in activity.contacts] == [staff["contact"].id]
    for url in (f"/deals/{staff['deal'].id}", f"/companies/{staff['company'].id}"):
        page = client.get(url).get_data(as_text=True)
        assert "实地考察灵巧手装配线" in page and "王经理" in page
    assert staff["deal"].deal_ref in client.get("/deals?q=装配线").get_data(as_text=True)
    assert staff["company"].name in client.get("/companies?q=装配线").get_data(as_text=True)


def test_an_activity_with_another_companys_contact_is_refused(client, staff, dbs):
    other = factories.company(dbs, "别家公司", factories.make_uscc(8))
    stranger = factories.contact(dbs, other, "外人")
    dbs.commit()
    sign_in(client, staff["manager"].id)
    response = log_activity(client, staff, contact_ids=[str(stranger.id)])
    assert response.status_code == 200
    assert dbs.exec(select(func.count()).select_from(Activity)).one() == 0


def test_the_deals_next_step_is_a_task_for_its_owner(client, staff, dbs):
    deal = staff["deal"]
    sign_in(client, staff["manager"].id)
    from tests.test_deals import deal_form

    post_form(
        client,
        f"/deals/{deal.id}/edit",
        deal_form(
            staff, next_step="约见领投方", next_step_due="2026-01-10", version=str(deal.version)
        ),
    )
    task = dbs.exec(select(Task).where(Task.deal_id == deal.id, Task.is_next_step)).one()
    assert (task.title, task.due_on, task.assignee_id) == (
        "约见领投方",
        date(2026, 1, 10),
        staff["manager"].id,
    )
    page = client.get("/tasks").get_data(as_text=True)
    assert "约见领投方" in page and "已逾期" in page
    assert "约见领投方" in client.get("/").get_data(as_text=True)
    post_form(client, f"/tasks/{task.id}/done", {"done": "1"}, token_from="/tasks")
    dbs.expire_all()
    assert dbs.get(Deal, deal.id).next_step is None and dbs.get(Task, task.id).status == "done"


def test_tasks_are_created_assigned_and_completed_by_the_assignee(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    post_form(
        client,
        f"/tasks/new?deal={staff['deal'].id}",
        {
            "title": "准备立项报告",
            "due_on": (clock.today() + timedelta(days=3)).isoformat(),
            "assignee_id": str(staff["ic_member"].id),
            "deal_id": str(staff["deal"].id),
        },
    )
    task = dbs.exec(select(Task).where(Task.title == "准备立项报告")).one()
    sign_in(client, staff["ic_member"].id)
    assert "准备立项报告" in client.get("/tasks").get_data(as_text=True)
    post_form(client, f"/tasks/{task.id}/done", {"done": "1"}, token_from="/tasks")
    dbs.expire_all()
    assert dbs.get(Task, task.id).status == "done"
    sign_in(client, staff["risk"].id)  # neither the assignee nor on the deal team's roles
    response = post_form(client, f"/tasks/{task.id}/done", {"done": "0"}, token_from="/tasks")
    assert response.status_code == 403


def test_reaching_approved_creates_the_checklist_from_the_templates(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    deal = staff["deal"]
    assert move(client, deal.id, "approved").get_json()["ok"]
    items = dbs.exec(select(DDItem).where(DDItem.deal_id == deal.id)).all()
    assert len(items) == sum(len(t) for t in DEFAULT_DD_TEMPLATE.values())
    assert {i.workstream for i in items} == {"financial", "legal", "business", "technical"}
    move(client, deal.id, "screening")
    move(client, deal.id, "approved")  # a second arrival does not duplicate it
    assert dbs.exec(select(func.count()).select_from(DDItem)).one() == len(items)


def test_an_imported_stage_past_approved_gets_a_checklist_too(app, staff, dbs):
    from fundcrm.deals import moves
    from fundcrm.models import utcnow

    other = factories.deal(dbs, staff["company"], staff["manager"], [(staff["angel"], "1")])
    moves.record_import_move(dbs, other, "ic", utcnow())
    dbs.commit()
    assert (
        dbs.exec(select(func.count()).select_from(DDItem).where(DDItem.deal_id == other.id)).one()
        > 0
    )


def test_admin_edits_the_templates_for_new_checklists(client, staff, dbs):
    sign_in(client, staff["admin"].id)
    post_form(client, "/admin/dd-templates", {"workstream": "legal", "title": "出口管制合规审查"})
    first = dbs.exec(select(DDTemplateItem).where(DDTemplateItem.workstream == "financial")).first()
    post_form(
        client,
        f"/admin/dd-templates/{first.id}",
        {"workstream": "financial", "title": first.title},
        token_from="/admin/dd-templates",
    )
    move(client, staff["deal"].id, "approved")
    titles = set(dbs.exec(select(DDItem.title).where(DDItem.deal_id == staff["deal"].id)).all())
    assert "出口管制合规审查" in titles and first.title not in titles  # unticked: not in use


def workstream_form(client, deal_id: int, workstream: str) -> dict:
    """The workstream's form as the checklist page shows it: every row's fields and values."""
    page = client.get(f"/deals/{deal_id}/dd").get_data(as_text=True)
    return form_fields(page, f"ws-form-{workstream}")


def save_workstream(client, deal_id, workstream, changes: dict, **kwargs):
    """Post the workstream's form with `changes` (item id → {field: value}) made to it."""
    data = workstream_form(client, deal_id, workstream)
    for item_id, fields in changes.items():
        data.update({f"item{item_id}-{name}": value for name, value in fields.items()})
    return client.post(f"/deals/{deal_id}/dd/{workstream}", data=data, **kwargs)


def _close_checklist(client, dbs, deal_id, waive_first=False):
    items = dbs.exec(select(DDItem).where(DDItem.deal_id == deal_id)).all()
    for stream in ("financial", "legal", "business", "technical"):
        rows = [i for i in items if i.workstream == stream]
        changes = {i.id: {"status": "done"} for i in rows}
        if waive_first and stream == "financial":
            changes[rows[0].id] = {"status": "waived", "waive_reason": "不适用：轻资产企业"}
        assert save_workstream(client, deal_id, stream, changes).status_code == 302
    return items


def test_waiving_needs_a_reason_and_a_red_flag_shows_on_the_deal(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    deal = staff["deal"]
    move(client, deal.id, "approved")
    item = dbs.exec(
        select(DDItem).where(DDItem.deal_id == deal.id, DDItem.workstream == "legal")
    ).first()
    response = save_workstream(client, deal.id, "legal", {item.id: {"status": "waived"}})
    assert response.status_code == 400
    assert "请填写豁免该项的理由" in response.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(DDItem, item.id).status == "open"
    changes = {
        item.id: {
            "status": "in_progress",
            "severity": "red_flag",
            "finding": "核心专利登记在创始人个人名下",
        }
    }
    assert save_workstream(client, deal.id, "legal", changes).status_code == 302
    page = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert "核心专利登记在创始人个人名下" in page and "red-flag" in page


def test_closed_checklist_meets_the_dd_part_of_the_ic_gate(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    deal = staff["deal"]
    move(client, deal.id, "approved")
    before = move(client, deal.id, "ic").get_json()["errors"][0]
    assert "各尽调模块均已完成" in before
    _close_checklist(client, dbs, deal.id, waive_first=True)
    page = client.get(f"/deals/{deal.id}/dd").get_data(as_text=True)
    assert page.count("text-bg-success ws-status") == 4
    after = move(client, deal.id, "ic").get_json()["errors"][0]
    assert "已提交的投资建议书" in after and "各尽调模块" not in after


def upload(client, owner, name, data, title=""):
    page = "/deals/" + owner.split(":")[1] if owner.startswith("deal") else "/"
    return post_form(
        client,
        "/documents",
        {"owner": owner, "title": title, "file": (io.BytesIO(data), name)},
        token_from=page,
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_documents_are_checked_by_content_versioned_and_downloaded(app, client, staff, dbs):
    sign_in(client, staff["manager"].id)
    owner = f"deal:{staff['deal'].id}"
    page = upload(client, owner, "../../etc/商业计划书.pdf", demo_pdf("v1"), "商业计划书")
    assert "版本 1" in page.get_data(as_text=True)
    upload(client, owner, "bp-v2.pdf", demo_pdf("v2"), "商业计划书")
    docs = dbs.exec(select(Document).order_by(Document.version)).all()
    assert [(d.title, d.version, d.filename) for d in docs] == [
        ("商业计划书", 1, "商业计划书.pdf"),
        ("商业计划书", 2, "bp-v2.pdf"),
    ]
    assert len(docs[0].sha256) == 64 and docs[0].storage_name not in docs[0].filename
    response = client.get(f"/documents/{docs[0].id}")
    assert response.status_code == 200 and response.data == demo_pdf("v1")
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    sign_in(client, staff["viewer"].id)
    assert client.get(f"/documents/{docs[0].id}").status_code == 403


def test_refused_uploads_write_nothing(app, client, staff, dbs):
    sign_in(client, staff["manager"].id)
    owner = f"company:{staff['company'].id}"
    cases = [
        ("fake.pdf", b"MZ\x90\x00 not a pdf", "文件内容与扩展名不符"),
        ("tool.exe", b"MZ\x90\x00", "允许的类型"),
        ("empty.txt", b"", "文件为空"),
        ("photo.png", demo_pdf("x"), "文件内容与扩展名不符"),
    ]
    for name, data, message in cases:
        assert message in upload(client, owner, name, data).get_data(as_text=True), name
    app.config["MAX_UPLOAD_MB"] = 1
    try:
        big = demo_pdf("x") + b" " * (2**20 + 10)
        assert "文件大于 1 MB" in upload(client, owner, "big.pdf", big).get_data(as_text=True)
    finally:
        app.config["MAX_UPLOAD_MB"] = 50
    assert dbs.exec(select(func.count()).select_from(Document)).one() == 0


def test_an_activity_is_edited_by_its_author_and_refused_to_another_manager(
    app, client, staff, dbs, make_user
):
    """Two managers: the author edits the visit note; a colleague who is neither its author nor
    on the deal's team sees no Edit link and gets 403 on edit and delete, changing nothing."""
    from tests.world import snapshot

    sign_in(client, staff["manager"].id)
    assert log_activity(client, staff).status_code == 302
    activity = dbs.exec(select(Activity)).one()
    edit = f"/activities/{activity.id}"
    assert edit in client.get(f"/companies/{staff['company'].id}").get_data(as_text=True)
    assert client.get(edit).status_code == 200

    colleague = app.test_client()
    sign_in(colleague, make_user("manager")[0])
    for page in (f"/companies/{staff['company'].id}", f"/deals/{staff['deal'].id}"):
        shown = colleague.get(page).get_data(as_text=True)
        assert "实地考察灵巧手装配线" in shown and f'href="{edit}"' not in shown
    before = snapshot(app)
    assert colleague.get(edit).status_code == 403
    form = {"kind": "call", "occurred_on": "2026-03-03", "summary": "改写"}
    assert post_form(colleague, edit, form, token_from="/tasks").status_code == 403
    assert post_form(colleague, f"{edit}/delete", {}, token_from="/tasks").status_code == 403
    assert snapshot(app) == before
