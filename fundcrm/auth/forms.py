from flask_babel import lazy_gettext as _l
from wtforms import EmailField, IntegerField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length

from fundcrm.auth.tokens import MAX_NAME, MAX_TOKEN_DAYS
from fundcrm.forms import SafeForm


class LoginForm(SafeForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Sign in"))


class ChangePasswordForm(SafeForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
    )
    submit = SubmitField(_l("Change password"))


class TokenForm(SafeForm):
    """A new personal API token. Its rules (a name, 1 to MAX_TOKEN_DAYS days) are the token
    service's, shown under the field they concern."""

    name = StringField(
        _l("Token name"),
        render_kw={"maxlength": MAX_NAME, "placeholder": _l("e.g. monthly reporting script")},
    )
    expires_days = IntegerField(
        _l("Expires after (days)"),
        validators=[InputRequired(message=_l("Say after how many days the token expires."))],
        render_kw={"min": 1, "max": MAX_TOKEN_DAYS},
    )
    submit = SubmitField(_l("Create token"))
