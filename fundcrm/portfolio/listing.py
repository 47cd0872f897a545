"""The portfolio list (`/portfolio`): every holding's figures as of a date, filtered and sorted
like the deal list, a page at a time, with the total of the rows filtered.

Every holding's row — what the list filters and sorts on (company, sub-fund, focus area,
enterprise stage, zone, status) and its figures — comes from the metrics cache
(fundcrm.portfolio.cache) in one statement: computed once per as-of date and version of the
data from plain rows (companies and sub-funds raise the version too, so a rename is never
shown stale). Figures are parsed only for the page shown. The total of a filtered set (its
pooled gross IRR needs every row's cash flows) is cached per set of holdings. A repeat view
costs a fixed number of statements whatever the portfolio's size."""

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property

from sqlmodel import Session

from fundcrm.domain import holding_rules as rules
from fundcrm.domain import metrics, places
from fundcrm.portfolio import cache, queries

# the cache's scope names the layout of FIELDS: a release that changes it never reads a result
# an older release stored
SCOPE = "holdings-v3"
READ = "portfolio_ledgers"  # session.info: every holding's transactions and marks, once read
# a cached row: what the list shows and asks of a holding, in this order
FIELDS = ("id", "company", "sub_fund", "focus_area", "enterprise_stage", "zone", "status",
          "company_id", "district", "city", "fields", "invested", "proceeds", "dividends",
          "fair_value", "moic", "gross_irr", "first_flow",
          "mark_needed")  # fmt: skip
AT = {name: index for index, name in enumerate(FIELDS)}
MONEY = ("invested", "proceeds", "dividends", "fair_value")
FIGURES = (*MONEY, "moic", "gross_irr", "first_flow", "mark_needed")


@dataclass(frozen=True)
class Figures:
    """A holding's (or a set's) figures as the list shows them."""

    invested: Decimal
    proceeds: Decimal
    dividends: Decimal
    fair_value: Decimal
    moic: Decimal | None
    gross_irr: float | None
    first_flow: date | None
    mark_needed: bool = False


class Row:
    """A holding of the list, over its cached row; its figures are parsed when shown."""

    def __init__(self, stored: list):
        self.stored = stored

    def __getattr__(self, name: str):
        if name in AT:
            return self.stored[AT[name]]
        raise AttributeError(name)

    @cached_property
    def figures(self) -> Figures:
        return _read(dict(zip(FIELDS, self.stored, strict=True)))


def _stored(figures: metrics.HoldingFigures | metrics.FundFigures, first_flow) -> dict:
    return {
        **{key: str(getattr(figures, key)) for key in MONEY},
        "moic": None if figures.moic is None else str(figures.moic),
        "gross_irr": figures.gross_irr,
        "first_flow": first_flow.isoformat() if first_flow else None,
        "mark_needed": getattr(figures, "mark_needed", False),
    }


def _read(stored: dict) -> Figures:
    return Figures(
        *(Decimal(stored[key]) for key in MONEY),
        moic=None if stored["moic"] is None else Decimal(stored["moic"]),
        gross_irr=stored["gross_irr"],
        first_flow=date.fromisoformat(stored["first_flow"]) if stored["first_flow"] else None,
        mark_needed=stored["mark_needed"],
    )


def _every_holding(db: Session, as_of: date) -> dict:
    """The rows of the holdings open by as_of (FIELDS), in the holdings' order."""
    txns, marks = queries.ledgers(db)
    db.info[READ] = (txns, marks)  # the total of this view needs them too: read once
    fields = queries.held_company_fields(db)
    found = []
    for h in queries.holding_rows(db):
        ledger = txns.get(h.id, [])
        if h.opened_on > as_of or not any(t.on <= as_of for t in ledger):
            continue
        held = metrics.holding(ledger, marks.get(h.id, []), as_of)
        figures = _stored(held, held.first_flow)
        described = (h.id, h.company, h.sub_fund, h.focus_area, h.enterprise_stage, h.zone,
                     rules.status(ledger), h.company_id, h.district, h.city,
                     fields.get(h.company_id, []))  # fmt: skip
        found.append([*described, *(figures[key] for key in FIGURES)])
    return {"rows": found}


