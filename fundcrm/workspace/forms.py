from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from fundcrm.domain.vocab import ACTIVITY_KINDS, DD_STATUSES, DD_WORKSTREAMS, SEVERITIES
from fundcrm.forms import CheckedMultiField, SafeForm, VocabField


class ActivityForm(SafeForm):
    kind = VocabField(
        _l("Kind"), vocabulary=ACTIVITY_KINDS, blank=False, validators=[InputRequired()]
    )
    occurred_on = DateField(_l("Date"), validators=[InputRequired()])
    deal_id = SelectField(_l("Deal"), coerce=lambda v: int(v) if v else None)
    user_ids = CheckedMultiField(_l("Our participants"), coerce=int)
    contact_ids = CheckedMultiField(_l("Company's participants"), coerce=int)
    summary = TextAreaField(_l("Summary"), validators=[DataRequired(), Length(max=20000)])
    submit = SubmitField(_l("Save activity"))

    def values(self, company_id: int) -> dict:
        return {
            "company_id": company_id,
            "deal_id": self.deal_id.data,
            "kind": self.kind.data,
            "occurred_on": self.occurred_on.data,
            "summary": self.summary.data.strip(),
            "user_ids": self.user_ids.data,
            "contact_ids": self.contact_ids.data,
        }


class TaskForm(SafeForm):
    title = StringField(_l("Task"), validators=[DataRequired(), Length(max=300)])
    due_on = DateField(_l("Due date"), validators=[Optional()])
    assignee_id = SelectField(_l("Assignee"), coerce=int)
    deal_id = SelectField(_l("Deal"), coerce=lambda v: int(v) if v else None)
    submit = SubmitField(_l("Save task"))

    def values(self) -> dict:
        return {
            "title": self.title.data.strip(),
            "due_on": self.due_on.data,
            "assignee_id": self.assignee_id.data,
            "deal_id": self.deal_id.data,
        }


class DDRowForm(SafeForm):
    """One item's row of a workstream form (the workstream form carries the CSRF token)."""

    class Meta:
        csrf = False

    seen = HiddenField()  # the item as the form was opened (services.item_fingerprint)
    status = VocabField(_l("Status"), vocabulary=DD_STATUSES, blank=False)
    owner_id = SelectField(_l("Owner"), coerce=lambda v: int(v) if v else None)
    severity = VocabField(_l("Severity"), vocabulary=SEVERITIES, blank=False)
    finding = TextAreaField(_l("Finding"), validators=[Optional(), Length(max=20000)])
    waive_reason = StringField(_l("Reason for waiving"), validators=[Optional(), Length(max=500)])

    def values(self) -> dict:
        return {
            "status": self.status.data,
            "owner_id": self.owner_id.data,
            "severity": self.severity.data,
            "finding": self.finding.data,
            "waive_reason": self.waive_reason.data,
        }


class WorkstreamForm(SafeForm):
    """Every item of one workstream, saved with one button: `rows` maps item id → row form.

    Bound to a post, it holds the rows that came with it (an item added after the page was
    opened is not in the post and stays as it is)."""

    submit = SubmitField(_l("Save workstream"))

    def __init__(self, items, owner_choices, fingerprint, formdata=None):
        super().__init__(formdata=formdata)
        self.rows = {}
        for item in items:
            prefix = f"item{item.id}"
            if formdata is None:
                row = DDRowForm(obj=item, prefix=prefix, formdata=None)
                row.seen.data = fingerprint(item)
            elif f"{prefix}-seen" in formdata:
                row = DDRowForm(formdata=formdata, prefix=prefix)
            else:
                continue
            row.owner_id.choices = owner_choices
            self.rows[item.id] = row
        self.changed_items = []

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        rows = [row.validate() for row in self.rows.values()]  # every row's errors shown
        if not self.rows:
            self.submit.errors = [*self.submit.errors, _l("This workstream has no items to save.")]
        return valid and all(rows) and bool(self.rows)

    def values(self) -> dict:
        """Item id → (the fingerprint it was opened at, the row's values)."""
        return {item_id: (row.seen.data, row.values()) for item_id, row in self.rows.items()}


class NewDDItemForm(SafeForm):
    workstream = VocabField(_l("Workstream"), vocabulary=DD_WORKSTREAMS, blank=False)
    title = StringField(_l("Item"), validators=[DataRequired(), Length(max=300)])
    submit = SubmitField(_l("Add item"))


class TemplateItemForm(SafeForm):
    workstream = VocabField(_l("Workstream"), vocabulary=DD_WORKSTREAMS, blank=False)
    title = StringField(_l("Item"), validators=[DataRequired(), Length(max=300)])
    active = BooleanField(_l("In use for new checklists"), default=True)
    submit = SubmitField(_l("Save"))


class UploadForm(SafeForm):
    owner = HiddenField()  # company:12, deal:3 or dd_item:40
    title = StringField(
        _l("Title (a new upload under the same title keeps the old version)"),
        validators=[Optional(), Length(max=200)],
    )
    file = FileField(_l("File"), validators=[FileRequired()])
    submit = SubmitField(_l("Upload"))
