from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    widgets,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from fundcrm.domain.vocab import ROLES
from fundcrm.forms import CheckedMultiField, SafeForm
from fundcrm.i18n import current_locale


class RoleField(CheckedMultiField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form):
        known = {code for code, _label in self.choices}
        unknown = [value for value in self.data or [] if value not in known]
        if unknown:
            raise ValidationError(_l("Unknown role: %(role)s", role=", ".join(unknown)))


def _role_choices():
    return ROLES.choices(current_locale())


def optional_id(value):
    """A select's record id: None for the blank choice."""
    if value is None or value == "":
        return None
    return int(value)


REPRESENTS = _l("Represents the LP (an account whose one role is viewer)")


def lp_choices(lps) -> list:
    """The choices of a user form's LP (DOMAIN.md section 2): none, or one of the LPs."""
    return [("", "—"), *((lp.id, lp.name) for lp in lps)]


class UserCreateForm(SafeForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    roles = RoleField(_l("Roles"))
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(max=200)])
    lp_id = SelectField(REPRESENTS, coerce=optional_id)
    submit = SubmitField(_l("Create user"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.roles.choices = _role_choices()


class UserEditForm(SafeForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    roles = RoleField(_l("Roles"))
    active = BooleanField(_l("Active (may sign in)"))
    password = PasswordField(
        _l("New password (leave empty to keep)"), validators=[Optional(), Length(max=200)]
    )
    lp_id = SelectField(REPRESENTS, coerce=optional_id)
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.roles.choices = _role_choices()


class AuditFilterForm(SafeForm):
    class Meta:
        csrf = False  # a GET search form: nothing changes

    table = SelectField(_l("Table"), validators=[Optional()])
    row = StringField(_l("Record ID"), validators=[Optional(), Length(max=64)])
    user = SelectField(_l("User"), validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
