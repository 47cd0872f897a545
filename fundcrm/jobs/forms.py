from flask_babel import lazy_gettext as _l
from wtforms import SubmitField

from fundcrm.forms import SafeForm


class RetryForm(SafeForm):
    submit = SubmitField(_l("Retry"))
