from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, SubmitField

from fundcrm.forms import SafeForm
from fundcrm.imports.formats import KINDS
from fundcrm.permissions import may_import


class UploadForm(SafeForm):
    kind = SelectField(_l("The file holds"))
    file = FileField(
        _l("File (.csv or .xlsx)"), validators=[FileRequired(_l("Choose a file to import."))]
    )
    submit = SubmitField(_l("Check the file"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        recognise = ("", _l("Recognise it from the header row"))
        mine = [k for k in KINDS.values() if may_import(current_user, k.code)]
        self.kind.choices = [recognise, *((k.code, k.title) for k in mine)]


class ConfirmForm(SafeForm):
    submit = SubmitField(_l("Import these rows"))


class DiscardForm(SafeForm):
    submit = SubmitField(_l("Discard"))


class ExportJobForm(SafeForm):
    submit = SubmitField(_l("Export in the background"))
