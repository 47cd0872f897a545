"""The DD checklist edits each item inline and saves a workstream with one button: all rows or
none, audited per item, a form opened before someone else's save refused, and the page in a
fixed number of statements."""

import json

import pytest
from sqlmodel import func, select

from fundcrm.demo import demo_pdf
from fundcrm.models import AuditEntry, DDItem
from fundcrm.workspace import services as work
from tests import factories
from tests.conftest import sign_in
from tests.html_forms import form_fields
from tests.test_concurrency import ENGLISH, all_at_once


@pytest.fixture
def checklist(staff, dbs):
    """The pipeline's deal with its checklist from the default templates: item ids by
    workstream, in the page's order."""
    work.ensure_checklist(dbs, staff["deal"])
    dbs.commit()
    return {
        stream: [i.id for i in items]
        for stream, items in work.checklist(dbs, staff["deal"].id).items()
    }


def workstream_form(client, deal_id: int, workstream: str) -> dict:
    """The workstream's form as the checklist page shows it: every row's fields and values."""
    page = client.get(f"/deals/{deal_id}/dd").get_data(as_text=True)
    return form_fields(page, f"ws-form-{workstream}")


def with_changes(form: dict, changes: dict) -> dict:
    """The form with `changes` (item id → {field: value}) typed into its rows."""
    typed = {
        f"item{item_id}-{name}": value
        for item_id, fields in changes.items()
        for name, value in fields.items()
    }
    return {**form, **typed}


def save(client, deal_id: int, workstream: str, changes: dict):
    form = with_changes(workstream_form(client, deal_id, workstream), changes)
    return client.post(f"/deals/{deal_id}/dd/{workstream}", data=form)


def _items(dbs, ids) -> list[DDItem]:
    dbs.expire_all()
    return [dbs.get(DDItem, i) for i in ids]


def _item_audits(dbs) -> list[AuditEntry]:
    return dbs.exec(
        select(AuditEntry)
        .where(AuditEntry.table_name == "dd_items", AuditEntry.action == "update")
        .order_by(AuditEntry.id)
    ).all()


def test_the_page_shows_one_form_per_workstream_with_every_item(client, staff, checklist):
    sign_in(client, staff["manager"].id)
    page = client.get(f"/deals/{staff['deal'].id}/dd").get_data(as_text=True)
    for stream, ids in checklist.items():
        fields = form_fields(page, f"ws-form-{stream}")
        assert {f"item{i}-status" for i in ids} <= set(fields)
        assert {f"item{i}-owner_id" for i in ids} <= set(fields)
        assert "csrf_token" in fields
    assert page.count('class="d-flex justify-content-end ws-form"') == 4


