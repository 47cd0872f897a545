"""The administrators' lists: accounts and the audit trail (the one search over all of it)."""

from sqlmodel import Session, select

from fundcrm import clock
from fundcrm.models import AuditEntry, User


def users_list():
    """Every account, active ones first."""
    return select(User).order_by(User.active.desc(), User.email)


def audit_entries(table=None, row=None, actor=None, date_from=None, date_to=None):
    """The audit trail, newest first, narrowed by table, record, who and business dates."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if table:
        query = query.where(AuditEntry.table_name == table)
    if row:
        query = query.where(AuditEntry.row_id == row.strip())
    if actor:
        query = query.where(AuditEntry.actor_label == actor)
    start, end = clock.day_range(date_from, date_to)
    if start:
        query = query.where(AuditEntry.at >= start)
    if end:
        query = query.where(AuditEntry.at < end)
    return query


def no_audit_entries():
    """An empty page of the trail (the filters were refused)."""
    return select(AuditEntry).where(AuditEntry.id.is_(None))


def audited_tables(db: Session) -> list[str]:
    return list(db.exec(select(AuditEntry.table_name).distinct()).all())


def audit_actors(db: Session) -> list[tuple[str, str | None]]:
    """Who appears in the trail: each label (an email, cli, demo) with the user's name."""
    rows = db.exec(
        select(AuditEntry.actor_label, User.name)
        .outerjoin(User, User.email == AuditEntry.actor_label)
        .distinct()
        .order_by(AuditEntry.actor_label)
    ).all()
    return [(label, name) for label, name in rows]
