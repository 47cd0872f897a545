"""The LP's own view (DOMAIN.md section 2): an administrator ties a viewer's account to one LP;
the representative then sees its LP's capital account, statement and sub-funds' portfolio,
and nothing of another LP or sub-fund, nor the pipeline. Proved with two LPs in different
sub-funds and a representative of each."""

import json
import re
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from sqlmodel import select

from fundcrm.models import AuditEntry, Holding, LpFlow, PortfolioTransaction, User
from tests import factories
from tests.conftest import page_text, post_form
from tests.ic_fixtures import ENGLISH, client_of


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel("2026-03-02T04:00:00Z", tick=False):
        yield


def _holding(dbs, fund, name: str, n: int, yuan: str):
    company = factories.company(dbs, name, factories.make_uscc(n), focus_area="large_model")
    holding = Holding(sub_fund_id=fund.id, company_id=company.id, opened_on=date(2025, 3, 1))
    dbs.add(holding)
    dbs.flush()
    dbs.add(PortfolioTransaction(holding_id=holding.id, made_on=date(2025, 3, 1),
                                 kind="investment", amount_yuan=Decimal(yuan)))  # fmt: skip
    return holding


@pytest.fixture
def two(app, dbs, make_user):
    """两江 (district fund of funds) in 天使基金 only, 高新区 in 产业基金 only; each with a call and
    a holding of its sub-fund; a representative (viewer) tied to each, and an untied viewer."""
    ids = {role: make_user(role)[0] for role in ("admin", "manager", "risk")}
    ids["viewer_a"], ids["viewer_b"], ids["loose"] = (make_user("viewer")[0] for _ in range(3))
    with app.app_context():
        angel = factories.sub_fund(dbs, "ANGEL", name="重庆天使子基金")
        industry = factories.sub_fund(dbs, "INDUSTRY", name="重庆产业子基金")
        mine = factories.lp(dbs, "两江新区产业发展投资基金", "district_fof")
        theirs = factories.lp(dbs, "西部科学城重庆高新区创新投资基金", "district_fof")
        factories.commitment(dbs, mine, angel, "200000000")
        factories.commitment(dbs, theirs, industry, "500000000")
        dbs.add(LpFlow(lp_id=mine.id, sub_fund_id=angel.id, flow_on=date(2025, 1, 10),
                       kind="call", amount_yuan=Decimal("60000000")))  # fmt: skip
        dbs.add(LpFlow(lp_id=theirs.id, sub_fund_id=industry.id, flow_on=date(2025, 1, 10),
                       kind="call", amount_yuan=Decimal("150000000")))  # fmt: skip
        held = _holding(dbs, angel, "重庆灵犀大模型科技有限公司", 1, "30000000")
        other = _holding(dbs, industry, "重庆钢铁侠机器人有限公司", 2, "80000000")
        dbs.commit()
    for key, lp in (("viewer_a", mine), ("viewer_b", theirs)):
        dbs.get(User, ids[key]).lp_id = lp.id
    dbs.commit()
    return {**ids, "mine": mine, "theirs": theirs, "angel": angel, "industry": industry,
            "held": held, "other": other}  # fmt: skip


def _as(app, dbs, user_id):
    return client_of(app, dbs.get(User, user_id))


def test_each_representative_sees_its_own_account_and_not_the_others(app, dbs, two):
    for me, mine, theirs in (("viewer_a", "mine", "theirs"), ("viewer_b", "theirs", "mine")):
        client = _as(app, dbs, two[me])
        own = client.get(f"/funds/lps/{two[mine].id}", headers=ENGLISH)
        assert own.status_code == 200 and two[mine].name in own.get_data(as_text=True)
        assert two[theirs].name not in own.get_data(as_text=True)
        for path in ("", "/statement.pdf", "/portfolio"):
            assert client.get(f"/funds/lps/{two[mine].id}{path}").status_code == 200
            refused = client.get(f"/funds/lps/{two[theirs].id}{path}", headers=ENGLISH)
            assert refused.status_code == 403
        assert "only the account of the LP it represents" in refused.get_data(as_text=True)
    loose = _as(app, dbs, two["loose"])  # a viewer tied to no LP reads no account
    assert loose.get(f"/funds/lps/{two['mine'].id}").status_code == 403


