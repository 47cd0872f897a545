"""The industry map (issue 16): its figures by district, city outside Chongqing and "no
district" are the counts and sums of the lists its links open, and its table and export say the
same; the portfolio measures add up the portfolio list; the re-investment layer is the
compliance checks' own figures; who sees which measure; bad input a 400 that writes nothing;
the lists' new place filters; a fixed number of statements whatever the number of deals."""

import csv
import html
import io
import re
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

import pytest
import time_machine

from fundcrm.compliance import checks
from fundcrm.compliance import report as compliance_report
from fundcrm.industry_map.measures import MEASURES, SOURCE_MEASURES
from fundcrm.models import Holding, PortfolioTransaction, User, ValuationMark
from tests import factories
from tests.ic_fixtures import ENGLISH, client_of
from tests.test_compliance import reinvest  # noqa: F401 (a fixture)
from tests.world import snapshot, without_refusals

TODAY = "2026-06-15T04:00:00Z"  # the fund's clock: 2026-06-15
WAN = Decimal(10000)
DEAL_ROW = re.compile(
    r'<td class="text-nowrap"><a href="/deals/\d+">([^<]+)</a></td>.*?'
    r'<td class="num">([\d,.]+)<br>',
    re.S,
)
RECORDS = re.compile(r"([\d,]+) records")
COMPANY_ROW = re.compile(r'<tr>\s*<td><a href="/companies/\d+">([^<]+)</a>')
HOLDING_ROW = re.compile(r'<tr class="holding-row"[^>]*>(.*?)</tr>', re.S)
NUM_CELL = re.compile(r'<td class="num">([^<]*)</td>')


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


# company key → (district, city, zone, focus area, application fields)
COMPANIES = {
    "qingtian": ("渝北区", None, "liangjiang", "embodied_ai", ["logistics"]),  # the staff's
    "yubei": ("渝北区", None, "liangjiang", "embodied_ai", ["logistics"]),
    "yubei2": ("渝北区", None, "central", "embodied_ai", ["cleaning"]),
    "robot": ("渝北区", None, "liangjiang", "robot_body", ["humanoid", "logistics"]),
    "jiangbei": ("江北区", None, "central", "embodied_ai", ["medical"]),
    "jiangbei2": ("江北区", None, "central", "large_model", ["general"]),
    "shapingba": ("沙坪坝区", None, "science_city", "embodied_ai", ["logistics"]),
    "shenzhen": (None, "深圳", "outside", "embodied_ai", ["logistics"]),
    "shanghai": (None, "上海", "outside", "large_model", ["logistics"]),
    "nowhere": (None, None, None, "embodied_ai", ["logistics"]),
    "cq_city": (None, "重庆市", "other_cq", "embodied_ai", ["logistics"]),  # city only
}
# where the map counts each company: a district, a city outside Chongqing, or "none"
PLACE = {key: district or (city if city and not city.startswith("重庆") else "none")
         for key, (district, city, *_rest) in COMPANIES.items()}  # fmt: skip
# deal → (company, stage, {sub-fund: 万元}); "staff" is the staff fixture's own deal
DEALS = {
    "staff": ("qingtian", "sourcing", {"ANGEL": 1000, "INDUSTRY": 2000}),
    "d1": ("yubei", "screening", {"ANGEL": 500}),
    "d2": ("yubei", "screening", {"ANGEL": 40}),  # a second round of the same company
    "d3": ("yubei2", "screening", {"ANGEL": 300, "INDUSTRY": 100}),
    "d4": ("jiangbei", "screening", {"ANGEL": 200}),
    "d5": ("jiangbei2", "screening", {"ANGEL": 100}),
    "d6": ("shapingba", "sourcing", {"INDUSTRY": 50}),
    "d7": ("shenzhen", "screening", {"ANGEL": 700}),
    "d8": ("shenzhen", "sourcing", {"INDUSTRY": 30}),
    "d9": ("shanghai", "screening", {"ANGEL": 20}),
    "d10": ("nowhere", "screening", {"ANGEL": 70}),
    "d11": ("cq_city", "screening", {"ANGEL": 60}),
    "d12": ("robot", "passed", {"ANGEL": 10}),
}
# holding → (company, sub-fund, invested 万元, opened on, counted fair value 万元 or None)
HOLDINGS = {
    "h1": ("qingtian", "ANGEL", 1000, date(2025, 3, 1), 1500),
    "h2": ("qingtian", "INDUSTRY", 2000, date(2025, 4, 1), None),  # the same company
    "h3": ("jiangbei", "ANGEL", 800, date(2025, 5, 1), None),
    "h4": ("shenzhen", "INDUSTRY", 600, date(2025, 6, 1), 900),
    "h5": ("nowhere", "ANGEL", 100, date(2025, 7, 1), None),
    "h6": ("robot", "INDUSTRY", 250, date(2025, 8, 1), None),
}


