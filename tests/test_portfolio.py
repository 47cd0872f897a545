"""The portfolio's holdings: transactions and marks with their rules, four eyes on marks, and
the figures the list and the holding's page show (DOMAIN.md section 6)."""

import html
from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from fundcrm.models import Holding, PortfolioTransaction, ValuationMark
from fundcrm.portfolio.holdings import CountedMark
from tests.conftest import page_text, post_form
from tests.ic_fixtures import ENGLISH, client_of


def post(app, user, url, form):
    return post_form(client_of(app, user), url, form, token_from="/portfolio", headers=ENGLISH)


def holding_text(app, user, holding_id) -> str:
    page = client_of(app, user).get(f"/portfolio/{holding_id}?as_of=2026-11-29", headers=ENGLISH)
    return page_text(page.get_data(as_text=True), 'id="holding-figures"')


def test_the_list_shows_each_holding_at_cost(app, dbs, held):
    page = client_of(app, held["members"][0]).get("/portfolio?as_of=2026-11-29", headers=ENGLISH)
    text = page_text(page.get_data(as_text=True), 'id="holdings"')
    assert "1,000.00" in text and "2,000.00" in text and "1.00×" in text
    assert "3,000.00" in page_text(page.get_data(as_text=True), 'id="portfolio-total"')
    assert client_of(app, held["viewer"]).get("/portfolio").status_code == 403


def test_a_mark_counts_only_once_a_second_person_in_risk_approves_it(app, dbs, held, make_user):
    from fundcrm.models import User

    holding = held["holding"]
    url = f"/portfolio/{holding.id}"
    post(app, held["manager"], f"{url}/marks",
         {"marked_on": "2026-11-28", "fair_value": "1500", "method": "recent_round"})  # fmt: skip
    mark = dbs.exec(select(ValuationMark)).one()
    assert mark.status == "pending"
    assert "1.00×" in holding_text(app, held["manager"], holding.id)  # pending: not counted
    # a risk user may not approve their own mark
    own = post(app, held["risk"], f"{url}/marks",
               {"marked_on": "2026-11-28", "fair_value": "900", "method": "dcf"})  # fmt: skip
    assert own.status_code == 302
    own_mark = dbs.exec(
        select(ValuationMark).where(ValuationMark.author_id == held["risk"].id)
    ).one()
    post(app, held["risk"], f"/portfolio/marks/{own_mark.id}/review", {"decision": "approve"})
    dbs.expire_all()
    assert dbs.get(ValuationMark, own_mark.id).status == "pending"
    post(app, held["risk"], f"/portfolio/marks/{mark.id}/review", {"decision": "approve"})
    dbs.expire_all()
    assert dbs.get(ValuationMark, mark.id).status == "counted"
    assert "1.50×" in holding_text(app, held["manager"], holding.id)
    # a rejection needs a reason; a second risk user rejects the risk user's own mark
    other_risk = dbs.get(User, make_user("risk")[0])
    post(app, other_risk, f"/portfolio/marks/{own_mark.id}/review", {"decision": "reject"})
    dbs.expire_all()
    assert dbs.get(ValuationMark, own_mark.id).status == "pending"
    post(app, other_risk, f"/portfolio/marks/{own_mark.id}/review",
         {"decision": "reject", "reason": "DCF 假设过于乐观"})  # fmt: skip
    dbs.expire_all()
    assert dbs.get(ValuationMark, own_mark.id).status == "rejected"
    # a counted mark never changes
    counted = dbs.get(ValuationMark, mark.id)
    counted.fair_value_yuan = Decimal("1")
    with pytest.raises(CountedMark):
        dbs.flush()
    dbs.rollback()


def test_a_partial_exit_with_its_post_exit_mark_and_then_a_write_off(app, dbs, held):
    holding = held["holding"]
    url = f"/portfolio/{holding.id}"
    post(app, held["manager"], f"{url}/transactions",
         {"made_on": "2026-11-25", "kind": "proceeds", "exit": "partial", "amount": "600",
          "equity_pct": "5", "mark_value": "520", "mark_method": "recent_round"})  # fmt: skip
    dbs.expire_all()
    (partial,) = [t for t in dbs.get(Holding, holding.id).transactions if t.kind == "proceeds"]
    assert (partial.exit, partial.amount_yuan) == ("partial", Decimal("6000000.00"))
    assert dbs.exec(select(ValuationMark)).one().status == "pending"
    # until the post-exit mark counts, fair value = prior value × 5% / 10%
    text = holding_text(app, held["manager"], holding.id)
    assert "500.00" in text and "1.10×" in text
    post(app, held["risk"], f"{url}/transactions", {"made_on": "2026-11-27", "kind": "write_off"})
    assert "0.60×" in holding_text(app, held["manager"], holding.id)
    # after the write-off: no investment, no mark, but a recovery
    refused = [
        {"made_on": "2026-11-28", "kind": "investment", "amount": "10", "override_reason": "补录"},
        {"made_on": "2026-11-28", "kind": "proceeds", "exit": "full", "amount": "10"},
    ]
    for form in refused:
        post(app, held["risk"], f"{url}/transactions", form)
    post(app, held["manager"], f"{url}/marks",
         {"marked_on": "2026-11-28", "fair_value": "10", "method": "cost"})  # fmt: skip
    post(app, held["manager"], f"{url}/transactions",
         {"made_on": "2026-11-28", "kind": "proceeds", "amount": "100"})  # fmt: skip
    dbs.expire_all()
    kinds = [(t.kind, t.exit) for t in dbs.get(Holding, holding.id).transactions]
    assert kinds == [("investment", None), ("proceeds", "partial"), ("write_off", None),
                     ("proceeds", None)]  # fmt: skip
    assert len(dbs.exec(select(ValuationMark)).all()) == 1


