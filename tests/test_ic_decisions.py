"""Closing a vote into a decision (DOMAIN.md section 4): the strictest rule of the memo's
sub-funds applied to the eligible members' votes, the record it writes (counts, votes,
recusals, amounts, consolidated conditions), the 签约 gate it meets, and that it never changes.
Conditions are met by risk or waived by the chair; historical decisions are recorded."""

import html
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from sqlmodel import select

from fundcrm.ic.decisions import ClosedDecision
from fundcrm.models import IcCondition, IcConflict, IcDecision, SubFund
from tests import factories
from tests.conftest import page_text, post_form
from tests.ic_fixtures import (
    ENGLISH,
    cast,
    client_of,
    item_of,
    item_page,
    refusals,
)
from tests.test_moves import move


def _close_url(item_id: int) -> str:
    return f"/ic/items/{item_id}/close"


def close(app, closer, committee, **extra):
    """Close the vote from the item's page; when it approves, record the decision on the form
    that follows, with the memo's amounts unless told."""
    client = client_of(app, closer)
    token = "/account/password"  # a page every user opens: the closer may be refused
    closed = post_form(client, _close_url(committee["item"].id), {}, token_from=token,
                       headers=ENGLISH)  # fmt: skip
    if not (closed.location or "").endswith("/decide"):
        return closed
    form = {
        f"amount_{committee['angel'].id}": "1000",
        f"amount_{committee['industry'].id}": "2000",
        **extra,
    }
    return post_form(client, closed.location, form, headers=ENGLISH)


def decision_of(dbs, committee) -> IcDecision | None:
    dbs.expire_all()
    query = select(IcDecision).where(IcDecision.item_id == committee["item"].id)
    return dbs.exec(query).first()


def test_two_of_three_approve_with_conditions_merged_and_amounts_lowered(app, dbs, committee):
    first, second, third = committee["members"]
    item_id = committee["item"].id
    cast(app, first, item_id, "approve_conditions", "交割前完成股权代持清理")
    cast(app, second, item_id, "approve_conditions", "交割前清理代持股权")
    cast(app, third, item_id, "reject")
    answer = close(
        app,
        first,
        committee,
        **{
            f"amount_{committee['industry'].id}": "1500",
            "cond_0_text": "交割前完成股权代持清理",
            "cond_0_kind": "precedent",
            "cond_0_due_on": "2027-01-31",
            "cond_0_into": "",
            "cond_1_text": "交割前清理代持股权",
            "cond_1_kind": "precedent",
            "cond_1_due_on": "2027-01-31",
            "cond_1_into": "0",
        },
    )
    assert answer.location == f"/ic/items/{item_id}", answer.get_data(as_text=True)[-2000:]
    decision = decision_of(dbs, committee)
    assert decision.outcome == "approve_conditions"
    counts = (decision.eligible_count, decision.cast_count, decision.approving_count,
              decision.rejecting_count, decision.abstaining_count)  # fmt: skip
    assert counts == (3, 3, 2, 1, 0)
    assert decision.rule == {"quorum": "2/3", "threshold": "2/3", "min_eligible": 2,
                             "veto_holders": [], "sub_funds": ["ANGEL", "INDUSTRY"]}  # fmt: skip
    assert decision.approved_yuan == {
        committee["angel"].id: Decimal("10000000"),
        committee["industry"].id: Decimal("15000000"),
    }
    (condition,) = decision.conditions
    assert (condition.kind, condition.due_on, condition.status) == (
        "precedent",
        date(2027, 1, 31),
        "open",
    )
    assert sorted(condition.from_members) == sorted([first.id, second.id])  # merged, not dropped
    assert [v["choice"] for v in decision.votes] == ["approve_conditions"] * 2 + ["reject"]
    assert not item_of(dbs, item_id).is_open
    # the votes show once closed, to members and staff alike
    page = page_text(item_page(app, third, item_id), 'id="decision"')
    assert "3 / 3 / 2" in page and "交割前清理代持股权" in page
    # a vote after closing is refused and audited; the decision is unchanged
    cast(app, third, item_id, "approve")
    assert decision_of(dbs, committee).approving_count == 2
    assert refusals(dbs, "ic_agenda_items")[-1].changes.count("closed") >= 1


