"""A company's relocation (迁址, DOMAIN.md section 1): its registered location changes by a
record of from, to, the date it took effect and the evidence, kept once; the company's
district or city and its cluster zone become the destination's. A move from a city outside
Chongqing into one of its districts is also the company's `introduced` milestone (引进落户重庆),
titled 迁入<district> and dated the relocation's date. Refused, with a field message and nothing
written: a date in the future (the fund's clock), before the company was founded or before its
latest relocation; no destination, or the company's present location. Flush only."""

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from fundcrm import clock
from fundcrm.companies import queries
from fundcrm.domain import location
from fundcrm.errors import ServiceError
from fundcrm.models import Company, Milestone, Relocation, User


class RelocationError(ServiceError):
    pass


MESSAGES = {
    location.NO_DESTINATION: _l("Give the district it moves to or, outside Chongqing, the city."),
    location.BOTH_GIVEN: _l("Give a district or a city outside Chongqing, not both."),
    location.CITY_IN_CHONGQING: _l("A move within Chongqing names the district."),
    location.ZONE_MISMATCH: _l(
        "The cluster zone is 重庆市外 (outside Chongqing) exactly when the company moves to a "
        "city outside Chongqing."
    ),
    location.SAME_PLACE: _l("The company is registered there already."),
    location.FUTURE: _l("A relocation is dated today or earlier."),
    location.BEFORE_FOUNDED: _l("A relocation is dated on or after the company's founding date."),
}


def _message(problem: str, latest_on):
    if problem == location.BEFORE_LATEST:
        return _l(
            "A relocation is dated on or after the company's latest relocation (%(date)s).",
            date=latest_on.isoformat(),
        )
    return MESSAGES[problem]


def introduced_title(district: str) -> str:
    """The `introduced` milestone's title (the product's language: it is the company's
    record, whoever reads it)."""
    return f"迁入{district}"


def record_relocation(db: Session, company: Company, values: dict, user: User | None):
    """Record the relocation and move the company there; returns the relocation."""
    db.refresh(company, with_for_update=True)  # one relocation of a company at a time
    origin = location.Place.of(company.district, company.city)
    destination = location.Place.of(values.get("to_district"), values.get("to_city"))
    earlier = queries.relocations_of(db, company.id)
    latest_on = max((r.effective_on for r in earlier), default=None)
    proposed = location.Proposed(
        origin, destination, values.get("to_zone"), values["effective_on"], clock.today(),
        company.founded_on, latest_on,
    )  # fmt: skip
    if problem := location.refusal(proposed):
        raise RelocationError(_message(problem, latest_on), location.FIELDS[problem])
    relocation = Relocation(
        company_id=company.id,
        effective_on=values["effective_on"],
        from_district=origin.district,
        from_city=origin.city,
        to_district=destination.district,
        to_city=destination.city,
        evidence=values["evidence"].strip(),
        created_by_id=user.id if user else None,
    )
    db.add(relocation)
    company.district, company.city = destination.district, destination.city
    company.zone = values.get("to_zone")
    db.flush()
    if location.into_chongqing(origin, destination):
        db.add(
            Milestone(
                company_id=company.id,
                kind="introduced",
                title=introduced_title(destination.district),
                achieved_on=relocation.effective_on,
                evidence=relocation.evidence,
                relocation_id=relocation.id,
                created_by_id=relocation.created_by_id,
            )
        )
        db.flush()
    return relocation
