"""Each LP's capital account (DOMAIN.md section 6): a fund with known flows, fees, a mark, a
fee-exempt GP and an LP that closed late, checked to the fen against figures worked out by
hand; the balances add up to NAV exactly, for random flows too; the page, the PDF statement,
the period, the LP form's fee choice and the refusals."""

import re
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from fundcrm.domain import capital
from fundcrm.domain.capital import Investor, Ledger, Period
from fundcrm.domain.money import wan_text
from fundcrm.funds import capital as reads
from fundcrm.models import (
    AuditEntry,
    FundExpense,
    Holding,
    LimitedPartner,
    LpFlow,
    PortfolioTransaction,
    User,
    ValuationMark,
)
from tests import factories
from tests.conftest import page_text, post_form
from tests.ic_fixtures import ENGLISH, client_of

AS_OF = date(2025, 12, 31)
Y = Decimal  # yuan


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel("2026-01-15T04:00:00Z", tick=False):
        yield


def _flow(dbs, lp, fund, on, kind, yuan):
    dbs.add(LpFlow(lp_id=lp.id, sub_fund_id=fund.id, flow_on=on, kind=kind, amount_yuan=Y(yuan)))


def _fee(dbs, fund, on, kind, yuan):
    dbs.add(FundExpense(sub_fund_id=fund.id, spent_on=on, kind=kind, amount_yuan=Y(yuan)))


@pytest.fixture
def fund(app, dbs, make_user):
    """天使基金 (first close 2024-06-01): the city fund of funds A 6,000 万元, the institution B
    3,000, the GP G 1,000 (bears no fees by its type), the industry leader L 2,000 committed
    late (2025-01-01). Calls of 30% at the first close (L's catch-up on 2025-01-01) and 20% on
    2025-06-01; a management fee of 200 万元 (2024-12-31) and a fund expense of 333,333.33 yuan
    (2025-06-30); 4,000 万元 invested on 2024-07-01, marked at 5,500 on 2025-09-30; a
    dividend of 100 paid on to the LPs on 2025-11-01. 产业基金: A alone, 5,000 committed,
    1,000 called on 2024-09-30, a 10 万元 expense on 2025-03-31, nothing invested."""
    users = {role: make_user(role)[0] for role in ("admin", "manager", "risk", "ic_member")}
    with app.app_context():
        angel = factories.sub_fund(dbs, "ANGEL", first_close=date(2024, 6, 1))
        industry = factories.sub_fund(dbs, "INDUSTRY", first_close=date(2024, 9, 30))
        a = factories.lp(dbs, "重庆市产业投资母基金")
        b = factories.lp(dbs, "重庆科创投资管理有限公司", "institution", government=False)
        g = factories.lp(dbs, "重庆AI及服务机器人基金管理有限公司", "gp", government=False)
        late = factories.lp(dbs, "渝创机器人产业集团有限公司", "industry_leader", government=False)
        for lp, yuan, on in ((a, "60000000", None), (b, "30000000", None), (g, "10000000", None),
                             (late, "20000000", date(2025, 1, 1))):  # fmt: skip
            factories.commitment(dbs, lp, angel, yuan, committed_on=on)
        factories.commitment(dbs, a, industry, "50000000")
        first, second = date(2024, 6, 1), date(2025, 6, 1)
        for lp, yuan in ((a, "18000000"), (b, "9000000"), (g, "3000000")):
            _flow(dbs, lp, angel, first, "call", yuan)
        _flow(dbs, late, angel, date(2025, 1, 1), "call", "6000000")
        for lp, yuan in ((a, "12000000"), (b, "6000000"), (g, "2000000"), (late, "4000000")):
            _flow(dbs, lp, angel, second, "call", yuan)
        paid_out = ((a, "500000"), (b, "250000"), (g, "83333.33"), (late, "166666.67"))
        for lp, yuan in paid_out:
            _flow(dbs, lp, angel, date(2025, 11, 1), "distribution", yuan)
        _fee(dbs, angel, date(2024, 12, 31), "management_fee", "2000000")
        _fee(dbs, angel, date(2025, 6, 30), "expense", "333333.33")
        _flow(dbs, a, industry, date(2024, 9, 30), "call", "10000000")
        _fee(dbs, industry, date(2025, 3, 31), "expense", "100000")
        company = factories.company(dbs, "重庆擎天机器人科技有限公司", factories.make_uscc(1))
        holding = Holding(sub_fund_id=angel.id, company_id=company.id, opened_on=date(2024, 7, 1))
        dbs.add(holding)
        dbs.flush()
        dbs.add_all([
            PortfolioTransaction(holding_id=holding.id, made_on=date(2024, 7, 1),
                                 kind="investment", amount_yuan=Y("40000000"),
                                 equity_pct=Decimal("10")),
            PortfolioTransaction(holding_id=holding.id, made_on=date(2025, 10, 1),
                                 kind="dividend", amount_yuan=Y("1000000")),
            ValuationMark(holding_id=holding.id, marked_on=date(2025, 9, 30),
                          fair_value_yuan=Y("55000000"), method="dcf", status="counted",
                          author_id=users["risk"]),
        ])  # fmt: skip
        dbs.commit()
    return {"angel": angel, "industry": industry, "a": a, "b": b, "g": g, "late": late,
            "holding": holding, **users}  # fmt: skip