@pytest.fixture
def world(dbs, staff, make_user):
    """COMPANIES, DEALS and HOLDINGS in the staff's two sub-funds; the staff's LP (ANGEL only)
    with a viewer tied to it."""
    funds = {"ANGEL": staff["angel"], "INDUSTRY": staff["industry"]}
    companies = {"qingtian": staff["company"]}
    for n, (key, (district, city, zone, focus, fields)) in enumerate(COMPANIES.items()):
        if key in companies:
            continue
        companies[key] = factories.company(
            dbs, f"重庆{key}科技有限公司", factories.make_uscc(500 + n), district=district,
            city=None if city == "重庆市" else city, zone=zone, focus_area=focus,
            application_fields=fields,
        )  # fmt: skip
    companies["cq_city"].city = "重庆市"  # the form names the district; an old record may not
    deals = {"staff": staff["deal"]}
    for key, (company, stage, amounts) in DEALS.items():
        if key != "staff":
            shares = [(funds[code], str(wan * WAN)) for code, wan in amounts.items()]
            deals[key] = factories.deal(dbs, companies[company], staff["manager"], shares)
        deals[key].stage = stage
    for company, code, wan, on, fair in HOLDINGS.values():
        holding = Holding(sub_fund_id=funds[code].id, company_id=companies[company].id,
                          opened_on=on)  # fmt: skip
        dbs.add(holding)
        dbs.flush()
        dbs.add(PortfolioTransaction(holding_id=holding.id, made_on=on, kind="investment",
                                     amount_yuan=wan * WAN))  # fmt: skip
        if fair is not None:
            dbs.add(ValuationMark(holding_id=holding.id, marked_on=on, fair_value_yuan=fair * WAN,
                                  method="recent_round", status="counted"))  # fmt: skip
    viewer = dbs.get(User, staff["viewer"].id)
    viewer.lp_id = staff["lp"].id
    dbs.commit()
    return {**staff, "companies": companies, "deals": deals, "funds": funds}


# -- reading the pages -------------------------------------------------------------------------


def data(client, query: dict | str = "", status: int = 200) -> dict:
    url = "/map/data.json" + (f"?{urlencode(query, doseq=True)}" if query else "")
    response = client.get(url, headers=ENGLISH)
    assert response.status_code == status, (url, response.get_data(as_text=True)[:800])
    return response.get_json()


def deal_list(client, link: str) -> dict[str, Decimal]:
    """The deals a list link shows: reference → proposed 万元; every deal on one page."""
    response = client.get(link, headers=ENGLISH)
    assert response.status_code == 200, (link, response.get_data(as_text=True)[:500])
    page = response.get_data(as_text=True)
    rows = {ref: Decimal(wan.replace(",", "")) for ref, wan in DEAL_ROW.findall(page)}
    assert int(RECORDS.search(page).group(1).replace(",", "")) == len(rows), link
    return rows


def holding_list(client, link: str) -> list[tuple[Decimal, Decimal]]:
    """The holdings a portfolio list link shows: (invested 万元, fair value 万元) each."""
    response = client.get(link, headers=ENGLISH)
    assert response.status_code == 200, (link, response.get_data(as_text=True)[:500])
    found = []
    for row in HOLDING_ROW.findall(response.get_data(as_text=True)):
        invested, fair = NUM_CELL.findall(row)[:2]
        found.append((Decimal(invested.replace(",", "")), Decimal(fair.replace(",", ""))))
    return found


