"""The closing form (DOMAIN.md section 3): a deal at 签约 with an approving decision becomes
交割 with each sub-fund's investment recorded on its holding; a follow-on extends the holding
and meets the single-project cap with the sub-fund's real cost; every refusal writes nothing."""

import html
from datetime import UTC, date, datetime
from decimal import Decimal

import time_machine
from sqlmodel import select

from fundcrm.models import (
    Deal,
    Holding,
    IcCondition,
    IcDecision,
    PortfolioTransaction,
    StageMove,
)
from tests import factories
from tests.conftest import post_form
from tests.ic_fixtures import ENGLISH, client_of
from tests.test_moves import move


def at_signing(dbs, committee, amounts=None, conditions=()):
    """The committee's deal at 签约 with an approving decision (the memo's amounts unless told)."""
    deal = dbs.get(Deal, committee["deal"].id)
    deal.stage = "signing"
    decision = IcDecision(
        deal_id=deal.id,
        decided_on=date(2026, 11, 1),
        outcome="approve_conditions" if conditions else "approve",
        recorded=True,
        amounts=amounts
        or {str(committee["angel"].id): "10000000", str(committee["industry"].id): "20000000"},
    )
    dbs.add(decision)
    dbs.flush()
    for kind, text in conditions:
        dbs.add(IcCondition(decision_id=decision.id, deal_id=deal.id, kind=kind, text=text,
                            due_on=date(2026, 12, 31)))  # fmt: skip
    dbs.commit()
    return deal


def form_for(committee, angel="1000", industry="2000", on="2026-11-20", **extra):
    a, i = committee["angel"].id, committee["industry"].id
    return {
        f"sub_fund_{a}_on": on, f"sub_fund_{a}_amount": angel, f"sub_fund_{a}_equity": "10",
        f"sub_fund_{a}_post_money": "50000",
        f"sub_fund_{i}_on": on, f"sub_fund_{i}_amount": industry, f"sub_fund_{i}_equity": "10",
        **extra,
    }  # fmt: skip


def close(app, user, deal_id, form):
    url = f"/deals/{deal_id}/close"
    return post_form(client_of(app, user), url, form, headers=ENGLISH)


def transactions(dbs):
    dbs.expire_all()
    return dbs.exec(select(PortfolioTransaction).order_by(PortfolioTransaction.id)).all()


def test_the_closing_form_records_the_investments_and_closes_the_deal(app, dbs, committee):
    deal = at_signing(dbs, committee)
    answer = close(app, committee["manager"], deal.id, form_for(committee))
    assert answer.location == f"/deals/{deal.id}", answer.get_data(as_text=True)[-1500:]
    dbs.expire_all()
    assert dbs.get(Deal, deal.id).stage == "closed"
    rows = transactions(dbs)
    assert [(r.kind, r.amount_yuan, r.made_on, r.equity_pct) for r in rows] == [
        ("investment", Decimal("10000000.00"), date(2026, 11, 20), Decimal("10.0000")),
        ("investment", Decimal("20000000.00"), date(2026, 11, 20), Decimal("10.0000")),
    ]
    holdings = dbs.exec(select(Holding)).all()
    assert {(h.sub_fund_id, h.company_id, h.opened_on) for h in holdings} == {
        (committee["angel"].id, deal.company_id, date(2026, 11, 20)),
        (committee["industry"].id, deal.company_id, date(2026, 11, 20)),
    }
    last = dbs.exec(select(StageMove).where(StageMove.deal_id == deal.id)
                    .order_by(StageMove.id.desc())).first()  # fmt: skip
    assert (last.from_stage, last.to_stage, last.by_id) == (
        "signing",
        "closed",
        committee["manager"].id,
    )


def test_refusals_write_nothing(app, dbs, committee):
    deal = at_signing(dbs, committee)
    cases = [
        (form_for(committee, angel="1000.01"), "at most what the IC approved"),
        (form_for(committee, industry="0"), "above zero"),
        (form_for(committee, on="2026-12-01"), "today or earlier"),
    ]
    with time_machine.travel(datetime(2026, 11, 30, 4, 0, tzinfo=UTC), tick=False):
        for form, message in cases:
            answer = close(app, committee["manager"], deal.id, form)
            text = html.unescape(answer.get_data(as_text=True))
            assert answer.status_code == 200 and message in text, message
    dbs.expire_all()
    assert dbs.get(Deal, deal.id).stage == "signing" and transactions(dbs) == []
    assert dbs.exec(select(Holding)).all() == []


