"""A portfolio company's milestones (DOMAIN.md sections 2 and 7): kind, title, date and
evidence — a text, one of the company's stored documents, or both (the file format has no
document column, so neither is required). Added from the holding page or imported, by the same
rules: the fund holds the company, the kind is one of the vocabulary, the title and the date
are given and the date is not after today (the fund's clock). A relocation makes the
company's `introduced` milestone itself (relocation_id). Services flush; the view commits."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from fundcrm import clock
from fundcrm.compliance import kpi_queries
from fundcrm.compliance.kpis import refuse_unless_held
from fundcrm.domain.vocab import MILESTONE_KINDS
from fundcrm.errors import ServiceError
from fundcrm.models import Milestone, User

TITLE_MAX, EVIDENCE_MAX = 200, 1000
NO_DATE = _l("Give the date the milestone was reached.")
FUTURE = _l("A milestone is dated today or earlier.")


class MilestoneError(ServiceError):
    pass


def problems(values: dict, today: date) -> list[tuple[str, object]]:
    """(field, message) of each rule the milestone breaks (its company aside)."""
    found = []
    if values.get("kind") not in MILESTONE_KINDS:
        found.append(("kind", _l("Choose one of the options.")))
    title = (values.get("title") or "").strip()
    if not title:
        found.append(("title", _l("Give the milestone's title.")))
    elif len(title) > TITLE_MAX:
        found.append(("title", _l("At most %(n)s characters.", n=TITLE_MAX)))
    on = values.get("achieved_on")
    if on is None:
        found.append(("achieved_on", NO_DATE))
    elif on > today:
        found.append(("achieved_on", FUTURE))
    if len(values.get("evidence") or "") > EVIDENCE_MAX:
        found.append(("evidence", _l("At most %(n)s characters.", n=EVIDENCE_MAX)))
    return found


def add_milestone(
    db: Session, company_id: int, values: dict, user: User | None, today: date | None = None
) -> Milestone:
    """Record a milestone of a company the fund holds; `document_id`, when given, is one of
    the company's stored documents (on the company or one of its deals)."""
    for field, message in problems(values, today or clock.today()):
        raise MilestoneError(message, field)
    refuse_unless_held(db, company_id)
    document_id = values.get("document_id")
    if document_id is not None and document_id not in {
        d.id for d in kpi_queries.company_documents(db, company_id)
    }:
        raise MilestoneError(_l("Choose one of the company's documents."), "document_id")
    milestone = new_milestone(company_id, values, user)
    db.add(milestone)
    db.flush()
    return milestone


def new_milestone(company_id: int, values: dict, user: User | None) -> Milestone:
    """A checked milestone as recorded (the form's and the import's one way to make it)."""
    return Milestone(
        company_id=company_id,
        kind=values["kind"],
        title=values["title"].strip(),
        achieved_on=values["achieved_on"],
        evidence=(values.get("evidence") or "").strip(),
        document_id=values.get("document_id"),
        created_by_id=user.id if user else None,
    )
