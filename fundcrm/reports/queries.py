"""The SELECTs of the annual report's own sections and of /reports (the figures come from the
metrics, capital and compliance modules, which read their own)."""

from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

from fundcrm.models import (
    CompanyField,
    IssuedReport,
    Job,
    LimitedPartner,
    PortfolioTransaction,
    User,
)
from fundcrm.portfolio.queries import chunks


def latest_rounds(db: Session, holding_ids, as_of: date) -> dict[int, str]:
    """Each holding's round of its latest investment dated on or before `as_of` that names one."""
    txn = PortfolioTransaction.__table__
    query = (
        sa.select(txn.c.holding_id, txn.c.round)
        .where(txn.c.kind == "investment", txn.c.round.is_not(None), txn.c.made_on <= as_of)
        .order_by(txn.c.made_on, txn.c.id)
    )
    found: dict[int, str] = {}
    for chunk in chunks(holding_ids):
        for holding_id, round_ in db.connection().execute(query.where(txn.c.holding_id.in_(chunk))):
            found[holding_id] = round_
    return found


def application_fields(db: Session, company_ids) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    table = CompanyField.__table__
    for chunk in chunks(company_ids):
        query = sa.select(table.c.company_id, table.c.field).where(table.c.company_id.in_(chunk))
        for company_id, code in db.connection().execute(query.order_by(table.c.field)):
            found.setdefault(company_id, []).append(code)
    return found


def issued_reports(db: Session, lp_id: int | None = None, limit: int = 50) -> list:
    """The issued reports, newest first, with who issued each and the LP of an LP edition; an
    LP's editions only when `lp_id` is given."""
    query = (
        select(IssuedReport, User.name, LimitedPartner.name)
        .outerjoin(User, User.id == IssuedReport.issued_by_id)
        .outerjoin(LimitedPartner, LimitedPartner.id == IssuedReport.lp_id)
    )
    if lp_id is not None:
        query = query.where(IssuedReport.edition == "lp", IssuedReport.lp_id == lp_id)
    return list(db.exec(query.order_by(IssuedReport.id.desc()).limit(limit)).all())


def report_jobs(db: Session, user, kind: str, limit: int = 10) -> list:
    """The user's latest report jobs, newest first."""
    query = select(Job).where(Job.user_id == user.id, Job.kind == kind)
    return list(db.exec(query.order_by(Job.id.desc()).limit(limit)).all())
