"""The forms of a portfolio company's KPIs and milestones (on the holding page) and of the
targets page's scope."""

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
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from fundcrm.compliance.milestones import EVIDENCE_MAX, NO_DATE, TITLE_MAX
from fundcrm.domain.kpis import parse_signed_wan
from fundcrm.domain.money import MoneyError
from fundcrm.domain.vocab import MILESTONE_KINDS
from fundcrm.forms import MONEY_MESSAGES, SafeForm, VocabField, WanField

MAX_COUNT = 10_000_000


class SignedWanField(WanField):
    """An amount in 万元 that may be negative (a net loss)."""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist:
            return
        try:
            self.data = parse_signed_wan(valuelist[0])
        except MoneyError as error:
            raise ValueError(str(MONEY_MESSAGES[error.code])) from None


def _count(label):
    message = _l("Enter a whole number from 0 to 10,000,000.")
    return IntegerField(label, validators=[Optional(), NumberRange(0, MAX_COUNT, message)])


class KpiFields(SafeForm):
    revenue = WanField(_l("Revenue (万元)"))
    cq_revenue = WanField(_l("of which in Chongqing (万元)"))
    net_profit = SignedWanField(_l("Net profit (万元, a loss negative)"))
    headcount = _count(_l("Headcount"))
    rd = WanField(_l("R&D spending (万元)"))
    patents = _count(_l("Patents"))

    def values(self) -> dict:
        return {
            "revenue_yuan": self.revenue.data,
            "cq_revenue_yuan": self.cq_revenue.data,
            "net_profit_yuan": self.net_profit.data,
            "headcount": self.headcount.data,
            "rd_yuan": self.rd.data,
            "patents": self.patents.data,
        }


class KpiForm(KpiFields):
    """A period's KPIs: a new row, or the values given on the recorded row."""

    period = StringField(
        _l("Period (2026 or 2026Q3)"),
        validators=[InputRequired(_l("Give the period: 2026 or 2026Q3.")), Length(max=20)],
    )
    submit = SubmitField(_l("Record the KPIs"))


class KpiEditForm(KpiFields):
    """A recorded row as a whole: what it shows is saved."""

    version = HiddenField()
    submit = SubmitField(_l("Save"))


def _optional_id(value):
    return int(value) if value not in (None, "", "None") else None


class MilestoneForm(SafeForm):
    kind = VocabField(_l("Kind"), vocabulary=MILESTONE_KINDS, blank=False)
    title = StringField(_l("Milestone title"), validators=[InputRequired(), Length(max=TITLE_MAX)])
    achieved_on = DateField(_l("Date reached"), validators=[InputRequired(NO_DATE)])
    evidence = TextAreaField(_l("Evidence"), validators=[Optional(), Length(max=EVIDENCE_MAX)])
    document_id = SelectField(
        _l("Evidence document"), coerce=_optional_id, validate_choice=False, default=None
    )
    submit = SubmitField(_l("Add the milestone"))

    def values(self) -> dict:
        return {
            "kind": self.kind.data,
            "title": self.title.data or "",
            "achieved_on": self.achieved_on.data,
            "evidence": self.evidence.data or "",
            "document_id": self.document_id.data,
        }