# Worked by hand. NAV = fair value 5,500 万 + cash (6,000 called + 100 dividend − 4,000
# invested − 100 distributed − 233.333333 fees) = 72,666,666.67 yuan; Σ distributions − Σ calls
# + E: the gain to share = 72,666,666.67 + 1,000,000 − 60,000,000 + 2,333,333.33 = 16,000,000.
# Paid-in shares A 1/2, B 1/4, G 1/12, L 1/6; commitment shares (A, B, L bear fees: 11,000 万)
# A 6/11, B 3/11, L 2/11, G 0. Exact balances: A 36,227,272.7290…, B 18,113,636.3645…,
# G 6,250,000.0033…, L 12,075,757.5730…: rounded down they leave 2 fen, which go to the largest
# remainders (A .909, B .454).
NAV = Y("72666666.67")
BALANCES = {"a": Y("36227272.73"), "b": Y("18113636.37"), "g": Y("6250000.00"),
            "late": Y("12075757.57")}  # fmt: skip
# 6/11, 3/11 and 2/11 of 2,333,333.33: 1,272,727.2709…, 636,363.6354…, 424,242.4236…; the fen
# left goes to B (remainder .54)
FEES = {"a": Y("1272727.27"), "b": Y("636363.64"), "g": Y("0.00"), "late": Y("424242.42")}
CALLS = {"a": Y("30000000"), "b": Y("15000000"), "g": Y("5000000"), "late": Y("10000000")}
COMMITTED = {"a": Y("60000000"), "b": Y("30000000"), "g": Y("10000000"), "late": Y("20000000")}
DISTRIBUTED = {"a": Y("500000"), "b": Y("250000"), "g": Y("83333.33"), "late": Y("166666.67")}


def _statement(app, dbs, lp, as_of=AS_OF, start=None):
    with app.app_context():
        return reads.statement(dbs, lp.id, as_of, start or date(as_of.year, 1, 1))


def _angel(found):
    (part,) = [p for p in found.parts if p.code == "ANGEL"]
    return part


def test_each_balance_to_the_fen_and_they_add_up_to_nav(app, dbs, fund):
    parts = {key: _angel(_statement(app, dbs, fund[key])) for key in BALANCES}
    assert {key: p.account.balance for key, p in parts.items()} == BALANCES
    assert sum(p.account.balance for p in parts.values()) == NAV == parts["a"].nav
    assert {key: p.account.fees for key, p in parts.items()} == FEES
    assert sum(FEES.values()) == Y("2333333.33") == parts["a"].expenses
    assert {key: p.account.calls for key, p in parts.items()} == CALLS
    assert {key: p.account.committed for key, p in parts.items()} == COMMITTED
    assert {key: p.account.distributions for key, p in parts.items()} == DISTRIBUTED
    assert {key: p.account.unfunded for key, p in parts.items()} == {
        key: COMMITTED[key] - CALLS[key] for key in CALLS
    }
    assert parts["g"].account.commitment_share == 0 and parts["g"].account.fees == 0
    assert parts["a"].account.paid_in_share == Decimal("0.5")
    assert parts["late"].account.commitment_share == Decimal("0.1818181818")