def test_two_items_edited_inline_are_saved_with_one_post_and_audited_each(
    client, staff, dbs, checklist
):
    sign_in(client, staff["manager"].id)
    first, second, untouched = checklist["financial"][:3]
    response = save(
        client,
        staff["deal"].id,
        "financial",
        {
            first: {"status": "done", "finding": "审计报告无保留意见"},
            second: {"status": "waived", "waive_reason": "无对外担保", "owner_id": ""},
        },
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/deals/{staff['deal'].id}/dd#ws-financial")
    a, b, c = _items(dbs, [first, second, untouched])
    assert (a.status, a.finding) == ("done", "审计报告无保留意见")
    assert (b.status, b.waive_reason, b.owner_id) == ("waived", "无对外担保", None)
    assert c.status == "open" and c.owner_id == staff["manager"].id
    audits = _item_audits(dbs)
    assert sorted(int(e.row_id) for e in audits) == sorted([first, second])
    assert all(e.actor_id == staff["manager"].id for e in audits)
    assert json.loads(audits[0].changes)["status"][1] in ("done", "waived")


def test_a_bad_row_shows_its_error_and_saves_nothing(client, staff, dbs, checklist):
    sign_in(client, staff["manager"].id)
    good, bad = checklist["legal"][:2]
    before = len(_item_audits(dbs))
    response = save(
        client,
        staff["deal"].id,
        "legal",
        {good: {"status": "done"}, bad: {"status": "waived", "waive_reason": " "}},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "请填写豁免该项的理由" in page
    # the error sits in the bad item's block, and what the user typed is kept
    bad_block = page[page.index(f'id="item-{bad}"') :]
    assert bad_block.index("请填写豁免该项的理由") < bad_block.index('class="dd-item')
    assert form_fields(page, "ws-form-legal")[f"item{good}-status"] == "done"
    assert [i.status for i in _items(dbs, [good, bad])] == ["open", "open"]
    assert len(_item_audits(dbs)) == before


def test_an_unknown_status_or_owner_is_refused_for_the_whole_workstream(
    client, staff, dbs, checklist
):
    sign_in(client, staff["manager"].id)
    first, second = checklist["business"][:2]
    for changes in (
        {first: {"status": "done"}, second: {"status": "finished"}},
        {first: {"status": "done"}, second: {"owner_id": str(staff["viewer"].id)}},
        {first: {"status": "done"}, second: {"owner_id": "x"}},
    ):
        assert save(client, staff["deal"].id, "business", changes).status_code == 400
    assert [i.status for i in _items(dbs, [first, second])] == ["open", "open"]


def test_a_form_opened_before_someone_elses_save_is_refused(client, staff, dbs, checklist):
    sign_in(client, staff["manager"].id)
    deal_id = staff["deal"].id
    first, second = checklist["technical"][:2]
    stale = workstream_form(client, deal_id, "technical")
    assert save(client, deal_id, "technical", {first: {"status": "in_progress"}}).status_code == 302
    form = with_changes(stale, {second: {"status": "done"}})
    response = client.post(f"/deals/{deal_id}/dd/technical", data=form, headers=ENGLISH)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert _items(dbs, [first])[0].title in page and "reload the page" in page
    assert [i.status for i in _items(dbs, [first, second])] == ["in_progress", "open"]


def test_two_users_saving_a_workstream_at_once_keep_one_save_whole(app, staff, dbs, checklist):
    """Both opened the same form: the saves run one after the other, the later one is refused
    and names the items, and the stored rows are all the first save's (never a mix)."""
    deal_id = staff["deal"].id
    ids = checklist["financial"]
    changes = [
        {i: {"status": "done", "finding": "经理甲"} for i in ids},
        {i: {"status": "in_progress", "finding": "管理员乙"} for i in ids},
    ]

    def posting(typed):
        def prepare(user_client):  # each opens the form before either saves
            form = with_changes(workstream_form(user_client, deal_id, "financial"), typed)
            return lambda: user_client.post(f"/deals/{deal_id}/dd/financial", data=form)

        return prepare

    responses = all_at_once(
        app, [staff["manager"].id, staff["admin"].id], [posting(c) for c in changes]
    )
    assert sorted(r.status_code for r in responses) == [302, 409]
    winner = [r.status_code for r in responses].index(302)
    findings = {i.finding for i in _items(dbs, ids)}
    assert findings == {"经理甲" if winner == 0 else "管理员乙"}
    assert len(_item_audits(dbs)) == len(ids)


def test_roles_without_the_workspace_may_read_but_not_save(app, staff, dbs, checklist):
    client = app.test_client()
    sign_in(client, staff["ic_member"].id)
    page = client.get(f"/deals/{staff['deal'].id}/dd").get_data(as_text=True)
    assert "ws-form-financial" not in page
    sign_in(client, staff["manager"].id)
    form = with_changes(workstream_form(client, staff["deal"].id, "financial"), {})
    sign_in(client, staff["ic_member"].id)
    response = client.post(f"/deals/{staff['deal'].id}/dd/financial", data=form)
    assert response.status_code == 403
    assert client.post(f"/deals/{staff['deal'].id}/dd/nowhere", data=form).status_code == 403
    sign_in(client, staff["manager"].id)
    assert client.post(f"/deals/{staff['deal'].id}/dd/nowhere", data=form).status_code == 404


def _busy_deal(dbs, staff, folder, extra_items: int, documents: int):
    """Another deal with its checklist, `extra_items` more items and documents on some."""
    deal = factories.deal(
        dbs, staff["company"], staff["manager"], [(staff["angel"], "1")], round="b"
    )
    work.ensure_checklist(dbs, deal)
    for n in range(extra_items):
        work.add_dd_item(dbs, deal, "legal", f"补充核查事项{n}")
    items = [i for group in work.checklist(dbs, deal.id).values() for i in group]
    for item in items[:documents]:
        data = demo_pdf(f"doc {item.id}")
        work.store_document(dbs, folder, {"dd_item_id": item.id}, "", "a.pdf", data, None, 2**20)
    dbs.commit()
    return deal


def test_the_checklist_page_runs_a_fixed_number_of_statements(
    client, staff, dbs, checklist, count_queries, tmp_path
):
    sign_in(client, staff["manager"].id)
    small = staff["deal"]
    big = _busy_deal(dbs, staff, tmp_path, extra_items=40, documents=30)
    counts = []
    for deal in (small, big):
        client.get(f"/deals/{deal.id}/dd")  # the first request of a client warms its session
        with count_queries() as counted:
            response = client.get(f"/deals/{deal.id}/dd")
        assert response.status_code == 200
        counts.append(counted.n)
    assert counts[0] == counts[1], counts
    assert counts[0] <= 11, counts


def test_every_row_saved_leaves_the_others_of_the_deal_alone(client, staff, dbs, checklist):
    """A save names one workstream: items of another are not touched even when posted."""
    sign_in(client, staff["manager"].id)
    legal = checklist["legal"][0]
    form = with_changes(
        workstream_form(client, staff["deal"].id, "financial"), {legal: {"status": "done"}}
    )
    response = client.post(f"/deals/{staff['deal'].id}/dd/financial", data=form)
    assert response.status_code == 302
    assert _items(dbs, [legal])[0].status == "open"
    assert dbs.exec(select(func.count()).select_from(DDItem)).one() == sum(
        len(v) for v in checklist.values()
    )
