"""The investment committee, end to end: a manager writes and submits the memo of a deal whose
due diligence is done and takes it to 投决; an administrator puts it on a meeting of the three
IC members; one member's conflict is recorded while her page is open and her vote is refused;
the other two approve; the administrator closes the vote; the decision shows on the deal,
which can now move to 签约."""

import pytest

from fundcrm.domain.vocab import MEMO_SECTIONS
from tests.e2e.conftest import CSP_REPORTER, is_csp_violation, screenshot
from tests.e2e.test_sign_in_journey import sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def person(browser, live_server, csp_violations):
    """A page of its own for each user of the journey (its own cookies), CSP watched."""
    contexts = []

    def open_as(email: str):
        context = browser.new_context(
            base_url=live_server, locale="zh-CN", viewport={"width": 1280, "height": 900}
        )
        context.add_init_script(CSP_REPORTER)
        contexts.append(context)
        opened = context.new_page()
        opened.on(
            "console",
            lambda m: csp_violations.append(m.text) if is_csp_violation(m.text) else None,
        )
        sign_in(opened, email)
        return opened

    yield open_as
    for context in contexts:
        context.close()
    if csp_violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(csp_violations))


def test_a_memo_goes_through_the_committee_to_signing(person):
    manager = person("manager@example.com")
    manager.goto("/deals?q=待提交投决会")
    manager.locator("table a[href^='/deals/']").first.click()
    deal_url = manager.url
    assert "尽职调查" in manager.locator("#deal-stage").inner_text()
    manager.click("#start-memo")
    manager.wait_for_url("**/ic/memos/*/edit")
    for code in MEMO_SECTIONS.codes:
        if not manager.input_value(f"#{code}").strip():
            manager.fill(f"#{code}", f"{MEMO_SECTIONS[code].zh}：团队已完成分析，详见附件。")
    manager.click("#save-memo")
    manager.click("#submit-memo")
    assert manager.locator("#memo-status").inner_text() == "已提交"
    memo_url = manager.url
    manager.goto(deal_url)
    manager.select_option("#to_stage", "ic")
    manager.click("#move-form [type=submit]")
    assert "投决" in manager.locator("#deal-stage").inner_text()
    deal_ref = manager.locator("h1 + p").inner_text().split(" ")[0]
    deal_name = manager.locator("h1 a").inner_text()
    manager.click("h1 a")  # the company's page: its USCC for the conflict register
    uscc = manager.locator("code").first.inner_text()

    admin = person("admin@example.com")
    admin.goto("/ic/meetings/new")
    admin.fill("#held_on", "2026-12-18")
    admin.fill("#place", "两江新区 数字经济产业园 5 楼会议室")
    for name in ("张建国", "刘芳", "赵志强"):
        admin.get_by_label(f"投委委员 {name}").check()
    admin.select_option("#chair_id", label="投委委员 张建国")
    admin.click("#submit")
    admin.wait_for_url("**/ic/meetings/*")
    admin.select_option("#memo_version_id", label=admin.locator(
        "#memo_version_id option", has_text=deal_ref).first.inner_text())  # fmt: skip
    admin.click("#add-item [type=submit]")
    item = admin.locator(".agenda-item", has_text=deal_ref)
    item.get_by_text("表决中").click()
    item_url = admin.url
    screenshot(admin, "ic-item-open-zh")

    # 刘芳 has the item open when risk records her conflict: her vote is refused
    liu = person("ic2@example.com")
    liu.goto(item_url)
    risk = person("risk@example.com")
    risk.goto("/ic/conflicts/new")
    risk.select_option("#member_id", label="投委委员 刘芳")
    risk.fill("#company_uscc", uscc)
    risk.fill("#reason", "本人持有该公司 2% 股权")
    risk.click("#submit")
    liu.select_option("#choice", "approve")
    liu.click("#vote-form [type=submit]")
    assert "利益冲突" in liu.locator(".alert-danger").inner_text()
    assert liu.locator("#recused-notice").is_visible()
    assert liu.locator("#vote-form").count() == 0
    screenshot(liu, "ic-recused-zh")

    for email in ("ic1@example.com", "ic3@example.com"):
        member = person(email)
        member.goto(item_url)
        member.select_option("#choice", "approve")
        member.click("#vote-form [type=submit]")
        assert "您的表决已记录" in member.locator(".alert-success").inner_text()

    admin.goto(item_url)
    assert "3 名有效表决委员" not in admin.content()  # 刘芳 is recused: 2 are eligible
    admin.click("#close-vote")  # the votes stop changing; they approve: the decision's form
    admin.wait_for_url("**/decide")
    admin.click("#decide-submit")
    assert admin.locator("#decision .outcome").inner_text() == "同意"
    assert admin.locator("#counts").inner_text().startswith("2 / 2 / 2")
    assert "刘芳" in admin.locator("#recusals").inner_text()
    screenshot(admin, "ic-decision-zh")

    manager.goto(deal_url)
    assert manager.locator("#deal-decision .outcome").inner_text() == "同意"
    manager.select_option("#to_stage", "signing")
    manager.click("#move-form [type=submit]")
    assert "签约" in manager.locator("#deal-stage").inner_text()
    screenshot(manager, "ic-deal-signing-zh")
    assert memo_url

    # the closing form records the investment and opens the holding
    manager.click("#closing-form-link")
    for date_input in manager.locator("input[type=date][id$=_on]").all():
        date_input.fill("2026-11-27")
    for equity in manager.locator("input[id$=_equity]").all():
        equity.fill("12")
    manager.click("#close-deal")
    assert "交割" in manager.locator("#deal-stage").inner_text()
    manager.goto("/portfolio")
    row = manager.locator(".holding-row").filter(has_text=deal_name)
    assert row.locator(".moic").inner_text() == "1.00×"
    row.locator("a").first.click()
    manager.wait_for_selector("#fair-value-chart canvas")
    holding_url = manager.url
    manager.fill("#marked_on", "2026-11-28")
    cost = manager.locator("#figure-invested").inner_text().replace(",", "")
    manager.fill("#fair_value", str(float(cost) * 2))
    manager.select_option("#method", "recent_round")
    manager.click("#mark-form [type=submit]")
    assert manager.locator("#figure-moic").inner_text() == "1.00×"  # pending: not counted
    risk.goto(holding_url)
    risk.select_option(".review-mark select[name=decision]", "approve")
    risk.click(".review-mark [type=submit]")
    manager.reload()
    assert manager.locator("#figure-moic").inner_text() == "2.00×"
    screenshot(manager, "holding-zh")
