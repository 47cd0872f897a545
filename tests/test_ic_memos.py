"""IC memos: written from a deal in due diligence, saved as versions, sanitised when shown,
submitted and frozen, meeting the 投决 gate's memo condition; who may read and write them."""

import html
import json
import re

import pytest
from sqlmodel import select

from fundcrm.models import DDItem, Deal, IcMemo, IcMemoVersion, User
from tests.conftest import csrf_token, page_text, post_form, sign_in
from tests.ic_fixtures import refusals
from tests.test_moves import move

ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def in_dd(app, staff, dbs):
    """The pipeline's deal in due diligence, with two findings, its company in 渝北区."""
    deal = dbs.get(Deal, staff["deal"].id)
    deal.stage = "due_diligence"
    deal.pre_money_yuan = 500_000_000
    deal.company.district = "渝北区"
    dbs.add_all(
        [
            DDItem(deal_id=deal.id, workstream="legal", title="股权代持", finding="创始人代持 5%",
                   severity="low", status="done"),
            DDItem(deal_id=deal.id, workstream="financial", title="收入确认",
                   finding="2025 年收入提前确认", severity="red_flag", status="done"),
        ]
    )  # fmt: skip
    dbs.commit()
    return deal


def as_owner(app, staff):
    client = app.test_client()
    sign_in(client, staff["manager"].id)
    return client


def start(client, deal_id: int):
    return post_form(client, f"/deals/{deal_id}/memo", {}, token_from=f"/deals/{deal_id}",
                     headers=ENGLISH)  # fmt: skip


def the_memo(dbs) -> IcMemo:
    dbs.expire_all()
    return dbs.exec(select(IcMemo)).one()


