"""A portfolio company's KPIs and milestones on the holding page (recorded there, a KPI row
edited on its own page), and the portfolio's contribution to the action plan's 2027 targets
(`/funds/targets`)."""

import re
from types import SimpleNamespace

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from fundcrm import db
from fundcrm.compliance import kpi_queries, kpis, milestones, targets
from fundcrm.compliance.kpi_forms import KpiEditForm, KpiForm, MilestoneForm
from fundcrm.domain.kpis import FIRST_YEAR, LAST_YEAR
from fundcrm.domain.targets import TARGET_YEAR
from fundcrm.errors import ExplainedBadRequest
from fundcrm.funds.queries import sub_fund_by_code, sub_funds
from fundcrm.models import CompanyKpi, Holding
from fundcrm.permissions import requires, user_can
from fundcrm.versioning import form_version
from fundcrm.views import get_or_404, posted, submit

bp = Blueprint("kpis", __name__)
YEAR = re.compile(r"^\d{4}$")


def _back(holding: Holding, anchor: str) -> str:
    return url_for("portfolio.show_holding", holding_id=holding.id) + anchor


def milestone_form(company_id: int, documents=None) -> MilestoneForm:
    """The milestone form, its evidence documents those of the company and its deals."""
    form = MilestoneForm()
    if documents is None:
        documents = kpi_queries.company_documents(db.session(), company_id)
    form.document_id.choices = [
        ("", "—"),
        *((d.id, f"{d.title} · {d.filename}") for d in documents),
    ]
    return form


def holding_sections(holding: Holding) -> dict:
    """What the holding page's KPI and milestone sections show: the company's KPI rows in
    order with the chart's data (the same rows), its milestones, and the forms."""
    session = db.session()
    rows = kpis.ordered(kpi_queries.kpis_of(session, [holding.company_id]))
    documents = kpi_queries.company_documents(session, holding.company_id)
    may, trend = user_can(current_user, "record_kpis"), kpis.trend(rows)
    return {
        "kpi_rows": rows,
        "kpi_trend": trend,
        "kpi_quarters": bool(trend["quarterly"]["periods"]),
        "milestones": list(reversed(kpi_queries.milestones_of(session, [holding.company_id]))),
        "milestone_documents": {d.id: d for d in documents},
        "may_record_kpis": may,
        "kpi_form": KpiForm() if may else None,
        "milestone_form": milestone_form(holding.company_id, documents) if may else None,
    }


@bp.post("/portfolio/<int:holding_id>/kpis")
@requires("record_kpis")
def record_kpi(holding_id: int):
    holding = get_or_404(Holding, holding_id)
    form = KpiForm()
    return posted(
        form,
        lambda: kpis.record_kpi(db.session(), holding.company_id, form.period.data, form.values()),
        holding.company,
        "record_kpi",
        _("The KPIs are recorded."),
        _back(holding, "#kpis"),
    )


@bp.route("/portfolio/<int:holding_id>/kpis/<int:kpi_id>", methods=["GET", "POST"])
@requires("record_kpis")
def edit_kpi(holding_id: int, kpi_id: int):
    """A recorded KPI row as a whole, saved unless someone saved it since it was opened."""
    holding, kpi = get_or_404(Holding, holding_id), get_or_404(CompanyKpi, kpi_id)
    if kpi.company_id != holding.company_id:
        abort(404)
    form = KpiEditForm(obj=_as_form(kpi))
    if not form.is_submitted():
        form.version.data = str(kpi.version)
    done = submit(
        form,
        lambda: kpis.edit_kpi(db.session(), kpi, form.values(), form_version(form.version)),
        _("The KPIs of %(period)s are saved.", period=kpi.period),
        _back(holding, "#kpis"),
    )
    return done or render_template("compliance/kpi_edit.html", form=form, kpi=kpi, holding=holding)


def _as_form(kpi: CompanyKpi) -> SimpleNamespace:
    """The row's values under the form's field names (yuan: the 万元 fields show them)."""
    return SimpleNamespace(
        **{field: getattr(kpi, name) for name, field in kpis.FORM_FIELDS.items()}
    )


@bp.post("/portfolio/<int:holding_id>/milestones")
@requires("record_kpis")
def add_milestone(holding_id: int):
    holding = get_or_404(Holding, holding_id)
    form = milestone_form(holding.company_id)
    return posted(
        form,
        lambda: milestones.add_milestone(
            db.session(), holding.company_id, form.values(), current_user
        ),
        holding.company,
        "add_milestone",
        _("The milestone is added."),
        _back(holding, "#milestones"),
    )


def _year() -> int | None:
    """`?year=`: four digits; absent or blank for the default year; anything else is a 400."""
    text = (request.args.get("year") or "").strip()
    if not text:
        return None
    if not YEAR.match(text) or not FIRST_YEAR <= int(text) <= LAST_YEAR:
        raise ExplainedBadRequest(
            _("Give the year as four digits between %(first)s and %(last)s, e.g. 2026.",
              first=FIRST_YEAR, last=LAST_YEAR)
        )  # fmt: skip
    return int(text)


def _scope():
    """`?sub_fund=CODE`: one sub-fund, or the whole fund when absent or blank."""
    code = (request.args.get("sub_fund") or "").strip().upper()
    if not code:
        return None
    found = sub_fund_by_code(db.session(), code)
    if found is None:
        raise ExplainedBadRequest(_("No sub-fund has this code: %(code)s.", code=code))
    return found


@bp.get("/funds/targets")
@requires("read_compliance")
def targets_page():
    """Each target of the action plan with what the portfolio contributed and who behind it."""
    year, scope = _year(), _scope()
    contribution = targets.contribution_of(db.session(), year, scope)
    return render_template(
        "compliance/targets.html",
        contribution=contribution,
        scope=scope,
        sub_funds=sub_funds(db.session()),
        target_year=TARGET_YEAR,
    )