def _exact_balance(calls, paid_out, share, fee_share) -> Fraction:
    """The formula of DOMAIN.md section 6, written again here with fractions."""
    gain = Fraction(NAV) + Fraction(sum(DISTRIBUTED.values())) - Fraction(sum(CALLS.values()))
    spent = Fraction(Y("2333333.33"))
    return Fraction(calls - paid_out) + share * (gain + spent) - fee_share * spent


def test_the_hand_figures_follow_the_formula(app, dbs, fund):
    shares = {"a": Fraction(1, 2), "b": Fraction(1, 4), "g": Fraction(1, 12),
              "late": Fraction(1, 6)}  # fmt: skip
    fee_shares = {"a": Fraction(6, 11), "b": Fraction(3, 11), "g": 0, "late": Fraction(2, 11)}
    exact = {k: _exact_balance(CALLS[k], DISTRIBUTED[k], shares[k], fee_shares[k]) for k in CALLS}
    assert sum(exact.values()) == Fraction(NAV)
    for key, value in exact.items():
        assert abs(Fraction(BALANCES[key]) - value) < Fraction(1, 100)


def _xnpv(rate: float, flows) -> float:
    start = flows[0][0]
    return sum(float(a) / (1 + rate) ** ((d - start).days / 365) for d, a in flows)


def _irr_by_bisection(flows) -> float:
    """Actual/365 IRR found by bisection: a root-finder of its own, not pyxirr's."""
    low, high = -0.99, 10.0
    for _ in range(200):
        middle = (low + high) / 2
        if (_xnpv(low, flows) > 0) == (_xnpv(middle, flows) > 0):
            low = middle
        else:
            high = middle
    return (low + high) / 2


def test_net_irr_of_each_lp_and_of_an_lp_in_two_sub_funds(app, dbs, fund):
    found = _statement(app, dbs, fund["late"])
    flows = [(date(2025, 1, 1), -6_000_000), (date(2025, 6, 1), -4_000_000),
             (date(2025, 11, 1), 166_666.67), (AS_OF, float(BALANCES["late"]))]  # fmt: skip
    assert _angel(found).account.net_irr == pytest.approx(_irr_by_bisection(flows), abs=1e-7)
    assert _angel(found).account.first_flow == date(2025, 1, 1)  # "n.m." on the page
    a = _statement(app, dbs, fund["a"])
    industry = next(p for p in a.parts if p.code == "INDUSTRY")
    # 产业基金: A alone, 1,000 called, 10 spent, nothing invested: NAV = balance = 990 万
    assert industry.account.balance == industry.nav == Y("9900000.00")
    assert industry.account.fees == Y("100000.00")
    total = a.total
    assert total.balance == BALANCES["a"] + Y("9900000.00")
    assert total.committed == Y("110000000") and total.calls == Y("40000000")
    assert total.fees == FEES["a"] + Y("100000.00")
    combined = sorted([(date(2024, 6, 1), -18_000_000), (date(2024, 9, 30), -10_000_000),
                       (date(2025, 6, 1), -12_000_000), (date(2025, 11, 1), 500_000),
                       (AS_OF, float(total.balance))])  # fmt: skip
    assert total.net_irr == pytest.approx(_irr_by_bisection(combined), abs=1e-7)


def test_the_period_figures(app, dbs, fund):
    year = _angel(_statement(app, dbs, fund["late"]))  # 2025-01-01 – 2025-12-31
    assert year.account.calls_in_period == Y("10000000")
    assert year.account.distributions_in_period == Y("166666.67")
    assert year.expenses_in_period == Y("333333.33")
    # 2/11 of the expense of 2025-06-30 (333,333.33 yuan): 60,606.06 exactly
    assert year.account.fees_in_period == Y("60606.06")
    half = _angel(_statement(app, dbs, fund["a"], start=date(2025, 7, 1)))
    assert half.account.calls_in_period == 0 and half.account.fees_in_period == 0
    assert half.account.distributions_in_period == Y("500000")
    assert half.account.balance == BALANCES["a"]  # the period changes no balance


