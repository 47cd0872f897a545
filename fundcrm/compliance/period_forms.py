"""The forms closing and reopening a period."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from fundcrm.forms import SafeForm


class CloseForm(SafeForm):
    closed_through = DateField(_l("Close the books through"), validators=[InputRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Close the period"))


class ReopenForm(SafeForm):
    reason = TextAreaField(_l("Reason for reopening"), validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Reopen the period"))