def yuan(value) -> Decimal:
    """A money value of the JSON: yuan as a decimal string with 2 places."""
    assert isinstance(value, str) and re.fullmatch(r"-?\d+\.\d\d", value), value
    return Decimal(value)


def expected_deals(query: dict) -> dict[str, list[str]]:
    """The deals the filters select, by the place the map counts them under."""
    found: dict[str, list[str]] = {}
    for key, (company, stage, amounts) in DEALS.items():
        focus = COMPANIES[company][3]
        if query.get("focus_area", focus) != focus or query.get("stage", stage) != stage:
            continue
        if "sub_fund" in query and query["sub_fund"] not in amounts:
            continue
        found.setdefault(PLACE[company], []).append(key)
    return found


def places_of(answer: dict, money: bool = False) -> dict[str, object]:
    """Every place with a non-zero value: district code, city name, or "none"."""
    read = yuan if money else int
    found = {d["code"]: read(d["value"]) for d in answer["districts"] if read(d["value"])}
    found.update({c["name"]: read(c["value"]) for c in answer["cities"] if read(c["value"])})
    if read(answer["none"]["value"]):
        found["none"] = read(answer["none"]["value"])
    return found


def links_of(answer: dict) -> dict[str, str]:
    found = {d["code"]: d["link"] for d in answer["districts"]}
    found.update({c["name"]: c["link"] for c in answer["cities"]})
    return {**found, "none": answer["none"]["link"]}


# -- map data = table = the lists --------------------------------------------------------------

FILTERED = [
    {},
    {"focus_area": "embodied_ai"},
    {"focus_area": "embodied_ai", "stage": "screening", "sub_fund": "ANGEL"},
    {"stage": "sourcing"},
]


@pytest.mark.parametrize("query", FILTERED)
def test_each_places_deals_are_the_deals_its_link_lists(app, world, query):
    client = client_of(app, world["manager"])
    answer = data(client, {"measure": "deals", **query})
    expected = expected_deals(query)
    assert answer["measure"] == "deals" and answer["money"] is False
    assert places_of(answer) == {place: len(keys) for place, keys in expected.items()}
    assert [d["code"] for d in answer["districts"]][:3] == ["万州区", "涪陵区", "渝中区"]
    assert len(answer["districts"]) == 38
    refs = {key: world["deals"][key].deal_ref for keys in expected.values() for key in keys}
    links = links_of(answer)
    for place, keys in expected.items():
        listed = deal_list(client, links[place])
        assert sorted(listed) == sorted(refs[k] for k in keys), place
    total = answer["total"]["value"]
    assert total == sum(len(k) for k in expected.values()) == len(deal_list(client, "/deals?"
                                                                  + urlencode(query)))  # fmt: skip
    outside = sum(len(k) for p, k in expected.items() if p not in {"none", *district_codes()})
    assert answer["outside"]["value"] == outside


def district_codes() -> set[str]:
    from fundcrm.domain.vocab import DISTRICTS

    return set(DISTRICTS.codes)


def test_the_proposed_amount_of_a_place_is_the_sum_its_list_shows(app, world):
    client = client_of(app, world["manager"])
    query = {"focus_area": "embodied_ai", "stage": "screening", "sub_fund": "ANGEL"}
    answer = data(client, {"measure": "proposed", **query})
    assert answer["money"] is True and answer["unit"] == "万元"
    shown = places_of(answer, money=True)
    # a deal's proposed amount is its total over its sub-funds, as the list shows it
    assert shown == {"渝北区": 940 * WAN, "江北区": 200 * WAN, "深圳": 700 * WAN,
                     "none": 130 * WAN}  # fmt: skip
    links = links_of(answer)
    for place, amount in shown.items():
        assert sum(deal_list(client, links[place]).values()) * WAN == amount, place
    assert yuan(answer["total"]["value"]) == 1970 * WAN
    figures = next(d for d in answer["districts"] if d["code"] == "渝北区")["figures"]
    assert figures["deals"] == 3 and yuan(figures["proposed"]) == 940 * WAN
    # the legend's classes: the two districts with an amount, one class each (a zero has none)
    assert answer["classes"] == [["2000000.00", "2000000.00"], ["9400000.00", "9400000.00"]]


