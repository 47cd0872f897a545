"""The form asking for an annual report on /reports."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, SubmitField
from wtforms.validators import InputRequired, NumberRange

from fundcrm.forms import SafeForm


class ReportForm(SafeForm):
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(min=1900, max=9999)])
    sub_fund = SelectField(_l("Scope"), choices=[], validate_choice=False)
    language = SelectField(_l("Language"), choices=[("zh", "中文"), ("en", "English")])
    edition = SelectField(_l("Edition"), choices=[])
    lp = SelectField(_l("LP (for the LP edition)"), choices=[], default="")
    pdf = BooleanField(_l("PDF"), default=True)
    xlsx = BooleanField(_l("Excel workbook"), default=True)
    submit = SubmitField(_l("Generate"))

    def offer(self, funds, lps, staff: bool) -> None:
        """The scopes, editions and LPs this user may ask for."""
        self.sub_fund.choices = [
            ("", _l("The whole fund") if staff else _l("Every sub-fund of your LP")),
            *((f.code, f"{f.code} · {f.name}") for f in funds),
        ]
        self.edition.choices = (
            [("staff", _l("Staff edition")), ("lp", _l("LP edition"))]
            if staff
            else [("lp", _l("LP edition"))]
        )
        self.lp.choices = [("", "—"), *((str(lp.id), lp.name) for lp in lps)]
