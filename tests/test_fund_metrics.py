"""A sub-fund's figures as of a date: LP calls, distributions and fees recorded with their
rules, `fundcrm metrics --json` as DOMAIN.md section 6 describes it, and the metrics page
showing the same numbers, each traced to the flows that add up to it."""

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from fundcrm.cli import main
from fundcrm.models import LpFlow
from fundcrm.portfolio import holdings
from tests.conftest import page_text, post_form
from tests.ic_fixtures import ENGLISH, client_of, refusals


def flow(app, user, kind, amount, on="2026-11-21", lp_id=None, committee=None, code="ANGEL"):
    form = {"lp_id": str(lp_id or committee["lp"].id), "flow_on": on, "kind": kind,
            "amount": amount}  # fmt: skip
    return post_form(client_of(app, user), f"/funds/{code}/flows", form,
                     token_from=f"/funds/{code}/metrics", headers=ENGLISH)  # fmt: skip


@pytest.fixture
def funded(app, dbs, held):
    """天使基金: the city LP's 30,000 万元 commitment, 1,500 called on 2026-11-15 (before the
    investment), 100 distributed, a 20 management fee; the holding marked at 1,200 (counted)."""
    admin = held["admin"]
    for kind, amount, on in (("call", "1500", "2026-11-15"), ("distribution", "100", "2026-11-25")):
        assert flow(app, admin, kind, amount, on, committee=held).status_code == 302
    post_form(client_of(app, admin), "/funds/ANGEL/expenses",
              {"spent_on": "2026-11-26", "kind": "management_fee", "amount": "20"},
              token_from="/funds/ANGEL/metrics")  # fmt: skip
    with app.app_context():
        mark = holdings.add_mark(dbs, dbs.merge(held["holding"]), {"marked_on": date(2026, 11, 28),
                                 "fair_value_yuan": Decimal("12000000"), "method": "dcf"},
                                 held["manager"], counted=True)  # fmt: skip
        dbs.commit()
    assert mark.status == "counted"
    return held


def test_the_json_is_domains_object_with_exact_money(app, dbs, funded):
    result = app.test_cli_runner().invoke(
        main, ["metrics", "--sub-fund", "ANGEL", "--as-of", "2026-11-29", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["as_of"] == "2026-11-29"
    (angel,) = data["sub_funds"]
    expected = {
        "code": "ANGEL", "committed": "300000000.00", "paid_in": "15000000.00",
        "distributions": "1000000.00", "expenses": "200000.00", "invested": "10000000.00",
        "proceeds": "0.00", "dividends": "0.00", "fair_value": "12000000.00",
        # cash = 1,500 − 1,000 − 100 − 20 = 380; NAV = 1,200 + 380 万元
        "nav": "15800000.00", "moic": 1.2, "dpi": round(1 / 15, 6), "rvpi": round(1580 / 1500, 6),
    }  # fmt: skip
    assert {k: angel[k] for k in expected} == expected
    assert angel["tvpi"] == round(100 / 1500 + 1580 / 1500, 6)
    (holding,) = data["holdings"]
    assert holding["sub_fund"] == "ANGEL" and holding["invested"] == "10000000.00"
    assert holding["moic"] == 1.2 and isinstance(holding["gross_irr"], float)
    assert data["fund"]["paid_in"] == "15000000.00"  # the industry fund has no flows
    bad = app.test_cli_runner().invoke(main, ["metrics", "--as-of", "2026-02-30", "--json"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output


def test_the_page_shows_the_same_figures_each_traced(app, dbs, funded):
    url = "/funds/ANGEL/metrics?as_of=2026-11-29"
    page = client_of(app, funded["manager"]).get(url, headers=ENGLISH).get_data(as_text=True)
    figures = page_text(page, 'id="figures"')
    assert "1,500.00 万元" in figures and "1,580.00 万元" in figures and "1.20×" in figures
    paid = page_text(page, 'id="trace-paid_in"')
    assert "Paid-in · 1,500.00 万元" in paid and funded["lp"].name in paid
    # a reader without per-LP access sees totals, not LP names
    other = client_of(app, funded["members"][0]).get("/funds/ANGEL/metrics?as_of=2026-11-29")
    assert funded["lp"].name not in page_text(other.get_data(as_text=True), 'id="trace-paid_in"')
    assert client_of(app, funded["viewer"]).get("/funds/ANGEL/metrics").status_code == 403
    assert client_of(app, funded["manager"]).get("/funds/NOPE/metrics").status_code == 404
    assert client_of(app, funded["manager"]).get("/funds/ANGEL/metrics?as_of=x").status_code == 400


def test_bad_flows_are_refused_and_write_nothing(app, dbs, funded):
    admin = funded["admin"]
    before = len(dbs.exec(select(LpFlow)).all())
    flow(
        app, admin, "call", "30000", committee=funded
    )  # above the 30,000 commitment with 1,500 called
    flow(app, admin, "call", "10", on="2027-01-01", committee=funded)  # after today
    flow(app, admin, "call", "10", committee=funded, code="INDUSTRY")  # no commitment there
    assert len(dbs.exec(select(LpFlow)).all()) == before
    # each refusal is kept in the audit trail, on the sub-fund, with its reason
    reasons = [json.loads(a.changes)["reason"][1] for a in refusals(dbs, "sub_funds")]
    assert reasons[0] == "The calls would exceed the LP's commitment." and len(reasons) == 3
    assert flow(app, funded["manager"], "call", "10", committee=funded).status_code == 403
