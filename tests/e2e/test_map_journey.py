"""A manager opens the industry map, filters it to embodied AI, clicks 渝北区 on the chart and
lands on the deal list of exactly the deals the map counted there; switching the measure to
invested cost changes the legend to 万元. Risk picks a government commitment and sees its
re-investment layer: the area's districts coloured by what counts, the others grey."""

import json
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest

from tests.e2e.conftest import screenshot
from tests.e2e.test_ic_journey import person  # noqa: F401 (the fixture)

pytestmark = pytest.mark.e2e

YUBEI = "渝北区"
INSIDE_YUBEI = [106.5128, 29.6014]  # a point inside 渝北区 (longitude, latitude)
CHART = "echarts.getInstanceByDom(document.getElementById('industry-map'))"


def _drawn(page) -> dict:
    """The map's figures, once the chart has drawn them."""
    page.wait_for_selector("#industry-map[data-ready='1']")
    return json.loads(page.locator("#map-data").text_content())


def _legend(page) -> str:
    return page.evaluate(f"{CHART}.getOption().visualMap[0].text[0]")


def _changed(page, selector: str, value: str) -> None:
    """Choose a value in the filter form: the change submits it."""
    with page.expect_navigation():
        page.select_option(selector, value)


def test_a_district_on_the_map_opens_the_deals_it_counted(person):  # noqa: F811
    manager = person("manager@example.com")
    manager.goto("/map")
    _drawn(manager)
    _changed(manager, "#f-focus_area", "embodied_ai")
    assert parse_qs(urlparse(manager.url).query)["focus_area"] == ["embodied_ai"]
    data = _drawn(manager)
    yubei = next(d for d in data["districts"] if d["code"] == YUBEI)
    counted = yubei["figures"]["deals"]
    assert counted > 0 and yubei["value"] == counted
    legend = _legend(manager)
    assert "万元" not in legend
    screenshot(manager, "map-embodied-ai-zh")

    x, y = manager.evaluate(
        f"(point) => {CHART}.convertToPixel({{seriesIndex: 0}}, point)", INSIDE_YUBEI
    )
    box = manager.locator("#industry-map").bounding_box()
    with manager.expect_navigation():
        manager.mouse.click(box["x"] + x, box["y"] + y)
    address = urlparse(manager.url)
    query = parse_qs(address.query)
    assert address.path == "/deals"
    assert query["district"] == [YUBEI] and query["focus_area"] == ["embodied_ai"]
    rows = manager.locator("#deals-table tbody tr")
    assert rows.count() == counted
    listed = {rows.nth(i).locator("td").nth(1).inner_text().splitlines()[0]
              for i in range(counted)}  # fmt: skip
    # each deal's company is an embodied-AI company registered in 渝北区 (the company list's)
    manager.goto(f"/companies?district={YUBEI}&focus_area=embodied_ai")
    companies = set(manager.locator("#companies-table tbody tr td:first-child").all_inner_texts())
    assert listed and listed <= {name.splitlines()[0].strip() for name in companies}

    manager.go_back()
    manager.go_back()
    _drawn(manager)
    _changed(manager, "#f-measure", "invested")
    data = _drawn(manager)
    assert data["measure"] == "invested" and data["unit"] == "万元"
    changed = _legend(manager)
    assert changed != legend and "万元" in changed and "投资成本" in changed
    screenshot(manager, "map-invested-zh")


def test_the_re_investment_layer_colours_the_commitments_area(person):  # noqa: F811
    risk = person("risk@example.com")
    risk.goto("/map?measure=invested")
    _drawn(risk)
    choice = risk.locator("#f-commitment option", has_text="两江新区产业发展投资基金").first
    _changed(risk, "#f-commitment", choice.get_attribute("value"))
    data = _drawn(risk)
    layer = data["layer"]
    assert set(layer["area"]) == {"渝北区", "江北区", "北碚区"}
    assert risk.locator("#map-layer").is_visible()
    assert risk.locator("#map-counted-header").count() == 1
    # what the table counts district by district adds up to the commitment's achieved amount
    achieved = sum((Decimal(v) for v in layer["counted"].values()), Decimal(layer["elsewhere"]))
    assert achieved == Decimal(layer["achieved"])
    series = risk.evaluate(f"{CHART}.getOption().series[0].data")
    styles = {item["name"]: item.get("itemStyle", {}) for item in series}
    assert styles["万州区"].get("areaColor") == "#f1f3f5"  # outside the area: grey
    assert "areaColor" not in styles[YUBEI]  # inside: the colour of what counts
    assert "万元" in _legend(risk)
    screenshot(risk, "map-layer-zh")
