"""What an IC member reads and the fund files: the memo and minutes PDFs, two versions of a
memo side by side, and the memo's questions and answers."""

from contextlib import contextmanager

from flask import flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from fundcrm import db
from fundcrm.domain.textdiff import side_by_side
from fundcrm.domain.vocab import MEMO_SECTIONS
from fundcrm.errors import ExplainedBadRequest, ExplainedNotFound
from fundcrm.i18n import current_locale
from fundcrm.ic import queries, questions
from fundcrm.ic.blueprint import bp
from fundcrm.ic.forms import AnswerForm, QuestionForm
from fundcrm.models import IcMeeting, IcMemo, IcMemoVersion, IcQuestion
from fundcrm.permissions import authorize, requires
from fundcrm.views import flash_form_errors, get_or_404, pdf_response, record_id

LANGUAGES = {"zh": "zh_Hans_CN", "en": "en"}


def _language() -> str:
    """The paper's language: ?lang=zh|en, else the reader's."""
    asked = request.args.get("lang")
    if asked is not None and asked not in LANGUAGES:
        raise ExplainedBadRequest(_("Choose zh or en."))
    return LANGUAGES.get(asked) or current_locale()


@contextmanager
def _printable():
    """The papers (fundcrm.ic.papers: reportlab and the CJK font load with the first paper a
    process makes, not with the app); one reportlab cannot lay out is a clear 400, never a 500."""
    from fundcrm.ic import papers
    from fundcrm.pdf import PaperTooLong

    try:
        yield papers
    except PaperTooLong:
        raise ExplainedBadRequest(
            _("A block of this paper is taller than a page and cannot be printed: shorten it.")
        ) from None


@bp.get("/ic/memos/<int:memo_id>/memo.pdf")
@requires("read_memos")
def memo_pdf(memo_id: int):
    memo = get_or_404(IcMemo, memo_id)
    number = request.args.get("version", type=int)
    version = next((v for v in memo.versions if v.number == number), None)
    if number is not None and version is None:
        raise ExplainedNotFound(_("This memo has no such version."))
    version = version or memo.versions[-1]
    with force_locale(_language()), _printable() as papers:
        content = papers.memo_pdf(db.session(), memo, version)
    return pdf_response(content, f"{memo.deal.deal_ref}-memo-v{version.number}.pdf")


@bp.get("/ic/meetings/<int:meeting_id>/minutes.pdf")
@requires("read_meetings")
def minutes_pdf(meeting_id: int):
    meeting = get_or_404(IcMeeting, meeting_id)
    authorize("read_meetings", queries.meeting_seat(meeting))
    with force_locale(_language()), _printable() as papers:
        content = papers.minutes_pdf(db.session(), meeting, current_user)
    return pdf_response(content, f"ic-minutes-{meeting.held_on.isoformat()}.pdf")


@bp.get("/ic/memos/<int:memo_id>/diff")
@requires("read_memos")
def diff(memo_id: int):
    memo = get_or_404(IcMemo, memo_id)
    old, new = (_version_of(memo, request.args.get(k, type=record_id)) for k in ("from", "to"))
    sections = [
        (term, side_by_side(old.sections.get(term.code, ""), new.sections.get(term.code, "")))
        for term in MEMO_SECTIONS.terms
    ]
    return render_template("ic/diff.html", memo=memo, old=old, new=new, sections=sections)


def _version_of(memo: IcMemo, version_id: int | None) -> IcMemoVersion:
    version = db.session().get(IcMemoVersion, version_id) if version_id else None
    if version is None:
        raise ExplainedNotFound(_("Choose two versions of this memo to compare."))
    if version.memo_id != memo.id:
        raise ExplainedBadRequest(_("Only two versions of one memo can be compared."))
    return version


@bp.post("/ic/memos/<int:memo_id>/questions")
@requires("ask_questions")
def ask(memo_id: int):
    memo = get_or_404(IcMemo, memo_id)
    form = QuestionForm()
    to = url_for("ic.show_memo", memo_id=memo.id) + "#qa"
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(to)
    try:
        question = questions.ask(
            db.session(), memo, form.version.data, current_user, form.text.data
        )
    except questions.QuestionError as refusal:
        db.session().rollback()
        flash(str(refusal.message), "danger")
        return redirect(to)
    db.session().commit()
    flash(_("Your question is sent to the deal team."), "success")
    return redirect(url_for("ic.show_memo", memo_id=memo.id) + f"#question-{question.id}")


@bp.post("/ic/questions/<int:question_id>/answers")
@requires("write_memos")
def answer(question_id: int):
    question = get_or_404(IcQuestion, question_id)
    memo = db.session().get(IcMemo, question.memo_id)
    authorize("write_memos", memo.deal)
    form = AnswerForm()
    to = url_for("ic.show_memo", memo_id=memo.id) + f"#question-{question.id}"
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(to)
    try:
        questions.answer(db.session(), question, memo, current_user, form.text.data)
    except questions.QuestionError as refusal:
        db.session().rollback()
        flash(str(refusal.message), "danger")
        return redirect(to)
    db.session().commit()
    flash(_("Your answer is sent."), "success")
    return redirect(to)
