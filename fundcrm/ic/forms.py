from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from fundcrm.domain.vocab import MEMO_SECTIONS
from fundcrm.forms import SafeForm, WanField


class StartMemoForm(SafeForm):
    submit = SubmitField(_l("Write the IC memo"))


class SubmitMemoForm(SafeForm):
    seen = IntegerField(validators=[InputRequired()])
    submit = SubmitField(_l("Submit to the IC"))


class MemoForm(SafeForm):
    """The ten sections (Markdown) and, added per memo, one amount per participating
    sub-fund (proposed_<sub-fund id>). `seen`: the version the edit started from."""

    seen = HiddenField()
    submit = SubmitField(_l("Save a new version"))

    def amounts(self) -> dict:
        return {
            name.removeprefix("proposed_"): field.data
            for name, field in self._fields.items()
            if name.startswith("proposed_")
        }

    def sections(self) -> dict:
        return {code: self[code].data or "" for code in MEMO_SECTIONS.codes}


def memo_form(participations, locale: str, *args, **kwargs) -> MemoForm:
    fields = {
        code: TextAreaField(MEMO_SECTIONS[code].label(locale)) for code in MEMO_SECTIONS.codes
    }
    for part in participations:
        label = _l("Proposed by %(fund)s (万元)", fund=part.sub_fund.name)
        fields[f"proposed_{part.sub_fund_id}"] = WanField(label, validators=[InputRequired()])
    return type("MemoFormOfDeal", (MemoForm,), fields)(*args, **kwargs)


class ConflictForm(SafeForm):
    member_id = SelectField(_l("IC member"), coerce=int)
    company_uscc = StringField(_l("Company USCC"), validators=[DataRequired(), Length(max=40)])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=1000)])
    declared_on = DateField(_l("Declared on"), validators=[Optional()])
    submit = SubmitField(_l("Record the conflict"))

    def values(self) -> dict:
        return {
            "member_id": self.member_id.data,
            "company_uscc": self.company_uscc.data,
            "reason": self.reason.data,
            "declared_on": self.declared_on.data,
        }
