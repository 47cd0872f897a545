"""A manager logs a site visit, works through due-diligence items and uploads a document."""

import pytest

from fundcrm.demo import demo_pdf
from tests.e2e.conftest import screenshot
from tests.e2e.test_sign_in_journey import sign_in

pytestmark = pytest.mark.e2e


def _deal_in_due_diligence(page) -> str:
    page.goto("/deals?stage=due_diligence&owner_email=manager@example.com")
    link = page.locator("#deals-table tbody tr td a").first
    href = link.get_attribute("href")
    return href


def test_manager_logs_a_visit_works_the_checklist_and_uploads(page, tmp_path):
    sign_in(page, "manager@example.com")
    page.wait_for_url("**/")
    deal_url = _deal_in_due_diligence(page)
    page.goto(deal_url)
    page.click("text=记录活动")
    page.select_option("#kind", "site_visit")
    page.fill("#occurred_on", "2026-11-20")
    page.fill("#summary", "实地考察总装车间，确认月产能与良品率数据")
    with page.expect_navigation():
        page.click("#submit")
    assert page.get_by_text("实地考察总装车间").is_visible()

    page.click("text=打开尽调清单")
    first, second = page.locator(".dd-item").nth(0), page.locator(".dd-item").nth(1)
    first.locator("select[name$='-status']").select_option("done")
    with page.expect_navigation():
        first.locator(".dd-form input[type=submit]").click()
    second = page.locator(".dd-item").nth(1)
    second.locator("select[name$='-status']").select_option("waived")
    with page.expect_navigation():
        second.locator(".dd-form input[type=submit]").click()
    assert page.get_by_text("请填写豁免该项的理由").is_visible()  # refused without a reason
    second = page.locator(".dd-item").nth(1)
    second.locator("select[name$='-status']").select_option("waived")
    second.locator("input[name$='-waive_reason']").fill("企业无自有厂房，不适用")
    with page.expect_navigation():
        second.locator(".dd-form input[type=submit]").click()
    assert page.locator(".dd-item").nth(1).get_by_text("企业无自有厂房，不适用").is_visible()
    screenshot(page, "checklist-zh")

    pdf = tmp_path / "尽调报告.pdf"
    pdf.write_bytes(demo_pdf("DD report"))
    page.goto(deal_url)
    form = page.locator("#documents .upload-form")
    form.locator("input[name=title]").fill("财务尽调报告")
    form.locator("input[type=file]").set_input_files(str(pdf))
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.locator("#documents").get_by_text("财务尽调报告").is_visible()
    screenshot(page, "deal-workspace-zh")
