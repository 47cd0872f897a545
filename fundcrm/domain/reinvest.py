"""Whether a company lies in a government commitment's re-investment area (返投区域, DOMAIN.md
section 1): the whole city (`chongqing`) or a list of its districts."""

from fundcrm.domain.vocab import DISTRICTS

WHOLE_CITY = "chongqing"


def in_area(area: list[str], district: str | None, city: str | None) -> bool | None:
    """True or False; None when the company's location does not say (no district, and for the
    whole city no city either)."""
    if WHOLE_CITY in area:
        if district in DISTRICTS:
            return True
        if city:
            return city.strip().startswith("重庆")
        return None
    if district:
        return district in area
    return None
