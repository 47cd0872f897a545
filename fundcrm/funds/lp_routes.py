"""An LP's capital account as of a date (DOMAIN.md section 6), its statement as PDF and the
portfolio of its sub-funds: for the staff who read LP accounts, and for the LP's own
representative (a viewer tied to it), who sees nothing of another LP or sub-fund."""

from datetime import date

from flask import current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from fundcrm import clock, db
from fundcrm.domain.capital import bears_fees
from fundcrm.errors import ExplainedBadRequest, ExplainedNotFound
from fundcrm.funds import capital, statement_notes
from fundcrm.funds.routes import bp
from fundcrm.models import LimitedPartner
from fundcrm.pagination import Page, requested_page
from fundcrm.permissions import authorize, requires, tied_lp_id
from fundcrm.portfolio import listing
from fundcrm.views import as_of_date, pdf_response


def _period() -> tuple[date, date]:
    """(as of, period start): `?as_of=` (today by default) and `?from=` (1 January of the
    as-of date's year by default); a bad date or a start after the as-of date is a 400."""
    as_of, text = as_of_date(), request.args.get("from")
    try:
        start = date.fromisoformat(text) if text else capital.year_start(as_of)
    except ValueError:
        raise ExplainedBadRequest(_("Give the date as YYYY-MM-DD.")) from None
    if start > as_of:
        raise ExplainedBadRequest(_("The period starts on or before the as-of date."))
    return as_of, start


def _readable(lp_id: int) -> LimitedPartner:
    """The LP, if the user may read its account. A representative asking for another LP's id
    gets the same refusal whether that LP exists or not, so ids tell it nothing."""
    lp = db.session().get(LimitedPartner, lp_id)
    authorize("read_lp_account", lp or LimitedPartner(id=lp_id))
    if lp is None:
        raise ExplainedNotFound(_("No such LP."))
    return lp


@bp.get("/lps/<int:lp_id>")
@requires("read_lp_account")
def lp_account(lp_id: int):
    """The LP's capital account in each of its sub-funds and in total, and the performance of
    those sub-funds."""
    lp = _readable(lp_id)
    as_of, start = _period()
    found = capital.statement(db.session(), lp.id, as_of, start)
    return render_template(
        "funds/lp_account.html",
        lp=lp,
        statement=found,
        bears_fees=bears_fees(lp.bears_fees, lp.lp_type),
        notes=statement_notes.NOTES,
    )


@bp.get("/lps/<int:lp_id>/statement.pdf")
@requires("read_lp_account")
def lp_statement_pdf(lp_id: int):
    """The same figures as the account page, as a PDF statement."""
    lp = _readable(lp_id)
    as_of, start = _period()
    session = db.session()
    from fundcrm.funds import statement_pdf  # reportlab and the CJK font: only for a PDF

    content = statement_pdf.build_statement(session, lp, capital.statement(session, lp.id, as_of,
                                                                           start))  # fmt: skip
    return pdf_response(content, f"capital-account-{lp.id}-{as_of.isoformat()}.pdf")


@bp.get("/lps/<int:lp_id>/portfolio")
@requires("read_lp_account")
def lp_portfolio(lp_id: int):
    """The holdings of one of the LP's sub-funds (`?sub_fund=CODE`, its first by default) as of
    a date, a page at a time, with the sub-fund's total."""
    lp = _readable(lp_id)
    session, as_of = db.session(), as_of_date()
    codes = [f.code for f in capital.sub_funds_of(session, lp.id)]
    code = request.args.get("sub_fund") or (codes[0] if codes else None)
    if code is not None and code not in codes:
        raise ExplainedNotFound(_("This LP has no commitment to this sub-fund."))
    # the portfolio list's filters narrow it within the sub-fund (the industry map links here)
    wanted = {name: values for name in listing.NARROWING if (values := request.args.getlist(name))}
    found = listing.rows(session, as_of, {**wanted, "sub_fund": code}) if code else []
    found = listing.ordered(found, request.args.get("sort", "company"))
    number, per_page = requested_page(), int(current_app.config["PER_PAGE"])
    start = (number - 1) * per_page
    return render_template(
        "funds/lp_portfolio.html",
        lp=lp,
        codes=codes,
        code=code,
        as_of=as_of,
        page=Page(found[start : start + per_page], number, per_page, len(found)),
        total=listing.total(session, as_of, found) if found else None,
        narrowing=listing.NARROWING,
        wanted=wanted,
    )


def represented_account() -> tuple[LimitedPartner, capital.Statement] | None:
    """For a representative tied to an LP: the LP and its account as of today since 1 January
    (the home page's summary); None for everyone else."""
    lp_id = tied_lp_id(current_user)
    lp = db.session().get(LimitedPartner, lp_id) if lp_id is not None else None
    if lp is None:
        return None
    today = clock.today()
    return lp, capital.statement(db.session(), lp.id, today, capital.year_start(today))


bp.add_app_template_global(represented_account, "represented_account")
