"""`/api/v1/holdings` and `/api/v1/sub-funds`: the figures of DOMAIN.md section 6 as the
portfolio and metrics pages compute them, the compliance page's report for who reads it, and an
LP's representative kept to its LP's sub-funds."""

from datetime import date
from decimal import Decimal

import pytest

from fundcrm.compliance import report
from fundcrm.compliance.checks import Settings
from fundcrm.models import User
from fundcrm.portfolio import figures
from tests.api_fixtures import ApiClient, token_for
from tests.test_capital_accounts import fund as fund  # noqa: F401 - the fixture

AS_OF = date(2025, 12, 31)


def as_user(app, user_id: int) -> ApiClient:
    return ApiClient(app.test_client(), token_for(app, user_id))


@pytest.fixture
def representative(app, dbs, fund, make_user):
    """A viewer tied to the institution B (in ANGEL only)."""
    user_id, _email = make_user("viewer")
    dbs.get(User, user_id).lp_id = fund["b"].id
    dbs.commit()
    return as_user(app, user_id)


def test_a_holdings_figures_are_the_metrics_engines(app, dbs, fund):
    api = as_user(app, fund["manager"])
    listed = api.get(f"/holdings?as_of={AS_OF}")
    assert listed.status_code == 200, listed.json
    (row,) = listed.json["items"]
    with app.app_context():
        (engine,) = figures.as_json(dbs, AS_OF)["holdings"]
    for key in ("invested", "proceeds", "dividends", "fair_value", "moic", "gross_irr"):
        assert row[key] == engine[key], key
    assert (row["invested"], row["dividends"], row["fair_value"]) == (
        "40000000.00", "1000000.00", "55000000.00"
    )  # fmt: skip
    assert row["moic"] == 1.4 and row["realised"] == "1000000.00"
    assert row["sub_fund"] == "ANGEL" and row["company"] == "重庆擎天机器人科技有限公司"
    one = api.get(f"/holdings/{fund['holding'].id}?as_of={AS_OF}").json
    assert {k: one[k] for k in row} == row  # the holding's page computes the same
    # before the mark: valued at cost
    earlier = api.get(f"/holdings/{fund['holding'].id}?as_of=2025-06-30").json
    assert (earlier["fair_value"], earlier["moic"]) == ("40000000.00", 1.0)
    assert api.get("/holdings?sub_fund=INDUSTRY").json["items"] == []


def test_holdings_refuse_bad_dates_missing_ids_and_untied_viewers(app, fund, api_as):
    api = as_user(app, fund["manager"])
    for as_of in ("2025-13-01", "2026-13-45", "0000-00-00", "31/12/2025", "1735603200", "0"):
        answer = api.get(f"/holdings?as_of={as_of}")
        assert answer.status_code == 400, as_of
        assert "as_of" in answer.json["error"]["fields"]
    # a date, but a future one: a business rule, not the request's shape
    for path in ("/holdings", f"/holdings/{fund['holding'].id}"):
        future = api.get(f"{path}?as_of=2999-01-01")
        assert future.status_code == 422, path
        assert future.json["error"]["fields"] == {"as_of": "The as-of date is today or earlier."}
    unknown = api.get("/holdings?sub_fund=NOPE")
    assert unknown.status_code == 422 and unknown.json["error"]["code"] == "bad_filter"
    assert api.get("/holdings/999999").status_code == 404
    assert api.get("/holdings?colour=red").status_code == 400
    viewer, _id = api_as("viewer")  # tied to no LP
    assert viewer.get("/holdings").status_code == 403
    assert viewer.get(f"/holdings/{fund['holding'].id}").status_code == 403


def test_a_representative_sees_only_its_lps_sub_funds(app, dbs, fund, representative):
    from fundcrm.models import Holding
    from tests import factories

    with app.app_context():
        other = factories.company(dbs, "重庆另一家机器人公司", factories.make_uscc(2))
        elsewhere = Holding(sub_fund_id=fund["industry"].id, company_id=other.id,
                            opened_on=date(2025, 1, 1))  # fmt: skip
        dbs.add(elsewhere)
        dbs.commit()
    listed = representative.get(f"/holdings?as_of={AS_OF}").json["items"]
    assert [h["sub_fund"] for h in listed] == ["ANGEL"]
    # another LP's holding reads as an id no holding has, and a sub-fund code no sub-fund has
    # as another LP's: the representative learns nothing of what exists beyond its LP
    hidden, missing = (representative.get(f"/holdings/{i}") for i in (elsewhere.id, 999999))
    assert (
        hidden.status_code,
        hidden.json["error"]["message"].replace(str(elsewhere.id), "N"),
    ) == (
        missing.status_code,
        missing.json["error"]["message"].replace("999999", "N"),
    )
    assert hidden.status_code == 404
    foreign, unknown = (representative.get(f"/holdings?sub_fund={c}") for c in ("INDUSTRY", "NOPE"))
    assert foreign.status_code == unknown.status_code == 403
    assert foreign.json == unknown.json
    funds = representative.get(f"/sub-funds?as_of={AS_OF}").json["items"]
    assert [f["code"] for f in funds] == ["ANGEL"]
    assert funds[0]["metrics"] is not None and funds[0]["compliance"] is None
    assert representative.get("/sub-funds/INDUSTRY").status_code == 403
    angel = representative.get(f"/sub-funds/ANGEL?as_of={AS_OF}").json
    assert angel["compliance"] is None  # no read_compliance


def test_a_sub_funds_figures_and_compliance(app, dbs, fund):
    api = as_user(app, fund["risk"])
    answer = api.get(f"/sub-funds/ANGEL?as_of={AS_OF}")
    assert answer.status_code == 200, answer.json
    body = answer.json
    with app.app_context():
        engine = figures.as_json(dbs, AS_OF)
        page = report.page(dbs, fund["angel"], AS_OF, Settings.of(app.config))
    (angel,) = [s for s in engine["sub_funds"] if s["code"] == "ANGEL"]
    for key, value in angel.items():
        if key != "code":
            assert body["metrics"][key] == value, key
    assert body["target_wan"] and Decimal(body["target_wan"]) > 0
    compliance = body["compliance"]
    assert Decimal(compliance["size"]) == page.size
    assert Decimal(compliance["cap_limit"]) == page.limit
    assert [c["commitment_id"] for c in compliance["reinvestment"]] == [
        c.id for c in page.commitments
    ]
    assert [(c["company"], c["cost"]) for c in compliance["companies"]] == [
        ("重庆擎天机器人科技有限公司", "40000000.00")
    ]
    assert len(compliance["breaches"]) == len(page.breaches)
    listed = api.get(f"/sub-funds?as_of={AS_OF}").json
    assert [f["code"] for f in listed["items"]] == ["ANGEL", "INDUSTRY"]
    assert listed["items"][0]["metrics"] == body["metrics"]
    assert listed["items"][0]["compliance"] is None  # one sub-fund at a time
    assert api.get("/sub-funds/NOPE").status_code == 404
    assert api.get("/sub-funds/ANGEL?as_of=2999-01-01").status_code == 422
    assert api.get("/sub-funds?as_of=2999-01-01").status_code == 422
    assert api.get("/sub-funds?as_of=2025-02-30").status_code == 400


def test_an_untied_viewer_sees_the_setup_without_figures(app, fund, api_as):
    viewer, _id = api_as("viewer")
    listed = viewer.get("/sub-funds").json["items"]
    assert [f["code"] for f in listed] == ["ANGEL", "INDUSTRY"]
    assert {f["metrics"] is None and f["compliance"] is None for f in listed} == {True}
