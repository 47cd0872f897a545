from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from fundcrm.domain.vocab import (
    COMMITMENT_CHANGE_KINDS,
    ENTERPRISE_STAGES,
    FOCUS_AREAS,
    LP_TYPES,
    REINVEST_AREAS,
    REINVEST_BASES,
)
from fundcrm.forms import (
    CheckedMultiField,
    PercentField,
    SafeForm,
    VocabField,
    VocabMultiField,
    WanField,
)


class FundSettingsForm(SafeForm):
    name = StringField(_l("Fund name"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("English name"), validators=[Optional(), Length(max=200)])
    target_wan = WanField(_l("Target size (万元)"), validators=[InputRequired()])
    phases = TextAreaField(_l("Phases (one per line)"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Save"))

    def values(self) -> dict:
        return {
            "name": self.name.data.strip(),
            "name_en": self.name_en.data or None,
            "target_yuan": self.target_wan.data,
            "phases": self.phases.data or None,
        }


class SubFundForm(SafeForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=30)])
    name = StringField(_l("Sub-fund name"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("English name"), validators=[Optional(), Length(max=200)])
    target_wan = WanField(_l("Target size (万元)"), validators=[InputRequired()])
    first_close = DateField(_l("First close"), validators=[Optional()])
    investment_end = DateField(_l("Investment period ends"), validators=[Optional()])
    term_end = DateField(_l("Term ends"), validators=[Optional()])
    allowed_stages = VocabMultiField(
        _l("Allowed enterprise stages (none = any)"), vocabulary=ENTERPRISE_STAGES
    )
    focus_areas = VocabMultiField(_l("Focus areas (none = any)"), vocabulary=FOCUS_AREAS)
    project_cap_pct = PercentField(
        _l("Single-project cap (percent of committed size)"), validators=[InputRequired()]
    )
    ic_quorum = StringField(_l("IC quorum"), validators=[DataRequired(), Length(max=20)])
    ic_threshold = StringField(
        _l("IC approval threshold"), validators=[DataRequired(), Length(max=20)]
    )
    # its range is checked with the other LPA rules (funds.services), alike for the import
    ic_min_eligible = IntegerField(_l("IC minimum eligible members"), validators=[InputRequired()])
    veto_holder_ids = CheckedMultiField(_l("Veto holders"), coerce=int)
    submit = SubmitField(_l("Save"))

    def values(self) -> dict:
        return {
            name: getattr(self, name).data
            for name in (
                "code",
                "name",
                "first_close",
                "investment_end",
                "term_end",
                "allowed_stages",
                "focus_areas",
                "project_cap_pct",
                "ic_quorum",
                "ic_threshold",
                "ic_min_eligible",
                "veto_holder_ids",
            )
        } | {"name_en": self.name_en.data or None, "target_yuan": self.target_wan.data}

    def defaults(self, defaults: dict) -> None:
        """Fill the empty LPA settings with a new sub-fund's defaults (funds.services)."""
        for name, value in defaults.items():
            field = getattr(self, name)
            field.data = field.data or value


BEARS_FEES = {"": None, "yes": True, "no": False}


def bears_fees_choice(value):
    """The form's choice → LimitedPartner.bears_fees: True, False, or None (by its type)."""
    if value is None or isinstance(value, bool):
        return value
    if value not in BEARS_FEES:
        raise ValueError(value)
    return BEARS_FEES[value]


class LPForm(SafeForm):
    name = StringField(_l("LP name"), validators=[DataRequired(), Length(max=200)])
    lp_type = VocabField(_l("LP type"), vocabulary=LP_TYPES, blank=False)
    is_government = BooleanField(_l("Government LP"))
    bears_fees = SelectField(_l("Bears a share of the fees and expenses"), coerce=bears_fees_choice)
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.bears_fees.choices = [
            ("", _l("By type: every LP but the GP")),
            ("yes", _l("Yes")),
            ("no", _l("No")),
        ]

    def values(self) -> dict:
        return {
            "name": self.name.data,
            "lp_type": self.lp_type.data,
            "is_government": self.is_government.data,
            "bears_fees": self.bears_fees.data,
        }


class CommitmentForm(SafeForm):
    lp_id = SelectField(_l("LP"), coerce=int)
    sub_fund_id = SelectField(_l("Sub-fund"), coerce=int)
    committed_wan = WanField(_l("Committed (万元)"), validators=[InputRequired()])
    committed_on = DateField(_l("Committed on (blank: the sub-fund's first close)"),
                             validators=[Optional()])  # fmt: skip
    reinvest_ratio = DecimalField(
        _l("Re-investment ratio (×)"),
        validators=[Optional(), NumberRange(min=0, max=10)],
        places=None,
    )
    reinvest_area = VocabMultiField(_l("Re-investment area"), vocabulary=REINVEST_AREAS)
    reinvest_base = VocabField(_l("Re-investment base"), vocabulary=REINVEST_BASES)
    reinvest_multiplier = DecimalField(
        _l("Relocation multiplier (×; blank: the default)"),
        validators=[Optional(), NumberRange(min=1, max=10)],
        places=None,
    )
    reinvest_deadline = DateField(
        _l("Re-investment deadline (blank: the sub-fund's investment period end)"),
        validators=[Optional()],
    )
    submit = SubmitField(_l("Save"))

    def values(self) -> dict:
        return {
            "lp_id": self.lp_id.data,
            "sub_fund_id": self.sub_fund_id.data,
            "committed_yuan": self.committed_wan.data,
            "committed_on": self.committed_on.data,
            "reinvest_ratio": self.reinvest_ratio.data,
            "reinvest_area": self.reinvest_area.data,
            "reinvest_base": self.reinvest_base.data,
            "reinvest_multiplier": self.reinvest_multiplier.data,
            "reinvest_deadline": self.reinvest_deadline.data,
        }

    def defaults(self, terms: dict) -> None:
        """Fill the empty re-investment terms with a new commitment's (funds.services)."""
        for name, value in terms.items():
            field = getattr(self, name)
            if field.data is None or field.data == []:
                field.data = value


class CommitmentChangeForm(SafeForm):
    """A dated increase, decrease or transfer of a commitment (funds.changes)."""

    changed_on = DateField(_l("Date"), validators=[InputRequired()])
    kind = VocabField(_l("Kind"), vocabulary=COMMITMENT_CHANGE_KINDS, blank=False)
    amount = WanField(_l("Amount (万元)"), validators=[InputRequired()])
    to_lp_id = SelectField(_l("Receiving LP (a transfer)"), coerce=lambda v: int(v) if v else None)
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Record the change"))

    def values(self) -> dict:
        return {
            "changed_on": self.changed_on.data,
            "kind": self.kind.data,
            "amount_yuan": self.amount.data,
            "to_lp_id": self.to_lp_id.data,
            "note": self.note.data,
        }