def test_zones_count_the_companies_recorded_zones_and_link_to_their_deals(app, world):
    client = client_of(app, world["manager"])
    answer = data(client, {"measure": "deals"})
    zones = {z["code"]: z for z in answer["zones"]}
    expected: dict[str | None, int] = {}
    for company, _stage, _amounts in DEALS.values():
        expected[COMPANIES[company][2]] = expected.get(COMPANIES[company][2], 0) + 1
    assert {code: z["value"] for code, z in zones.items() if z["value"]} == expected
    assert zones[None]["link"] is None
    assert set(zones["liangjiang"]["districts"]) == {"江北区", "渝北区", "北碚区"}
    for code, zone in zones.items():
        if code is not None and zone["value"]:
            assert len(deal_list(client, zone["link"])) == zone["value"], code


@pytest.mark.parametrize(
    "query",
    [{"measure": "deals", "focus_area": "embodied_ai"}, {"measure": "proposed"},
     {"measure": "invested"}, {"measure": "companies", "sub_fund": "INDUSTRY"}],
)  # fmt: skip
def test_the_page_table_and_export_say_what_the_map_says(app, world, query):
    client = client_of(app, world["manager"])
    answer = data(client, query)
    expected = json_rows(answer)
    page = client.get("/map?" + urlencode(query), headers=ENGLISH)
    assert page.status_code == 200
    shown = table_rows(page.get_data(as_text=True))
    assert len(shown) == len(expected) == 38 + len(answer["cities"]) + 2 + len(answer["zones"]) + 1
    export = client.get("/map/table.csv?" + urlencode(query), headers=ENGLISH)
    assert export.status_code == 200 and export.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:2] == ["Place", "Kind"] and len(rows) == len(expected) + 1
    source = MEASURES[query["measure"]].source
    codes = [code for code, _kind in SOURCE_MEASURES[source]]  # the table's columns
    for (label, figures), cells, written in zip(expected, shown, rows[1:], strict=True):
        if label is not None:
            assert cells[0] == written[0] == label
        assert len(cells) - 1 == len(written) - 2 == len(codes)
        for code, text, file_text in zip(codes, cells[1:], written[2:], strict=True):
            value = figures[code]
            if isinstance(value, int):
                assert int(text.replace(",", "")) == int(file_text) == value, (label, code)
            else:  # 万元 on the page (2 places) and in the file (exact)
                assert Decimal(text.replace(",", "")) * WAN == yuan(value), (label, code)
                assert Decimal(file_text) * WAN == yuan(value), (label, code)


def json_rows(answer: dict) -> list[tuple[str | None, dict]]:
    """(label, figures) of each row of the JSON, in the table's order (None: a label the JSON
    does not give)."""
    found = [(d["label"], d["figures"]) for d in answer["districts"]]
    found += [(c["name"], c["figures"]) for c in answer["cities"]]
    found += [(None, answer["outside"]["figures"]), (None, answer["none"]["figures"])]
    found += [(z["label"], z["figures"]) for z in answer["zones"]]
    return [*found, (None, answer["total"]["figures"])]


def table_rows(page: str) -> list[list[str]]:
    """The map page's table: each place's row as the text of its cells."""
    part = page[page.index('id="map-table"') :]
    part = part[: part.index("</table>")]
    found = []
    for row in re.findall(r'<tr class="map-row[^"]*"[^>]*>(.*?)</tr>', part, re.S):
        found.append([" ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split())
                      for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)])  # fmt: skip
    return found


# -- the portfolio's measures ------------------------------------------------------------------


def expected_holdings(codes=("ANGEL", "INDUSTRY")) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for company, code, wan, _on, fair in HOLDINGS.values():
        if code not in codes:
            continue
        mine = found.setdefault(PLACE[company], {"invested": 0, "fair": 0, "companies": set()})
        mine["invested"] += wan * WAN
        mine["fair"] += (fair if fair is not None else wan) * WAN
        mine["companies"].add(company)
    return found


