"""Committed (in force), paid-in and unfunded as of a date: per LP, per sub-fund and in total
(DOMAIN.md sections 1 and 6). Read in a fixed number of statements and added up exactly; the
funds overview and a sub-fund's metrics page show these rows, and the metrics' committed
figure is the same sum of the same schedules (fundcrm.portfolio.figures)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from fundcrm.domain.commitments import Position, total
from fundcrm.funds import queries
from fundcrm.models import SubFund


@dataclass(frozen=True)
class LpPosition:
    lp_id: int
    lp_name: str
    since: date | None  # the commitment's start (None: no date known)
    position: Position


@dataclass(frozen=True)
class SubFundPosition:
    sub_fund: SubFund
    position: Position
    lps: list[LpPosition]


@dataclass(frozen=True)
class Positions:
    as_of: date
    sub_funds: list[SubFundPosition]
    total: Position

    def of(self, sub_fund_id: int) -> SubFundPosition:
        return next(p for p in self.sub_funds if p.sub_fund.id == sub_fund_id)


def positions(db: Session, as_of: date) -> Positions:
    """Each LP's commitment started by `as_of` (and any LP with calls by then), per sub-fund
    in order of start; each sub-fund's totals, and the fund's."""
    schedules = queries.commitment_schedules(db)
    paid = queries.paid_in_by_commitment(db, as_of)
    names = {lp.id: lp.name for lp in queries.lps(db)}
    started = {key for key, found in schedules.items() if found.started(as_of)}
    parts = []
    for fund in queries.sub_funds(db):
        rows = []
        for lp_id, fund_id in {*started, *paid}:
            if fund_id != fund.id:
                continue
            found = schedules.get((lp_id, fund_id))
            committed = found.on(as_of) if found else Decimal(0)
            position = Position(committed, paid.get((lp_id, fund_id), Decimal(0)))
            rows.append(LpPosition(lp_id, names.get(lp_id, ""), found and found.start, position))
        rows.sort(key=lambda row: (row.since or date.min, row.lp_id))
        parts.append(SubFundPosition(fund, total(r.position for r in rows), rows))
    return Positions(as_of, parts, total(p.position for p in parts))
