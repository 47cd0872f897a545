"""Figures by place (fundcrm.domain.places) and Chongqing's districts as shapes
(fundcrm.domain.geo): every district present, a company without a district counted under its
city or under "no district" rather than dropped, a company held twice counted once, and the
map's shapes named and placed as today's 38 districts."""

import json
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from fundcrm.domain import geo, places
from fundcrm.domain.places import COUNT, DISTINCT, SUM, Where
from fundcrm.domain.vocab import DISTRICTS, ZONES

KINDS = (COUNT, SUM, DISTINCT)  # deals, an amount, companies


def item(district, city=None, zone=None, n=1, amount="0", company=None):
    return Where(district, city, zone), (n, None if amount is None else Decimal(amount), company)


def test_every_district_is_there_in_the_vocabularys_order_with_zeros():
    found = places.tally([], KINDS)
    assert list(found.districts) == list(DISTRICTS.codes) and len(found.districts) == 38
    assert {f.values for f in found.districts.values()} == {(0, Decimal(0), 0)}
    assert found.cities == {} and found.zones == {}
    assert found.none.values == found.total.values == found.outside.values == (0, Decimal(0), 0)


def test_each_company_counts_where_it_is_registered():
    found = places.tally(
        [
            item("渝北区", zone="liangjiang", amount="100.50", company=1),
            item("渝北区", zone="liangjiang", amount="20", company=2),
            item("江北区", zone="central", amount="3", company=3),
            item(None, "深圳", "outside", amount="7", company=4),
            item(None, "深圳", "outside", amount="1", company=5),
            item(None, "上海", "outside", amount="50", company=6),
        ],
        KINDS,
    )
    assert found.districts["渝北区"].values == (2, Decimal("120.50"), 2)
    assert found.districts["江北区"].values == (1, Decimal(3), 1)
    assert found.districts["万州区"].values == (0, Decimal(0), 0)
    # outside Chongqing: by city, the largest first by the first measure (then by name)
    assert list(found.cities) == ["深圳", "上海"]
    assert found.cities["深圳"].values == (2, Decimal(8), 2)
    assert found.outside.values == (3, Decimal(58), 3)
    assert found.none.values == (0, Decimal(0), 0)
    assert found.total.values == (6, Decimal("181.50"), 6)


def test_a_company_with_no_place_or_only_chongqing_as_its_city_is_no_district():
    found = places.tally(
        [
            item(None, amount="1", company=1),
            item("", "", amount="2", company=2),
            item(None, "重庆市", amount="4", company=3),
            item(None, "  ", amount="8", company=4),
            item("成都区", amount="16", company=5),  # not one of the 38: not dropped either
        ],
        KINDS,
    )
    assert found.none.values == (5, Decimal(31), 5)
    assert found.cities == {} and found.outside.values == (0, Decimal(0), 0)
    assert found.total.values == found.none.values
    assert places.bucket(None, "重庆市") == (places.NONE, None)
    assert places.bucket("", "深圳") == (places.CITY, "深圳")
    assert places.bucket("渝北区", "深圳") == (places.DISTRICT, "渝北区")


def test_zones_are_the_recorded_ones_then_no_zone_last():
    found = places.tally(
        [
            item("渝北区", zone=None, company=1),
            item("江北区", zone="west", company=2),  # recorded, never guessed from the district
            item("渝北区", zone="liangjiang", company=3),
            item(None, "深圳", zone="outside", company=4),
            item("北碚区", zone="nope", company=5),  # not a zone: no zone
        ],
        KINDS,
    )
    assert list(found.zones) == ["liangjiang", "west", "outside", None]
    assert list(found.zones)[:-1] == [z for z in ZONES.codes if z in found.zones]
    assert found.zones[None].values == (2, Decimal(0), 2)
    assert found.zones["west"].values == (1, Decimal(0), 1)
    assert sum(f[0] for f in found.zones.values()) == found.total[0]


def test_a_company_held_by_two_sub_funds_counts_once():
    found = places.tally(
        [
            item("渝北区", amount="1000", company=7),  # the angel fund's holding
            item("渝北区", amount="2000", company=7),  # the industry fund's, the same company
            item("江北区", amount="500", company=8),
            item(None, "深圳", amount="1", company=9),
            item(None, "上海", amount="1", company=9),  # its two records disagree on the city
            item(None, amount="9", company=None),  # no id: not counted as a company
        ],
        KINDS,
    )
    assert found.districts["渝北区"].values == (2, Decimal(3000), 1)
    assert found.total.values == (6, Decimal(3511), 3)
    assert found.outside.values == (2, Decimal(2), 1)
    assert found.none.values == (1, Decimal(9), 0)


def test_outside_is_the_sum_of_the_cities_and_the_total_of_every_place():
    found = places.tally(
        [
            item("渝北区", n=3, amount="1.01"),
            item(None, "深圳", n=2, amount="2.02"),
            item(None, "上海", n=5, amount="3.03"),
            item(None, n=7, amount="4.04"),
            item("万州区", n=0, amount=None),
        ],
        KINDS,
    )
    assert found.outside.values[:2] == (7, Decimal("5.05"))
    by_city = [f.values[:2] for f in found.cities.values()]
    assert found.outside.values[:2] == tuple(map(sum, zip(*by_city, strict=True)))
    assert found.total.values[:2] == (17, Decimal("10.10"))
    assert found.districts["万州区"].values == (0, Decimal(0), 0)
    # as the map keeps it in the metrics cache: the same tally after a trip through JSON
    again = places.restored(json.loads(json.dumps(places.stored(found))), KINDS)
    assert again == found and list(again.cities) == list(found.cities)


