"""`/api/v1/holdings`: each holding with its figures as of a date (DOMAIN.md section 6), the
same as the portfolio pages show: the list from the portfolio list's cached rows
(fundcrm.portfolio.listing), one holding from the metrics engine as its page computes it.
The staff who read the portfolio see every holding; an LP's representative (a viewer tied to
an LP) the holdings of its LP's sub-funds, as on its LP portfolio page; anyone else nothing."""

from datetime import date

from flask_babel import gettext as _
from flask_login import current_user
from pydantic import BaseModel, Field

from fundcrm import clock, db
from fundcrm.api import bp
from fundcrm.api.common import record_or_404
from fundcrm.api.errors import ApiError
from fundcrm.api.fields import Day, PageInfo, PageQuery, Strict, Yuan, page_info, text
from fundcrm.api.spec import operation
from fundcrm.domain.metrics import number
from fundcrm.funds import capital
from fundcrm.funds.queries import sub_fund_by_code
from fundcrm.models import Holding, LimitedPartner
from fundcrm.pagination import Page
from fundcrm.permissions import authorize, requires, tied_lp_id, user_can
from fundcrm.portfolio import holdings, listing, queries

TAG = "holdings"
AS_OF = Field(
    default=None,
    description="Today or earlier (a later one: 422); default today (the fund's business date).",
)


class AsOfQuery(Strict):
    as_of: Day | None = AS_OF


def as_of_of(asked: date | None) -> date:
    """The date figures are as of: today by default; a future one is refused (422), as a
    malformed one was already (400, the Day type)."""
    if asked is None:
        return clock.today()
    if asked > clock.today():
        message = _("The as-of date is today or earlier.")
        raise ApiError(422, message, code="refused", fields={"as_of": message})
    return asked


def lp_codes() -> set[str] | None:
    """The sub-funds (codes) the user may see the portfolio of: None for all (who reads the
    portfolio); its LP's for a representative tied to an LP; anyone else is refused (403)."""
    if user_can(current_user, "read_portfolio"):
        return None
    lp_id = tied_lp_id(current_user)
    if lp_id is None:
        raise ApiError(403)
    session = db.session()
    authorize("read_lp_account", session.get(LimitedPartner, lp_id) or LimitedPartner(id=lp_id))
    return {f.code for f in capital.sub_funds_of(session, lp_id)}


class HoldingOut(BaseModel):
    id: int
    company_id: int
    company: str
    sub_fund: str = Field(description="The sub-fund's code.")
    status: str = Field(description="active, exited or written_off.")
    as_of: date
    invested: Yuan = Field(description="Cost: the investments dated on or before as_of.")
    proceeds: Yuan
    dividends: Yuan
    realised: Yuan = Field(description="Proceeds + dividends.")
    fair_value: Yuan = Field(description="The unrealised value on as_of.")
    moic: float | None = Field(description="(proceeds + dividends + fair value) ÷ cost.")
    gross_irr: float | None = Field(description="XIRR; null when undefined.")
    first_flow: date | None
    mark_needed: bool = Field(description="A partial exit waits for a counted mark.")


class HoldingList(BaseModel):
    as_of: date
    items: list[HoldingOut]
    page: PageInfo


class HoldingQuery(PageQuery):
    as_of: Day | None = AS_OF
    sub_fund: text(30) | None = Field(
        default=None, description="A sub-fund's code (an unknown one: 422)."
    )


def holding_out(ids: tuple, figures, as_of: date) -> HoldingOut:
    """`ids`: (id, company_id, company, sub-fund code, status); `figures`: the engine's (or the
    list's cached) figures of the holding."""
    holding_id, company_id, company, code, status = ids
    return HoldingOut(
        id=holding_id,
        company_id=company_id,
        company=company,
        sub_fund=code,
        status=status,
        as_of=as_of,
        invested=figures.invested,
        proceeds=figures.proceeds,
        dividends=figures.dividends,
        realised=figures.proceeds + figures.dividends,
        fair_value=figures.fair_value,
        moic=number(figures.moic),
        gross_irr=number(figures.gross_irr),
        first_flow=figures.first_flow,
        mark_needed=figures.mark_needed,
    )


@bp.get("/holdings")
@requires("read_funds")
@operation(TAG, {200: HoldingList}, query=HoldingQuery, errors=(422,))
def list_holdings(query: HoldingQuery):
    """The holdings open by `as_of`, by company then sub-fund, with their figures as the
    portfolio list shows them (an LP's representative: its LP's sub-funds' only)."""
    as_of, codes = as_of_of(query.as_of), lp_codes()
    if query.sub_fund is not None:
        # an LP's representative is told the same for a code no sub-fund has and for another
        # LP's sub-fund, so its answers say nothing of which sub-funds exist
        if codes is not None and query.sub_fund not in codes:
            raise ApiError(403, _("Your LP has no commitment to this sub-fund."))
        if sub_fund_by_code(db.session(), query.sub_fund) is None:
            message = _("Unknown sub-fund: %(code)s", code=query.sub_fund)
            raise ApiError(422, message, code="bad_filter", fields={"sub_fund": message})
        codes = {query.sub_fund}
    found = [] if codes == set() else listing.rows(db.session(), as_of, {"sub_fund": codes or []})
    found = listing.ordered(found, "company")
    start = (query.page - 1) * query.per_page
    page = Page(found[start : start + query.per_page], query.page, query.per_page, len(found))
    items = [
        holding_out((r.id, r.company_id, r.company, r.sub_fund, r.status), r.figures, as_of)
        for r in page.items
    ]
    return HoldingList(as_of=as_of, items=items, page=page_info(page))


@bp.get("/holdings/<int:holding_id>")
@requires("read_funds")
@operation(TAG, {200: HoldingOut}, query=AsOfQuery, errors=(422,))
def get_holding(holding_id: int, query: AsOfQuery):
    """One holding's figures as of a date, as its page computes them."""
    as_of, codes = as_of_of(query.as_of), lp_codes()
    holding = record_or_404(Holding, holding_id, _("holding"))
    if codes is not None and holding.sub_fund.code not in codes:
        # the same answer as an id no holding has: a representative learns nothing of others
        raise ApiError(404, _("No %(name)s has the id %(id)s.", name=_("holding"), id=holding_id))
    marks = queries.marks_of(db.session(), [holding.id]).get(holding.id, [])
    figures = holdings.figures(holding, marks, as_of)
    described = (holding.id, holding.company_id, holding.company.name, holding.sub_fund.code,
                 holdings.status(holding))  # fmt: skip
    return holding_out(described, figures, as_of)