def test_an_approving_decision_meets_the_signing_gate(app, dbs, committee):
    client = client_of(app, committee["manager"])
    assert move(client, committee["deal"].id, "signing", language="en").status_code == 422
    for member in committee["members"][:2]:
        cast(app, member, committee["item"].id, "approve")
    close(app, committee["admin"], committee)
    assert decision_of(dbs, committee).outcome == "approve"
    assert move(client, committee["deal"].id, "signing", language="en").status_code == 200
    page = client.get(f"/deals/{committee['deal'].id}", headers=ENGLISH).get_data(as_text=True)
    assert 'id="deal-decision"' in page and 'data-outcome="approve"' in page


def test_a_rejection_or_no_quorum_keeps_the_gate_shut_and_the_memo_goes_to_a_later_meeting(
    app, dbs, committee
):
    first = committee["members"][0]
    cast(app, first, committee["item"].id, "approve")  # 1 of 3 cast: under the 2/3 quorum
    close(app, first, committee)
    assert decision_of(dbs, committee).outcome == "no_quorum"
    client = client_of(app, committee["manager"])
    assert move(client, committee["deal"].id, "signing", language="en").status_code == 422
    later = factories.meeting(
        dbs, first.id, [m.id for m in committee["members"]], date(2026, 12, 24)
    )
    url = f"/ic/meetings/{later.id}"
    post_form(client_of(app, committee["admin"]), f"{url}/items",
              {"memo_version_id": str(committee["version"].id)}, token_from=url)  # fmt: skip
    dbs.expire_all()
    assert [i.memo_version_id for i in later.items] == [committee["version"].id]


def test_a_recused_chair_cannot_close_and_the_attempt_is_audited(app, dbs, committee):
    chair = committee["members"][0]
    dbs.add(IcConflict(member_id=chair.id, company_id=committee["company"].id, reason="亲属任职",
                       declared_on=date(2026, 10, 1)))  # fmt: skip
    dbs.commit()
    page = item_page(app, chair, committee["item"].id)
    assert 'id="close-form"' not in page  # not offered
    answer = close(app, chair, committee)
    assert answer.location == f"/ic/items/{committee['item'].id}"
    assert decision_of(dbs, committee) is None and item_of(dbs, committee["item"].id).is_open
    assert refusals(dbs, "ic_agenda_items")[-1].actor_id == chair.id
    # the others vote; an administrator closes; the recusal is in the record, and the recused
    # chair does not see the votes or the tally
    for member in committee["members"][1:]:
        cast(app, member, committee["item"].id, "approve")
    close(app, committee["admin"], committee)
    decision = decision_of(dbs, committee)
    assert (decision.outcome, decision.eligible_count, decision.recused) == (
        "approve",
        2,
        [chair.id],
    )
    page = item_page(app, chair, committee["item"].id)
    assert 'id="votes-hidden"' in page and 'id="counts"' not in page and 'id="votes"' not in page
    assert 'id="counts"' in item_page(app, committee["risk"], committee["item"].id)


def test_an_amount_above_the_memos_is_refused_and_nothing_is_written(app, dbs, committee):
    for member in committee["members"]:
        cast(app, member, committee["item"].id, "approve")
    answer = close(
        app, committee["admin"], committee, **{f"amount_{committee['angel'].id}": "1000.01"}
    )
    assert answer.status_code == 200
    assert "never raised" in html.unescape(answer.get_data(as_text=True))
    assert decision_of(dbs, committee) is None
    assert "close" in refusals(dbs, "ic_agenda_items")[-1].changes


