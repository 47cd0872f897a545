"""An IC member reads the morning's notifications, opens the memo of the meeting ahead, asks
the deal team a question and takes the memo and the past minutes as PDF; the deal's owner is
told and answers."""

import pytest

from fundcrm.demo import DEMO_ACCOUNTS
from tests.e2e.conftest import screenshot
from tests.e2e.test_sign_in_journey import sign_in

pytestmark = pytest.mark.e2e


def test_a_member_reads_asks_and_prints(page, browser, live_server):
    sign_in(page, "ic3@example.com")
    assert int(page.locator("#unread-count").inner_text()) >= 1
    page.click("#notifications-link")
    screenshot(page, "notifications-zh")
    agenda = page.locator(".notification[data-kind=on_agenda]").first
    agenda.get_by_role("button", name="查看").click()
    page.wait_for_url("**/ic/items/*")
    page.click("#item-memo")
    page.wait_for_url("**/ic/memos/*")
    memo_url = page.url
    page.fill("#question-text", "请说明 2026 年订单的确认依据。")
    page.click("#question-form [type=submit]")
    assert "您的问题已发送给项目组" in page.locator(".alert-success").inner_text()
    assert page.locator(".question").filter(has_text="2026 年订单的确认依据").count() == 1
    paper = page.request.get(page.locator("#memo-pdf").get_attribute("href"))
    assert paper.status == 200 and paper.headers["content-type"] == "application/pdf"
    assert paper.body().startswith(b"%PDF")
    page.click("h1 a")  # the deal: whose team answers
    owner_name = page.locator("h1 + p").inner_text().split("负责人")[-1].strip()
    owner_email = next(e for e, name, _roles in DEMO_ACCOUNTS if name == owner_name)
    page.goto("/ic")
    page.locator("#past-meetings a").first.click()
    minutes = page.request.get(page.locator("#minutes-pdf").get_attribute("href"))
    assert minutes.status == 200 and minutes.body().startswith(b"%PDF")

    owner_context = browser.new_context(base_url=live_server, locale="zh-CN")
    owner = owner_context.new_page()
    sign_in(owner, owner_email)
    owner.click("#notifications-link")
    question = owner.locator(".notification[data-kind=question]").filter(has_text="投委委员 赵志强")
    question.first.get_by_role("button", name="查看").click()
    owner.wait_for_url("**/ic/memos/*")
    asked = owner.locator(".question").filter(has_text="2026 年订单的确认依据")
    asked.locator("textarea").fill("以客户签收的验收单为准。")
    asked.locator("[type=submit]").click()
    assert "您的回答已发送" in owner.locator(".alert-success").inner_text()
    owner_context.close()
    page.goto(memo_url)
    assert "以客户签收的验收单为准。" in page.locator(".question").last.inner_text()
