from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from fundcrm.domain.vocab import (
    EXIT_KINDS,
    EXPENSE_KINDS,
    LP_FLOW_KINDS,
    TRANSACTION_KINDS,
    VALUATION_METHODS,
)
from fundcrm.forms import PercentField, SafeForm, VocabField, WanField
from fundcrm.portfolio.closing import Investment
from fundcrm.portfolio.holdings import TransactionValues


class ClosingForm(SafeForm):
    """One investment per participating sub-fund (sub_fund_<id>_on, _amount, _equity,
    _post_money), added per deal; the override reason for a mandate breach."""

    override_reason = TextAreaField(
        _l("Override reason (a mandate breach)"), validators=[Optional(), Length(max=1000)]
    )
    submit = SubmitField(_l("Close the deal"))

    def investments(self, sub_fund_ids) -> list[Investment]:
        return [
            Investment(
                sub_fund_id=i,
                made_on=self[f"sub_fund_{i}_on"].data,
                amount_yuan=self[f"sub_fund_{i}_amount"].data,
                equity_pct=self[f"sub_fund_{i}_equity"].data,
                post_money_yuan=self[f"sub_fund_{i}_post_money"].data,
            )
            for i in sub_fund_ids
        ]


def closing_form(participations, *args, **kwargs) -> ClosingForm:
    fields = {}
    for part in participations:
        name, key = part.sub_fund.name, f"sub_fund_{part.sub_fund_id}"
        fields[f"{key}_on"] = DateField(
            _l("%(fund)s: investment date", fund=name), validators=[InputRequired()]
        )
        fields[f"{key}_amount"] = WanField(
            _l("%(fund)s: amount (万元)", fund=name), validators=[InputRequired()]
        )
        fields[f"{key}_equity"] = PercentField(_l("%(fund)s: ownership after (%%)", fund=name))
        fields[f"{key}_post_money"] = WanField(_l("%(fund)s: post-money (万元)", fund=name))
    return type("ClosingFormOfDeal", (ClosingForm,), fields)(*args, **kwargs)


class TransactionForm(SafeForm):
    made_on = DateField(_l("Date"), validators=[InputRequired()])
    kind = VocabField(_l("Kind"), vocabulary=TRANSACTION_KINDS, blank=False, default="proceeds")
    amount = WanField(_l("Amount (万元)"))
    exit = VocabField(_l("Exit"), vocabulary=EXIT_KINDS)
    equity_pct = PercentField(_l("Ownership after (%)"))
    override_reason = TextAreaField(
        _l("Reason (a direct investment)"), validators=[Optional(), Length(max=1000)]
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    # a partial exit asks for the post-exit mark in the same step
    mark_value = WanField(_l("Fair value after the exit (万元)"))
    mark_method = VocabField(_l("Valuation method"), vocabulary=VALUATION_METHODS)
    submit = SubmitField(_l("Record the transaction"))

    def values(self) -> TransactionValues:
        return TransactionValues(
            made_on=self.made_on.data,
            kind=self.kind.data,
            amount_yuan=self.amount.data,
            exit=self.exit.data,
            equity_pct=self.equity_pct.data,
            override_reason=self.override_reason.data or "",
            note=self.note.data or "",
        )


class MarkForm(SafeForm):
    marked_on = DateField(_l("Date"), validators=[InputRequired()])
    fair_value = WanField(_l("Fair value (万元)"), validators=[InputRequired()])
    method = VocabField(_l("Valuation method"), vocabulary=VALUATION_METHODS, blank=False)
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Enter the mark"))

    def values(self) -> dict:
        return {
            "marked_on": self.marked_on.data,
            "fair_value_yuan": self.fair_value.data,
            "method": self.method.data,
            "note": self.note.data,
        }


class ReviewMarkForm(SafeForm):
    decision = SelectField(
        choices=[("approve", _l("Approve")), ("reject", _l("Reject"))],
        validators=[InputRequired()],
    )
    reason = TextAreaField(_l("Reason (a rejection)"), validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Review"))


class FlowForm(SafeForm):
    lp_id = SelectField(_l("LP"), coerce=int, validate_choice=False)
    flow_on = DateField(_l("Date"), validators=[InputRequired()])
    kind = VocabField(_l("Kind"), vocabulary=LP_FLOW_KINDS, blank=False)
    amount = WanField(_l("Amount (万元)"), validators=[InputRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Record"))


class ExpenseForm(SafeForm):
    spent_on = DateField(_l("Date"), validators=[InputRequired()])
    kind = VocabField(_l("Kind"), vocabulary=EXPENSE_KINDS, blank=False)
    amount = WanField(_l("Amount (万元)"), validators=[InputRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Record"))
