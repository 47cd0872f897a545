"""The SELECTs of the JSON API's own reading (fundcrm.api): a page of deals with what a
deal's JSON shows in three statements whatever their number, the activity and decision lists,
the task list narrowed by deal and assignee. The lists' filters are the features' own
(deals.queries, workspace.queries); these only add what the API reads beyond a page."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select

from fundcrm.auth.queries import normalise_email
from fundcrm.models import (
    Activity,
    Company,
    Deal,
    DealMember,
    DealSubFund,
    IcAgendaItem,
    IcDecision,
    IcMeeting,
    IcMeetingMember,
    SubFund,
    Task,
    User,
)
from fundcrm.models.records import Row

DEAL_COLUMNS = (
    "id",
    "version",
    "deal_ref",
    "company_id",
    "round",
    "stage",
    "source",
    "ask_yuan",
    "pre_money_yuan",
    "proposed_total_yuan",
    "next_step",
    "next_step_due",
    "pass_reason",
    "notes",
    "created_on",
    "updated_at",
)


def deals_with_parts(db: Session, ids: list[int]) -> list[Row]:
    """The deals `ids`, in that order: their columns, `company_uscc`, `company_name`,
    `owner_email`, `shares` [(code, proposed_yuan)] and `team_emails`."""
    if not ids:
        return []
    columns = [getattr(Deal, c) for c in DEAL_COLUMNS]
    query = (
        select(*columns, Company.uscc, Company.name, User.email)
        .join(Company, Company.id == Deal.company_id)
        .join(User, User.id == Deal.owner_id)
        .where(Deal.id.in_(ids))
    )
    deals = {}
    for *values, company_uscc, company_name, owner_email in db.exec(query):
        deal = Row(zip(DEAL_COLUMNS, values, strict=True))
        deal.update(company_uscc=company_uscc, company_name=company_name, owner_email=owner_email)
        deal.update(shares=[], team_emails=[])
        deals[deal.id] = deal
    found = list(deals)
    shares = (
        select(DealSubFund.deal_id, SubFund.code, DealSubFund.proposed_yuan)
        .join(SubFund, SubFund.id == DealSubFund.sub_fund_id)
        .where(DealSubFund.deal_id.in_(found))
        .order_by(DealSubFund.id)
    )
    for deal_id, code, proposed in db.exec(shares):
        deals[deal_id].shares.append((code, proposed))
    team = (
        select(DealMember.deal_id, User.email)
        .join(User, User.id == DealMember.user_id)
        .where(DealMember.deal_id.in_(found))
        .order_by(User.email)
    )
    for deal_id, email in db.exec(team):
        deals[deal_id].team_emails.append(email)
    return [deals[i] for i in ids if i in deals]


def user_ids_by_email(db: Session, emails: list[str]) -> dict[str, int]:
    """The users of these emails (trimmed, lower-cased) → their ids; unknown ones left out."""
    wanted = {normalise_email(e) for e in emails}
    if not wanted:
        return {}
    return dict(db.exec(select(User.email, User.id).where(User.email.in_(wanted))).all())


def decision_list(member_id: int | None = None, deal_id: int | None = None):
    """(decision, its meeting or None, its deal's reference), latest decided first (ties by
    id: stable pages). `member_id`: only the decisions of meetings that member sits on, and
    the recorded ones (taken before the system, on no meeting), as the IC's pages show them."""
    query = (
        select(IcDecision, IcMeeting, Deal.deal_ref)
        .join(Deal, Deal.id == IcDecision.deal_id)
        .outerjoin(IcAgendaItem, IcAgendaItem.id == IcDecision.item_id)
        .outerjoin(IcMeeting, IcMeeting.id == IcAgendaItem.meeting_id)
    )
    if member_id is not None:
        sits = select(IcMeetingMember.meeting_id).where(IcMeetingMember.member_id == member_id)
        query = query.where(sa.or_(IcDecision.item_id.is_(None), IcMeeting.id.in_(sits)))
    if deal_id is not None:
        query = query.where(IcDecision.deal_id == deal_id)
    return query.order_by(IcDecision.decided_on.desc(), IcDecision.id.desc())


def activity_list(deal_id: int | None = None, company_id: int | None = None):
    """Activities, newest first (ties by id: stable pages), with what their record rules read."""
    query = select(Activity).options(selectinload(Activity.deal).selectinload(Deal.team))
    if deal_id is not None:
        query = query.where(Activity.deal_id == deal_id)
    if company_id is not None:
        query = query.where(Activity.company_id == company_id)
    return query.order_by(Activity.occurred_on.desc(), Activity.id.desc())


def narrowed_tasks(query, deal_id: int | None = None, assignee_id: int | None = None):
    """The tasks list's query (task_list) kept to one deal's or one assignee's tasks."""
    if deal_id is not None:
        query = query.where(Task.deal_id == deal_id)
    if assignee_id is not None:
        query = query.where(Task.assignee_id == assignee_id)
    return query
