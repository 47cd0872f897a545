"""Who is told what (issue: IC papers): a memo placed on your meeting, a question on your
memo, an answer to your question, a vote closed with its outcome (a member recused on the
item is told it closed, not how), a condition subsequent coming due, a request to override a
mandate breach (risk and administrators) and its decision (the manager). One notification per
user, kind and record (the unique key), so a sweep that runs again tells no one twice.

Notifications are written in the same transaction as what they tell (services flush; the
view commits); the words are chosen when they are read, in the reader's language
(fundcrm.notifications.messages). Email goes out only when SMTP is configured, from the
periodic sweep, never in a request."""

import logging
import smtplib
from datetime import date, timedelta
from email.message import EmailMessage

from flask_babel import force_locale
from sqlmodel import Session

from fundcrm import clock
from fundcrm.auth.queries import users_who_can
from fundcrm.db import upsert
from fundcrm.models import Notification
from fundcrm.notifications import queries

log = logging.getLogger(__name__)
KINDS = (
    "on_agenda",
    "question",
    "answer",
    "vote_closed",
    "vote_closed_recused",
    "condition_due",
    "override_requested",
    "override_performed",
    "override_declined",
)
UNIQUE = ["user_id", "kind", "subject_table", "subject_id"]


def notify(db: Session, user_ids, kind: str, record, params: dict) -> None:
    """Tell each user (once) that `kind` happened to `record` (a table row)."""
    if kind not in KINDS:
        raise ValueError(kind)
    rows = [
        {
            "user_id": user_id,
            "kind": kind,
            "subject_table": record.__tablename__,
            "subject_id": record.id,
            "params": params,
            "created_at": clock.now(),
        }
        for user_id in sorted(set(user_ids))
    ]
    if rows:
        statement = upsert(db, Notification.__table__).values(rows)
        db.connection().execute(statement.on_conflict_do_nothing(index_elements=UNIQUE))


def deal_team(deal) -> set[int]:
    return {deal.owner_id, *(m.user_id for m in deal.team)}


def about(deal, **more) -> dict:
    """The words every notification about a deal says: its reference and company."""
    return {"deal_ref": deal.deal_ref, "company": deal.company.name, **more}


def on_agenda(db: Session, meeting, item, deal) -> None:
    """A memo placed on a meeting: its members are told."""
    words = about(deal, date=meeting.held_on.isoformat())
    notify(db, meeting.member_ids, "on_agenda", item, words)


def vote_closed(db: Session, decision, seat, deal) -> None:
    """The meeting's members, the deal team and the administrators are told the outcome; a
    member recused on the item only that the vote closed."""
    told = seat.member_ids | deal_team(deal) | {u.id for u in users_who_can(db, "manage_meetings")}
    words = about(deal, outcome=decision.outcome)
    notify(db, told - seat.recused_ids, "vote_closed", decision, words)
    notify(db, seat.recused_ids, "vote_closed_recused", decision, about(deal))


def override_requested(db: Session, request, deal, requester) -> None:
    """A manager asks for a mandate breach's override: every active user who may give one is
    told."""
    deciders = {u.id for u in users_who_can(db, "override_mandate")} - {requester.id}
    words = about(deal, requester=requester.name, stage=request.to_stage)
    notify(db, deciders, "override_requested", request, words)


def override_decided(db: Session, request, deal, decider) -> None:
    """The requester is told the request was performed or declined, by whom and why."""
    words = about(deal, decider=decider.name, stage=request.to_stage,
                  reason=(request.decision_reason or "")[:200])  # fmt: skip
    notify(db, [request.requested_by_id], f"override_{request.status}", request, words)


def notify_conditions_due(db: Session, today: date, days: int) -> int:
    """Each open condition subsequent due within `days` (or overdue): its deal's team, risk
    and the administrators are told once. How many conditions were found."""
    due = queries.conditions_due(db, today + timedelta(days=days))
    watchers = {
        u.id for a in ("confirm_conditions", "manage_meetings") for u in users_who_can(db, a)
    }
    for condition, deal in due:
        params = {
            "deal_ref": deal.deal_ref,
            "company": deal.company.name,
            "text": condition.text[:200],
            "due_on": condition.due_on.isoformat(),
        }
        notify(db, deal_team(deal) | watchers, "condition_due", condition, params)
    return len(due)


def send_emails(db: Session, settings: dict) -> int:
    """Email the notifications not emailed yet, when SMTP is configured; how many were sent."""
    if not settings.get("SMTP_HOST"):
        return 0
    from fundcrm.notifications.messages import message

    pending = queries.unsent(db, clock.now() - timedelta(days=2))
    if not pending:
        return 0
    sent = 0
    with _smtp(settings) as server:
        for notification, user in pending:
            with force_locale(user.locale or settings.get("BABEL_DEFAULT_LOCALE", "zh_Hans_CN")):
                text = message(notification)
            mail = EmailMessage()
            mail["From"], mail["To"] = settings["SMTP_FROM"], user.email
            mail["Subject"] = "FundCRM · " + " ".join(text.split())[:60]  # one line, always
            mail.set_content(text)
            try:
                server.send_message(mail)
            except (smtplib.SMTPException, OSError, ValueError):
                log.warning("notification %s: email to %s failed", notification.id, user.email)
                continue
            # kept at once: a later failure does not send this one again
            notification.emailed_at = clock.now()
            db.commit()
            sent += 1
    return sent


def _smtp(settings: dict) -> smtplib.SMTP:
    server = smtplib.SMTP(settings["SMTP_HOST"], int(settings.get("SMTP_PORT") or 25), timeout=10)
    if settings.get("SMTP_STARTTLS"):
        server.starttls()
    if settings.get("SMTP_USER"):
        server.login(settings["SMTP_USER"], settings.get("SMTP_PASSWORD") or "")
    return server


def sweep(db: Session, settings: dict) -> tuple[int, int]:
    """The periodic task: announce the conditions coming due, email what is unsent (when SMTP
    is configured). (conditions found, emails sent)."""
    found = notify_conditions_due(db, clock.today(), int(settings.get("NOTIFY_DUE_DAYS", 14)))
    db.commit()
    sent = send_emails(db, settings)
    db.commit()
    return found, sent


def mark_read(db: Session, notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = clock.now()
        db.flush()


def mark_all_read(db: Session, user_id: int) -> int:
    return queries.mark_all_read(db, user_id, clock.now())
