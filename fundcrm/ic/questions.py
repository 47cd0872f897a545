"""Questions and answers on a memo (IC papers): IC members ask, the deal team answers; a
question is kept with the version it was asked on. The memo's team is told of a question,
the asker of an answer. Services flush; the view commits."""

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from fundcrm.errors import ServiceError
from fundcrm.models import IcAnswer, IcMemo, IcQuestion
from fundcrm.notifications import services as notifications

MAX_TEXT = 5_000


class QuestionError(ServiceError):
    pass


def _text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise QuestionError(_l("Write the text."), "text")
    if len(text) > MAX_TEXT:
        raise QuestionError(_l("At most 5,000 characters."), "text")
    return text


def ask(db: Session, memo: IcMemo, version_number: int | None, user, text: str) -> IcQuestion:
    version = next((v for v in memo.versions if v.number == version_number), None)
    if version is None:
        raise QuestionError(_l("Ask on one of this memo's versions."), "version")
    question = IcQuestion(memo_id=memo.id, version_id=version.id, asked_by_id=user.id,
                          text=_text(text))  # fmt: skip
    db.add(question)
    db.flush()
    team = notifications.deal_team(memo.deal) - {user.id}
    words = notifications.about(memo.deal, asker=user.name)
    notifications.notify(db, team, "question", question, words)
    return question


def answer(db: Session, question: IcQuestion, memo: IcMemo, user, text: str) -> IcAnswer:
    reply = IcAnswer(question_id=question.id, answered_by_id=user.id, text=_text(text))
    db.add(reply)
    db.flush()
    if question.asked_by_id != user.id:
        words = notifications.about(memo.deal, answerer=user.name)
        notifications.notify(db, [question.asked_by_id], "answer", reply, words)
    return reply
