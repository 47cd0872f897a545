"""Helpers every feature's views share."""

from flask import abort, flash

from fundcrm import db


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
