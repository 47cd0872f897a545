"""A portfolio company's KPIs (DOMAIN.md sections 7 and 9): one row per company and period (a
year `2026` or a quarter `2026Q3`), recorded from the holding page, edited on its own page
(optimistic lock: a save based on an old version is refused, naming the change made since), or
imported. The rules are the same everywhere: the fund holds the company (a holding with an
investment), the period is a year or a quarter that has begun, its last day is not in a closed
period, amounts and counts are 0 or more (a net loss may be negative) and the Chongqing revenue
is at most the revenue. Recording a period leaves the values not given as recorded; the edit
form saves what it shows (a cleared field clears the value). Services flush; the view commits.
"""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from fundcrm import clock
from fundcrm.compliance import kpi_queries, periods
from fundcrm.domain import kpis
from fundcrm.domain.kpis import Period, PeriodError, parse_period
from fundcrm.errors import ServiceError
from fundcrm.models import CompanyKpi
from fundcrm.versioning import check_version, unless_changed_meanwhile


class KpiError(ServiceError):
    pass


NOT_HELD = _l(
    "The fund holds no investment in this company: KPIs and milestones are recorded for "
    "portfolio companies only."
)
BAD_PERIOD = _l("Write the period as a year (2026) or a quarter (2026Q3).")
MEANWHILE = _l("Someone recorded KPIs for this period meanwhile: reload the page and try again.")
PROBLEMS = {
    kpis.NEGATIVE: _l("The value is 0 or more."),
    kpis.CQ_ABOVE_REVENUE: _l("The revenue in Chongqing is at most the revenue."),
}
# a KPI row's attribute → the form's field (an import maps it to its column)
FORM_FIELDS = {
    "revenue_yuan": "revenue",
    "cq_revenue_yuan": "cq_revenue",
    "net_profit_yuan": "net_profit",
    "headcount": "headcount",
    "rd_yuan": "rd",
    "patents": "patents",
}


def not_begun(period: Period):
    return _l("KPIs are actual figures: the period %(period)s has not begun.", period=period.code)


def checked_period(text, today: date) -> Period:
    """The period a form or a cell names, begun by today (the fund's clock)."""
    try:
        period = parse_period(text)
    except PeriodError:
        raise KpiError(BAD_PERIOD, "period") from None
    if period.start > today:
        raise KpiError(not_begun(period), "period")
    return period


def refuse_unless_held(db: Session, company_id: int, field: str | None = None) -> date:
    """The date of the fund's first investment in the company; refused when it holds none."""
    since = kpi_queries.held_since(db, company_id)
    if since is None:
        raise KpiError(NOT_HELD, field)
    return since


def check_values(values: dict) -> None:
    """Refuse a row as it would be recorded that breaks a rule, on the field concerned."""
    for name, problem in kpis.problems(values):
        raise KpiError(PROBLEMS[problem], FORM_FIELDS[name])


def merged(recorded: CompanyKpi | None, given: dict) -> dict:
    """The row's values once the given ones are recorded: a value not given (None) stays."""
    return {
        name: given.get(name) if given.get(name) is not None else getattr(recorded, name, None)
        for name in kpis.FIELDS
    }


def record_kpi(db: Session, company_id: int, period_text, given: dict, today=None) -> CompanyKpi:
    """Record the company's KPIs of a period: a new row, or the given values on the recorded
    row (values not given stay as recorded)."""
    period = checked_period(period_text, today or clock.today())
    refuse_unless_held(db, company_id)
    periods.check_open(db, period.end, "period")
    recorded = kpi_queries.kpi_of(db, company_id, period.code)
    wanted = merged(recorded, given)
    check_values(wanted)
    try:
        with db.begin_nested():
            return write_kpi(db, company_id, period, wanted, recorded)
    except IntegrityError:  # the same period created meanwhile by someone else
        raise KpiError(MEANWHILE, "period") from None


def write_kpi(
    db: Session, company_id: int, period: Period, values: dict, recorded: CompanyKpi | None
) -> CompanyKpi:
    """Write a checked row (the form's and the import's one way to write)."""
    if recorded is None:
        recorded = CompanyKpi(
            company_id=company_id, period=period.code, period_end=period.end, **values
        )
        db.add(recorded)
    else:
        for name, value in values.items():
            if getattr(recorded, name) != value:
                setattr(recorded, name, value)
    db.flush()
    return recorded


def edit_kpi(db: Session, kpi: CompanyKpi, values: dict, expected_version: int | None) -> None:
    """Save the edit form's values as shown (a cleared field clears the value), unless the row
    was saved by someone else since the form was opened."""
    check_version(db, kpi, "company_kpis", expected_version)
    refuse_unless_held(db, kpi.company_id)
    periods.check_open(db, kpi.period_end)
    check_values(values)
    with unless_changed_meanwhile(db, kpi, "company_kpis"):
        for name in kpis.FIELDS:
            if getattr(kpi, name) != values.get(name):
                setattr(kpi, name, values.get(name))
        db.flush()


def ordered(rows: list[CompanyKpi]) -> list[CompanyKpi]:
    """Years in order, each year's quarters before the year itself."""
    return sorted(rows, key=lambda k: kpis.period_order(k.period))


def _wan(value) -> float | None:
    """万元 for the chart (display only: floats are fine there)."""
    return None if value is None else round(float(value) / 10000, 2)


SERIES = ("revenue_yuan", "cq_revenue_yuan", "net_profit_yuan", "headcount")


def trend(rows: list[CompanyKpi]) -> dict:
    """The chart's data, from the rows the table shows: each year's figures (its annual row,
    else the sum of its four quarters; the headcount of the year's end) and the quarters'."""
    by_field = {name: {k.period: getattr(k, name) for k in rows} for name in SERIES}
    years = sorted({parse_period(k.period).year for k in rows})
    yearly = {"periods": [str(y) for y in years]}
    for name in SERIES:
        figures = [kpis.year_figure(by_field[name], y, name in kpis.STOCKS)[0] for y in years]
        yearly[name] = [v if name == "headcount" else _wan(v) for v in figures]
    quarters = [k for k in ordered(rows) if parse_period(k.period).quarter]
    quarterly = {"periods": [k.period for k in quarters]}
    for name in SERIES:
        quarterly[name] = [
            getattr(k, name) if name == "headcount" else _wan(getattr(k, name)) for k in quarters
        ]
    return {"yearly": yearly, "quarterly": quarterly}
