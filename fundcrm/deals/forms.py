from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from fundcrm.domain.stages import ALL_STAGES
from fundcrm.domain.vocab import ENTERPRISE_STAGES, FOCUS_AREAS, ROUNDS, SOURCES, ZONES
from fundcrm.forms import CheckedMultiField, SafeForm, VocabField, WanField


class DealForm(SafeForm):
    company_uscc = StringField(_l("Company USCC"), validators=[Optional(), Length(max=40)])
    # A company that is not in the CRM yet is created in the same step from these fields.
    company_name = StringField(_l("New company: name"), validators=[Optional(), Length(max=200)])
    focus_area = VocabField(_l("New company: focus area"), vocabulary=FOCUS_AREAS)
    enterprise_stage = VocabField(_l("New company: enterprise stage"), vocabulary=ENTERPRISE_STAGES)
    zone = VocabField(_l("New company: cluster zone"), vocabulary=ZONES)
    round = VocabField(_l("Round"), vocabulary=ROUNDS)
    source = VocabField(_l("Source"), vocabulary=SOURCES)
    owner_email = SelectField(_l("Owner"), validators=[DataRequired()])
    team = CheckedMultiField(_l("Deal team"), coerce=int)
    sub_fund = CheckedMultiField(_l("Participating sub-funds"))
    ask_wan = WanField(_l("Amount sought (万元)"))
    pre_money_wan = WanField(_l("Pre-money valuation (万元)"))
    next_step = StringField(_l("Next step"), validators=[Optional(), Length(max=300)])
    next_step_due = DateField(_l("Next step due"), validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=10000)])
    version = HiddenField()
    confirm_similar = HiddenField()
    submit = SubmitField(_l("Save deal"))


def deal_form(sub_funds, *args, **kwargs) -> DealForm:
    """The deal form with one proposed-amount field per sub-fund: proposed_wan_<CODE>."""
    fields = {
        f"proposed_wan_{f.code}": WanField(_l("Proposed by %(code)s (万元)", code=f.code))
        for f in sub_funds
    }
    form_class = type("DealFormWithSubFunds", (DealForm,), fields)
    form = form_class(*args, **kwargs)
    form.sub_fund.choices = [(f.code, f"{f.code} {f.name}") for f in sub_funds]
    form.sub_fund_list = list(sub_funds)
    return form


class KnownStages:
    """A form naming a move: its target stage and the stage it left (when sent) are known
    stages; whether the move may be made is the move service's to say."""

    def validate_to_stage(self, field):
        if field.data not in ALL_STAGES:
            raise ValidationError(_l("Unknown stage: %(code)s", code=field.data))

    def validate_from_stage(self, field):
        if field.data and field.data not in ALL_STAGES:
            raise ValidationError(_l("Unknown stage: %(code)s", code=field.data))


class MoveForm(KnownStages, SafeForm):
    """The deal page's move form; the board's JSON move is read through it too."""

    # Any known stage is accepted here: deals.moves.check_move names a move it refuses.
    to_stage = SelectField(_l("Move to"), validators=[DataRequired()], validate_choice=False)
    from_stage = HiddenField()  # the stage the user saw, when the page sends it
    pass_reason = StringField(
        _l("Reason (required when passing)"), validators=[Optional(), Length(max=500)]
    )
    override_reason = StringField(
        _l("Override reason (risk or admin, for a mandate breach)"),
        validators=[Optional(), Length(max=500)],
    )
    submit = SubmitField(_l("Move"))


class GateForm(SafeForm):
    """The codes are checked by deals.moves.save_gate, which names any unknown one."""

    to_stage = HiddenField()
    required_fields = SelectMultipleField(validate_choice=False)
    conditions = SelectMultipleField(validate_choice=False)
    submit = SubmitField(_l("Save gate"))
