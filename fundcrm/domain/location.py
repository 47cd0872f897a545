"""A company's registered location (所在区县, or a city outside Chongqing) and its relocations
(DOMAIN.md section 1), pure: no Flask, no database.

A relocation is recorded once, with the date it took effect; the location on a date is what the
relocations say it was then, so the re-investment rules can judge any date. A new relocation is
checked here (refusal codes; fundcrm.companies.relocations words them).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from fundcrm.domain.vocab import DISTRICTS

CHONGQING_CITY = "重庆"


@dataclass(frozen=True)
class Place:
    """A registered location: a Chongqing district, else the city outside Chongqing, else
    unknown (both empty)."""

    district: str | None = None
    city: str | None = None

    @classmethod
    def of(cls, district: str | None, city: str | None) -> "Place":
        return cls(district or None, (city or "").strip() or None)

    @property
    def known(self) -> bool:
        return bool(self.district or self.city)

    @property
    def in_chongqing(self) -> bool | None:
        """True in a district (or a city named 重庆…), False in another city, None unknown."""
        if self.district:
            return self.district in DISTRICTS
        if self.city:
            return self.city.startswith(CHONGQING_CITY)
        return None

    def same_as(self, other: "Place") -> bool:
        """The same district, or (without one) the same city."""
        if self.district or other.district:
            return self.district == other.district
        return (self.city or "") == (other.city or "")


@dataclass(frozen=True)
class Move:
    """A relocation as the rules read it."""

    effective_on: date
    origin: Place
    destination: Place


def location_on(present: Place, moves: Sequence[Move], day: date) -> Place:
    """Where the company was registered on `day`: the destination of the latest relocation
    effective on or before it, else the origin of the earliest one after it, else its present
    location. `moves` in the order they were recorded (a later one wins a tie of dates)."""
    ordered = sorted(moves, key=lambda m: m.effective_on)  # stable: ties stay as recorded
    done = [m for m in ordered if m.effective_on <= day]
    if done:
        return done[-1].destination
    if ordered:
        return ordered[0].origin
    return present


def into_chongqing(origin: Place, destination: Place) -> bool:
    """A move from a city outside Chongqing to one of its districts: the company's
    `introduced` milestone (引进落户重庆). From an unknown location it is not known to be one."""
    return origin.in_chongqing is False and destination.in_chongqing is True


# Why a relocation is refused, and the field the refusal belongs to.
NO_DESTINATION = "no_destination"
BOTH_GIVEN = "both_given"
CITY_IN_CHONGQING = "city_in_chongqing"
ZONE_MISMATCH = "zone_mismatch"
SAME_PLACE = "same_place"
FUTURE = "future"
BEFORE_FOUNDED = "before_founded"
BEFORE_LATEST = "before_latest"
FIELDS = {
    NO_DESTINATION: "to_district",
    BOTH_GIVEN: "to_city",
    CITY_IN_CHONGQING: "to_city",
    ZONE_MISMATCH: "to_zone",
    SAME_PLACE: "to_district",
    FUTURE: "effective_on",
    BEFORE_FOUNDED: "effective_on",
    BEFORE_LATEST: "effective_on",
}
OUTSIDE_ZONE = "outside"


@dataclass(frozen=True)
class Proposed:
    """A relocation as the form gives it, with what it is judged against."""

    origin: Place
    destination: Place
    zone: str | None
    effective_on: date
    today: date
    founded_on: date | None = None
    latest_on: date | None = None  # the company's latest relocation, if any


def refusal(move: Proposed) -> str | None:
    """The first reason to refuse the relocation (a code of FIELDS), or None."""
    to = move.destination
    if not to.known:
        return NO_DESTINATION
    if to.district and to.city:
        return BOTH_GIVEN
    if to.city and to.in_chongqing:
        return CITY_IN_CHONGQING
    if (move.zone == OUTSIDE_ZONE) != (to.in_chongqing is False):
        return ZONE_MISMATCH
    if to.same_as(move.origin):
        return SAME_PLACE
    if move.effective_on > move.today:
        return FUTURE
    if move.founded_on and move.effective_on < move.founded_on:
        return BEFORE_FOUNDED
    if move.latest_on and move.effective_on < move.latest_on:
        return BEFORE_LATEST
    return None


def moved(present: Place, wanted: Place) -> bool:
    """Whether an edit changes the registered location (district or city)."""
    return present != wanted
