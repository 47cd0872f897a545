from flask_babel import lazy_gettext as _l
from wtforms import DateField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from fundcrm.forms import PercentField, SafeForm, WanField
from fundcrm.portfolio.closing import Investment


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