def test_an_open_condition_precedent_holds_the_closing(app, dbs, committee):
    deal = at_signing(dbs, committee, conditions=[("precedent", "完成代持清理"),
                                                  ("subsequent", "迁入两江新区")])  # fmt: skip
    answer = close(app, committee["manager"], deal.id, form_for(committee))
    assert "完成代持清理" in html.unescape(answer.get_data(as_text=True))
    assert transactions(dbs) == []
    precedent = dbs.exec(select(IcCondition).where(IcCondition.kind == "precedent")).one()
    precedent.status = "waived"
    dbs.commit()
    assert close(app, committee["manager"], deal.id, form_for(committee)).status_code == 302
    # the condition subsequent stays open after closing
    subsequent = dbs.exec(select(IcCondition).where(IcCondition.kind == "subsequent")).one()
    assert subsequent.status == "open"


def test_only_the_closing_form_closes_a_deal(app, dbs, committee):
    deal = at_signing(dbs, committee)
    refused = move(client_of(app, committee["manager"]), deal.id, "closed", language="en")
    assert refused.status_code == 422
    assert any("closing form" in e for e in refused.get_json()["errors"])
    dbs.expire_all()
    assert dbs.get(Deal, deal.id).stage == "signing"


def test_a_follow_on_extends_the_holding_and_meets_the_cap_with_the_real_cost(app, dbs, committee):
    """天使基金 is 300,000,000 committed with a 20% cap: 6,000 万元. 1,000 invested, then a
    follow-on of 5,500 would make 6,500: a breach that only risk's override lets through."""
    deal = at_signing(dbs, committee)
    close(app, committee["manager"], deal.id, form_for(committee))
    follow_on = factories.deal(dbs, committee["company"], committee["manager"],
                               [(committee["angel"], "55000000")], round="b")  # fmt: skip
    follow_on.stage = "signing"
    approved = {str(committee["angel"].id): "55000000"}
    dbs.add(IcDecision(deal_id=follow_on.id, decided_on=date(2026, 11, 25), outcome="approve",
                       recorded=True, amounts=approved))  # fmt: skip
    dbs.commit()
    a = committee["angel"].id
    form = {f"sub_fund_{a}_on": "2026-11-28", f"sub_fund_{a}_amount": "5500",
            f"sub_fund_{a}_equity": "18"}  # fmt: skip
    refused = close(app, committee["manager"], follow_on.id, form)
    text = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 200 and "single-project cap" in text and "6,500.00" in text
    assert len(transactions(dbs)) == 2
    with_override = {**form, "override_reason": "产业链龙头，投委会特批超限额"}
    assert close(app, committee["risk"], follow_on.id, with_override).status_code == 302
    holding = dbs.exec(select(Holding).where(Holding.sub_fund_id == a)).one()
    assert [t.amount_yuan for t in holding.transactions] == [
        Decimal("10000000.00"),
        Decimal("55000000.00"),
    ]
    assert holding.transactions[-1].override_reason == "产业链龙头，投委会特批超限额"
    assert holding.transactions[-1].round == "b"
    # the mandate checks of the next move use the real cost: 6,500 万元 in the company
    from fundcrm.deals.moves import mandate_facts

    (facts,) = mandate_facts(dbs, dbs.get(Deal, follow_on.id))
    assert facts.invested_yuan == Decimal("65000000.00") and not facts.new_company


def test_two_simultaneous_closings_record_the_investments_once(app, dbs, committee):
    from tests.test_concurrency import all_at_once, posting

    deal = at_signing(dbs, committee)
    url = f"/deals/{deal.id}/close"
    answers = all_at_once(
        app,
        [committee["manager"].id, committee["risk"].id],
        [posting(url, form_for(committee)), posting(url, form_for(committee))],
    )
    assert sorted(a.status_code for a in answers) == [200, 302]
    assert len(transactions(dbs)) == 2  # one closing's two investments
    assert dbs.get(Deal, deal.id).stage == "closed"
