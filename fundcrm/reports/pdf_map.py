"""The annual report's district map (a `map` chart) as a reportlab drawing: Chongqing's 38
districts from fundcrm.domain.geo as vector shapes (no raster), each filled by its table row's
value in up to five classes, the districts with a figure named, the six small inner districts
enlarged in an inset, and a legend giving each class's range in 万元.

Drawn from `chart.series()` and `chart.keys` alone (each row's district code), so its figures
are its table's. Rows with no district (cities outside Chongqing, "no district") stay in the
table; the chart's note says so. Equirectangular: a degree of longitude is cos(29.6°) of a
degree of latitude, so the city keeps its shape.
"""

import math
from decimal import Decimal

from flask_babel import gettext as _
from reportlab.graphics.shapes import Group, Path, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from fundcrm.domain import geo, places
from fundcrm.pdf import FONT, INK, MUTED, PAGE_WIDTH
from fundcrm.reports.model import Chart
from fundcrm.reports.pdf_charts import Figure, _legend, value_text

X_SCALE = math.cos(math.radians(29.6))  # the city's middle latitude
CLASS_FILLS = [colors.HexColor(c) for c in ("#bcd6ee", "#84b6de", "#4d8fca", "#22609f", "#0b3d7a")]
NO_FILL = colors.HexColor("#f3f4f6")
EDGE = colors.HexColor("#8a96a3")
LABEL = 6.5  # points, a district's name
# too small to name on the whole map: shown again, enlarged, in the inset
INNER = ("渝中区", "大渡口区", "江北区", "沙坪坝区", "九龙坡区", "南岸区")
INSET_ROOM = (0.38, 0.34)  # the inset's most width and height, shares of the map's
LEGEND_ROWS = 2


class _Projection:
    """(lon, lat) → points on the drawing: `scale` points per degree of latitude."""

    def __init__(self, west: float, south: float, scale: float, x: float = 0, y: float = 0):
        self.west, self.south, self.scale, self.x, self.y = west, south, scale, x, y

    def __call__(self, point: tuple[float, float]) -> tuple[float, float]:
        lon, lat = point
        return (self.x + (lon - self.west) * X_SCALE * self.scale,
                self.y + (lat - self.south) * self.scale)  # fmt: skip


def fills(chart: Chart) -> tuple[dict[str, Decimal], list[tuple[Decimal, Decimal]], dict]:
    """(each mapped district's value, the classes, each district's class index or None)."""
    categories, (values, *_more) = chart.series()
    keys = chart.keys or [None] * len(categories)
    if len(keys) != len(categories):
        raise ValueError("a map chart needs a key per row of its table")
    valued = {k: Decimal(v or 0) for k, v in zip(keys, values, strict=True) if k in geo.districts()}
    bounds = places.classes(list(valued.values()))
    picked = {code: None for code in geo.districts()}
    for code, value in valued.items():
        picked[code] = next(i for i, (_low, high) in enumerate(bounds) if value <= high)
    return valued, bounds, picked


def _fill(index: int | None, count: int):
    if index is None:
        return NO_FILL
    if count == 1:
        return CLASS_FILLS[-2]
    # fewer classes than five: spread over the scale, the highest always the darkest
    return CLASS_FILLS[round(index * (places.CLASSES - 1) / (count - 1))]


def _shape(rings, project, fill, width: float):
    """A polygon, or a path with holes (even-odd) when it has any."""
    if len(rings) == 1:
        points = [c for p in rings[0] for c in project(p)]
        return Polygon(points, fillColor=fill, strokeColor=EDGE, strokeWidth=width)
    path = Path(fillColor=fill, strokeColor=EDGE, strokeWidth=width, fillMode="even-odd")
    for ring in rings:
        first, *rest = [project(p) for p in ring]
        path.moveTo(*first)
        for point in rest:
            path.lineTo(*point)
        path.closePath()
    return path


def _area_centre(ring) -> tuple[float, tuple[float, float]]:
    """(area, centroid) of a ring (shoelace), in degrees."""
    area = cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x1 * y2 - x2 * y1
        area, cx, cy = area + cross, cx + (x1 + x2) * cross, cy + (y1 + y2) * cross
    if not area:
        return 0.0, ring[0]
    return abs(area) / 2, (cx / (3 * area), cy / (3 * area))


def label_point(code: str) -> tuple[float, float]:
    """Where a district's name goes: its largest part's centroid, or, when that falls outside
    (a crescent), the middle of the widest stretch of the part across the centroid's latitude."""
    parts = [(_area_centre(shape[0]), shape[0]) for shape in geo.districts()[code].polygons]
    (_area, centre), ring = max(parts, key=lambda p: p[0][0])
    if geo.contains(ring, centre):
        return centre
    y = centre[1]
    xs = sorted(x1 + (y - y1) * (x2 - x1) / (y2 - y1)
                for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True)
                if (y1 > y) != (y2 > y))  # fmt: skip
    spans = list(zip(xs[::2], xs[1::2], strict=False))
    left, right = max(spans, key=lambda s: s[1] - s[0], default=(centre[0], centre[0]))
    return (left + right) / 2, y


def _name_lines(name: str, room: float) -> list[str]:
    """A name on as many lines as it needs to stay within `room` (between words)."""
    lines: list[str] = []
    for word in name.split():
        if lines and stringWidth(f"{lines[-1]} {word}", FONT, LABEL) <= room:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [name]


