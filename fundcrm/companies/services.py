"""Company rules, one function each, for the company form, the new-deal form's inline company
and the companies import alike: the USCC (checked_uscc), a USCC held by another company
(refuse_taken_uscc, uscc_taken), loose-name duplicates (similar_names, similar_message),
location (check_location; a held company moves by a relocation, refuse_direct_move) and what
a new company holds (new_company). Flush only."""

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Session

from fundcrm import clock
from fundcrm.companies import queries
from fundcrm.domain import uscc
from fundcrm.domain.location import Place, moved
from fundcrm.errors import ServiceError
from fundcrm.models import (
    Activity,
    Company,
    CompanyField,
    Contact,
    Deal,
    Document,
    Holding,
    IcConflict,
    User,
    utcnow,
)
from fundcrm.permissions import user_can
from fundcrm.versioning import check_version, unless_changed_meanwhile


class CompanyError(ServiceError):
    """A refused company change; `existing` is the company already holding a USCC."""

    def __init__(self, message, field: str | None = None, existing: Company | None = None):
        super().__init__(message, field)
        self.existing = existing

    def show_on(self, form) -> None:
        super().show_on(form)
        form.existing = self.existing  # the form links to it


class SimilarNames(ServiceError):
    """Companies whose names match loosely: shown to the user, who confirms to save anyway."""

    def __init__(self, candidates: list):
        super().__init__(similar_message(candidates))
        self.candidates = candidates

    def show_on(self, form) -> None:
        super().show_on(form)
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


def checked_uscc(
    code: str,
    *,
    user: User | None = None,
    override_reason: str | None = None,
    accepted=(),
) -> str:
    """The USCC rule of DOMAIN.md section 5: the normalised code, or CompanyError naming what
    is wrong (the expected check character too).

    A pilot-era code failing the checksum passes only when it is in `accepted` (already
    accepted for the company) or a user who may `accept_pilot_uscc` gives a reason; an import
    has neither, so it refuses such codes with the same message."""
    result = uscc.check(code)
    if not result.shape_ok:
        raise CompanyError(
            _l("A USCC has 18 characters: digits and the letters A–Y without I, O, S, V, Z."),
            "uscc",
        )
    may_override = bool((override_reason or "").strip()) and user_can(user, "accept_pilot_uscc")
    if not result.valid and result.code not in accepted and not may_override:
        raise CompanyError(
            _l(
                "The check character (position 18) should be %(expected)s, not %(given)s. "
                "An early pilot-era code is accepted only in the company form, with an "
                "override reason from risk or an administrator.",
                expected=result.expected,
                given=result.code[17],
            ),
            "uscc",
        )
    return result.code


def uscc_taken(name: str, existing: Company | None = None) -> CompanyError:
    """The refusal of a second company with a USCC that `name` already holds."""
    return CompanyError(
        _l("A company with this USCC already exists: %(name)s.", name=name),
        "uscc",
        existing=existing,
    )


def refuse_taken_uscc(db: Session, code: str, company_id: int | None) -> None:
    if existing := queries.by_uscc(db, code, other_than=company_id):
        raise uscc_taken(existing.name, existing)


SIMILAR_CHUNK = 2000  # name keys per query


def similar_names(db: Session, names, other_than: int | None = None) -> dict[str, list]:
    """Name key → the companies (id, uscc, name) whose names match loosely (DOMAIN.md
    section 5), for one name or a whole file of them."""
    keys = list(dict.fromkeys(uscc.name_key(n) for n in names))
    found: dict[str, list] = {}
    for start in range(0, len(keys), SIMILAR_CHUNK):
        found.update(queries.similar_by_key(db, keys[start : start + SIMILAR_CHUNK], other_than))
    return found


def similar_message(candidates) -> str:
    """What the form and the import say about loosely matching names."""
    return _l(
        "The name is close to that of %(names)s, a company with another USCC: check that it "
        "is not the same company.",
        names="、".join(f"{c.name}（{c.uscc}）" for c in candidates),
    )


