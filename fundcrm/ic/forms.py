from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from fundcrm.domain.vocab import CONDITION_KINDS, DECISION_OUTCOMES, MEMO_SECTIONS, VOTE_CHOICES
from fundcrm.forms import CheckboxesField, SafeForm, VocabField, WanField
from fundcrm.i18n import current_locale
from fundcrm.ic.decisions import ConditionDraft


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


# -- meetings, votes, decisions -----------------------------------------------------------------


class MeetingForm(SafeForm):
    held_on = DateField(_l("Date"), validators=[InputRequired()])
    starts_at = TimeField(_l("Time"), validators=[Optional()])
    place = StringField(_l("Place"), validators=[DataRequired(), Length(max=200)])
    member_ids = CheckboxesField(_l("Members"), coerce=int)
    chair_id = SelectField(_l("Chair"), coerce=int)
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    seen = HiddenField()
    submit = SubmitField(_l("Save the meeting"))

    def values(self) -> dict:
        return {
            "held_on": self.held_on.data,
            "starts_at": self.starts_at.data,
            "place": self.place.data.strip(),
            "chair_id": self.chair_id.data,
            "member_ids": self.member_ids.data or [],
            "note": self.note.data,
        }


class AttendanceForm(SafeForm):
    attended = CheckboxesField(_l("Attended"), coerce=int)
    seen = HiddenField()
    submit = SubmitField(_l("Record attendance"))


class AddItemForm(SafeForm):
    # any version may be asked for: the service says why one may not go on the agenda
    memo_version_id = SelectField(_l("Submitted memo"), coerce=int, validate_choice=False)
    submit = SubmitField(_l("Put on the agenda"))


class CloseVoteForm(SafeForm):
    submit = SubmitField(_l("Close the vote"))


class RemoveItemForm(SafeForm):
    submit = SubmitField(_l("Take off the agenda"))


class VoteForm(SafeForm):
    choice = VocabField(_l("Your vote"), vocabulary=VOTE_CHOICES, validators=[InputRequired()])
    condition = TextAreaField(_l("Conditions (approve with conditions)"))
    submit = SubmitField(_l("Cast the vote"))


class ResolveConditionForm(SafeForm):
    action = SelectField(
        choices=[("met", _l("Met")), ("waived", _l("Waived"))], validators=[InputRequired()]
    )
    text = TextAreaField(_l("Evidence or reason"), validators=[DataRequired(), Length(max=2000)])
    seen = IntegerField(validators=[InputRequired()])
    submit = SubmitField(_l("Save"))


class DecisionForm(SafeForm):
    """The closer's form, or a historical decision's: one approved amount per sub-fund
    (amount_<id>) and condition rows (cond_<i>_text, _kind, _due_on and, when closing,
    _into), added per decision."""

    submit = SubmitField(_l("Save"))

    def amounts(self) -> dict:
        return {
            name.removeprefix("amount_"): field.data
            for name, field in self._fields.items()
            if name.startswith("amount_")
        }

    def drafts(self, rows: int) -> list[ConditionDraft]:
        drafts = []
        for i in range(rows):
            into = self._fields.get(f"cond_{i}_into")
            drafts.append(
                ConditionDraft(
                    text=self[f"cond_{i}_text"].data or "",
                    kind=self[f"cond_{i}_kind"].data or "",
                    due_on=self[f"cond_{i}_due_on"].data,
                    into=int(into.data) if into is not None and into.data else None,
                )
            )
        return drafts


CONDITION_ROWS = 3  # a historical decision's condition rows


def decision_form(funds, conditions: list[str], closing: bool, *args, **kwargs) -> DecisionForm:
    """`funds`: (sub-fund, memo amount or None); `conditions`: the texts the votes attached
    (closing), or CONDITION_ROWS blanks (a historical decision)."""
    fields = {}
    for fund, _amount in funds:
        label = _l("Approved for %(fund)s (万元)", fund=fund.name)
        fields[f"amount_{fund.id}"] = WanField(label)
    for i, text in enumerate(conditions):
        fields[f"cond_{i}_text"] = TextAreaField(_l("Condition"), default=text)
        fields[f"cond_{i}_kind"] = VocabField(
            _l("Kind"), vocabulary=CONDITION_KINDS, blank=not closing, default="precedent"
        )
        fields[f"cond_{i}_due_on"] = DateField(_l("Due on"), validators=[Optional()])
        if closing:
            merge = [("", _l("Its own condition"))] + [
                (str(j), _l("Merged into condition %(n)s", n=j + 1)) for j in range(i)
            ]
            fields[f"cond_{i}_into"] = SelectField(_l("Kept or merged"), choices=merge, default="")
    if closing:
        fields["submit"] = SubmitField(_l("Record the decision"))
    else:
        fields["decided_on"] = DateField(_l("Decided on"), validators=[InputRequired()])
        labels = DECISION_OUTCOMES.labels(current_locale())
        fields["outcome"] = SelectField(
            _l("Outcome"),
            choices=[(c, labels[c]) for c in ("approve", "approve_conditions")],
            validators=[InputRequired()],
        )
        fields["note"] = TextAreaField(
            _l("Reference (minutes, resolution number)"), validators=[Optional(), Length(max=2000)]
        )
        fields["submit"] = SubmitField(_l("Record the decision"))
    return type("DecisionFormOf", (DecisionForm,), fields)(*args, **kwargs)


class QuestionForm(SafeForm):
    text = TextAreaField(_l("Your question"), validators=[DataRequired(), Length(max=5000)])
    version = IntegerField(validators=[InputRequired()])
    submit = SubmitField(_l("Ask"))


class AnswerForm(SafeForm):
    text = TextAreaField(_l("Your answer"), validators=[DataRequired(), Length(max=5000)])
    submit = SubmitField(_l("Answer"))
