"""The LP's representative reads its own capital account and nothing of the pipeline or of the
other LPs; risk closes a period and a backdated transaction is then refused, until the period is
reopened with a reason."""

from datetime import timedelta

import pytest

from fundcrm import clock
from tests.e2e.conftest import screenshot
from tests.e2e.test_ic_journey import person  # noqa: F401 (the fixture)

pytestmark = pytest.mark.e2e

OWN_LP = "两江新区产业发展投资基金"


def test_the_lp_representative_sees_its_own_account_only(person):  # noqa: F811
    lp = person("lp@example.com")
    menu = lp.locator("#mainnav").inner_text()
    for staff_page in ("项目看板", "企业库", "投资组合", "投决会"):
        assert staff_page not in menu
    lp.click("#nav-capital-account")
    assert OWN_LP in lp.locator("h1").inner_text()
    assert lp.locator("#capital-account #account-total").count() == 1
    own_url = lp.url
    screenshot(lp, "lp-capital-account")

    # every other LP's account is refused, as the pipeline and the portfolio are
    seen = []
    for lp_id in range(1, 7):
        response = lp.goto(f"/funds/lps/{lp_id}")
        seen.append(response.status)
    assert sorted(seen) == [200, 403, 403, 403, 403, 403]
    for address in ("/deals", "/deals/board", "/companies", "/portfolio", "/funds/ANGEL/metrics"):
        assert lp.goto(address).status == 403, address

    # Fund setup shows its own LP and none of the others
    lp.goto("/funds")
    page_text = lp.locator("main").inner_text()
    assert OWN_LP in page_text
    for other in ("重庆市产业投资母基金", "渝创机器人产业集团有限公司", "重庆科创投资管理有限公司"):
        assert other not in page_text
    lp.goto(own_url)
    statement = lp.request.get(lp.locator("#statement-pdf").get_attribute("href"))
    assert statement.status == 200 and statement.body().startswith(b"%PDF")


def test_risk_closes_a_period_and_a_backdated_transaction_is_refused(person):  # noqa: F811
    today = clock.today()
    risk = person("risk@example.com")

    # through yesterday: refused, the demo's mark of five days ago still waits for review
    risk.goto("/funds/periods")
    in_force = risk.locator(".period-close[data-in-force='true']")
    kept = in_force.count()  # the demo's close of last year
    risk.fill("#closed_through", (today - timedelta(days=1)).isoformat())
    risk.click("#close-period")
    assert risk.locator("#pending-marks li").count() >= 1
    assert in_force.count() == kept

    # through ten days ago: closed
    closed = today - timedelta(days=10)
    risk.fill("#closed_through", closed.isoformat())
    risk.click("#close-period")
    shown = f"{closed.year}年{closed.month}月{closed.day}日"
    assert shown in risk.locator("#closed-through").inner_text()
    assert in_force.count() == kept + 1
    screenshot(risk, "periods-closed")

    # a dividend dated in the closed period is refused on the holding page; nothing is recorded
    risk.goto("/portfolio")
    risk.locator(".holding-row a").first.click()
    rows = risk.locator("#transactions tbody tr").count()
    risk.fill("#made_on", closed.isoformat())
    risk.select_option("#kind", "dividend")
    risk.fill("#amount", "12.34")
    risk.click("#transaction-form [type=submit]")
    refusal = risk.locator(".alert-danger").first.inner_text()
    assert "已关账" in refusal
    assert risk.locator("#transactions tbody tr").count() == rows
    screenshot(risk, "backdated-transaction-refused")

    # reopened with a reason, the same dividend is recorded
    risk.goto("/funds/periods")
    close_id = in_force.filter(has_text=shown).get_attribute("id")
    number = close_id.removeprefix("close-")
    risk.click(f"#reopen-{number}")
    assert in_force.count() == kept + 1  # no reason: kept
    risk.fill(f"#reason-{number}", "审计调整：补录分红")
    risk.click(f"#reopen-{number}")
    assert in_force.count() == kept
