"""The register of IC members' conflicts of interest (回避, DOMAIN.md section 4): a member is
recused on every agenda item of a company they have a conflict with. One entry per member and
company (the database's unique key); services flush, the view commits."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from fundcrm import clock
from fundcrm.auth.queries import all_may
from fundcrm.db import refused_if_taken
from fundcrm.deals.queries import company_by_uscc
from fundcrm.domain import uscc
from fundcrm.errors import ServiceError
from fundcrm.models import IcConflict


class ConflictError(ServiceError):
    pass


def record_conflict(db: Session, values: dict, recorded_by) -> IcConflict:
    """values: member_id, company_uscc, reason, declared_on (None: today)."""
    if not all_may(db, [values["member_id"]], "sit_on_ic"):
        raise ConflictError(
            _l("Only an active IC member can have a conflict recorded."), "member_id"
        )
    company = company_by_uscc(db, uscc.normalise(values["company_uscc"] or ""))
    if company is None:
        raise ConflictError(_l("No company has this USCC."), "company_uscc")
    declared_on: date = values.get("declared_on") or clock.today()
    if declared_on > clock.today():
        raise ConflictError(_l("A conflict is declared on a past date or today."), "declared_on")
    conflict = IcConflict(
        member_id=values["member_id"],
        company_id=company.id,
        reason=values["reason"].strip(),
        declared_on=declared_on,
        recorded_by_id=recorded_by.id,
    )
    taken = ConflictError(
        _l("This member's conflict with this company is recorded already."), "company_uscc"
    )
    with refused_if_taken(db, taken):
        db.add(conflict)
        db.flush()
    return conflict