def refuse_similar(db: Session, name: str, company_id: int | None = None) -> None:
    """SimilarNames unless no other company's name matches loosely."""
    if candidates := similar_companies(db, name, company_id):
        raise SimilarNames(candidates)


def similar_companies(db: Session, name: str, company_id: int | None = None) -> list:
    return similar_names(db, [name], company_id).get(uscc.name_key(name), [])


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


MOVE_BY_RELOCATION = _l(
    "A sub-fund holds this company: its registered location changes only by a relocation "
    "(Record relocation on the company's page), dated for the re-investment rules."
)


def refuse_direct_move(db: Session, company: Company, values: dict) -> None:
    """A held company's district or city changes by a relocation, never by an edit (an edit of
    a company no sub-fund holds is a correction)."""
    wanted = Place.of(values.get("district"), values.get("city"))
    if moved(Place.of(company.district, company.city), wanted) and queries.is_held(db, company.id):
        raise CompanyError(MOVE_BY_RELOCATION, "district")


def new_company(code: str, values: dict, *, override_reason=None, approver=None, now=None):
    """Every column of a new company with a checked USCC, as the form and the import create it
    (the import inserts these in bulk, the form through the ORM)."""
    name = values["name"].strip()
    pilot = not uscc.check(code).valid
    return {
        **{k: values.get(k) for k in COMPANY_FIELDS},
        "name": name,
        "name_key": uscc.name_key(name),
        "uscc": code,
        "uscc_override_reason": (override_reason or "").strip() or None if pilot else None,
        "uscc_override_by": approver if pilot else None,
        "first_field": first_field(values.get("application_fields")),
        "created_at": now or utcnow(),
        "version": 1,
    }


def apply_values(company: Company, values: dict) -> None:
    """An update as the form and the import make it: the given fields and the name key."""
    for key in COMPANY_FIELDS:
        if key in values:
            setattr(company, key, values[key])
    company.name = company.name.strip()
    company.name_key = uscc.name_key(company.name)
    if "application_fields" in values:
        set_application_fields(company, values["application_fields"])


def create_company(
    db: Session,
    values: dict,
    *,
    user: User | None,
    override_reason: str | None = None,
    confirmed_similar: bool = False,
) -> Company:
    """A new company from the company form or the new-deal form, after every rule."""
    code = checked_uscc(values["uscc"], user=user, override_reason=override_reason)
    refuse_taken_uscc(db, code, None)
    check_location(values)
    if not confirmed_similar:
        refuse_similar(db, values["name"])
    approver = user.email if user else None
    columns = new_company(code, values, override_reason=override_reason, approver=approver)
    del columns["version"]  # the mapper numbers versions itself
    company = Company(**columns)
    set_application_fields(company, values.get("application_fields") or [])
    try:
        with db.begin_nested():
            db.add(company)
            db.flush()
    except IntegrityError:
        # the same USCC saved by someone else since refuse_taken_uscc looked
        refuse_taken_uscc(db, code, None)
        raise
    return company


def update_company(
    db: Session,
    company: Company,
    values: dict,
    *,
    user: User | None,
    override_reason: str | None = None,
    confirmed_similar: bool = False,
    expected_version: int | None = None,
) -> Company:
    """Save an edit; every check runs before anything is changed."""
    check_version(db, company, "companies", expected_version)
    accepted = (company.uscc,) if company.uscc_override_reason else ()
    code = checked_uscc(
        values["uscc"], user=user, override_reason=override_reason, accepted=accepted
    )
    refuse_taken_uscc(db, code, company.id)
    check_location(values)
    refuse_direct_move(db, company, values)
    if not confirmed_similar and uscc.name_key(values["name"]) != company.name_key:
        refuse_similar(db, values["name"], company.id)
    company_id = company.id
    try:
        with unless_changed_meanwhile(db, company, "companies"):
            with db.no_autoflush:  # one flush, so the audit trail keeps the edit as one entry
                apply_values(company, values)
                company.uscc = code
                _keep_override(company, code, accepted, override_reason, user)
                # every save is a new version, also one that changes only the fields
                flag_modified(company, "name_key")
            db.flush()
    except IntegrityError:
        refuse_taken_uscc(db, code, company_id)
        raise
    return company


