from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from fundcrm.companies.services import COMPANY_FIELDS
from fundcrm.domain.vocab import (
    APPLICATION_FIELDS,
    DISTRICTS,
    ENTERPRISE_STAGES,
    FOCUS_AREAS,
    SPECIALIZED_LEVELS,
    ZONES,
)
from fundcrm.forms import SafeForm, VocabField, VocabMultiField


class CompanyForm(SafeForm):
    name = StringField(_l("Company name"), validators=[DataRequired(), Length(max=200)])
    uscc = StringField(
        _l("Unified Social Credit Code"), validators=[DataRequired(), Length(max=40)]
    )
    name_en = StringField(_l("English name"), validators=[Optional(), Length(max=200)])
    focus_area = VocabField(_l("Focus area"), vocabulary=FOCUS_AREAS, validators=[InputRequired()])
    enterprise_stage = VocabField(
        _l("Enterprise stage"), vocabulary=ENTERPRISE_STAGES, validators=[InputRequired()]
    )
    application_fields = VocabMultiField(_l("Application fields"), vocabulary=APPLICATION_FIELDS)
    zone = VocabField(_l("Cluster zone"), vocabulary=ZONES)
    district = VocabField(_l("District (Chongqing)"), vocabulary=DISTRICTS)
    city = StringField(_l("City (outside Chongqing)"), validators=[Optional(), Length(max=50)])
    founded_on = DateField(_l("Founded on"), validators=[Optional()])
    headcount = IntegerField(
        _l("Headcount"),
        validators=[
            Optional(),
            NumberRange(
                min=0, max=10_000_000, message=_l("Enter a whole number from 0 to 10,000,000.")
            ),
        ],
    )
    website = StringField(_l("Website"), validators=[Optional(), Length(max=200)])
    specialized_level = VocabField(_l("Specialised SME level"), vocabulary=SPECIALIZED_LEVELS)
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    uscc_override_reason = StringField(
        _l("Override reason (pilot-era code failing the checksum; risk or admin only)"),
        validators=[Optional(), Length(max=500)],
    )
    confirm_similar = HiddenField()
    version = HiddenField()
    submit = SubmitField(_l("Save"))

    def values(self) -> dict:
        values = {name: getattr(self, name).data for name in COMPANY_FIELDS}
        values["uscc"] = self.uscc.data
        values["application_fields"] = self.application_fields.data
        for name in ("name_en", "city", "website", "description"):
            values[name] = (values[name] or "").strip() or None
        return values


class ContactForm(SafeForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=100)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=50)])
    email = EmailField(_l("Email"), validators=[Optional(), Email(), Length(max=254)])
    wechat = StringField(_l("WeChat"), validators=[Optional(), Length(max=100)])
    submit = SubmitField(_l("Save contact"))

    def values(self) -> dict:
        return {
            n: (getattr(self, n).data or "").strip() or None
            for n in ("name", "title", "phone", "email", "wechat")
        }


class MergeForm(SafeForm):
    other_uscc = StringField(
        _l("USCC of the duplicate to merge into this company"),
        validators=[DataRequired(), Length(max=40)],
    )
    confirm = BooleanField(_l("I have checked: move its deals and contacts here and delete it"))
    submit = SubmitField(_l("Merge"))


class RelocationForm(SafeForm):
    """A company's relocation (companies.relocations): where to, from when, on what evidence."""

    to_district = VocabField(_l("To district (Chongqing)"), vocabulary=DISTRICTS)
    to_city = StringField(_l("Or to a city outside Chongqing"),
                          validators=[Optional(), Length(max=50)])  # fmt: skip
    to_zone = VocabField(_l("New cluster zone"), vocabulary=ZONES, validators=[InputRequired()])
    effective_on = DateField(_l("Effective on"), validators=[InputRequired()])
    evidence = TextAreaField(
        _l("Evidence (e.g. the new business licence)"),
        validators=[DataRequired(), Length(max=1000)],
    )
    submit = SubmitField(_l("Record relocation"))

    def values(self) -> dict:
        return {
            "to_district": self.to_district.data,
            "to_city": (self.to_city.data or "").strip() or None,
            "to_zone": self.to_zone.data,
            "effective_on": self.effective_on.data,
            "evidence": self.evidence.data or "",
        }
