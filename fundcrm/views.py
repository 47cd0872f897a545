"""Helpers every feature's views share."""

from flask import abort, flash
from werkzeug.routing import IntegerConverter

from fundcrm import db

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


def apply_error(form, error) -> None:
    """Show a service's refusal on the form field it names (else above the submit button)."""
    field = getattr(form, getattr(error, "field", None) or "", None) or form.submit
    field.errors = [*field.errors, str(error.message)]


def get_or_404(model, record_id):
    return db.session().get(model, record_id) or abort(404)


def flash_form_errors(form) -> None:
    """For forms posted from another page: each field's errors as a flashed message."""
    for field in form:
        for error in field.errors:
            flash(f"{field.label.text}: {error}", "danger")
