"""The forms of the requests to override a mandate breach."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from fundcrm.compliance.overrides import REASON_MAX
from fundcrm.deals.forms import KnownStages
from fundcrm.domain.text import ascii_number
from fundcrm.forms import SafeForm


class OverrideRequestForm(KnownStages, SafeForm):
    """The refused move, as the user saw it, and the case for making it anyway (the breaches
    are judged again by the service)."""

    to_stage = HiddenField()
    from_stage = HiddenField()
    note = TextAreaField(
        _l("Why should the move be made despite the breach?"),
        validators=[Optional(), Length(max=2000)],
    )
    submit = SubmitField(_l("Ask risk to override"))


class DecisionForm(SafeForm):
    """Risk's or an administrator's decision on a request, at the version they saw."""

    seen = HiddenField()
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=REASON_MAX)])
    perform = SubmitField(_l("Perform the move"))
    decline = SubmitField(_l("Decline"))

    def seen_version(self) -> int | None:
        text = (self.seen.data or "").strip()
        return int(text) if ascii_number(text) and len(text) <= 9 else None


class WithdrawForm(SafeForm):
    submit = SubmitField(_l("Withdraw the request"))