def test_invested_fair_value_and_companies_are_the_portfolio_lists_rows(app, world):
    client = client_of(app, world["risk"])
    invested = data(client, {"measure": "invested"})
    assert invested["money"] is True and invested["ignored"] == []
    expected = expected_holdings()
    assert places_of(invested, money=True) == {p: e["invested"] for p, e in expected.items()}
    links = links_of(invested)
    for place in expected:
        assert links[place].startswith("/portfolio?"), links[place]
        rows = holding_list(client, links[place])
        assert sum(i for i, _f in rows) * WAN == expected[place]["invested"], place
    fair = data(client, {"measure": "fair_value"})
    for place, e in expected.items():
        assert sum(f for _i, f in holding_list(client, links_of(fair)[place])) * WAN == e["fair"]
    assert places_of(fair, money=True) == {p: e["fair"] for p, e in expected.items()}
    companies = data(client, {"measure": "companies"})
    # 擎天 is held by both sub-funds: one company in 渝北区 and in the total
    assert places_of(companies) == {p: len(e["companies"]) for p, e in expected.items()}
    assert places_of(companies)["渝北区"] == 2 and companies["total"]["value"] == 5
    for zone in invested["zones"]:  # the zones' links: the portfolio list of the zone
        if zone["code"] is not None:
            rows = holding_list(client, zone["link"])
            assert sum(i for i, _f in rows) * WAN == yuan(zone["value"]), zone["code"]
    assert yuan(invested["total"]["value"]) == 4750 * WAN


def test_a_portfolio_measure_says_which_filters_it_ignores(app, world):
    client = client_of(app, world["manager"])
    answer = data(client, {"measure": "invested", "stage": "screening", "focus_area":
                           "embodied_ai", "sub_fund": "ANGEL"})  # fmt: skip
    assert answer["ignored"] == ["stage"]
    assert places_of(answer, money=True) == {"江北区": 800 * WAN, "渝北区": 1000 * WAN,
                                             "none": 100 * WAN}  # fmt: skip
    for place, link in links_of(answer).items():
        if place in {"江北区", "渝北区", "none"}:
            assert "sub_fund=ANGEL" in link and "focus_area=embodied_ai" in link


def test_a_deal_measure_says_the_as_of_date_and_status_do_not_apply(app, world):
    client = client_of(app, world["manager"])
    answer = data(client, {"measure": "deals", "as_of": "2026-01-01", "status": "active"})
    assert answer["ignored"] == ["status", "as_of"]
    page = client.get("/map?measure=deals&as_of=2026-01-01", headers=ENGLISH)
    assert "do not apply to this measure: As of" in page.get_data(as_text=True)


def test_the_status_filter_narrows_the_portfolio_measures_as_the_portfolio_list(app, world):
    client = client_of(app, world["manager"])
    answer = data(client, {"measure": "invested", "status": "active"})
    assert answer["ignored"] == []
    for place, link in links_of(answer).items():
        assert "status=active" in link, place
    assert data(client, {"measure": "invested", "status": "sold"}, status=400)["error"]


def test_odd_stored_places_count_alike_on_the_map_and_on_the_lists(app, world, dbs):
    """A district that is not one of the 38 (an old record) and a city of spaces are "no
    district" for the map and for the lists' `district=none` alike."""
    odd = world["companies"]["shenzhen"]
    odd.district, odd.city = "万盛区", "深圳"
    world["companies"]["shanghai"].city = "   "
    dbs.commit()
    client = client_of(app, world["manager"])
    answer = data(client, {"measure": "deals"})
    listed = deal_list(client, links_of(answer)["none"])
    assert answer["none"]["value"] == len(listed) > 0
    assert "深圳" not in places_of(answer) and "上海" not in places_of(answer)
    assert deal_list(client, "/deals?city=深圳") == {}


@pytest.mark.parametrize("who", ["manager", "viewer"])
def test_a_list_a_figure_opens_says_it_is_narrowed_and_keeps_it(app, world, who):
    client = client_of(app, world[who])
    answer = data(client, {"measure": "invested"})
    link = links_of(answer)["渝北区"]
    page = client.get(link, headers=ENGLISH).get_data(as_text=True)
    assert "Narrowed to District: Yubei District." in page
    # the list's own form sends the district again, so filtering further keeps it
    assert '<input type="hidden" name="district" value="渝北区">' in page