def test_a_representative_learns_nothing_from_lp_ids(app, dbs, two):
    """Another LP's id and an id no LP has get the very same refusal, so a representative cannot
    find out which LPs exist; the staff get a 404 for an id no LP has."""
    client = _as(app, dbs, two["viewer_a"])
    for path in ("", "/statement.pdf", "/portfolio"):
        other = client.get(f"/funds/lps/{two['theirs'].id}{path}", headers=ENGLISH)
        missing = client.get(f"/funds/lps/99999{path}", headers=ENGLISH)
        assert other.status_code == missing.status_code == 403
        # the same page but for the address it was asked at (the language links repeat it)
        asked = other.get_data(as_text=True).replace(f"/funds/lps/{two['theirs'].id}", "/ID")
        assert asked == missing.get_data(as_text=True).replace("/funds/lps/99999", "/ID")
    staff = _as(app, dbs, two["manager"])
    assert staff.get("/funds/lps/99999").status_code == 404


def test_a_representative_never_reaches_the_pipeline_or_the_portfolio(app, dbs, two):
    client = _as(app, dbs, two["viewer_a"])
    for path in ("/deals", "/deals/board", "/companies", "/portfolio",
                 f"/portfolio/{two['held'].id}", f"/portfolio/{two['other'].id}",
                 "/funds/ANGEL/metrics", "/funds/INDUSTRY/metrics", "/ic"):  # fmt: skip
        assert client.get(path).status_code == 403, path


def test_the_fund_page_shows_a_representative_only_its_sub_funds_and_its_lp(app, dbs, two):
    page = _as(app, dbs, two["viewer_a"]).get("/funds", headers=ENGLISH).get_data(as_text=True)
    assert "重庆天使子基金" in page and two["mine"].name in page
    for hidden in ("重庆产业子基金", "INDUSTRY", two["theirs"].name):
        assert hidden not in page, hidden
    # its sub-fund's total and the total of its sub-funds: 6,000 paid in of 20,000
    assert "20,000.00 6,000.00 14,000.00" in page_text(page, 'id="position-total"')
    assert f'href="/funds/lps/{two["mine"].id}?as_of=' in page
    # a viewer tied to no LP sees the fund's totals as before, and no LP
    loose = _as(app, dbs, two["loose"]).get("/funds").get_data(as_text=True)
    assert "重庆产业子基金" in loose and two["mine"].name not in loose
    # the staff who read LP accounts see every LP
    staff = _as(app, dbs, two["manager"]).get("/funds").get_data(as_text=True)
    assert two["mine"].name in staff and two["theirs"].name in staff


def test_its_pages_show_its_sub_funds_performance_and_portfolio_only(app, dbs, two):
    client = _as(app, dbs, two["viewer_a"])
    base = f"/funds/lps/{two['mine'].id}"
    account = client.get(f"{base}?as_of=2026-03-01", headers=ENGLISH).get_data(as_text=True)
    assert 'id="performance-ANGEL"' in account and "INDUSTRY" not in account
    # alone in its sub-fund: its balance is the sub-fund's NAV (6,000 called, 3,000 invested)
    assert 'id="account-ANGEL-balance" title="6000 万元">6,000.00<' in account
    portfolio = client.get(f"{base}/portfolio?as_of=2026-03-01").get_data(as_text=True)
    assert "重庆灵犀大模型科技有限公司" in portfolio and "重庆钢铁侠机器人有限公司" not in portfolio
    assert "3,000.00" in page_text(portfolio, 'id="lp-holdings-total"')
    assert client.get(f"{base}/portfolio?sub_fund=INDUSTRY").status_code == 404
    pdf = client.get(f"{base}/statement.pdf?as_of=2026-03-01")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_the_home_page_summarises_the_representatives_account(app, dbs, two):
    page = _as(app, dbs, two["viewer_a"]).get("/", headers=ENGLISH).get_data(as_text=True)
    summary = page_text(page, 'id="home-lp-account"')
    assert two["mine"].name in summary and "20,000.00" in summary
    assert f'href="/funds/lps/{two["mine"].id}"' in page
    staff = _as(app, dbs, two["manager"]).get("/").get_data(as_text=True)
    assert 'id="home-lp-account"' not in staff


def _user_form(user, **changes):
    roles = sorted(user.role_codes)
    return {"name": user.name, "roles": roles, "active": "y", "lp_id": "", **changes}


