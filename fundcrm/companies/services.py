"""Company rules: USCC identity, loose-name duplicates, stale edits, merging (flush only)."""

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Session, select

from fundcrm import clock
from fundcrm.domain import uscc
from fundcrm.errors import ServiceError
from fundcrm.models import (
    Activity,
    ActivityContact,
    Company,
    CompanyField,
    Contact,
    Deal,
    Document,
    User,
)
from fundcrm.permissions import user_can
from fundcrm.versioning import check_version, unless_changed_meanwhile


class CompanyError(ServiceError):
    """A refused company change; `existing` is the company already holding a USCC."""

    def __init__(self, message, field: str | None = None, existing: Company | None = None):
        super().__init__(message, field)
        self.existing = existing


class SimilarNames(ServiceError):
    """Companies whose names match loosely: shown to the user, who confirms to save anyway."""

    def __init__(self, candidates: list[Company]):
        super().__init__(_l("Companies with similar names exist: check them, then save again."))
        self.candidates = candidates

    def show_on(self, form) -> None:
        form.similar = self.candidates
        form.confirm_similar.data = "1"


COMPANY_FIELDS = (
    "name",
    "name_en",
    "district",
    "city",
    "zone",
    "founded_on",
    "headcount",
    "website",
    "focus_area",
    "enterprise_stage",
    "specialized_level",
    "description",
)


def check_uscc(
    db: Session,
    code: str,
    company_id: int | None = None,
    override_reason: str | None = None,
    user: User | None = None,
    accepted: str | None = None,
) -> str:
    """The normalised code, or CompanyError naming what is wrong (the check character too).

    `accepted` is a pilot-era code already accepted for this company: it stays accepted."""
    result = uscc.check(code)
    override_reason = (override_reason or "").strip()
    if not result.shape_ok:
        raise CompanyError(
            _l("A USCC has 18 characters: digits and the letters A–Y without I, O, S, V, Z."),
            "uscc",
        )
    may_override = bool(override_reason) and user_can(user, "accept_pilot_uscc")
    if not result.valid and result.code != accepted and not may_override:
        raise CompanyError(
            _l(
                "The check character (position 18) should be %(expected)s, not %(given)s. "
                "An early pilot-era code needs an override by risk or an administrator.",
                expected=result.expected,
                given=result.code[17],
            ),
            "uscc",
        )
    refuse_taken_uscc(db, result.code, company_id)
    return result.code


def refuse_taken_uscc(db: Session, code: str, company_id: int | None) -> None:
    existing = db.exec(
        select(Company).where(Company.uscc == code, Company.id != company_id)
    ).first()
    if existing:
        raise CompanyError(
            _l("A company with this USCC already exists: %(name)s.", name=existing.name),
            "uscc",
            existing=existing,
        )


def similar_companies(db: Session, name: str, company_id: int | None = None) -> list[Company]:
    query = select(Company).where(Company.name_key == uscc.name_key(name))
    if company_id:
        query = query.where(Company.id != company_id)
    return list(db.exec(query.order_by(Company.id).limit(10)).all())


def check_location(values: dict) -> None:
    """Zone and district agree; the founding date is not in the future."""
    if values.get("zone") == "outside" and values.get("district"):
        raise CompanyError(
            _l("A company outside Chongqing has no Chongqing district: clear one of them."),
            "district",
        )
    founded = values.get("founded_on")
    if founded and founded > clock.today():
        raise CompanyError(_l("The founding date is in the future."), "founded_on")


def save_company(
    db: Session,
    company: Company,
    values: dict,
    *,
    user: User | None,
    override_reason: str | None = None,
    confirmed_similar: bool = False,
    expected_version: int | None = None,
) -> Company:
    """Create or update a company; every check runs before anything is changed."""
    check_version(db, company, "companies", expected_version)
    accepted = company.uscc if company.uscc_override_reason else None
    code = check_uscc(db, values["uscc"], company.id, override_reason, user, accepted)
    name = values["name"].strip()
    check_location(values)
    if not confirmed_similar and (company.id is None or uscc.name_key(name) != company.name_key):
        candidates = similar_companies(db, name, company.id)
        if candidates:
            raise SimilarNames(candidates)
    company_id = company.id
    try:
        with unless_changed_meanwhile(db, company, "companies"):
            with db.no_autoflush:  # one flush, so the audit trail keeps the edit as one entry
                for key in COMPANY_FIELDS:
                    if key in values:
                        setattr(company, key, values[key])
                company.name, company.uscc, company.name_key = name, code, uscc.name_key(name)
                _keep_override(company, code, accepted, override_reason, user)
                if "application_fields" in values:
                    set_application_fields(company, values["application_fields"])
                if company_id is not None:
                    # every save is a new version, also one that changes only the fields
                    flag_modified(company, "name_key")
            db.add(company)
            db.flush()
    except IntegrityError:
        # the same USCC saved by someone else since check_uscc looked
        refuse_taken_uscc(db, code, company_id)
        raise
    return company


def _keep_override(company: Company, code: str, accepted, override_reason, user) -> None:
    """Who accepted a pilot-era code that fails the checksum, and why."""
    if code == accepted:
        return  # the pilot-era code keeps the reason and approver it was accepted with
    if not uscc.check(code).valid:
        company.uscc_override_reason = override_reason.strip()
        company.uscc_override_by = user.email
    else:
        company.uscc_override_reason = company.uscc_override_by = None


def set_application_fields(company: Company, codes: list[str]) -> None:
    wanted = list(dict.fromkeys(codes or []))
    for link in list(company.fields):
        if link.field not in wanted:
            company.fields.remove(link)
    have = {link.field for link in company.fields}
    company.fields.extend(CompanyField(field=code) for code in wanted if code not in have)


def merge_companies(db: Session, keep: Company, other: Company) -> Company:
    """Move the other company's deals, contacts and fields to `keep`, then delete it."""
    if keep.id == other.id:
        raise CompanyError(_l("Choose two different companies."), "other")
    for deal in db.exec(select(Deal).where(Deal.company_id == other.id)).all():
        deal.company_id = keep.id
    for model in (Contact, Activity, Document):
        for row in db.exec(select(model).where(model.company_id == other.id)).all():
            row.company_id = keep.id
    set_application_fields(
        keep, sorted(set(keep.application_fields) | set(other.application_fields))
    )
    for key in COMPANY_FIELDS:
        if getattr(keep, key) in (None, "") and getattr(other, key) not in (None, ""):
            setattr(keep, key, getattr(other, key))
    flag_modified(keep, "name_key")  # a new version: a form opened before the merge is stale
    db.flush()
    db.expire(other, ["contacts"])
    db.delete(other)
    db.flush()
    return keep


def save_contact(db: Session, contact: Contact, values: dict) -> Contact:
    for key, value in values.items():
        setattr(contact, key, value)
    db.add(contact)
    db.flush()
    return contact


def delete_contact(db: Session, contact: Contact) -> None:
    """Remove a contact who took part in no activity; history keeps those who did."""
    taken_part = db.exec(
        select(ActivityContact.activity_id).where(ActivityContact.contact_id == contact.id)
    ).first()
    if taken_part is not None:
        raise CompanyError(
            _l("This contact took part in logged activities and stays in their history."),
            "contact",
        )
    db.delete(contact)
    db.flush()
