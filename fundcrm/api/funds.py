"""`/api/v1/sub-funds`: each sub-fund's setup, its performance as of a date (the fund
performance summary of DOMAIN.md section 6, from fundcrm.portfolio.figures as the metrics page
computes it) and, for who reads compliance, its compliance with the guidance-fund rules (the
compliance page's report, fundcrm.compliance.report). An LP's representative sees its LP's
sub-funds only; a viewer tied to no LP sees the setup without figures (as on /funds)."""

from datetime import date

from flask import current_app
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import BaseModel, Field

from fundcrm import db
from fundcrm.api import bp
from fundcrm.api.errors import ApiError
from fundcrm.api.fields import Day, Strict, WanOut, Yuan
from fundcrm.api.portfolio import AS_OF, as_of_of, lp_codes
from fundcrm.api.spec import operation
from fundcrm.compliance import report
from fundcrm.compliance.checks import Settings
from fundcrm.domain.metrics import number
from fundcrm.funds.queries import sub_fund_by_code, sub_funds
from fundcrm.permissions import requires, tied_lp_id, user_can
from fundcrm.portfolio import figures

TAG = "sub-funds"


class SubFundMetrics(BaseModel):
    """DOMAIN.md section 6: money in yuan, ratios and rates as numbers (null: undefined)."""

    committed: Yuan
    paid_in: Yuan
    distributions: Yuan
    expenses: Yuan
    invested: Yuan
    proceeds: Yuan
    dividends: Yuan
    fair_value: Yuan
    cash: Yuan
    nav: Yuan
    moic: float | None
    dpi: float | None
    rvpi: float | None
    tvpi: float | None
    gross_irr: float | None
    net_irr: float | None


class OverrideOut(BaseModel):
    who: str
    at: str | None = Field(description="ISO 8601 date-time.")
    why: str
    where: str = Field(description="`investment` or `move`.")


class BreachOut(BaseModel):
    code: str
    message: str = Field(description="In the request's language.")
    company_id: int
    company: str
    made_on: date | None
    override: OverrideOut | None


class ReinvestmentOut(BaseModel):
    """One government LP's commitment: the re-investment required against achieved."""

    commitment_id: int
    lp: str
    ratio: str
    area: list[str]
    base: str = Field(description="`committed` or `paid_in`.")
    base_amount: Yuan
    multiplier: str
    deadline: date | None
    required: Yuan
    achieved: Yuan
    status: str
    risk_from: date | None
    counted: int
    outside: int
    unknown: int


class CapRowOut(BaseModel):
    """A company the sub-fund holds against the single-project cap."""

    company_id: int
    company: str
    enterprise_stage: str
    focus_area: str
    cost: Yuan
    share_of_cap: float | None
    near_cap: bool
    over_cap: bool


class MandateOut(BaseModel):
    allowed_stages: list[str]
    focus_areas: list[str]
    project_cap_pct: float
    investment_end: date | None
    investing: bool = Field(description="As of the date, within the investment period.")


class ComplianceOut(BaseModel):
    size: Yuan = Field(description="The committed size on the date.")
    cap_limit: Yuan
    mandate: MandateOut
    reinvestment: list[ReinvestmentOut]
    companies: list[CapRowOut]
    breaches: list[BreachOut]
    overdue_conditions: int
    counts: dict[str, int]


class SubFundOut(BaseModel):
    id: int
    code: str
    name: str
    name_en: str | None
    target_wan: WanOut
    first_close: date | None
    investment_end: date | None
    term_end: date | None
    as_of: date
    metrics: SubFundMetrics | None = Field(
        description="For who reads the portfolio, and an LP's representative (its LP's)."
    )
    compliance: ComplianceOut | None = Field(
        description="Only for who reads compliance (read_compliance): null otherwise, and in "
        "the list (ask for one sub-fund)."
    )


class SubFundList(BaseModel):
    as_of: date
    items: list[SubFundOut]


def _seen() -> tuple[set[str] | None, bool]:
    """(the codes the user may see, None for all; whether it sees their figures)."""
    if user_can(current_user, "read_portfolio") or tied_lp_id(current_user) is not None:
        return lp_codes(), True
    return None, False


def _metrics(part) -> SubFundMetrics:
    f = part.figures
    money = {name: getattr(f, name) for name in figures.FUND_MONEY}
    ratios = {name: number(getattr(f, name)) for name in figures.FUND_RATIOS}
    return SubFundMetrics(**money, cash=f.cash, **ratios)