def test_the_administrator_ties_a_viewer_and_the_change_is_audited(app, dbs, two):
    admin = _as(app, dbs, two["admin"])
    loose = dbs.get(User, two["loose"])
    form = _user_form(loose, lp_id=str(two["theirs"].id))
    response = post_form(admin, f"/admin/users/{loose.id}", form)
    assert response.status_code == 302
    dbs.expire_all()
    assert dbs.get(User, loose.id).lp_id == two["theirs"].id
    trail = select(AuditEntry).where(AuditEntry.table_name == "users")
    (entry,) = [e for e in dbs.exec(trail.where(AuditEntry.row_id == str(loose.id))).all()
                if "lp_id" in json.loads(e.changes)]  # fmt: skip
    assert json.loads(entry.changes)["lp_id"] == [None, two["theirs"].id]
    assert entry.actor_id == two["admin"]
    assert _as(app, dbs, loose.id).get(f"/funds/lps/{two['theirs'].id}").status_code == 200
    listed = admin.get("/admin/users").get_data(as_text=True)
    assert two["theirs"].name in listed
    # untied again
    assert post_form(admin, f"/admin/users/{loose.id}", _user_form(loose)).status_code == 302
    dbs.expire_all()
    assert dbs.get(User, loose.id).lp_id is None


def test_a_tie_for_a_staff_account_is_refused_and_nothing_written(app, dbs, two):
    admin = _as(app, dbs, two["admin"])
    manager = dbs.get(User, two["manager"])
    before = dbs.exec(select(AuditEntry)).all()
    url = f"/admin/users/{manager.id}"
    for form in (_user_form(manager, lp_id=str(two["mine"].id)),
                 _user_form(manager, roles=["viewer", "manager"], lp_id=str(two["mine"].id)),
                 _user_form(manager, name="改名", roles=["viewer"], lp_id="987654")):  # fmt: skip
        page = post_form(admin, url, form, headers=ENGLISH)
        assert page.status_code == 200
        assert re.search(r"invalid-feedback\">[^<]*(viewer|valid choice)", page.get_data(True))
    dbs.expire_all()
    assert dbs.get(User, manager.id).lp_id is None and dbs.get(User, manager.id).name != "改名"
    assert dbs.exec(select(AuditEntry)).all() == before
    # a new account too: a manager tied to an LP is refused, a viewer accepted
    new = {"email": "rep@example.com", "name": "出资人代表", "password": "long-enough-pw",
           "lp_id": str(two["mine"].id)}  # fmt: skip
    refused = post_form(admin, "/admin/users/new", {**new, "roles": ["manager"]}, headers=ENGLISH)
    assert refused.status_code == 200 and "one role is viewer" in refused.get_data(as_text=True)
    assert dbs.exec(select(User).where(User.email == "rep@example.com")).first() is None
    made = post_form(admin, "/admin/users/new", {**new, "roles": ["viewer"]})
    assert made.status_code == 302
    created = dbs.exec(select(User).where(User.email == "rep@example.com")).one()
    assert created.lp_id == two["mine"].id


def test_the_demo_ties_its_lp_representative_once_and_its_gp_bears_no_fees(app, dbs):
    from fundcrm import db
    from fundcrm.audit import set_actor
    from fundcrm.demo.funds import seed_commitments, seed_fund
    from fundcrm.demo.people import seed_accounts
    from fundcrm.domain.capital import bears_fees
    from fundcrm.funds.capital import statement
    from fundcrm.models import LimitedPartner

    with app.app_context():
        session = db.session()
        set_actor(session, None, "demo")
        seed_accounts(session, app.config)
        seed_fund(session)
        seed_commitments(session)
        session.commit()
        before = dbs.exec(select(AuditEntry)).all()
        assert seed_fund(session) == 0
        session.commit()
        assert dbs.exec(select(AuditEntry)).all() == before  # a second seed changes nothing
        representative = dbs.exec(select(User).where(User.email == "lp@example.com")).one()
        lp = dbs.get(LimitedPartner, representative.lp_id)
        assert lp.name == "两江新区产业发展投资基金"
        gp = dbs.exec(select(LimitedPartner).where(LimitedPartner.lp_type == "gp")).one()
        assert gp.bears_fees is None and not bears_fees(gp.bears_fees, gp.lp_type)
        (angel, industry) = statement(session, gp.id, date(2026, 3, 1), date(2026, 1, 1)).parts
        assert angel.account.commitment_share == industry.account.commitment_share == 0