def test_before_any_call_the_balances_bear_the_fees_by_commitment():
    """No call yet: shares of the commitments; each balance is −commitment share × fees, and
    they add up to NAV (−fees)."""
    people = (Investor(1, Y("300"), True), Investor(2, Y("100"), True),
              Investor(3, Y("100"), False))  # fmt: skip
    ledger = Ledger(Y("-10.00"), ((date(2025, 1, 2), Y("10.00")),), people)
    result = capital.accounts(ledger, Period(date(2025, 1, 1), date(2025, 1, 31)))
    assert result.basis == "committed"
    assert [a.balance for a in result.accounts] == [Y("-7.50"), Y("-2.50"), Y("0.00")]
    nothing = capital.accounts(Ledger(Y("0"), (), ()), Period(date(2025, 1, 1), date(2025, 1, 1)))
    assert nothing.basis == "none" and nothing.accounts == ()


def test_with_no_fee_bearing_lp_the_fees_fall_on_the_paid_in_shares():
    people = (
        Investor(1, Y("100"), False, calls=((date(2025, 1, 1), Y("30")),)),
        Investor(2, Y("100"), False, calls=((date(2025, 1, 1), Y("10")),)),
    )
    ledger = Ledger(Y("36.00"), ((date(2025, 1, 2), Y("4.00")),), people)
    result = capital.accounts(ledger, Period(date(2025, 1, 1), date(2025, 12, 31)))
    assert [a.fees for a in result.accounts] == [Y("3.00"), Y("1.00")]
    assert [a.balance for a in result.accounts] == [Y("27.00"), Y("9.00")]