def _compliance(fund, as_of: date) -> ComplianceOut:
    found = report.page(db.session(), fund, as_of, Settings.of(current_app.config))
    rows = [report.company_row(c) for c in found.companies]
    return ComplianceOut(
        size=found.size,
        cap_limit=found.limit,
        mandate=MandateOut(
            allowed_stages=fund.allowed_stages,
            focus_areas=fund.focus_areas,
            project_cap_pct=float(fund.project_cap_pct),
            investment_end=fund.investment_end,
            investing=fund.investment_end is None or as_of <= fund.investment_end,
        ),
        reinvestment=[_reinvestment(c) for c in found.commitments],
        companies=[
            CapRowOut(
                company_id=r.id,
                company=r.name,
                enterprise_stage=r.stage,
                focus_area=r.focus,
                cost=r.cost,
                share_of_cap=number(r.share),
                near_cap=r.near,
                over_cap=r.over,
            )
            for r in rows
        ],  # fmt: skip
        breaches=[_breach(b) for b in found.breaches],
        overdue_conditions=len(found.conditions),
        counts=found.counts,
    )


def _reinvestment(c) -> ReinvestmentOut:
    return ReinvestmentOut(
        commitment_id=c.id, lp=c.lp, ratio=str(c.ratio), area=c.area, base=c.base,
        base_amount=c.base_amount, multiplier=str(c.multiplier), deadline=c.deadline,
        required=c.required, achieved=c.achieved, status=c.status, risk_from=c.risk_from,
        counted=c.counted, outside=c.outside, unknown=c.unknown,
    )  # fmt: skip


def _breach(b) -> BreachOut:
    given = b.override
    override = None
    if given is not None:
        at = given.at.isoformat() if given.at else None
        override = OverrideOut(who=given.who, at=at, why=given.why, where=given.where)
    return BreachOut(code=b.code, message=b.text, company_id=b.company_id, company=b.company,
                     made_on=b.made_on, override=override)  # fmt: skip


def sub_fund_out(fund, as_of: date, part=None, compliance=None) -> SubFundOut:
    return SubFundOut(
        id=fund.id,
        code=fund.code,
        name=fund.name,
        name_en=fund.name_en,
        target_wan=fund.target_yuan,
        first_close=fund.first_close,
        investment_end=fund.investment_end,
        term_end=fund.term_end,
        as_of=as_of,
        metrics=_metrics(part) if part is not None else None,
        compliance=compliance,
    )


class SubFundQuery(Strict):
    as_of: Day | None = AS_OF


@bp.get("/sub-funds")
@requires("read_funds")
@operation(TAG, {200: SubFundList}, query=SubFundQuery, errors=(422,))
def list_sub_funds(query: SubFundQuery):
    """The sub-funds in order, each with its figures as of `as_of` (no compliance: ask for one
    sub-fund)."""
    as_of, (codes, with_figures) = as_of_of(query.as_of), _seen()
    session = db.session()
    funds = [f for f in sub_funds(session) if codes is None or f.code in codes]
    parts = {}
    if with_figures and funds:
        _total, computed = figures.compute(session, as_of)
        parts = {p.code: p for p in computed}
    items = [sub_fund_out(f, as_of, parts.get(f.code)) for f in funds]
    return SubFundList(as_of=as_of, items=items)


@bp.get("/sub-funds/<code>")
@requires("read_funds")
@operation(TAG, {200: SubFundOut}, query=SubFundQuery, errors=(422,))
def get_sub_fund(code: str, query: SubFundQuery):
    """One sub-fund (by its code) with its figures and, for who reads compliance, its
    compliance as of `as_of`."""
    as_of, (codes, with_figures) = as_of_of(query.as_of), _seen()
    session = db.session()
    fund = sub_fund_by_code(session, code)
    if codes is not None and code not in codes:
        raise ApiError(403, _("Your LP has no commitment to this sub-fund."))
    if fund is None:
        raise ApiError(404, _("No sub-fund has this code."))
    part = None
    if with_figures:
        _total, (part,) = figures.compute(session, as_of, fund.code)
    compliance = _compliance(fund, as_of) if user_can(current_user, "read_compliance") else None
    return sub_fund_out(fund, as_of, part, compliance)
