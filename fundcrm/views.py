"""Helpers every feature's views share."""

from flask import abort

from fundcrm import db


def apply_error(form, error) -> None:
    """Show a service's refusal on the form field it names (else above the submit button)."""
    field = getattr(form, getattr(error, "field", None) or "", None) or form.submit
    field.errors = [*field.errors, str(error.message)]


def get_or_404(model, record_id):
    return db.session().get(model, record_id) or abort(404)
