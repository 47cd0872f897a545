"""The portfolio list reads its figures from the metrics cache every worker shares: a repeat
view runs a fixed number of statements whatever the number of holdings, in any sort order,
and every write that changes the metrics (a transaction, a mark counted, an LP flow, a
commitment) makes the next view compute them again, so it never shows stale figures."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlmodel import func, select

from fundcrm import clock
from fundcrm.models import Holding, MetricsCache, PortfolioTransaction
from fundcrm.portfolio import listing
from tests import factories
from tests.conftest import sign_in
from tests.factories import make_uscc
from tests.ic_fixtures import ENGLISH


def add_holdings(dbs, staff, n: int, offset: int) -> None:
    """n more holdings of the angel fund, each with an investment and a dividend."""
    opened = clock.today() - timedelta(days=400)
    for i in range(n):
        company = factories.company(dbs, f"重庆缓存测试{offset + i}科技有限公司",
                                    make_uscc(500 + offset + i))  # fmt: skip
        holding = Holding(sub_fund_id=staff["angel"].id, company_id=company.id, opened_on=opened)
        dbs.add(holding)
        dbs.flush()
        dbs.add_all([
            PortfolioTransaction(holding_id=holding.id, made_on=opened, kind="investment",
                                 amount_yuan=Decimal(1_000_000 * (i + 1))),
            PortfolioTransaction(holding_id=holding.id, made_on=opened + timedelta(days=200),
                                 kind="dividend", amount_yuan=Decimal("50000")),
        ])  # fmt: skip
    dbs.commit()


@pytest.mark.parametrize("sort", ["company", "-invested", "irr", "-moic", "sub_fund"])
def test_a_repeat_view_runs_a_fixed_number_of_statements(
    app, client, dbs, staff, count_queries, sort
):
    sign_in(client, staff["manager"].id)
    url = f"/portfolio?sort={sort}"
    add_holdings(dbs, staff, 3, 0)
    client.get(url)
    with count_queries() as small:
        assert client.get(url).status_code == 200
    add_holdings(dbs, staff, 30, 100)
    client.get(url)
    with count_queries() as large:
        assert client.get(url).status_code == 200
    assert small.n == large.n
    assert not any("portfolio_transactions" in s for s in large.statements)


def test_a_write_that_changes_the_metrics_is_seen_at_once(app, client, dbs, staff):
    sign_in(client, staff["risk"].id)
    add_holdings(dbs, staff, 2, 0)
    client.get("/portfolio", headers=ENGLISH)
    assert dbs.exec(select(func.count()).select_from(MetricsCache)).one() == 2  # rows + total
    holding = dbs.exec(select(Holding).order_by(Holding.id)).first()
    # another worker's write (a direct entry in its own session) changes the cost
    dbs.add(PortfolioTransaction(holding_id=holding.id, made_on=clock.today(), kind="investment",
                                 amount_yuan=Decimal("7000000")))  # fmt: skip
    dbs.commit()
    with app.app_context():
        from fundcrm import db

        found = listing.rows(db.session(), clock.today(), {})
    invested = {r.id: r.figures.invested for r in found}
    assert invested[holding.id] == Decimal("8000000")
    page = client.get("/portfolio?sort=-invested", headers=ENGLISH).get_data(as_text=True)
    assert "800.00" in page
    # the stale entries went when the new ones were stored
    dbs.expire_all()
    versions = set(dbs.exec(select(MetricsCache.version)).all())
    assert len(versions) == 1


def without_tokens(page: str) -> str:
    """The page without its CSRF tokens, which carry the second they were signed."""
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', page)


def test_a_cached_result_is_read_not_computed_again(app, client, dbs, staff, monkeypatch):
    sign_in(client, staff["manager"].id)
    add_holdings(dbs, staff, 2, 0)
    first = without_tokens(client.get("/portfolio?as_of=2026-06-30").get_data(as_text=True))

    def no_compute(*_args):
        raise AssertionError("computed again")

    monkeypatch.setattr(listing, "_every_holding", no_compute)
    monkeypatch.setattr(listing.queries, "ledgers", no_compute)
    again = client.get("/portfolio?as_of=2026-06-30").get_data(as_text=True)
    assert without_tokens(again) == first
    # another date is another result
    with pytest.raises(AssertionError, match="computed again"):
        client.get(f"/portfolio?as_of={date(2026, 7, 1)}")


def test_a_renamed_company_shows_its_new_name_at_once(app, client, dbs, staff):
    """The cached rows carry the company's name, focus and zone: a company's write raises the
    version like a transaction's."""
    from fundcrm.models import Company

    sign_in(client, staff["manager"].id)
    add_holdings(dbs, staff, 1, 0)
    assert "重庆缓存测试0科技有限公司" in client.get("/portfolio").get_data(as_text=True)
    company = dbs.exec(select(Company).where(Company.name == "重庆缓存测试0科技有限公司")).one()
    company.name = "重庆缓存更名科技有限公司"
    dbs.commit()
    page = client.get("/portfolio").get_data(as_text=True)
    assert "重庆缓存更名科技有限公司" in page and "重庆缓存测试0" not in page