def test_a_representative_cannot_probe_users_or_sub_funds(app, world):
    """A tied viewer's pipeline filters are not read at all, and any sub-fund but its LP's is
    the same refusal, so an answer never tells which users or sub-funds exist."""
    client = client_of(app, world["viewer"])
    known = data(client, {"owner_email": world["manager"].email})
    unknown = data(client, {"owner_email": "nobody@example.com"})
    assert known["total"] == unknown["total"] and unknown["ignored"] == []
    for code in ("INDUSTRY", "NOPE"):
        refused = data(client, {"sub_fund": code}, status=403)
        assert refused["error"]["code"] == "forbidden"


def test_an_as_of_date_before_a_holding_leaves_it_out(app, world):
    client = client_of(app, world["manager"])
    answer = data(client, {"measure": "invested", "as_of": "2025-05-31"})
    assert answer["as_of"] == "2025-05-31"
    assert places_of(answer, money=True) == {"渝北区": 3000 * WAN, "江北区": 800 * WAN}
    link = links_of(answer)["渝北区"]
    assert "as_of=2025-05-31" in link and len(holding_list(client, link)) == 2


# -- the re-investment layer -------------------------------------------------------------------


@pytest.fixture
def moved(request):
    """tests.test_compliance's re-investment world: a district fund's commitment (渝北区 and
    江北区, × 3 on a relocation) and the city's; companies moving in and out."""
    return request.getfixturevalue("reinvest")


@pytest.mark.parametrize("which", ["district", "city"])
@pytest.mark.parametrize("as_of", ["2025-08-31", "2025-09-01", "2025-12-31"])
def test_the_layer_is_the_compliance_checks_figures_by_district(app, dbs, moved, which, as_of):
    pledge = moved[which]
    answer = data(client_of(app, moved["risk"]), {"commitment": pledge.id, "as_of": as_of})
    layer = answer["layer"]
    stored = checks.report(
        dbs, moved["angel"], date.fromisoformat(as_of), checks.Settings.of(app.config)
    )
    row = next(compliance_report.commitment_row(c) for c in stored["commitments"]
               if c["id"] == pledge.id)  # fmt: skip
    assert layer["commitment_id"] == pledge.id and "ANGEL" in layer["sub_fund"]
    assert yuan(layer["required"]) == row.required and yuan(layer["achieved"]) == row.achieved
    assert layer["status"] == row.status
    counted = {code: yuan(v) for code, v in layer["counted"].items()}
    assert sum(counted.values()) + yuan(layer["elsewhere"]) == row.achieved
    if which == "district":
        assert sorted(layer["area"]) == ["江北区", "渝北区"] and layer["whole_city"] is False
        assert set(counted) <= {"江北区", "渝北区"}
    else:
        assert len(layer["area"]) == 38 and layer["whole_city"] is True


def test_a_relocated_company_counts_times_the_multiplier_where_it_is(app, moved):
    client = client_of(app, moved["manager"])
    before = data(client, {"commitment": moved["district"].id, "as_of": "2025-08-31"})["layer"]
    assert {k: yuan(v) for k, v in before["counted"].items() if yuan(v)} == {
        "渝北区": 1500 * WAN, "江北区": 800 * WAN
    }  # fmt: skip
    after = data(client, {"commitment": moved["district"].id, "as_of": "2025-12-31"})["layer"]
    # B: 2,000 万元 × 3 from its move into 江北区; D moved out to 深圳: no longer counted
    assert {k: yuan(v) for k, v in after["counted"].items() if yuan(v)} == {
        "渝北区": 1500 * WAN, "江北区": 6000 * WAN
    }  # fmt: skip
    assert yuan(after["achieved"]) == 7500 * WAN and yuan(after["required"]) == 6000 * WAN
    city = data(client, {"commitment": moved["city"].id, "as_of": "2025-12-31"})["layer"]
    assert yuan(city["counted"]["江北区"]) == 4000 * WAN  # × 2, the default multiplier


# -- who sees what -----------------------------------------------------------------------------

ALL_MEASURES = ("deals", "proposed", "invested", "fair_value", "companies")


