"""A manager works the board on a laptop screen: every stage in view, a card moved from the
keyboard and one from its menu, a refusal shown on the card."""

import re

import pytest

from tests.e2e.conftest import screenshot
from tests.e2e.test_sign_in_journey import sign_in

pytestmark = pytest.mark.e2e


def _sourcing_deal_of(page, email: str) -> str:
    """The company name of one of the user's deals in 项目储备."""
    page.goto(f"/deals?stage=sourcing&owner_email={email}")
    cell = page.locator("#deals-table tbody tr").first.locator("td").nth(1)
    return cell.inner_text().split("\n")[0].strip()  # the name, above its focus area


def test_every_stage_is_in_view_at_1440_and_cards_move_by_keyboard_and_menu(page):
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, "manager@example.com")
    page.wait_for_url("**/")
    name = _sourcing_deal_of(page, "manager@example.com")

    page.goto("/deals/board")
    headers = page.locator(".board-column-header")
    assert headers.count() == 9
    for i in range(headers.count()):
        box = headers.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1440, headers.nth(i).inner_text()
        assert 0 <= box["y"] < 900
    assert page.evaluate("document.getElementById('board').scrollWidth <= innerWidth")
    # scrolling the cards keeps the headers in view
    page.evaluate("document.getElementById('board').scrollTop = 400")
    assert headers.first.bounding_box()["y"] >= page.locator("#board").bounding_box()["y"] - 1
    screenshot(page, "board-1440-zh")

    page.goto(f"/deals/board?q={name}")
    card = page.locator('.board-column[data-stage="sourcing"] .board-card').filter(has_text=name)
    card_id = card.get_attribute("id")
    assert re.search(r"\d+ ", card.locator(".days-in-stage").inner_text())

    # the keyboard: focus the card, Enter opens the menu on the next stage, Enter moves it
    card.focus()
    page.keyboard.press("Enter")
    menu = card.locator(".move-menu")
    assert page.evaluate("document.activeElement.textContent") == "初筛"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Escape")
    assert menu.count() == 0 and page.evaluate("document.activeElement.id") == card_id
    page.keyboard.press("Enter")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    moved = page.locator(f'.board-column[data-stage="screening"] #{card_id}')
    moved.wait_for()
    assert page.evaluate("document.activeElement.id") == card_id  # focus follows the card

    # the menu: a move the gates refuse is explained on the card, then one that passes
    moved.locator(".card-move").click()
    moved.locator('.move-menu [role=menuitem][data-stage="ic"]').click()
    error = moved.locator(".card-error")
    error.filter(has_text="进入投决需要").wait_for()
    screenshot(page, "board-menu-refusal-zh")
    # the menu opens on the next stage; backward moves sit apart, below a divider and 退回
    moved.locator(".card-move").click()
    items = moved.locator(".move-menu [role=menuitem]")
    assert items.first.inner_text() == "立项"
    assert "suggested" in items.first.get_attribute("class")
    order = moved.locator(".move-menu > *").evaluate_all(
        "nodes => nodes.map(n => n.getAttribute('role') === 'separator' ? '|' : n.textContent)"
    )
    assert order.index("|") < order.index("退回") < order.index("项目储备")
    assert order[: order.index("|")] == ["立项", "尽职调查", "投决", "签约"]
    assert order[-3:] == ["暂缓或放弃", "暂缓", "放弃"]
    screenshot(page, "board-menu-open-zh")
    with page.expect_navigation():
        moved.locator('.move-menu [role=menuitem][data-stage="on_hold"]').click()
    page.locator(f'.board-column[data-stage="on_hold"] #{card_id}').wait_for()
    screenshot(page, "board-after-menu-move-zh")


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_columns_cards_start_level_at_1440(page, language):
    """Long English stage names ("Investment committee") take no more room than short ones."""
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, "manager@example.com")
    page.wait_for_url("**/")
    page.goto("/deals/board")
    if language == "en":
        with page.expect_navigation():
            page.locator('button[name="locale"][value="en"]').click()
    tops = page.locator(".board-cards").evaluate_all(
        "nodes => nodes.map(n => Math.round(n.getBoundingClientRect().top))"
    )
    assert len(tops) == 9 and len(set(tops)) == 1, tops
    names = page.locator(".board-column-header .stage-name")
    assert names.nth(4).get_attribute("title") in ("Investment committee", "投决")
    screenshot(page, f"board-1440-level-{language}")
