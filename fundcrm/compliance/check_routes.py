"""A sub-fund's compliance with the guidance-fund rules as of a date (`/funds/<code>/compliance`)
and the home page's compliance alert, loaded after the page so the home page stays fast."""

from flask import Blueprint, current_app, render_template
from flask_babel import gettext as _

from fundcrm import clock, db
from fundcrm.compliance import report
from fundcrm.compliance.checks import Settings
from fundcrm.errors import ExplainedNotFound
from fundcrm.funds.queries import sub_fund_by_code
from fundcrm.pagination import Page, requested_page
from fundcrm.permissions import requires
from fundcrm.views import as_of_date

bp = Blueprint("compliance", __name__)


@bp.get("/funds/<code>/compliance")
@requires("read_compliance")
def page(code: str):
    as_of = as_of_date()
    fund = sub_fund_by_code(db.session(), code)
    if fund is None:
        raise ExplainedNotFound(_("No sub-fund has this code."))
    found = report.page(db.session(), fund, as_of, Settings.of(current_app.config))
    number, per_page = requested_page(), int(current_app.config["PER_PAGE"])
    number = min(number, max(1, -(-len(found.companies) // per_page)))
    start = (number - 1) * per_page
    shown = [report.company_row(c) for c in found.companies[start : start + per_page]]
    return render_template(
        "compliance/page.html",
        report=found,
        companies=Page(shown, number, per_page, len(found.companies)),
        settings=Settings.of(current_app.config),
    )


@bp.get("/compliance/alerts")
@requires("read_compliance")
def alerts():
    """The home page's alert (an HTML fragment): every sub-fund with a breach, a re-investment
    at risk, a company near its cap or an overdue condition subsequent, as of today."""
    found = report.alerts(db.session(), clock.today(), Settings.of(current_app.config))
    return render_template("compliance/_alerts.html", alerts=found)