def test_bad_transactions_are_refused_with_a_message_and_write_nothing(app, dbs, held):
    holding = held["holding"]
    url = f"/portfolio/{holding.id}/transactions"
    client = client_of(app, held["manager"])
    cases = [
        ({"made_on": "2026-11-01", "kind": "dividend", "amount": "10"}, "before the holding"),
        ({"made_on": "2027-01-01", "kind": "dividend", "amount": "10"}, "today or earlier"),
        ({"made_on": "2026-11-25", "kind": "dividend", "amount": "0"}, "above zero"),
        (
            {"made_on": "2026-11-25", "kind": "investment", "amount": "10"},
            "risk or an administrator",
        ),
    ]
    for form, message in cases:
        answer = post_form(client, url, form, token_from="/portfolio", headers=ENGLISH)
        shown = html.unescape(client.get(answer.location, headers=ENGLISH).get_data(as_text=True))
        assert message in shown, message
    negative = post_form(client, url, {"made_on": "2026-11-25", "kind": "dividend", "amount": "-5"},
                         token_from="/portfolio", headers=ENGLISH)  # fmt: skip
    assert negative.status_code == 302
    rows = dbs.exec(select(PortfolioTransaction)).all()
    assert [r.kind for r in rows] == ["investment", "investment"]
    # risk may record a direct investment, with its reason
    post(app, held["risk"], url, {"made_on": "2026-11-26", "kind": "investment", "amount": "50",
                                  "override_reason": "补录 2026 年 11 月增资"})  # fmt: skip
    assert len(dbs.exec(select(PortfolioTransaction)).all()) == 3
    assert date(2026, 11, 20) == dbs.get(Holding, holding.id).opened_on


def test_the_rules_an_auditor_checks_on_exits(app, dbs, held):
    """A partial exit lowers the ownership; proceeds before the end are an exit; an end is
    dated after every transaction; a closing never reopens a written-off holding."""
    holding = held["holding"]
    url = f"/portfolio/{holding.id}/transactions"
    client = client_of(app, held["manager"])
    cases = [
        ({"made_on": "2026-11-25", "kind": "proceeds", "exit": "partial", "amount": "100",
          "equity_pct": "40"}, "ownership is below"),
        ({"made_on": "2026-11-25", "kind": "proceeds", "amount": "100"}, "partial or a full exit"),
    ]  # fmt: skip
    for form, message in cases:
        answer = post_form(client, url, form, token_from="/portfolio", headers=ENGLISH)
        shown = html.unescape(client.get(answer.location, headers=ENGLISH).get_data(as_text=True))
        assert message in shown, message
    post(app, held["risk"], url, {"made_on": "2026-11-26", "kind": "investment", "amount": "100",
                                  "override_reason": "补录"})  # fmt: skip
    answer = post_form(client, url, {"made_on": "2026-11-22", "kind": "write_off"},
                       token_from="/portfolio", headers=ENGLISH)  # fmt: skip
    shown = html.unescape(client.get(answer.location, headers=ENGLISH).get_data(as_text=True))
    assert "dated after every transaction" in shown
    dbs.expire_all()
    assert [t.kind for t in dbs.get(Holding, holding.id).transactions] == ["investment"] * 2
    # written off, then a follow-on deal's closing into it is refused
    post(app, held["risk"], url, {"made_on": "2026-11-27", "kind": "write_off"})
    from fundcrm.models import Deal, IcDecision
    from tests import factories
    from tests.test_closing import close as close_form

    follow_on = factories.deal(dbs, held["company"], held["manager"], [(held["angel"], "5000000")])
    follow_on.stage = "signing"
    dbs.add(IcDecision(deal_id=follow_on.id, decided_on=date(2026, 11, 27), outcome="approve",
                       recorded=True, amounts={str(held["angel"].id): "5000000"}))  # fmt: skip
    dbs.commit()
    a = held["angel"].id
    form = {f"sub_fund_{a}_on": "2026-11-28", f"sub_fund_{a}_amount": "500"}
    refused = close_form(app, held["manager"], follow_on.id, form)
    assert "fully exited or written off" in html.unescape(refused.get_data(as_text=True))
    dbs.expire_all()
    assert dbs.get(Deal, follow_on.id).stage == "signing"


def test_only_the_holdings_deal_teams_risk_and_admins_record(app, dbs, held, make_user):
    from fundcrm.models import User

    stranger = dbs.get(User, make_user("manager")[0])
    form = {"made_on": "2026-11-25", "kind": "dividend", "amount": "1"}
    answer = post(app, stranger, f"/portfolio/{held['holding'].id}/transactions", form)
    assert answer.status_code == 403
    page = client_of(app, stranger).get(f"/portfolio/{held['holding'].id}").get_data(as_text=True)
    assert 'id="transaction-form"' not in page and "10%" in page
