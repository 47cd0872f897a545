"""The industry map's re-investment layer: one government commitment's area (its districts, or
the whole city) with what it has achieved against what it requires as of a date, and where the
achieved amount lies, district by district. The figures are the compliance checks' own
(fundcrm.compliance.checks), not a second reading of the rules: the sum over the districts is
the commitment's achieved amount on its compliance page."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from fundcrm.compliance import check_queries, checks, report
from fundcrm.domain import compliance as rules
from fundcrm.domain import places
from fundcrm.domain.reinvest import WHOLE_CITY
from fundcrm.domain.vocab import DISTRICTS
from fundcrm.models import SubFund


@dataclass
class Layer:
    commitment: object  # compliance.report.commitment_row: lp, required, achieved, status…
    fund: SubFund
    area: list[str]  # the district codes of the area (all 38 for the whole city)
    counted: dict[str, Decimal] = field(default_factory=dict)  # district → achieved there
    companies: dict[str, int] = field(default_factory=dict)  # district → companies counted
    elsewhere: Decimal = Decimal(0)  # counted in companies without a district

    @property
    def whole_city(self) -> bool:
        return WHOLE_CITY in self.commitment.area


def commitments(db: Session) -> list:
    """The government commitments with a re-investment requirement (the layer's choices)."""
    return check_queries.government_commitments(db)


def build(db: Session, commitment_id: int, as_of: date, settings: checks.Settings) -> Layer | None:
    """The layer of one government commitment as of a date; None if there is no such
    commitment."""
    row = next((c for c in commitments(db) if c.id == commitment_id), None)
    if row is None:
        return None
    fund = db.get(SubFund, row.sub_fund_id)
    stored = checks.report(db, fund, as_of, settings)
    at = next(i for i, c in enumerate(stored["commitments"]) if c["id"] == commitment_id)
    commitment = report.commitment_row(stored["commitments"][at])
    area = DISTRICTS.codes if WHOLE_CITY in commitment.area else list(commitment.area)
    layer = Layer(commitment, fund, [d for d in area if d in DISTRICTS])
    for company in stored["companies"]:
        status, counted, _multiplier, _since = company[checks.COMPANY_FIELDS.index("counts")][at]
        if status != rules.COUNTED:
            continue
        district, city = company[checks.COMPANY_FIELDS.index("place")]
        kind, key = places.bucket(district, city)
        if kind == places.DISTRICT:
            layer.counted[key] = layer.counted.get(key, Decimal(0)) + Decimal(counted)
            layer.companies[key] = layer.companies.get(key, 0) + 1
        else:
            layer.elsewhere += Decimal(counted)
    return layer