@pytest.mark.parametrize("role", ["admin", "manager", "ic_member", "risk"])
def test_staff_see_every_measure_and_the_layer(app, world, role):
    client = client_of(app, world[role])
    for measure in ALL_MEASURES:
        assert data(client, {"measure": measure})["measure"] == measure
        assert client.get(f"/map?measure={measure}", headers=ENGLISH).status_code == 200
    layer = data(client, {"commitment": world["commitment"].id})["layer"]
    assert layer["commitment_id"] == world["commitment"].id


def test_a_tied_viewer_sees_its_lps_sub_funds_portfolio_only(app, world):
    before = without_refusals(snapshot(app))
    client = client_of(app, world["viewer"])
    answer = data(client)  # the default measure: what it may see
    assert answer["measure"] == "invested"
    angel = expected_holdings(("ANGEL",))
    assert places_of(answer, money=True) == {p: e["invested"] for p, e in angel.items()}
    assert yuan(answer["total"]["value"]) == 1900 * WAN
    companies = data(client, {"measure": "companies", "sub_fund": "ANGEL"})
    assert companies["total"]["value"] == 3
    lp_id = world["lp"].id
    for place, e in angel.items():
        link = links_of(answer)[place]
        assert link.startswith(f"/funds/lps/{lp_id}/portfolio?") and "sub_fund=ANGEL" in link
        assert sum(i for i, _f in holding_list(client, link)) * WAN == e["invested"]
    for query in ({"measure": "deals"}, {"measure": "proposed"}, {"sub_fund": "INDUSTRY"},
                  {"measure": "invested", "sub_fund": "INDUSTRY"},
                  {"commitment": world["commitment"].id}):  # fmt: skip
        refused = data(client, query, status=403)
        assert refused["error"]["message"], query
        assert client.get("/map?" + urlencode(query), headers=ENGLISH).status_code == 403
    page = client.get("/map", headers=ENGLISH).get_data(as_text=True)
    choices = page.split('id="f-measure"')[1].split("</select>")[0]
    offered = re.findall(r'<option value="(\w+)"', choices)
    assert offered == ["invested", "fair_value", "companies"]
    assert without_refusals(snapshot(app))["companies"] == before["companies"]


def test_a_viewer_tied_to_no_lp_sees_no_map(app, world, dbs, make_user):
    loose = client_of(app, dbs.get(User, make_user("viewer")[0]))
    for query in ({}, {"measure": "invested"}, {"measure": "deals"}):
        data(loose, query, status=403)
        assert loose.get("/map?" + urlencode(query), headers=ENGLISH).status_code == 403
    assert loose.get("/map/table.csv", headers=ENGLISH).status_code == 403
    assert client_of(app, world["admin"]).get("/map/table.csv").status_code == 200


# -- bad input ---------------------------------------------------------------------------------

BAD = [
    ({"measure": "nope"}, "Unknown measure: nope"),
    ({"focus_area": "nope"}, "nope"),
    ({"sub_fund": "NOPE"}, "Unknown sub-fund: NOPE"),
    ({"district": "成都区"}, "Not one of Chongqing's 38 districts: 成都区"),
    ({"commitment": "abc"}, "Unknown government commitment: abc"),
    ({"commitment": "99999"}, "99999"),
    ({"as_of": "2026-03-03"}, "The as-of date is in the future"),
    ({"as_of": "2026-13-01"}, "YYYY-MM-DD"),
]


@pytest.mark.parametrize(("query", "message"), BAD)
def test_bad_input_is_a_400_that_says_why_and_writes_nothing(app, world, query, message):
    with time_machine.travel("2026-03-01T17:30:00Z", tick=False):  # 2 March in Beijing
        client = client_of(app, world["manager"])
        before = snapshot(app)
        answer = data(client, query, status=400)
        assert answer["error"]["code"] and message in answer["error"]["message"]
        assert any(message in m for m in answer["error"]["messages"])
        page = client.get("/map?" + urlencode(query), headers=ENGLISH)
        assert page.status_code == 400 and message in html.unescape(page.get_data(as_text=True))
        export = client.get("/map/table.csv?" + urlencode(query), headers=ENGLISH)
        assert export.status_code == 400
        assert snapshot(app) == before