def save(client, memo: IcMemo, seen: int, **sections):
    latest = memo.versions[-1]
    form = {**latest.sections, **sections, "seen": str(seen)}
    for key, yuan in latest.proposed.items():
        form[f"proposed_{key}"] = str(int(float(yuan)) // 10_000)
    url = f"/ic/memos/{memo.id}/edit"
    return post_form(client, url, form, token_from=url, headers=ENGLISH)


def submit(client, memo: IcMemo, seen: int):
    url = f"/ic/memos/{memo.id}"
    return post_form(client, f"{url}/submit", {"seen": str(seen)}, token_from=url, headers=ENGLISH)


FULL = {code: f"{code} 的内容" for code in ("summary", "technology", "market", "financials",
                                          "risks", "recommendation")}  # fmt: skip


def test_a_memo_is_written_from_the_deal(app, staff, dbs, in_dd):
    client = as_owner(app, staff)
    answer = start(client, in_dd.id)
    memo = the_memo(dbs)
    assert answer.status_code == 302 and answer.location == f"/ic/memos/{memo.id}/edit"
    (first,) = memo.versions
    assert (first.number, first.status) == (1, "draft")
    text = first.sections
    assert (
        "重庆擎天机器人科技有限公司" in text["company_team"]
        and in_dd.company.uscc in text["company_team"]
    )
    assert f"| {staff['angel'].name} | 1,000.00 |" in text["valuation_terms"]
    assert "50,000.00" in text["valuation_terms"]  # the pre-money in 万元
    findings = text["dd_findings"].splitlines()
    assert findings[0].startswith("- **Red flag**") and "2025 年收入提前确认" in findings[0]
    assert findings[1].startswith("- **Low**")
    fit = text["mandate_fit"]
    assert "within the mandate" in fit
    assert "重庆市产业投资母基金" in fit and "the company lies in its re-investment area" in fit
    assert text["summary"] == "" and text["recommendation"] == ""
    assert first.proposed == {str(staff["angel"].id): "10000000.00",
                              str(staff["industry"].id): "20000000.00"}  # fmt: skip


def test_a_memo_needs_a_deal_in_due_diligence_and_one_per_deal(app, staff, dbs, in_dd):
    client = as_owner(app, staff)
    in_dd.stage = "approved"
    dbs.commit()
    answer = start(client, in_dd.id)
    assert "A memo is written for a deal in due diligence." in page_text(
        client.get(answer.location, headers=ENGLISH).get_data(as_text=True)
    )
    in_dd.stage = "due_diligence"
    dbs.commit()
    start(client, in_dd.id)
    again = start(client, in_dd.id)
    assert "This deal has a memo already." in client.get(again.location, headers=ENGLISH).get_data(
        as_text=True
    )
    assert len(dbs.exec(select(IcMemo)).all()) == 1


def test_every_save_is_a_version_and_a_submitted_one_is_frozen(app, staff, dbs, in_dd):
    client = as_owner(app, staff)
    start(client, in_dd.id)
    memo = the_memo(dbs)
    assert save(client, memo, 1, **FULL).status_code == 302
    refused = submit(client, the_memo(dbs), 1)  # made from version 1, but 2 is the latest
    assert "Someone saved or submitted this memo meanwhile" in page_text(
        client.get(refused.location, headers=ENGLISH).get_data(as_text=True)
    )
    assert submit(client, the_memo(dbs), 2).status_code == 302
    memo = the_memo(dbs)
    assert [(v.number, v.status) for v in memo.versions] == [(1, "draft"), (2, "submitted")]
    # submitting the frozen version again is refused, and the attempts are in the audit trail
    again = submit(client, memo, 2)
    assert "submitted already" in client.get(again.location, headers=ENGLISH).get_data(as_text=True)
    attempts = refusals(dbs, "ic_memo_versions")
    assert [json.loads(a.changes)["refused"][1] for a in attempts] == ["edit_submitted"] * 2
    frozen = dict(memo.versions[1].sections)

    assert save(client, memo, 2, summary="修订后的摘要").status_code == 302

    memo = the_memo(dbs)
    assert [(v.number, v.status) for v in memo.versions][-1] == (3, "draft")
    assert (
        memo.versions[1].sections == frozen
        and memo.versions[2].sections["summary"] == "修订后的摘要"
    )
    stale = save(client, memo, 2, summary="基于旧版本的修改")
    assert stale.status_code == 200
    assert "Someone saved or submitted this memo meanwhile" in stale.get_data(as_text=True)
    assert len(the_memo(dbs).versions) == 3


def test_a_memo_with_an_empty_section_is_not_submitted(app, staff, dbs, in_dd):
    client = as_owner(app, staff)
    start(client, in_dd.id)
    answer = submit(client, the_memo(dbs), 1)
    shown = page_text(client.get(answer.location, headers=ENGLISH).get_data(as_text=True))
    assert "Write every section before submitting; empty: Summary" in shown
    assert the_memo(dbs).versions[0].status == "draft"


UNSAFE = {
    "summary": "<script>alert('x')</script> **粗体**",
    "technology": "[点我](javascript:alert(1)) 与 [数据](data:text/html;base64,PHNjcmlwdD4=)",
    "market": '<img src=x onerror="alert(1)"> <iframe src="https://evil.example"></iframe>',
    "financials": '<a href="https://ok.example" onclick="steal()">链接</a> [官网](https://qt.example)',
}


def test_unsafe_markdown_is_shown_harmless(app, staff, dbs, in_dd):
    client = as_owner(app, staff)
    start(client, in_dd.id)
    save(client, the_memo(dbs), 1, **UNSAFE)
    page = client.get(f"/ic/memos/{the_memo(dbs).id}").get_data(as_text=True)
    shown = page[page.index('id="section-summary"') : page.index('id="memo-amounts"')]
    for danger in ('href="javascript', 'href="data', "<script", "<img", "<iframe"):
        assert danger not in shown, danger
    assert re.search(r"<[a-z][^>]*\son[a-z]+=", shown) is None  # no event attribute on a tag
    assert "&lt;script&gt;" in shown and "<strong>粗体</strong>" in shown
    assert '<a href="https://qt.example" rel="noopener noreferrer nofollow">官网</a>' in shown


def test_a_section_over_the_limit_is_refused_and_nothing_is_saved(app, staff, dbs, in_dd):
    client = as_owner(app, staff)
    start(client, in_dd.id)
    answer = save(client, the_memo(dbs), 1, risks="风" * 1_000_000)
    assert answer.status_code == 200
    assert "At most 100,000 characters in a section." in answer.get_data(as_text=True)
    assert len(the_memo(dbs).versions) == 1


def test_an_amount_is_needed_for_each_sub_fund(app, staff, dbs, in_dd):
    client = as_owner(app, staff)
    start(client, in_dd.id)
    memo = the_memo(dbs)
    url = f"/ic/memos/{memo.id}/edit"
    form = {**memo.versions[0].sections, "seen": "1", f"proposed_{staff['angel'].id}": "0",
            f"proposed_{staff['industry'].id}": "2000"}  # fmt: skip
    answer = post_form(client, url, form, token_from=url, headers=ENGLISH)
    assert "Each participating sub-fund needs an amount above zero." in answer.get_data(True)
    assert len(the_memo(dbs).versions) == 1


def test_a_submitted_memo_meets_the_ic_gates_memo_condition(app, staff, dbs, in_dd):
    client = as_owner(app, staff)
    refused = move(client, in_dd.id, "ic", language="en").get_json()
    assert any("a submitted IC memo" in e for e in refused["errors"])
    start(client, in_dd.id)
    save(client, the_memo(dbs), 1, **FULL)
    submit(client, the_memo(dbs), 2)
    answer = move(client, in_dd.id, "ic", language="en").get_json()
    assert not any("a submitted IC memo" in e for e in answer.get("errors", []))


def test_who_may_read_and_write_a_memo(app, staff, dbs, in_dd, make_user):
    start(as_owner(app, staff), in_dd.id)
    memo = the_memo(dbs)
    url = f"/ic/memos/{memo.id}"
    for role, reads, writes in (("ic_member", 200, 403), ("risk", 200, 403), ("viewer", 403, 403),
                                ("admin", 200, 200)):  # fmt: skip
        client = app.test_client()
        sign_in(client, staff[role].id)
        assert client.get(url).status_code == reads, role
        assert client.get(f"{url}/edit").status_code == writes, role
    outsider = app.test_client()
    sign_in(outsider, make_user("manager")[0])  # a manager, not on this deal's team
    refused = outsider.get(f"{url}/edit", headers=ENGLISH)
    assert refused.status_code == 403
    assert "Only the deal's owner and team or an administrator may write its IC memo." in (
        html.unescape(refused.get_data(as_text=True))
    )
    assert outsider.get(url).status_code == 200  # reading is the staff's


def test_two_saves_of_one_version_make_one_new_version(app, staff, dbs, in_dd):
    from tests.test_concurrency import all_at_once

    start(as_owner(app, staff), in_dd.id)
    memo = the_memo(dbs)
    url = f"/ic/memos/{memo.id}/edit"
    form = {**memo.versions[0].sections, "seen": "1"}
    for key, yuan in memo.versions[0].proposed.items():
        form[f"proposed_{key}"] = str(int(float(yuan)) // 10_000)

    def saving(summary):
        def prepare(client):
            token = csrf_token(client, url)
            return lambda: client.post(url, data={**form, "summary": summary, "csrf_token": token})

        return prepare

    answers = all_at_once(app, staff["manager"].id, [saving("甲"), saving("乙")])

    assert sorted(a.status_code for a in answers) == [200, 302]
    versions = dbs.exec(select(IcMemoVersion).order_by(IcMemoVersion.number)).all()
    assert [v.number for v in versions] == [1, 2]
    assert dbs.exec(select(User)).first() is not None


def test_the_first_draft_is_in_the_writers_language(app, staff, dbs, in_dd):
    client = as_owner(app, staff)
    post_form(client, f"/deals/{in_dd.id}/memo", {}, token_from=f"/deals/{in_dd.id}",
              headers={"Accept-Language": "zh-CN"})  # fmt: skip
    text = the_memo(dbs).versions[0].sections
    assert text["mandate_fit"].startswith("**投资范围检查**") and "**返投**" in text["mandate_fit"]
    assert "| 子基金 | 拟投金额（万元） |" in text["valuation_terms"]
    assert "企业位于其返投区域内" in text["mandate_fit"]
