"""The industry map's rows: one row per place (the 38 districts in the vocabulary's order, each
city outside Chongqing, all of them together, "no district"), per cluster zone and the total,
each with every measure of the ask's source, the chosen measure's value, the link to the list
behind it and, with the re-investment layer, what counts toward the commitment there.

`rows` is the one function the map's JSON, the table under it and the table's export read, so
the three cannot disagree."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from flask import url_for
from flask_babel import gettext as _

from fundcrm.domain import places
from fundcrm.domain.geo import ZONE_DISTRICTS
from fundcrm.domain.metrics import money_text
from fundcrm.i18n import vocab_label
from fundcrm.industry_map import measures as m
from fundcrm.industry_map.figures import Ask
from fundcrm.industry_map.layer import Layer

DISTRICT, CITY, OUTSIDE, NONE, ZONE, TOTAL = "district", "city", "outside", "none", "zone", "total"


@dataclass
class Row:
    kind: str  # DISTRICT, CITY, OUTSIDE (every city together), NONE, ZONE or TOTAL
    key: str | None  # the district's code, the city's name, the zone's code (None: no zone)
    label: str  # in the user's language
    figures: dict  # measure code → Decimal yuan (an amount) or int (a count)
    value: object  # the chosen measure's figure
    link: str | None  # the list behind the figures (None: no list shows exactly these)
    counted: Decimal | None = None  # the layer: the achieved amount counted here
    districts: tuple[str, ...] = ()  # a zone's districts (the overlay outlines them)


def source_measures(measure: m.Measure) -> list[m.Measure]:
    """The measures of the measure's source, in the order its tally holds them."""
    return [m.MEASURES[code] for code, _kind in m.SOURCE_MEASURES[measure.source]]


def _linker(ask: Ask) -> Callable[..., str]:
    """The list behind a place's figures: the ask's filters and the place (district, city or
    zone). A tied LP viewer's portfolio is its LP's page of the sub-fund in scope."""
    if not ask.measure.portfolio:
        return lambda **place: url_for("deals.index", **ask.given, **place)
    given = {"as_of": ask.as_of.isoformat(), **ask.portfolio_filters}
    if ask.lp_id is not None:
        return lambda **place: url_for("funds.lp_portfolio", lp_id=ask.lp_id, **given, **place)
    return lambda **place: url_for("portfolio.portfolio", **given, **place)


def rows(ask: Ask, tally: places.Tally, layer: Layer | None = None) -> list[Row]:
    """The map's and the table's rows, in the table's order (see the module's docstring)."""
    codes = [x.code for x in source_measures(ask.measure)]
    at = m.index_of(ask.measure)
    link = _linker(ask)

    def row(kind, key, label, found: places.Figures, href=None, **more) -> Row:
        figures = dict(zip(codes, found.values, strict=True))
        return Row(kind, key, label, figures, found[at], href, **more)

    counted = _counted(layer)
    found = [
        row(DISTRICT, code, vocab_label("district", code), f, link(district=code),
            counted=counted(code))
        for code, f in tally.districts.items()
    ]  # fmt: skip
    found += [row(CITY, name, name, f, link(city=name)) for name, f in tally.cities.items()]
    found.append(row(OUTSIDE, None, _("All cities outside Chongqing"), tally.outside))
    found.append(row(NONE, places.NO_DISTRICT, _("No district"), tally.none,
                     link(district=places.NO_DISTRICT), counted=counted(NONE)))  # fmt: skip
    found += [
        row(ZONE, zone, vocab_label("zone", zone) if zone else _("No zone"), f,
            link(zone=zone) if zone else None, districts=ZONE_DISTRICTS.get(zone, ()))
        for zone, f in tally.zones.items()
    ]  # fmt: skip
    found.append(row(TOTAL, None, _("Total"), tally.total, link(), counted=counted(TOTAL)))
    return found


def _counted(layer: Layer | None) -> Callable[[str], Decimal | None]:
    """What the layer counts toward its commitment in a district of its area, in companies
    without a district (NONE: all of them lie there, none in a city outside Chongqing) and in
    all (TOTAL); None where nothing can count."""
    if layer is None:
        return lambda _key: None
    whole = sum(layer.counted.values(), Decimal(0)) + layer.elsewhere

    def counted(key: str) -> Decimal | None:
        if key == TOTAL:
            return whole
        if key == NONE:
            return layer.elsewhere
        return layer.counted.get(key, Decimal(0)) if key in layer.area else None

    return counted


def of_kind(found: list[Row], kind: str) -> list[Row]:
    return [r for r in found if r.kind == kind]


def one(found: list[Row], kind: str) -> Row:
    return next(r for r in found if r.kind == kind)


# -- the JSON of /map/data.json ----------------------------------------------------------------


def _json_value(measure: m.Measure, value):
    return money_text(value) if measure.money else int(value)


