"""A follow-on through the closing form, then a new mark with four eyes, as the deal team and
risk do it in the browser: the holding's MOIC and its sub-fund's TVPI move to the values the
figures on the pages give — not while the mark waits for risk, and exactly once it counts."""

from decimal import Decimal

import pytest

from fundcrm import clock
from fundcrm.demo.portfolio import FOLLOW_ON_NOTE
from tests.e2e.conftest import screenshot
from tests.e2e.test_ic_journey import person  # noqa: F401 (the fixture)

pytestmark = pytest.mark.e2e


def amount(page, selector: str) -> Decimal:
    """A figure shown in 万元 ("1,234.56" or "1,234.56 万元")."""
    text = page.locator(selector).inner_text()
    return Decimal(text.replace("万元", "").replace(",", "").strip())


def multiple(value: Decimal) -> str:
    return "%.2f×" % value  # noqa: UP031 (as the pages write it: a float)


def test_a_follow_on_and_a_counted_mark_move_moic_and_tvpi(person):  # noqa: F811
    manager = person("manager@example.com")
    manager.goto(f"/deals?q={FOLLOW_ON_NOTE}")
    manager.locator("table a[href^='/deals/']").first.click()
    assert "签约" in manager.locator("#deal-stage").inner_text()
    company = manager.locator("h1 a").inner_text()
    deal_url = manager.url

    # the holding and its sub-fund before
    manager.goto("/portfolio")
    row = manager.locator(".holding-row").filter(has_text=company)
    code = row.locator("code").inner_text()
    row.locator("a").first.click()
    holding_url = manager.url
    cost, value = amount(manager, "#figure-invested"), amount(manager, "#figure-fair_value")
    back = amount(manager, "#figure-proceeds") + amount(manager, "#figure-dividends")
    metrics_url = f"/funds/{code}/metrics"
    manager.goto(metrics_url)
    paid_in, distributions = (
        amount(manager, "#figure-paid_in"),
        amount(manager, "#figure-distributions"),
    )
    nav = amount(manager, "#figure-nav")
    tvpi = manager.locator("#figure-tvpi").inner_text()
    assert tvpi.startswith(multiple((distributions + nav) / paid_in))

    # the follow-on: 500 万元 today, through the closing form; the holding is extended
    today = clock.today().isoformat()
    manager.goto(deal_url)
    manager.click("#closing-form-link")
    manager.locator("input[type=date][id$=_on]").first.fill(today)
    manager.locator("input[id$=_amount]").first.fill("500")
    manager.click("#close-deal")
    assert "交割" in manager.locator("#deal-stage").inner_text()
    manager.goto(holding_url)
    assert amount(manager, "#figure-invested") == cost + 500
    assert manager.locator("#figure-moic").inner_text() == multiple(
        (back + value + 500) / (cost + 500)
    )
    manager.goto(metrics_url)
    assert manager.locator("#figure-tvpi").inner_text() == tvpi  # cash out, cost in: NAV unchanged

    # a mark that makes the holding 3.00×: pending, nothing moves; approved by risk, it counts
    marked = (cost + 500) * 3 - back
    manager.goto(holding_url)
    manager.fill("#marked_on", today)
    manager.fill("#fair_value", str(marked))
    manager.select_option("#method", "recent_round")
    manager.click("#mark-form [type=submit]")
    assert manager.locator("#figure-moic").inner_text() == multiple(
        (back + value + 500) / (cost + 500)
    )
    manager.goto(metrics_url)
    assert manager.locator("#figure-tvpi").inner_text() == tvpi
    risk = person("risk@example.com")
    risk.goto(holding_url)
    review = risk.locator("#marks tr").filter(has_text=f"{marked:,.2f}").locator(".review-mark")
    review.locator("select[name=decision]").select_option("approve")
    review.locator("[type=submit]").click()
    manager.goto(holding_url)
    assert manager.locator("#figure-moic").inner_text() == "3.00×"
    manager.goto(metrics_url)
    moved = (distributions + nav + marked - (value + 500)) / paid_in
    assert manager.locator("#figure-tvpi").inner_text().startswith(multiple(moved))
    screenshot(manager, "fund-metrics-after-follow-on-zh")