def save_company(db: Session, company: Company, values: dict, **options) -> Company:
    """Create (a company without an id) or update; see create_company and update_company."""
    if company.id is None:
        options.pop("expected_version", None)
        return create_company(db, values, **options)
    return update_company(db, company, values, **options)


def _keep_override(company: Company, code: str, accepted, override_reason, user) -> None:
    """Who accepted a pilot-era code that fails the checksum, and why."""
    if code in accepted:
        return  # the pilot-era code keeps the reason and approver it was accepted with
    if not uscc.check(code).valid:
        company.uscc_override_reason = override_reason.strip()
        company.uscc_override_by = user.email
    else:
        company.uscc_override_reason = company.uscc_override_by = None


def first_field(codes) -> str | None:
    """The application field the company list shows first and sorts by (the codes' order, as
    Company.application_fields lists them); None without any."""
    return min(codes or (), default=None)


def set_application_fields(company: Company, codes: list[str]) -> None:
    """The company's fields become `codes`, and its stored first field with them."""
    wanted = list(dict.fromkeys(codes or []))
    company.first_field = first_field(wanted)
    for link in list(company.fields):
        if link.field not in wanted:
            company.fields.remove(link)
    have = {link.field for link in company.fields}
    company.fields.extend(CompanyField(field=code) for code in wanted if code not in have)


def merge_companies(db: Session, keep: Company, other: Company) -> Company:
    """Move the other company's deals, contacts and fields to `keep`, then delete it."""
    if keep.id == other.id:
        raise CompanyError(_l("Choose two different companies."), "other")
    held = {h.sub_fund_id for h in queries.rows_of(db, Holding, keep.id)}
    if any(h.sub_fund_id in held for h in queries.rows_of(db, Holding, other.id)):
        raise CompanyError(
            _l("Both companies are held by the same sub-fund: their holdings cannot be merged."),
            "other",
        )
    for model in (Deal, Contact, Activity, Document, Holding):
        for row in queries.rows_of(db, model, other.id):
            row.company_id = keep.id
    # a member's conflict stays with the merged company (recusal must not lapse); one per
    # member and company, so a conflict `keep` already has is kept as it is
    declared = {c.member_id for c in queries.rows_of(db, IcConflict, keep.id)}
    for conflict in queries.rows_of(db, IcConflict, other.id):
        if conflict.member_id in declared:
            db.delete(conflict)
        else:
            conflict.company_id = keep.id
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


def merge_by_uscc(db: Session, keep: Company, other_uscc: str, confirmed: bool) -> str:
    """Merge the company holding `other_uscc` into `keep`; the merged company's name."""
    other = queries.by_uscc(db, uscc.normalise(other_uscc))
    if other is None:
        raise CompanyError(_l("No company has this USCC."), "other_uscc")
    if not confirmed:
        raise CompanyError(_l("Tick the box to confirm the merge."), "confirm")
    name = other.name
    merge_companies(db, keep, other)
    return name


def save_contact(db: Session, contact: Contact, values: dict) -> Contact:
    for key, value in values.items():
        setattr(contact, key, value)
    db.add(contact)
    db.flush()
    return contact


def delete_contact(db: Session, contact: Contact) -> None:
    """Remove a contact who took part in no activity; history keeps those who did."""
    if queries.contact_took_part(db, contact):
        raise CompanyError(
            _l("This contact took part in logged activities and stays in their history."),
            "contact",
        )
    db.delete(contact)
    db.flush()
