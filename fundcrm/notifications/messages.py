"""A notification in words, in the reader's language, and where it leads."""

from datetime import date

from flask import url_for
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from fundcrm.i18n import vocab_label
from fundcrm.models import (
    IcAgendaItem,
    IcAnswer,
    IcCondition,
    IcDecision,
    IcQuestion,
    OverrideRequest,
)

MESSAGES = {
    "on_agenda": _l(
        "%(deal_ref)s %(company)s is on the agenda of your IC meeting of %(date)s: its memo is "
        "ready to read."
    ),
    "question": _l("%(asker)s asked a question on the memo of %(deal_ref)s %(company)s."),
    "answer": _l("%(answerer)s answered your question on the memo of %(deal_ref)s %(company)s."),
    "vote_closed": _l("The IC's vote on %(deal_ref)s %(company)s is closed: %(outcome)s."),
    "vote_closed_recused": _l(
        "The IC's vote on %(deal_ref)s %(company)s is closed (you were recused on it)."
    ),
    "condition_due": _l(
        "A condition subsequent of %(deal_ref)s %(company)s is due on %(due_on)s: %(text)s"
    ),
    "override_requested": _l(
        "%(requester)s asks for an override of the mandate to move %(deal_ref)s %(company)s to "
        "%(stage)s."
    ),
    "override_performed": _l(
        "%(decider)s performed your request: %(deal_ref)s %(company)s moved to %(stage)s with "
        "the override (%(reason)s)."
    ),
    "override_declined": _l(
        "%(decider)s declined your request to move %(deal_ref)s %(company)s to %(stage)s: "
        "%(reason)s"
    ),
}
# the record each kind leads to: its model, and the page of a record of it


def _question(db, question_id: int) -> str | None:
    question = db.get(IcQuestion, question_id)
    if question is None:
        return None
    return url_for("ic.show_memo", memo_id=question.memo_id) + f"#question-{question.id}"


def _decision(_db, decision) -> str:
    if decision.item_id:
        return url_for("ic.show_item", item_id=decision.item_id)
    return url_for("deals.show", deal_id=decision.deal_id) + "#ic"


def _override_request(_db, request) -> str:
    """Risk's list while the request waits; once decided, the deal's page, which keeps it."""
    if request.status == "pending":
        return url_for("overrides.index") + f"#request-{request.id}"
    return url_for("deals.show", deal_id=request.deal_id) + "#override-requests"


SUBJECTS = {
    "ic_agenda_items": (IcAgendaItem, lambda _db, r: url_for("ic.show_item", item_id=r.id)),
    "ic_questions": (IcQuestion, lambda db, r: _question(db, r.id)),
    "ic_answers": (IcAnswer, lambda db, r: _question(db, r.question_id)),
    "ic_decisions": (IcDecision, _decision),
    "ic_conditions": (
        IcCondition,
        lambda _db, r: url_for("deals.show", deal_id=r.deal_id) + "#ic",
    ),
    "override_requests": (OverrideRequest, _override_request),
}


def message(notification) -> str:
    params = dict(notification.params)
    for key in ("date", "due_on"):
        if key in params:
            params[key] = format_date(date.fromisoformat(params[key]))
    if "outcome" in params:
        params["outcome"] = vocab_label("decision_outcome", params["outcome"])
    if "stage" in params:
        params["stage"] = vocab_label("stage", params["stage"])
    template = MESSAGES.get(notification.kind)
    if template is None:
        return notification.kind
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(template)


def target(db, notification) -> str | None:
    """The page the notification leads to, or None when its record is gone."""
    model, page = SUBJECTS.get(notification.subject_table, (None, None))
    record = db.get(model, notification.subject_id) if model is not None else None
    return page(db, record) if record is not None else None