# the list's filters (query parameters) → the row's field each is checked against
ROW_FILTERS = {"sub_fund": "sub_fund", "focus_area": "focus_area", "stage": "enterprise_stage",
               "zone": "zone", "status": "status"}  # fmt: skip


# the filters besides the sub-fund (an LP's portfolio page narrows its sub-fund's list by them)
NARROWING = ("focus_area", "stage", "zone", "status", "application_fields", "district", "city")


def asked(filters, name: str) -> set[str]:
    """The codes a filter asks for: `filters` is the request's arguments (any number of each)
    or a dict of a code or a list of codes."""
    values = filters.getlist(name) if hasattr(filters, "getlist") else filters.get(name)
    values = [values] if isinstance(values, str) else (values or [])
    return {v for v in values if v}


def _place_check(districts: set[str], city: str | None):
    """Whether a row's company is registered in one of `districts` (`none`: no district, as
    fundcrm.domain.places counts it) or, without a district, in `city`."""
    at_district, at_city = AT["district"], AT["city"]

    def check(r) -> bool:
        kind, key = places.bucket(r[at_district], r[at_city])
        if districts and not (key in districts or (kind == places.NONE and places.NO_DISTRICT
                                                      in districts)):  # fmt: skip
            return False
        return not city or (kind == places.CITY and key == city)

    return check


def rows(db: Session, as_of: date, filters) -> list[Row]:
    """The holdings open by as_of matching the filters (ROW_FILTERS, application_fields,
    district and city; each absent, a code or several)."""
    stored = cache.cached(db, as_of, SCOPE, lambda: _every_holding(db, as_of))["rows"]
    checks = []
    for name, key in ROW_FILTERS.items():
        if codes := asked(filters, name):
            checks.append(lambda r, at=AT[key], codes=codes: r[at] in codes)
    if codes := asked(filters, "application_fields"):
        checks.append(lambda r, at=AT["fields"], codes=codes: not codes.isdisjoint(r[at]))
    districts, city = asked(filters, "district"), next(iter(asked(filters, "city")), None)
    if districts or city:
        checks.append(_place_check(districts, city))
    return [Row(r) for r in stored if all(check(r) for check in checks)]


def _number(key: str, missing):
    """A sort key on a stored figure, parsed alone (None sorts as `missing`)."""
    at = AT[key]
    return lambda r: missing if r.stored[at] is None else Decimal(str(r.stored[at]))


SORTS = {
    "company": lambda r: r.stored[AT["company"]],
    "sub_fund": lambda r: (r.stored[AT["sub_fund"]], r.stored[AT["company"]]),
    "invested": _number("invested", Decimal(0)),
    "fair_value": _number("fair_value", Decimal(0)),
    "proceeds": _number("proceeds", Decimal(0)),
    "moic": _number("moic", Decimal(-1)),
    "irr": _number("gross_irr", Decimal(-9)),
}


def ordered(found: list[Row], sort: str) -> list[Row]:
    """By a column (`-` first: descending), then by the holding for a stable order (the rows
    come in the holdings' order)."""
    key = SORTS.get(sort.lstrip("-"), SORTS["company"])
    return sorted(found, key=key, reverse=sort.startswith("-"))


def total(db: Session, as_of: date, found: list[Row]) -> Figures:
    """The rows' total: sums, MOIC and the pooled gross IRR of their cash flows."""
    ids = sorted(r.stored[0] for r in found)
    scope = "total:" + hashlib.sha1(",".join(map(str, ids)).encode()).hexdigest()  # noqa: S324

    def compute() -> dict:
        txns, marks = db.info.get(READ) or queries.ledgers(db, ids)
        each = [metrics.holding(txns.get(i, []), marks.get(i, []), as_of) for i in ids]
        first = min((f.first_flow for f in each if f.first_flow), default=None)
        return _stored(metrics.fund(each, metrics.FundFlows(), as_of), first)

    return _read(cache.cached(db, as_of, scope, compute))
