"""Helpers every feature's views share."""

from collections.abc import Callable
from datetime import date

from flask import abort, flash, make_response, redirect, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from fundcrm import audit, clock, db
from fundcrm.errors import ExplainedBadRequest, ServiceError

MAX_ID = 2**31 - 1  # INTEGER primary keys on every database


class RecordIdConverter(IntegerConverter):
    """`<int:…>` in a route: a number beyond any id is a 404, never a database error."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def record_id(text: str) -> int:
    """A record id from a query parameter; ValueError (so `args.get(type=record_id)` gives
    None) for anything no record can have."""
    value = int(text)
    if not 0 < value <= MAX_ID:
        raise ValueError(text)
    return value


def as_of_date() -> date:
    """The date a page's figures are as of: `?as_of=YYYY-MM-DD`, else today (the fund's
    clock); anything else is a 400 that says how to write it."""
    text = request.args.get("as_of")
    if not text:
        return clock.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ExplainedBadRequest(_("Give the date as YYYY-MM-DD.")) from None


def submit(form, action: Callable, saved, to):
    """The one way a form is handled: validate → service → commit → flash → redirect.

    `action()` calls the service; `saved` and `to` are the flashed message and the address to
    go to, or functions of the action's result. Returns the redirect, or None when the form is
    to be shown again: with field errors, or with what a refusal put on it (`form.stale`,
    `form.similar`, see ServiceError.show_on).
    """
    form.stale, form.similar = None, []
    if not form.validate_on_submit():
        return None
    session = db.session()
    try:
        result = action()
    except ServiceError as refusal:
        session.rollback()
        refusal.show_on(form)
        return None
    session.commit()
    flash(saved(result) if callable(saved) else saved, "success")
    return redirect(to(result) if callable(to) else to)


def refused_and_audited(record, attempt: str, refusal: ServiceError) -> None:
    """Roll the refused change back, keep the attempt in the audit trail (audit.refusal), and
    tell the user why."""
    session = db.session()
    session.rollback()
    audit.refusal(session, record, attempt, refusal.message)
    session.commit()
    flash(str(refusal.message), "danger")


def posted(form, action: Callable, record, attempt: str, saved, to: str, refused_to=None):
    """A form posted from another page whose refusals the audit trail keeps: invalid fields are
    flashed; a service's refusal is rolled back, audited (refused_and_audited) and flashed;
    else commit and flash `saved`. Back to `to`, or when refused to `refused_to` if given (the
    refused record's place on a list)."""
    back = refused_to or to
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(back)
    try:
        action()
    except ServiceError as refusal:
        refused_and_audited(record, attempt, refusal)
        return redirect(back)
    db.session().commit()
    flash(saved, "success")
    return redirect(to)


def pdf_response(content: bytes, name: str):
    """A PDF paper shown in the browser (saved as `name`), never kept by a shared cache."""
    response = make_response(content)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def get_or_404(model, record_id):
    return db.session().get(model, record_id) or abort(404)


def flash_form_errors(form) -> None:
    """For forms posted from another page: each field's errors as a flashed message."""
    for field in form:
        for error in field.errors:
            flash(f"{field.label.text}: {error}", "danger")
