"""Whether a company lies in a government commitment's re-investment area (返投区域, DOMAIN.md
section 1): the whole city (`chongqing`) or a list of its districts."""

from fundcrm.domain.vocab import DISTRICTS

WHOLE_CITY = "chongqing"


def in_area(area: list[str], district: str | None, city: str | None) -> bool | None:
    """True or False; None when the company's location does not say (no district, and no city
    or, for a list of districts, a city in Chongqing)."""
    in_chongqing = city.strip().startswith("重庆") if city else None
    if WHOLE_CITY in area:
        return True if district in DISTRICTS else in_chongqing
    if district:
        return district in area
    return False if in_chongqing is False else None  # another city: outside every district