def _json_row(ask: Ask, row: Row, *names: str) -> dict:
    """The row's value and figures (money as strings, counts as integers), and the named
    attributes."""
    found = {name: getattr(row, name) for name in names}
    found["value"] = _json_value(ask.measure, row.value)
    found["figures"] = {code: _json_value(m.MEASURES[code], v) for code, v in row.figures.items()}
    return found


def data(ask: Ask, found: list[Row], layer: Layer | None) -> dict:
    """The map's figures as JSON (the route contract of /map/data.json)."""
    zones = []
    for r in of_kind(found, ZONE):
        zone = _json_row(ask, r, "label", "link")
        zones.append({"code": r.key, **zone, "districts": list(r.districts)})
    return {
        "measure": ask.measure.code,
        "money": ask.measure.money,
        "as_of": ask.as_of.isoformat(),
        "unit": "万元" if ask.measure.money else None,
        "districts": [
            {"code": r.key, **_json_row(ask, r, "label", "link")} for r in of_kind(found, DISTRICT)
        ],  # fmt: skip
        "cities": [{"name": r.key, **_json_row(ask, r, "link")} for r in of_kind(found, CITY)],
        "outside": _json_row(ask, one(found, OUTSIDE)),
        "none": _json_row(ask, one(found, NONE), "link"),
        "zones": zones,
        "total": _json_row(ask, one(found, TOTAL)),
        "ignored": ask.ignored,
        "layer": layer_data(layer),
        "classes": _classes(ask, found, layer),
    }


def _classes(ask: Ask, found: list[Row], layer: Layer | None) -> list[list]:
    """The colour classes of the districts' figures above zero (places.classes: as the annual
    report's map), each [lowest, highest] in the figure's JSON form; with the layer, of what
    counts toward the commitment."""
    districts = of_kind(found, DISTRICT)
    if layer is not None:
        values, shown = [r.counted for r in districts if r.counted], money_text
    else:
        values = [r.value for r in districts if r.value]
        shown = lambda value: _json_value(ask.measure, value)  # noqa: E731 (one line)
    return [[shown(low), shown(high)] for low, high in places.classes(values)]


def layer_data(layer: Layer | None) -> dict | None:
    if layer is None:
        return None
    c = layer.commitment
    return {
        "commitment_id": c.id,
        "lp": c.lp,
        "sub_fund": layer.fund.code,
        "area": layer.area,
        "whole_city": layer.whole_city,
        "required": money_text(c.required),
        "achieved": money_text(c.achieved),
        "progress": None if c.progress is None else str(c.progress.quantize(Decimal("0.0001"))),
        "status": c.status,
        "deadline": c.deadline.isoformat() if c.deadline else None,
        "counted": {code: money_text(v) for code, v in layer.counted.items()},
        "elsewhere": money_text(layer.elsewhere),
    }


def page_data(ask: Ask, found: list[Row], layer: Layer | None) -> dict:
    """What the page's script draws: the JSON of /map/data.json and the words it shows."""
    measures = source_measures(ask.measure)
    return {
        **data(ask, found, layer),
        "ui": {
            "legend": legend(ask.measure),
            "measures": [
                {"code": x.code, "label": str(x.label), "money": x.money} for x in measures
            ],  # fmt: skip
            "selected": ask.district,
            "zone_districts": {code: list(codes) for code, codes in ZONE_DISTRICTS.items()},
            "counted_label": _("Counted toward the commitment (万元)"),
            "wan": _("万元"),
        },
    }


def legend(measure: m.Measure) -> str:
    """The measure's label and its unit, as the legend and the table's header say it."""
    if measure.money:
        return _("%(measure)s (万元)", measure=measure.label)
    return _("%(measure)s (count)", measure=measure.label)


# -- the table as cells (the export) ---------------------------------------------------------

TEXT, WAN, COUNT = "text", "wan", "count"  # how a cell is written


def kind_label(kind: str) -> str:
    return {
        DISTRICT: _("District"),
        CITY: _("City outside Chongqing"),
        OUTSIDE: _("Outside Chongqing"),
        NONE: _("No district"),
        ZONE: _("Cluster zone"),
        TOTAL: _("Total"),
    }[kind]


def table(ask: Ask, found: list[Row], layer: Layer | None) -> tuple[list[str], list[list]]:
    """(headers, rows of (how, value) cells): the table under the map, every measure of the
    source a column, and what counts toward the layer's commitment."""
    measures = source_measures(ask.measure)
    headers = [_("Place"), _("Kind"), *(legend(x) for x in measures)]
    if layer is not None:
        headers.append(_("Counted toward the commitment (万元)"))
    body = []
    for r in found:
        cells = [(TEXT, r.label), (TEXT, kind_label(r.kind))]
        cells += [(WAN if x.money else COUNT, r.figures[x.code]) for x in measures]
        if layer is not None:
            cells.append((WAN, r.counted))
        body.append(cells)
    return headers, body