FEN = st.integers(min_value=0, max_value=10**11).map(lambda n: Decimal(n).scaleb(-2))
DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2025, 12, 31))
PEOPLE = st.lists(
    st.builds(
        lambda lp_id, committed, fees, calls, paid: Investor(
            lp_id, committed, fees, tuple(calls), tuple(paid)
        ),
        st.integers(1, 10**6),
        FEN,
        st.booleans(),
        st.lists(st.tuples(DAYS, FEN), max_size=4),
        st.lists(st.tuples(DAYS, FEN), max_size=3),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(PEOPLE, st.integers(-(10**11), 10**12).map(lambda n: Decimal(n).scaleb(-2)),
       st.lists(st.tuples(DAYS, FEN), max_size=4), DAYS)  # fmt: skip
def test_the_balances_add_up_to_nav_for_any_flows(people, nav, expenses, as_of):
    result = capital.accounts(Ledger(nav, tuple(expenses), tuple(people)),
                              Period(date(2024, 1, 1), as_of))  # fmt: skip
    balances = [a.balance for a in result.accounts]
    assert all(b == b.quantize(Decimal("0.01")) for b in balances)
    if result.basis != "none":
        assert sum(balances) == nav
        assert sum(a.fees for a in result.accounts) == result.expenses
        assert sum(a.fees_in_period for a in result.accounts) == result.expenses_in_period


# -- the page, the PDF, the form ----------------------------------------------------------------


def _user(dbs, fund, role):
    return dbs.get(User, fund[role])


def _exact(page: str, key: str) -> str:
    """The exact 万元 an amount's cell holds (its title)."""
    found = re.search(rf'id="{key}" title="([^"]+) 万元"', page)
    assert found, key
    return found.group(1)


def test_the_account_page_shows_the_figures(app, dbs, fund):
    client = client_of(app, _user(dbs, fund, "manager"))
    page = client.get(f"/funds/lps/{fund['a'].id}?as_of=2025-12-31", headers=ENGLISH)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert _exact(html, "account-ANGEL-balance") == wan_text(BALANCES["a"])
    assert _exact(html, "account-ANGEL-fees") == wan_text(FEES["a"])
    assert _exact(html, "account-total-balance") == wan_text(BALANCES["a"] + Y("9900000"))
    assert _exact(html, "account-ANGEL-unfunded") == "3000"
    assert "50.0000%" in page_text(html, 'id="paid-in-share-ANGEL"')
    performance = page_text(html, 'id="performance-ANGEL"').split("INDUSTRY")[0]
    assert "12,000.00 6,000.00 100.00 7,266.67" in performance and "n.m." not in performance
    late = client.get(f"/funds/lps/{fund['late'].id}?as_of=2025-12-31", headers=ENGLISH)
    assert "n.m." in page_text(late.get_data(as_text=True), 'id="account-ANGEL-net_irr"')[:40]


def test_the_period_and_dates_are_checked(app, dbs, fund):
    client = client_of(app, _user(dbs, fund, "risk"))
    url = f"/funds/lps/{fund['a'].id}"
    page = client.get(f"{url}?as_of=2025-12-31&from=2025-07-01", headers=ENGLISH)
    html = page.get_data(as_text=True)
    assert _exact(html, "account-ANGEL-calls_in_period") == "0"
    assert _exact(html, "account-ANGEL-distributions_in_period") == "50"
    for bad in ("as_of=2025-02-30", "from=2025-13-01", "as_of=2025-06-30&from=2025-07-01"):
        assert client.get(f"{url}?{bad}").status_code == 400
        assert client.get(f"{url}/statement.pdf?{bad}").status_code == 400
    assert client.get("/funds/lps/987654").status_code == 404
    assert client_of(app, _user(dbs, fund, "ic_member")).get(url).status_code == 403


def test_the_statement_pdf_embeds_the_cjk_font(app, dbs, fund):
    client = client_of(app, _user(dbs, fund, "admin"))
    response = client.get(f"/funds/lps/{fund['a'].id}/statement.pdf?as_of=2025-12-31")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    data = response.data
    assert data.startswith(b"%PDF") and b"WenQuanYi" in data and b"STSong" not in data
    assert b"FontFile2" in data  # the TrueType font itself, embedded


def test_a_repeat_view_reads_a_fixed_number_of_statements(app, dbs, fund, count_queries):
    """The first view of a date computes every account from a fixed number of statements,
    whatever the number of LPs; a repeat view reads the cached result."""
    client = client_of(app, _user(dbs, fund, "manager"))
    url = f"/funds/lps/{fund['a'].id}?as_of=2025-12-31"
    with count_queries() as first:
        client.get(url)
    with count_queries() as again:
        client.get(url)
    with app.app_context():
        for n in range(12):
            lp = factories.lp(dbs, f"区级引导基金{n}", "district_fof")
            factories.commitment(dbs, lp, fund["angel"], "1000000")
            _flow(dbs, lp, fund["angel"], date(2025, 3, 1), "call", "100000")
        dbs.commit()
    with count_queries() as more:
        client.get(url)
    assert more.n == first.n
    assert again.n < first.n and again.n <= 8


def test_the_lp_form_sets_who_bears_fees_and_it_is_audited(app, dbs, fund):
    admin = client_of(app, _user(dbs, fund, "admin"))
    g = fund["g"]
    form = {"name": g.name, "lp_type": "gp", "bears_fees": "yes"}
    response = post_form(admin, f"/funds/lps/{g.id}/edit", form)
    assert response.status_code == 302
    dbs.expire_all()
    assert dbs.get(LimitedPartner, g.id).bears_fees is True
    trail = select(AuditEntry).where(AuditEntry.table_name == "lps", AuditEntry.row_id == str(g.id))
    entry = dbs.exec(trail.order_by(AuditEntry.id)).all()[-1]
    assert "bears_fees" in entry.changes
    # the GP now bears its share: 1/12 of the commitments of all four
    assert _angel(_statement(app, dbs, g)).account.commitment_share == Decimal("0.0833333333")
    bad = post_form(admin, f"/funds/lps/{g.id}/edit", {**form, "bears_fees": "maybe"})
    assert bad.status_code == 200
    dbs.expire_all()
    assert dbs.get(LimitedPartner, g.id).bears_fees is True
    back = post_form(admin, f"/funds/lps/{g.id}/edit", {**form, "bears_fees": ""})
    assert back.status_code == 302
    dbs.expire_all()
    assert dbs.get(LimitedPartner, g.id).bears_fees is None


def test_lp_names_on_the_fund_page_lead_to_their_accounts(app, dbs, fund):
    page = client_of(app, _user(dbs, fund, "manager")).get("/funds").get_data(as_text=True)
    assert f'href="/funds/lps/{fund["late"].id}?as_of=' in page
    admin = client_of(app, _user(dbs, fund, "admin")).get("/funds").get_data(as_text=True)
    assert f'href="/funds/lps/{fund["late"].id}/edit"' in admin


def test_a_late_lp_has_no_account_before_its_commitment_starts(app, dbs, fund):
    early = _angel(_statement(app, dbs, fund["late"], as_of=date(2024, 12, 31)))
    assert early.account.committed == 0 and early.account.balance == 0
    assert early.account.commitment_share == 0
    assert early.account.net_irr is None