def test_every_reason_is_given_at_once_and_today_in_beijing_is_allowed(app, world):
    with time_machine.travel("2026-03-01T17:30:00Z", tick=False):  # 2 March in Beijing
        client = client_of(app, world["manager"])
        assert data(client, {"as_of": "2026-03-02"})["as_of"] == "2026-03-02"
        answer = data(client, {"measure": "nope", "district": "成都区", "as_of": "2026-03-03"},
                      status=400)  # fmt: skip
        assert len(answer["error"]["messages"]) == 3


# -- the lists' place filters ------------------------------------------------------------------


def test_the_deal_and_company_lists_filter_by_no_district_and_by_city(app, world):
    client = client_of(app, world["manager"])
    refs = {key: deal.deal_ref for key, deal in world["deals"].items()}
    assert sorted(deal_list(client, "/deals?district=none")) == sorted([refs["d10"], refs["d11"]])
    assert sorted(deal_list(client, "/deals?city=深圳")) == sorted([refs["d7"], refs["d8"]])
    assert list(deal_list(client, "/deals?city=深圳&stage=sourcing")) == [refs["d8"]]
    assert sorted(deal_list(client, "/deals?district=none&district=江北区")) == sorted(
        [refs["d4"], refs["d5"], refs["d10"], refs["d11"]]
    )

    def companies(query: str) -> list[str]:
        response = client.get(f"/companies?{query}", headers=ENGLISH)
        assert response.status_code == 200
        return sorted(COMPANY_ROW.findall(response.get_data(as_text=True)))

    names = {key: c.name for key, c in world["companies"].items()}
    assert companies("district=none") == sorted([names["nowhere"], names["cq_city"]])
    assert companies("city=深圳") == [names["shenzhen"]]
    assert companies("city=上海&focus_area=large_model") == [names["shanghai"]]
    refused = client.get("/deals?district=成都区", headers=ENGLISH)
    assert refused.status_code == 400


def test_the_portfolio_list_filters_by_district_city_and_application_field(app, world):
    client = client_of(app, world["manager"])

    def invested(query: str) -> list[Decimal]:
        return sorted(i for i, _f in holding_list(client, f"/portfolio?{query}"))

    assert invested("district=渝北区") == [250, 1000, 2000]
    assert invested("district=渝北区&district=江北区") == [250, 800, 1000, 2000]
    assert invested("district=none") == [100]
    assert invested("city=深圳") == [600]
    assert invested("application_fields=humanoid") == [250]
    assert invested("application_fields=medical&application_fields=humanoid") == [250, 800]
    assert invested("district=渝北区&sub_fund=ANGEL") == [1000]
    lp = client_of(app, world["viewer"])
    url = f"/funds/lps/{world['lp'].id}/portfolio?sub_fund=ANGEL&district=渝北区"
    assert [i for i, _f in holding_list(lp, url)] == [1000]


# -- statements --------------------------------------------------------------------------------


def _more_deals(dbs, world, start: int, n: int) -> None:
    for i in range(n):
        district = ("渝北区", "江北区", None)[i % 3]
        code = factories.make_uscc(3000 + start + i)
        company = factories.company(dbs, f"计数企业{start + i}", code, district=district, zone=None)
        factories.deal(dbs, company, world["manager"], [(world["angel"], str(i + 1))])
    dbs.commit()


QUERIES = [
    {"measure": "deals"},
    {"measure": "proposed", "focus_area": "embodied_ai", "sub_fund": "ANGEL"},
    {"measure": "invested"},
    {"measure": "companies", "district": "渝北区"},
]


def test_the_map_data_runs_a_fixed_number_of_statements(app, world, dbs, count_queries):
    client = client_of(app, world["manager"])

    def counts() -> list[tuple[int, int]]:
        found = []
        for query in QUERIES:
            with count_queries() as first:
                data(client, query)
            with count_queries() as repeat:
                data(client, query)
            found.append((first.n, repeat.n))
        return found

    _more_deals(dbs, world, 0, 5)
    small = counts()
    _more_deals(dbs, world, 5, 60)
    assert counts() == small
    assert all(repeat <= first for first, repeat in small)