def test_votes_stay_hidden_until_the_close_and_frozen_after_it(app, dbs, committee):
    """The chair reads the others' conditions only once the vote is closed, when no vote
    changes any more: a change after the close is refused and the decision has the votes as
    they were."""
    first, second, third = committee["members"]
    item_id = committee["item"].id
    cast(app, second, item_id, "approve_conditions", "补充 2025 年审计报告")
    cast(app, third, item_id, "approve")
    chair_page = item_page(app, first, item_id)
    assert "补充 2025 年审计报告" not in chair_page and 'id="close-form"' in chair_page
    client = client_of(app, first)
    closed = post_form(client, f"/ic/items/{item_id}/close", {}, token_from=f"/ic/items/{item_id}")
    assert closed.location == f"/ic/items/{item_id}/decide"
    assert "补充 2025 年审计报告" in client.get(closed.location).get_data(as_text=True)
    assert 'id="votes"' in item_page(app, committee["risk"], item_id)  # closed: shown
    cast(app, third, item_id, "reject")  # too late
    form = {f"amount_{committee['angel'].id}": "1000", f"amount_{committee['industry'].id}": "2000",
            "cond_0_text": "补充 2025 年审计报告", "cond_0_kind": "precedent",
            "cond_0_due_on": "2027-01-31", "cond_0_into": ""}  # fmt: skip
    assert post_form(client, closed.location, form).location == f"/ic/items/{item_id}"
    decision = decision_of(dbs, committee)
    assert (decision.outcome, decision.approving_count, decision.rejecting_count) == (
        "approve_conditions",
        2,
        0,
    )
    # the decision form is not offered again: a second recording is refused and audited
    again = post_form(client, closed.location, form, token_from=f"/ic/items/{item_id}")
    assert again.location == f"/ic/items/{item_id}"
    assert "change_decision" in refusals(dbs, "ic_agenda_items")[-1].changes


def test_a_closed_decision_never_changes(app, dbs, committee):
    for member in committee["members"]:
        cast(app, member, committee["item"].id, "reject")
    close(app, committee["admin"], committee)
    decision = decision_of(dbs, committee)
    assert decision.outcome == "reject"
    # closing again is refused and audited
    again = close(app, committee["admin"], committee)
    assert again.status_code == 302
    assert "change_decision" in refusals(dbs, "ic_agenda_items")[-1].changes
    # and no code path may change or delete one
    decision.outcome = "approve"
    with pytest.raises(ClosedDecision):
        dbs.flush()
    dbs.rollback()
    dbs.delete(decision_of(dbs, committee))
    with pytest.raises(ClosedDecision):
        dbs.flush()
    dbs.rollback()
    assert decision_of(dbs, committee).outcome == "reject"


def test_the_strictest_rule_of_two_sub_funds_and_a_veto(app, dbs, committee):
    """天使基金 passes at 1/2, 产业基金 asks 3/4 and holds a veto: 2 of 3 approving is 2/3 <
    3/4, a reject; and the veto holder's reject alone rejects."""
    first, second, third = committee["members"]
    angel, industry = (
        dbs.get(SubFund, committee["angel"].id),
        dbs.get(SubFund, committee["industry"].id),
    )
    angel.ic_threshold = "1/2"
    industry.ic_threshold, industry.veto_holder_ids = "75%", [third.id]
    dbs.commit()
    cast(app, first, committee["item"].id, "approve")
    cast(app, second, committee["item"].id, "approve")
    cast(app, third, committee["item"].id, "abstain")
    close(app, committee["admin"], committee)
    decision = decision_of(dbs, committee)
    assert (decision.outcome, decision.rule["threshold"], decision.rule["veto_holders"]) == (
        "reject",
        "75%",  # as the sub-fund wrote it
        [third.id],
    )


def test_conditions_are_met_by_risk_and_waived_by_the_chair(app, dbs, committee):
    first, second, _third = committee["members"]
    cast(app, first, committee["item"].id, "approve_conditions", "补充提供 2025 年审计报告")
    cast(app, second, committee["item"].id, "approve")
    close(app, first, committee, cond_0_text="补充提供 2025 年审计报告", cond_0_kind="precedent",
          cond_0_due_on="2026-12-31", cond_0_into="")  # fmt: skip
    (condition,) = decision_of(dbs, committee).conditions
    url = f"/ic/conditions/{condition.id}"
    deal_page = f"/deals/{committee['deal'].id}"

    def resolve(user, action, text):
        form = {"action": action, "text": text, "seen": str(condition.version)}
        return post_form(client_of(app, user), url, form, token_from=deal_page, headers=ENGLISH)

    assert resolve(committee["manager"], "met", "审计报告已收到").status_code == 403
    resolve(second, "waived", "不重要")  # not the chair
    resolve(committee["risk"], "met", "")  # no evidence
    dbs.expire_all()
    assert dbs.get(IcCondition, condition.id).status == "open"
    assert len(refusals(dbs, "ic_conditions")) == 1  # the blank evidence is a form error
    resolve(committee["risk"], "met", "已收到天健会计师事务所 2025 年审计报告")
    dbs.expire_all()
    met = dbs.get(IcCondition, condition.id)
    assert (met.status, met.resolved_by_id) == ("met", committee["risk"].id)
    assert "已收到天健会计师事务所" in met.evidence