def _names(group: Group, codes, project, picked, count: int, labels: dict, room: float):
    """Each district's name over its fill, light on the two darkest classes; a name that
    would overlap one already set moves down (or up) by a line until it is clear."""
    taken: list[tuple[float, float, float, float]] = []
    for code in codes:
        x, y = project(label_point(code))
        dark = picked[code] is not None and _fill(picked[code], count) in CLASS_FILLS[-2:]
        lines = _name_lines(labels[code], room)
        half_w = max(stringWidth(line, FONT, LABEL) for line in lines) / 2 + 1
        half_h = len(lines) * LABEL / 2
        for shift in (0, -1, 1, -2, 2, -3, 3):
            middle = y + shift * LABEL
            box = (x - half_w, middle - half_h, x + half_w, middle + half_h)
            if not any(_crossing(box, other) for other in taken):
                break
        taken.append(box)
        top = middle + (len(lines) - 1) * LABEL / 2
        for i, line in enumerate(lines):
            group.add(String(x, top - i * LABEL - LABEL / 3, line, fontName=FONT,
                             fontSize=LABEL, textAnchor="middle",
                             fillColor=colors.white if dark else INK))  # fmt: skip


def _crossing(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _districts(group: Group, codes, project, picked, count: int, width: float):
    for code in codes:
        fill = _fill(picked[code], count)
        for rings in geo.districts()[code].polygons:
            group.add(_shape(rings, project, fill, width))


def _window(codes, pad: float = 0.02) -> tuple[float, float, float, float]:
    """(west, south, east, north) of the districts, `pad` degrees wider."""
    points = [p for c in codes for shape in geo.districts()[c].polygons for p in shape[0]]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad


def drawing(chart: Chart) -> Figure | None:
    """The map, as wide as the page's text, its legend under it; None with nothing to map."""
    valued, bounds, picked = fills(chart)
    if not valued:
        return None
    categories = chart.series()[0]
    labels = {k: str(c) for k, c in zip(chart.keys, categories, strict=True) if k in valued}
    west, south, east, north = geo.bounds()
    scale = PAGE_WIDTH / ((east - west) * X_SCALE)
    map_height = (north - south) * scale
    legend_height = LEGEND_ROWS * 13 + 6
    figure = Figure(PAGE_WIDTH, map_height + legend_height)
    project = _Projection(west, south, scale, 0, legend_height)
    whole = Group()
    codes = list(geo.districts())
    _districts(whole, codes, project, picked, len(bounds), 0.4)
    named = [c for c in valued if c not in INNER]
    _names(whole, named, project, picked, len(bounds), labels, 0.3 * X_SCALE * scale)
    figure.add(whole, name="plot")
    figure.add(_inset(project, picked, len(bounds), labels, scale, map_height, legend_height))
    pairs = [
        (_fill(i, len(bounds)), _range_text(low, high)) for i, (low, high) in enumerate(bounds)
    ]
    pairs.append((NO_FILL, _("No active holding")))
    legend = _legend(pairs, 0, legend_height - 2, columns=-(-len(pairs) // LEGEND_ROWS))
    legend.strokeColor, legend.strokeWidth = EDGE, 0.4  # the pale "none" swatch stays seen
    figure.add(legend, name="legend")
    return figure


def _range_text(low: Decimal, high: Decimal) -> str:
    if low == high:
        return f"{value_text(low, 'money')} {_('万元')}"
    return f"{value_text(low, 'money')} – {value_text(high, 'money')} {_('万元')}"


def _inset(project, picked, count: int, labels: dict, scale: float, height: float, base: float):
    """The inner districts enlarged in the map's empty north-west corner, framed, with their
    outline on the whole map; the districts around them clipped to the frame."""
    west, south, east, north = _window(INNER)
    span_x, span_y = (east - west) * X_SCALE, north - south
    caption = 10
    zoom = min(INSET_ROOM[0] * PAGE_WIDTH / span_x, (INSET_ROOM[1] * height - caption) / span_y)
    box_w, box_h = span_x * zoom, span_y * zoom
    top = base + height
    enlarged = _Projection(west, south, zoom, 1, top - box_h - caption)
    group = Group()
    x0, y0 = project((west, south))
    x1, y1 = project((east, north))
    group.add(Rect(x0, y0, x1 - x0, y1 - y0, fillColor=None, strokeColor=INK, strokeWidth=0.6))
    clipped = Group()
    frame = Path(isClipPath=1, strokeColor=None, fillColor=None)
    for x, y in ((1, enlarged.y), (1 + box_w, enlarged.y), (1 + box_w, enlarged.y + box_h),
                 (1, enlarged.y + box_h)):  # fmt: skip
        (frame.lineTo if frame.points else frame.moveTo)(x, y)
    frame.closePath()
    clipped.add(frame)
    around = [
        c for c in geo.districts() if c not in INNER and _overlaps(c, (west, south, east, north))
    ]
    _districts(clipped, around + list(INNER), enlarged, picked, count, 0.5)
    group.add(Rect(1, enlarged.y, box_w, box_h, fillColor=colors.white, strokeColor=None))
    group.add(clipped)
    named = [c for c in INNER if c in labels]
    _names(group, named, enlarged, picked, count, labels, 0.1 * X_SCALE * zoom)
    group.add(Rect(1, enlarged.y, box_w, box_h, fillColor=None, strokeColor=INK, strokeWidth=0.6))
    group.add(String(1, top - caption + 3, _("Inner districts, enlarged"), fontName=FONT,
                     fontSize=LABEL, fillColor=MUTED))  # fmt: skip
    return group


def _overlaps(code: str, window) -> bool:
    west, south, east, north = _window([code], pad=0)
    return west < window[2] and east > window[0] and south < window[3] and north > window[1]
