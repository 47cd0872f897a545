"""What the industry map can show (its measures) and which of the list filters apply to each."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from fundcrm.domain.places import COUNT, DISTINCT, SUM
from fundcrm.listing import FILTER_LABELS

DEALS, PORTFOLIO = "deals", "portfolio"  # where a measure's figures come from


@dataclass(frozen=True)
class Measure:
    code: str
    label: object  # a lazy string
    source: str  # DEALS or PORTFOLIO
    money: bool  # an amount in yuan (shown in 万元), else a count
    ability: str  # what a user needs to see it (fundcrm.permissions; a tied LP viewer: see
    # RECORD_RULES["read_map"])

    @property
    def portfolio(self) -> bool:
        return self.source == PORTFOLIO


MEASURES = {
    m.code: m
    for m in (
        Measure("deals", _l("Deals"), DEALS, False, "read_pipeline"),
        Measure("proposed", _l("Proposed amount"), DEALS, True, "read_pipeline"),
        Measure("invested", _l("Invested cost"), PORTFOLIO, True, "read_portfolio"),
        Measure("fair_value", _l("Fair value"), PORTFOLIO, True, "read_portfolio"),
        Measure("companies", _l("Portfolio companies"), PORTFOLIO, False, "read_portfolio"),
    )
}
# the measures of a source, in the order its tally holds them, and how each adds up
SOURCE_MEASURES = {
    DEALS: (("deals", COUNT), ("proposed", SUM)),
    PORTFOLIO: (("invested", SUM), ("fair_value", SUM), ("companies", DISTINCT)),
}
DEFAULT_MEASURE = {DEALS: "deals", PORTFOLIO: "invested"}

# The deal list's filters the map takes (fundcrm.listing), and those that also apply to the
# portfolio's measures (a holding has no stage, round, source, owner or creation date of its
# own): the portfolio list's names for them.
DEAL_FILTERS = ("sub_fund", "stage", "focus_area", "enterprise_stage", "application_fields",
                "round", "source", "owner_email", "created_from", "created_to")  # fmt: skip
PORTFOLIO_FILTERS = {
    "sub_fund": "sub_fund",
    "focus_area": "focus_area",
    "enterprise_stage": "stage",
    "application_fields": "application_fields",
    "status": "status",
}
# a holding's status (fundcrm.domain.holding_rules), a filter of the portfolio's measures only
STATUSES = ("active", "exited", "written_off")
# what an LP's representative may narrow its portfolio by (never the pipeline's filters)
VIEWER_FILTERS = ("sub_fund", "focus_area", "enterprise_stage", "application_fields", "status")
# the names the map's notes give the filters
FILTER_NAMES = {
    **FILTER_LABELS,
    "sub_fund": _l("Sub-fund"),
    "owner_email": _l("Owner"),
    "status": _l("Status"),
    "as_of": _l("As of"),
}


def index_of(measure: Measure) -> int:
    """The measure's place in its source's tally."""
    return [code for code, _kind in SOURCE_MEASURES[measure.source]].index(measure.code)