def test_a_historical_decision_is_recorded_for_an_imported_deal(app, dbs, committee):
    deal = committee["deal"]
    deal.stage = "signing"
    dbs.commit()
    url = f"/deals/{deal.id}/decision"
    form = {
        "decided_on": "2025-06-30",
        "outcome": "approve_conditions",
        f"amount_{committee['angel'].id}": "1000",
        f"amount_{committee['industry'].id}": "1800",
        "note": "2025 年第 3 次投决会决议",
        "cond_0_text": "2026 年底前注册地迁入两江新区",
        "cond_0_kind": "subsequent",
        "cond_0_due_on": "2026-12-31",
    }
    assert post_form(client_of(app, committee["manager"]), url, form,
                     token_from="/account/password").status_code == 403  # fmt: skip
    answer = post_form(client_of(app, committee["risk"]), url, form)
    assert answer.location == f"/deals/{deal.id}#ic"
    dbs.expire_all()
    (decision,) = dbs.exec(select(IcDecision).where(IcDecision.deal_id == deal.id)).all()
    assert decision.recorded and decision.outcome == "approve_conditions"
    assert decision.approved_yuan[committee["industry"].id] == Decimal("18000000")
    assert [c.kind for c in decision.conditions] == ["subsequent"]
    # one per deal
    again = post_form(client_of(app, committee["risk"]), url, form, headers=ENGLISH)
    assert again.status_code == 200 and "has an IC decision already" in again.get_data(as_text=True)
    assert "record_decision" in refusals(dbs, "deals")[-1].changes
    # its open condition shows on the deal, overdue once its date has passed, and risk
    # confirms it there
    deal_page = f"/deals/{deal.id}"
    with time_machine.travel(datetime(2027, 1, 2, 2, 0, tzinfo=UTC), tick=False):
        page = client_of(app, committee["risk"]).get(deal_page).get_data(as_text=True)
    assert 'data-status="overdue"' in page and "2026 年底前注册地迁入两江新区" in page
    (condition,) = decision.conditions
    form = {"action": "met", "text": "2026-11-20 完成工商变更登记", "seen": str(condition.version)}
    answer = post_form(client_of(app, committee["risk"]), f"/ic/conditions/{condition.id}", form,
                       token_from=deal_page)  # fmt: skip
    assert answer.location == f"{deal_page}#ic"
    dbs.expire_all()
    assert dbs.get(IcCondition, condition.id).status == "met"


def test_the_decision_is_dated_by_the_fund_clock(app, dbs, committee):
    for member in committee["members"]:
        cast(app, member, committee["item"].id, "approve")
    with time_machine.travel(datetime(2026, 12, 31, 16, 30, tzinfo=UTC), tick=False):
        close(app, committee["admin"], committee)
    assert decision_of(dbs, committee).decided_on == date(2027, 1, 1)


def test_a_memo_version_without_amounts_cannot_be_closed_but_its_page_opens(app, dbs, committee):
    """No sub-fund, no rule: the closer is told so; nothing is decided, nothing breaks."""
    from fundcrm.models import IcMemoVersion

    version = dbs.get(IcMemoVersion, committee["version"].id)
    version.proposed = {}
    dbs.commit()
    assert 'id="close-form"' in item_page(app, committee["members"][0], committee["item"].id)
    answer = close(app, committee["admin"], committee)
    assert answer.location == f"/ic/items/{committee['item'].id}"
    assert decision_of(dbs, committee) is None and item_of(dbs, committee["item"].id).is_open
    assert "no rule applies" in refusals(dbs, "ic_agenda_items")[-1].changes
