"""Figures by where companies are registered — each of Chongqing's 38 districts, each city
outside Chongqing, and "no district" — and by cluster zone: pure, no Flask, no database. The
industry map, its table and the annual report's district map all call `tally`, so a map and its
table cannot disagree.

A company with a district is counted there. Without one, a company registered in a city outside
Chongqing counts under that city, and any other (no city, or a city in Chongqing) under "no
district" rather than being dropped. Zones are the companies' recorded zones (DOMAIN.md section
2), never guessed from the district.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from fundcrm.domain.location import Place
from fundcrm.domain.vocab import DISTRICTS, ZONES

DISTRICT, CITY, NONE = "district", "city", "none"
# how a measure adds up: a sum of amounts (Decimal), of counts (int), or a count of distinct ids
SUM, COUNT, DISTINCT = "sum", "count", "distinct"
NO_DISTRICT = "none"  # the lists' `district` filter value for "no district"


@dataclass(frozen=True)
class Where:
    """What a record tells of its company's place."""

    district: str | None
    city: str | None
    zone: str | None


def bucket(district: str | None, city: str | None) -> tuple[str, str | None]:
    """(kind, key): (DISTRICT, code), (CITY, name) or (NONE, None)."""
    place = Place.of(district, city)
    if place.district in DISTRICTS:
        return DISTRICT, place.district
    if place.district is None and place.in_chongqing is False:
        return CITY, place.city
    return NONE, None


@dataclass
class Figures:
    """One place's (or zone's, or the total's) figures, one per measure, in the measures'
    order: a Decimal for a sum, an int for a count of distinct ids."""

    values: tuple

    def __getitem__(self, index: int):
        return self.values[index]


@dataclass
class Tally:
    districts: dict[str, Figures]  # every one of the 38, in the vocabulary's order
    cities: dict[str, Figures]  # outside Chongqing, the largest first (first measure)
    none: Figures  # no district
    zones: dict[str | None, Figures]  # the zone vocabulary's order, then None (no zone)
    total: Figures
    outside: Figures  # every city outside Chongqing as one total


def stored(tally: Tally) -> dict:
    """The tally as JSON (amounts as text), for the metrics cache."""

    def values(f: Figures) -> list:
        return [str(v) if isinstance(v, Decimal) else v for v in f.values]

    return {
        "districts": {k: values(f) for k, f in tally.districts.items()},
        "cities": [[k, values(f)] for k, f in tally.cities.items()],
        "none": values(tally.none),
        "zones": [[k, values(f)] for k, f in tally.zones.items()],
        "total": values(tally.total),
        "outside": values(tally.outside),
    }


def restored(found: dict, kinds: Sequence[str]) -> Tally:
    """A tally `stored` (the measures `kinds`, in order) again."""

    def figures(values: list) -> Figures:
        pairs = zip(kinds, values, strict=True)
        return Figures(tuple(Decimal(v) if k == SUM else int(v) for k, v in pairs))

    return Tally(
        {k: figures(v) for k, v in found["districts"].items()},
        {k: figures(v) for k, v in found["cities"]},
        figures(found["none"]),
        {k: figures(v) for k, v in found["zones"]},
        figures(found["total"]),
        figures(found["outside"]),
    )


class _Sums:
    """Running figures of one group."""

    def __init__(self, kinds: Sequence[str]):
        self.kinds = kinds
        self.sums = [Decimal(0) if k == SUM else 0 if k == COUNT else set() for k in kinds]

    def add(self, values: Sequence) -> None:
        for i, (kind, value) in enumerate(zip(self.kinds, values, strict=True)):
            if kind == SUM:
                self.sums[i] += Decimal(value or 0)
            elif kind == COUNT:
                self.sums[i] += int(value or 0)
            elif value is not None:
                self.sums[i].add(value)

    def figures(self) -> Figures:
        pairs = zip(self.kinds, self.sums, strict=True)
        return Figures(tuple(len(s) if k == DISTINCT else s for k, s in pairs))


def _figures(kinds: Sequence[str], groups: Iterable[_Sums]) -> Figures:
    """The figures of several groups together (a distinct id counted once)."""
    merged = _Sums(kinds)
    for group in groups:
        for i, kind in enumerate(kinds):
            if kind != DISTINCT:
                merged.sums[i] += group.sums[i]
            else:
                merged.sums[i] |= group.sums[i]
    return merged.figures()


def tally(items: Iterable[tuple[Where, Sequence]], kinds: Sequence[str]) -> Tally:
    """The records' figures by place and zone. `items`: (where, values), one value per measure
    of `kinds` (SUM: an amount, COUNT: a count, None as 0; DISTINCT: an id, None not counted)."""
    kinds = tuple(kinds)
    districts = {code: _Sums(kinds) for code in DISTRICTS.codes}
    cities: dict[str, _Sums] = {}
    none, total = _Sums(kinds), _Sums(kinds)
    zones: dict[str | None, _Sums] = {}
    for where, values in items:
        kind, key = bucket(where.district, where.city)
        group = districts[key] if kind == DISTRICT else none
        if kind == CITY:
            group = cities.setdefault(key, _Sums(kinds))
        group.add(values)
        total.add(values)
        zone = where.zone if where.zone in ZONES else None
        zones.setdefault(zone, _Sums(kinds)).add(values)
    zone_rank = {code: i for i, code in enumerate(ZONES.codes)}
    ordered_zones = sorted(zones, key=lambda z: zone_rank.get(z, len(zone_rank)))
    found_cities = {name: group.figures() for name, group in cities.items()}
    return Tally(
        {code: group.figures() for code, group in districts.items()},
        dict(sorted(found_cities.items(), key=lambda kv: (-kv[1][0], kv[0]))),
        none.figures(),
        {zone: zones[zone].figures() for zone in ordered_zones},
        total.figures(),
        _figures(kinds, cities.values()),
    )


CLASSES = 5  # the colour classes of a map


def classes(values: Sequence[Decimal], count: int = CLASSES) -> list[tuple[Decimal, Decimal]]:
    """Up to `count` classes of the mapped values, the same number of distinct values in each
    (quantiles: a few large holdings do not wash the others out), each as (lowest, highest):
    the web map's legend and the report's map class their districts alike."""
    ordered = sorted(set(values))
    count = min(count, len(ordered))
    groups = [ordered[i * len(ordered) // count : (i + 1) * len(ordered) // count]
              for i in range(count)]  # fmt: skip
    return [(group[0], group[-1]) for group in groups]
