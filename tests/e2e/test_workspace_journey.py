"""A manager logs a site visit, edits two due-diligence items of a workstream inline and saves
them at once, and uploads a document."""

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
    section = page.locator("section.workstream").first
    first, second = section.locator(".dd-item").nth(0), section.locator(".dd-item").nth(1)
    first.locator("select[name$='-status']").select_option("in_progress")
    first.locator("textarea[name$='-finding']").fill("应收账款周转天数偏高，需补充账龄明细")
    second.locator("select[name$='-status']").select_option("waived")
    with page.expect_navigation():
        section.locator(".ws-form input[type=submit]").click()
    # refused as a whole: the reason is missing, and the first row keeps what was typed
    section = page.locator("section.workstream").first
    assert section.get_by_text("请填写豁免该项的理由").is_visible()
    first, second = section.locator(".dd-item").nth(0), section.locator(".dd-item").nth(1)
    assert first.locator("select[name$='-status']").input_value() == "in_progress"
    second.locator("input[name$='-waive_reason']").fill("企业无自有厂房，不适用")
    with page.expect_navigation():
        section.locator(".ws-form input[type=submit]").click()
    section = page.locator("section.workstream").first
    first, second = section.locator(".dd-item").nth(0), section.locator(".dd-item").nth(1)
    assert first.get_by_text("应收账款周转天数偏高").first.is_visible()
    assert second.get_by_text("企业无自有厂房，不适用").first.is_visible()
    assert second.locator(".badge").first.inner_text() == "豁免"
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


def test_the_tasks_list_sorts_by_company_both_ways(page):
    sign_in(page, "manager@example.com")
    page.wait_for_url("**/")
    page.goto("/tasks?who=everyone")
    page.click("#tasks thead a[data-sort=company]")
    ascending = page.locator("#tasks tbody td.task-company").all_inner_texts()
    assert ascending and all(name.strip() for name in ascending)  # every demo task has a deal
    page.click("#tasks thead a[data-sort=company]")
    descending = page.locator("#tasks tbody td.task-company").all_inner_texts()
    assert "sort=-company" in page.url and descending != ascending
    assert page.locator("#tasks thead th[aria-sort=descending]").inner_text().startswith("企业")
    screenshot(page, "tasks-zh")
