"""What an LP's capital account statement and its page share, without the PDF machinery (so a
page or the annual report need not load reportlab and the CJK font): the notes under the
account and how a rate is written."""

from datetime import date

from flask_babel import lazy_gettext as _l

NOT_MEANINGFUL_DAYS = 365  # GIPS: a rate over less than a year is not annualised


def irr_text(rate: float | None, first_flow: date | None, as_of: date) -> str:
    """A rate as the pages show it: "—" undefined, "n.m." within a year of the first flow."""
    if rate is None:
        return "—"
    if first_flow is not None and (as_of - first_flow).days < NOT_MEANINGFUL_DAYS:
        return "n.m."
    return f"{rate * 100:.1f}%"


# what the account page and the statement say under the figures
NOTES = (
    _l("Balance = calls − distributions + paid-in share × (NAV + the sub-fund's distributions − "
       "its calls + its fees and expenses) − commitment share × its fees and expenses. The "
       "balances of all the sub-fund's LPs add up to its NAV: each is rounded to the fen, and the "
       "fen left over go to the largest remainders."),
    _l("Paid-in share: the LP's calls ÷ all calls to date (before any call: its commitment ÷ all "
       "commitments). Commitment share: its commitment in force ÷ the commitments of the LPs "
       "that bear fees; the GP bears none unless set."),
    _l("An LP that joined after the first close is not equalised: it shares gains from its calls "
       "on, and its commitment share of all fees and expenses to date."),
    _l('Net IRR: its calls and distributions and its balance on the date; "n.m." within a year '
       "of the first flow."),
)  # fmt: skip
