"""The one family of refusals services raise: a message in the user's language and the form
field it belongs to (None: above the submit button)."""

from werkzeug.exceptions import BadRequest, NotFound


class ServiceError(ValueError):
    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field

    def show_on(self, form) -> None:
        """Put the refusal on the form: under the field it names, else above the submit button.
        Subclasses that carry more (a stale edit's changes, similar names) add it to the form."""
        field = getattr(form, self.field or "", None) or form.submit
        field.errors = [*field.errors, str(self.message)]


class ExplainedBadRequest(BadRequest):
    """A 400 whose page says why, in the user's language (the generic page says only that the
    request was not understood)."""


class ExplainedNotFound(NotFound):
    """A 404 whose page says what is missing."""
