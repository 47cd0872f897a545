"""The list filters of the web lists, as API query parameters: each vocabulary filter takes
its codes (an enum in the description), the sort its keys; listing.parse_filters reads them as
the web lists do, so a list through the API is the list on the page."""

from typing import Annotated, Literal

from flask import request
from pydantic import Field

from fundcrm import db, listing
from fundcrm.api.errors import ApiError
from fundcrm.api.fields import Day, PageQuery, code_of, text

NO_DISTRICT = "none"


def codes_of(name: str, description: str = ""):
    """A repeatable filter parameter of the list's vocabulary filter `name`."""
    extra = (NO_DISTRICT,) if name == "district" else ()
    vocabulary = listing.VOCAB_FILTERS[name]
    codes = list[code_of(vocabulary, *extra)]
    return Annotated[codes, Field(default_factory=list, description=description)]


def sort_of(sorts: dict):
    """The sort keys a list takes (`-` first: descending), as an enum."""
    return Literal[tuple(sorts)] | None


class ListQuery(PageQuery):
    """The filters the company and deal lists share."""

    q: text(listing.MAX_SEARCH) | None = Field(
        default=None, description="Searched in names, USCC (any part), notes, activities."
    )
    city: text(listing.MAX_CITY) | None = None
    created_from: Day | None = None
    created_to: Day | None = None


def parsed_filters(sorts: dict, default_sort: str) -> listing.ListFilters:
    """The request's filters as the web list reads them; one that names nothing known (an
    owner, a sub-fund) is refused with 422 naming it."""
    filters = listing.parse_filters(request.args, db.session(), sorts, default_sort)
    if filters.errors:
        raise ApiError(422, " ".join(filters.errors), code="bad_filter")
    return filters
