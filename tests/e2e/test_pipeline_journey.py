"""A manager records a company, opens a deal for it and drags it through the board's gates."""

import pytest

from tests.e2e.conftest import screenshot
from tests.e2e.test_sign_in_journey import sign_in
from tests.factories import make_uscc

pytestmark = pytest.mark.e2e

NAME = "重庆灵巧手具身智能科技有限公司"


def test_manager_creates_company_and_deal_and_drags_it_on_the_board(page):
    code = make_uscc(424242)
    sign_in(page, "manager@example.com")
    page.wait_for_url("**/")
    page.goto("/companies/new")
    page.fill("#name", NAME)
    page.fill("#uscc", code.lower())
    page.select_option("#focus_area", "embodied_ai")
    page.select_option("#enterprise_stage", "startup")
    page.check("input[name=application_fields][value=humanoid]")
    page.select_option("#zone", "liangjiang")
    page.select_option("#district", "渝北区")
    page.click("#submit")
    assert page.locator("h1").inner_text() == NAME
    screenshot(page, "company-zh")

    page.click("text=为该企业新建项目")
    assert page.input_value("#company_uscc") == code
    page.check("#sub_fund-ANGEL")
    page.fill("#proposed_wan_ANGEL", "2000")
    page.select_option("#round", "angel")
    page.click("#submit")
    assert "项目储备" in page.locator("#deal-stage").inner_text()
    screenshot(page, "deal-zh")

    page.goto(f"/deals/board?q={NAME}")
    card = page.locator(".board-card").filter(has_text=NAME)
    card.drag_to(page.locator('.board-column[data-stage="approved"]'))
    page.wait_for_load_state("load")
    approved = page.locator('.board-column[data-stage="approved"] .board-card')
    approved.filter(has_text=NAME).wait_for()
    assert page.locator('.board-column[data-stage="approved"] .count').inner_text() == "1"

    approved.filter(has_text=NAME).drag_to(page.locator('.board-column[data-stage="ic"]'))
    error = page.locator(".board-card .card-error").filter(has_text="进入投决需要")
    error.wait_for()
    assert "已提交的投资建议书" in error.inner_text()
    screenshot(page, "board-refusal-zh")
    page.reload()
    assert page.locator('.board-column[data-stage="approved"]').get_by_text(NAME).is_visible()


def test_the_board_and_list_read_in_english(page):
    sign_in(page, "risk@example.com")
    page.wait_for_url("**/")
    page.get_by_role("button", name="English").click()
    page.goto("/deals/board")
    assert (
        page.locator('.board-column[data-stage="due_diligence"] header')
        .inner_text()
        .startswith("Due diligence")
    )
    screenshot(page, "board-en")
    page.goto("/deals?stage=closed")
    assert page.locator("#deals-table tbody tr").count() >= 9
    screenshot(page, "deals-en")


def test_manager_picks_the_company_of_a_new_deal_by_name_or_part_of_its_uscc(page):
    sign_in(page, "manager@example.com")
    page.wait_for_url("**/")
    page.goto("/deals/new")
    page.fill("#company-search", "机")
    assert "2" in page.inner_text("#company-search-status")  # at least 2 characters
    page.fill("#company-search", "机器人")
    first = page.locator("#company-suggestions .company-option").first
    first.wait_for()
    name = first.locator("span").inner_text()
    code = first.get_attribute("data-uscc")
    first.click()
    assert page.input_value("#company_uscc") == code
    assert name in page.inner_text("#company-search-status")

    page.fill("#company_uscc", "")
    page.fill("#company-search", code[6:12].lower())
    page.locator("#company-suggestions .company-option").first.wait_for()
    page.keyboard.press("ArrowDown")
    active = page.locator("#company-suggestions .company-option.active")
    chosen, chosen_name = active.get_attribute("data-uscc"), active.locator("span").inner_text()
    assert code[6:12] in chosen
    page.keyboard.press("Enter")  # chooses the suggestion; the deal form is not sent
    assert page.input_value("#company_uscc") == chosen and "/deals/new" in page.url
    screenshot(page, "deal-company-picker-zh")

    page.check("#sub_fund-ANGEL")
    page.fill("#proposed_wan_ANGEL", "800")
    page.select_option("#round", "strategic")
    page.click("#submit")
    page.wait_for_selector("#deal-stage")
    assert page.locator("h1 a").inner_text() == chosen_name

    # the new deal is among the manager's own; a header sorts, and again the other way
    page.goto("/deals/mine")
    assert page.locator("#deals-table").filter(has_text=chosen_name).count() == 1
    page.click('#deals-table th a[data-sort="proposed"]')
    assert "sort=-proposed" in page.url
    assert page.get_attribute('th:has(a[data-sort="proposed"])', "aria-sort") == "descending"
    page.click('#deals-table th a[data-sort="proposed"]')
    assert "sort=proposed" in page.url and "sort=-proposed" not in page.url
    screenshot(page, "my-deals-zh")
