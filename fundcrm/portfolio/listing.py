"""The portfolio list (`/portfolio`): every holding's figures as of a date, filtered and sorted
like the deal list, a page at a time, with the total of the rows filtered.

The figures come from the metrics cache (fundcrm.portfolio.cache): computed once per as-of
date and version of the data from plain rows, then read in one statement; the total of a
filtered set (its pooled gross IRR needs every row's cash flows) is cached per set of
holdings. A repeat view costs a fixed number of statements whatever the portfolio's size."""

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property

from sqlmodel import Session

from fundcrm.domain import holding_rules as rules
from fundcrm.domain import metrics
from fundcrm.portfolio import cache, queries

MONEY = ("invested", "proceeds", "dividends", "fair_value")


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


@dataclass
class Row:
    """A holding of the list; its figures are read from the stored text only when shown (a
    page of 50 of 5,000 rows)."""

    id: int
    company: str
    sub_fund: str
    focus_area: str
    enterprise_stage: str
    zone: str | None
    stored: dict

    @property
    def status(self) -> str:
        return self.stored["status"]

    @cached_property
    def figures(self) -> Figures:
        return _read(self.stored)


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
    """holding id (text) → its stored figures and status, for the holdings open by as_of."""
    txns, marks = queries.ledgers(db)
    found = {}
    for holding_id, ledger in txns.items():
        if not any(t.on <= as_of for t in ledger):
            continue
        figures = metrics.holding(ledger, marks.get(holding_id, []), as_of)
        found[str(holding_id)] = {
            **_stored(figures, figures.first_flow),
            "status": rules.status(ledger),
        }
    return found


def rows(db: Session, as_of: date, filters: dict) -> list[Row]:
    """The holdings open by as_of matching the filters (sub_fund, focus_area, stage, zone,
    status: each a code, or absent)."""
    figures = cache.cached(db, as_of, "holdings", lambda: _every_holding(db, as_of))
    wanted = {
        "sub_fund": filters.get("sub_fund"),
        "focus_area": filters.get("focus_area"),
        "enterprise_stage": filters.get("stage"),
        "zone": filters.get("zone"),
        "status": filters.get("status"),
    }
    found = []
    for record in queries.holding_rows(db):
        stored = figures.get(str(record.id))
        if stored is None:
            continue
        row = Row(
            *(getattr(record, key) for key in ("id", "company", "sub_fund", "focus_area")),
            record.enterprise_stage,
            record.zone,
            stored,
        )
        if all(not value or getattr(row, key) == value for key, value in wanted.items()):
            found.append(row)
    return found


def _number(key: str, missing):
    """A sort key on a stored figure, parsed alone (None sorts as `missing`)."""
    return lambda r: missing if r.stored[key] is None else Decimal(str(r.stored[key]))


SORTS = {
    "company": lambda r: r.company,
    "sub_fund": lambda r: (r.sub_fund, r.company),
    "invested": _number("invested", Decimal(0)),
    "fair_value": _number("fair_value", Decimal(0)),
    "proceeds": _number("proceeds", Decimal(0)),
    "moic": _number("moic", Decimal(-1)),
    "irr": _number("gross_irr", Decimal(-9)),
}


def ordered(found: list[Row], sort: str) -> list[Row]:
    """By a column (`-` first: descending), then by the holding for a stable order."""
    key = SORTS.get(sort.lstrip("-"), SORTS["company"])
    by_id = sorted(found, key=lambda r: r.id)
    return sorted(by_id, key=key, reverse=sort.startswith("-"))


def total(db: Session, as_of: date, found: list[Row]) -> Figures:
    """The rows' total: sums, MOIC and the pooled gross IRR of their cash flows."""
    ids = sorted(r.id for r in found)
    scope = "total:" + hashlib.sha1(",".join(map(str, ids)).encode()).hexdigest()  # noqa: S324

    def compute() -> dict:
        txns, marks = queries.ledgers(db, ids)
        each = [metrics.holding(txns.get(i, []), marks.get(i, []), as_of) for i in ids]
        first = min((f.first_flow for f in each if f.first_flow), default=None)
        return _stored(metrics.fund(each, metrics.FundFlows(), as_of), first)

    return _read(cache.cached(db, as_of, scope, compute))