PLACES = st.one_of(
    st.sampled_from(DISTRICTS.codes).map(lambda d: (d, None)),
    st.sampled_from(["深圳", "上海", "成都", "重庆市", "", None]).map(lambda c: (None, c)),
)
ITEMS = st.lists(
    st.tuples(
        PLACES,
        st.sampled_from([*ZONES.codes, None]),
        st.integers(0, 50),
        st.decimals(min_value=0, max_value=10**9, places=2),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(ITEMS)
def test_every_item_counts_exactly_once_whatever_the_places(drawn):
    items = [(Where(d, c, z), (n, amount)) for (d, c), z, n, amount in drawn]
    found = places.tally(items, (COUNT, SUM))
    for i in (0, 1):
        placed = sum(f[i] for f in found.districts.values()) + found.outside[i] + found.none[i]
        assert placed == found.total[i] == sum(values[i] for _w, values in items)
        assert sum(f[i] for f in found.zones.values()) == found.total[i]
        assert sum(f[i] for f in found.cities.values()) == found.outside[i]


# -- the districts' shapes ---------------------------------------------------------------------


def inside(code: str, point) -> bool:
    """Inside one of the district's polygons and in none of its holes."""
    return any(
        geo.contains(shape[0], point) and not any(geo.contains(hole, point) for hole in shape[1:])
        for shape in geo.districts()[code].polygons
    )


def test_the_shapes_are_todays_38_districts():
    found = geo.districts()
    assert list(found) == list(DISTRICTS.codes)
    assert {"梁平区", "武隆区"} <= set(found) and not {"梁平县", "武隆县"} & set(found)
    assert all(d.name == code and d.polygons for code, d in found.items())


def test_every_point_lies_in_chongqing():
    west, south, east, north = geo.bounds()
    assert 105 < west < east < 110.5 and 28 < south < north < 32.5
    for district in geo.districts().values():
        for shape in district.polygons:
            for ring in shape:
                assert len(ring) >= 3
                assert all(west <= x <= east and south <= y <= north for x, y in ring)


def test_each_districts_label_point_lies_in_it_and_in_no_other():
    source = json.loads(geo.SOURCE.read_text(encoding="utf-8"))
    labelled = {
        geo.RENAMED.get(f["properties"]["name"], f["properties"]["name"]): f["properties"]["cp"]
        for f in source["features"]
        if "cp" in f["properties"]
    }
    assert len(labelled) >= 36
    for code, point in labelled.items():
        assert [d for d in DISTRICTS.codes if inside(d, tuple(point))] == [code], code


def test_a_point_in_yubei_is_not_in_jiangbei():
    assert inside("渝北区", (106.5128, 29.6014))
    assert not inside("江北区", (106.5128, 29.6014))
    assert inside("渝中区", (106.5629, 29.5567))  # the peninsula, not its neighbours
    assert not inside("江北区", (106.5629, 29.5567)) and not inside("南岸区", (106.5629, 29.5567))
    assert not any(inside(code, (104.07, 30.67)) for code in DISTRICTS.codes)  # Chengdu


def test_contains_reads_a_ring_by_the_even_odd_rule():
    square = ((0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0))
    assert geo.contains(square, (1.0, 1.0))
    assert not geo.contains(square, (3.0, 1.0)) and not geo.contains(square, (1.0, -0.5))


def test_the_browsers_geojson_names_the_38_and_decodes_to_the_same_shapes():
    text = geo.geojson()
    source = json.loads(text)
    names = [f["properties"]["name"] for f in source["features"]]
    assert sorted(names) == sorted(DISTRICTS.codes)
    assert "梁平县" not in text and "武隆县" not in text
    # the name, and where the chart centres it: inside the district itself (not over another)
    for feature in source["features"]:
        assert set(feature["properties"]) <= {"name", "cp"}
        if "cp" in feature["properties"]:
            point = tuple(feature["properties"]["cp"])
            shapes = geo.districts()[feature["properties"]["name"]].polygons
            assert any(geo.contains(shape[0], point) for shape in shapes)
    scale = float(source.get("UTF8Scale") or 1024)
    for feature in source["features"]:
        decoded = geo._polygons(feature["geometry"], bool(source.get("UTF8Encoding")), scale)
        assert decoded == geo.districts()[feature["properties"]["name"]].polygons


def test_the_zones_span_districts_of_the_vocabulary():
    assert set(geo.ZONE_DISTRICTS) <= set(ZONES.codes)
    assert all(set(d) <= set(DISTRICTS.codes) for d in geo.ZONE_DISTRICTS.values())
    assert {"江北区", "渝北区", "北碚区"} == set(geo.ZONE_DISTRICTS["liangjiang"])
