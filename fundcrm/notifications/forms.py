from flask_babel import lazy_gettext as _l
from wtforms import SubmitField

from fundcrm.forms import SafeForm


class OpenForm(SafeForm):
    submit = SubmitField(_l("View"))
