"""`/api/v1/ic/decisions`: read only; the staff read every decision, an IC member those of the
meetings it sits on, and a member recused on the item never sees its votes or tally."""

from datetime import date

import pytest

from fundcrm.models import IcConflict, IcDecision
from tests.api_fixtures import ApiClient, token_for
from tests.ic_fixtures import cast
from tests.test_ic_decisions import close, decision_of


def as_user(app, user_id: int) -> ApiClient:
    return ApiClient(app.test_client(), token_for(app, user_id))


@pytest.fixture
def decided(app, dbs, committee):
    """The third member recused (a conflict with the company); the other two approve; the
    chair closes with the memo's amounts (1,000 万元 天使基金, 2,000 万元 产业基金)."""
    first, second, third = committee["members"]
    dbs.add(IcConflict(member_id=third.id, company_id=committee["company"].id, reason="持股",
                       declared_on=date(2026, 11, 1)))  # fmt: skip
    dbs.commit()
    item_id = committee["item"].id
    cast(app, first, item_id, "approve")
    cast(app, second, item_id, "approve")
    close(app, first, committee)
    decision = decision_of(dbs, committee)
    assert decision is not None and decision.outcome == "approve"
    return {**committee, "decision": decision}


def test_a_decision_reads_as_recorded(app, decided):
    api = as_user(app, decided["manager"].id)
    answer = api.get(f"/ic/decisions/{decided['decision'].id}")
    assert answer.status_code == 200, answer.json
    body = answer.json
    first, second, third = decided["members"]
    assert body["outcome"] == "approve" and body["deal_id"] == decided["deal"].id
    assert body["meeting"] == {"id": decided["meeting"].id, "held_on": "2026-12-10"}
    assert {(a["sub_fund"], a["approved_wan"]) for a in body["amounts"]} == {
        ("ANGEL", "1000"), ("INDUSTRY", "2000")
    }  # fmt: skip
    assert sorted((v["member_id"], v["choice"]) for v in body["votes"]) == [
        (first.id, "approve"), (second.id, "approve")
    ]  # fmt: skip
    assert body["tally"]["approving"] == 2 and body["tally"]["recused"] == [third.id]
    assert body["conditions"] == []
    listed = api.get("/ic/decisions").json
    assert [d["id"] for d in listed["items"]] == [body["id"]]
    assert listed["items"][0] == body
    by_deal = api.get(f"/ic/decisions?deal_id={decided['deal'].id + 1000}").json
    assert by_deal["items"] == []


def test_the_recused_member_reads_the_outcome_not_the_votes(app, decided):
    third = decided["members"][2]
    body = as_user(app, third.id).get(f"/ic/decisions/{decided['decision'].id}").json
    assert body["outcome"] == "approve" and len(body["amounts"]) == 2
    assert body["votes"] is None and body["tally"] is None
    (listed,) = as_user(app, third.id).get("/ic/decisions").json["items"]
    assert listed["votes"] is None and listed["tally"] is None
    # a member of the meeting not recused sees them
    second = as_user(app, decided["members"][1].id)
    assert len(second.get(f"/ic/decisions/{decided['decision'].id}").json["votes"]) == 2


def test_who_may_not_read_a_decision_is_refused(app, dbs, decided, make_user, api_as):
    outsider_id, _email = make_user("ic_member")  # not on the meeting
    outsider = as_user(app, outsider_id)
    assert outsider.get(f"/ic/decisions/{decided['decision'].id}").status_code == 403
    assert outsider.get("/ic/decisions").json["items"] == []
    viewer, _id = api_as("viewer")
    assert viewer.get("/ic/decisions").status_code == 403
    manager = as_user(app, decided["manager"].id)
    assert manager.get("/ic/decisions/999999").status_code == 404
    assert manager.get("/ic/decisions?colour=red").status_code == 400
    for beyond in (2**31, 10**30):  # no record has such an id: refused, never a database error
        refused = manager.get(f"/ic/decisions?deal_id={beyond}")
        assert refused.status_code == 400 and "deal_id" in refused.json["error"]["fields"]
        assert manager.get(f"/ic/decisions/{beyond}").status_code == 404
    # read only: no write method
    written = manager.post("/ic/decisions", json={"outcome": "reject"})
    assert written.status_code == 405 and written.json["error"]["code"] == "method_not_allowed"
    assert manager.call("PUT", f"/ic/decisions/{decided['decision'].id}").status_code == 405
    dbs.expire_all()
    assert dbs.get(IcDecision, decided["decision"].id).outcome == "approve"
