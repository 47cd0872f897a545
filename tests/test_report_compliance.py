"""The annual report's section 6, mandate and compliance (DOMAIN.md 8.6), as of 31 December 2025
for the angel fund: the re-investment required and achieved, the mandate and the cap, every
breach with its override or none, the overdue conditions subsequent, and the conflicts declared
and recusals in the year (related-party disclosure), from the compliance page's computation."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from flask_babel import force_locale

from fundcrm.models import IcCondition, IcConflict, IcDecision
from fundcrm.reports.context import Ask, context
from fundcrm.reports.sections_compliance import compliance
from tests import factories
from tests.factories import make_uscc
from tests.test_compliance import invest

WAN = Decimal(10000)
TODAY = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def year(dbs, staff, make_user):
    """The angel fund (start-up and growth only; the city's 3亿 at 1.2 × committed: 3.6亿
    required; cap 20% of 3亿 = 6,000 万元): A in 渝北区 (1,000 万元, 2025-03-01); B mature in
    渝北区 (5,500 万元 on 2025-04-01, overridden by risk: near the cap, outside the stages);
    C in 上海 (7,000 万元 on 2025-05-01: over the cap, no override). The pipeline's deal carries
    a condition subsequent due 2025-10-01, still open; a member was recused from its decision of
    2025-06-15 and another from one of 2024; conflicts declared in 2025 and 2024 and on a
    company outside the fund."""
    angel, risk = staff["angel"], staff["risk"]
    a = factories.company(dbs, "重庆甲机器人有限公司", make_uscc(31))
    b = factories.company(dbs, "重庆乙成熟企业有限公司", make_uscc(32), enterprise_stage="mature")
    c = factories.company(dbs, "上海丙机器人有限公司", make_uscc(33), district=None, city="上海",
                          zone="outside")  # fmt: skip
    stranger = factories.company(dbs, "无关企业有限公司", make_uscc(34))
    dbs.commit()
    invest(dbs, angel, a, date(2025, 3, 1), "1000")
    invest(dbs, angel, b, date(2025, 4, 1), "5500", override="出资人咨询委员会同意", by=risk)
    invest(dbs, angel, c, date(2025, 5, 1), "7000")
    members = [dbs.get(type(risk), make_user("ic_member")[0]) for _ in range(2)]
    deal = staff["deal"]
    decision = IcDecision(deal_id=deal.id, decided_on=date(2025, 6, 15), outcome="approve",
                          recorded=True, recused=[members[0].id])  # fmt: skip
    old = IcDecision(deal_id=deal.id, decided_on=date(2024, 11, 1), outcome="reject",
                     recorded=True, recused=[members[1].id])  # fmt: skip
    dbs.add_all([decision, old])
    dbs.flush()
    dbs.add(IcCondition(decision_id=decision.id, deal_id=deal.id, kind="subsequent",
                        text="12个月内迁入两江新区", due_on=date(2025, 10, 1)))  # fmt: skip
    dbs.add_all([
        IcConflict(member_id=members[0].id, company_id=deal.company_id, reason="持有该公司股份",
                   declared_on=date(2025, 5, 20)),
        IcConflict(member_id=members[1].id, company_id=a.id, reason="曾任该公司顾问",
                   declared_on=date(2024, 12, 1)),
        IcConflict(member_id=members[1].id, company_id=stranger.id, reason="亲属任职",
                   declared_on=date(2025, 7, 1)),
    ])  # fmt: skip
    dbs.commit()
    return {**staff, "a": a, "b": b, "c": c, "members": members}


def section(app, dbs, **ask):
    with app.app_context(), force_locale("en"):
        return compliance(context(dbs, Ask(year=2025, language="en", **ask), app.config))


def tables(found) -> dict:
    return {t.key: t for t in found.tables()}


def test_the_re_investment_required_and_achieved(app, dbs, year):
    found = section(app, dbs, sub_fund="ANGEL")
    assert (found.number, found.key) == ("6", "compliance")
    reinvest = tables(found)["compliance_reinvest_ANGEL"]
    (row,) = reinvest.rows
    cells = dict(zip([c.key for c in reinvest.columns], row, strict=True))
    assert cells["lp"] == "重庆市产业投资母基金"
    assert cells["ratio"] == Decimal("1.2")
    assert cells["base_amount"] == Decimal("300000000.00")
    assert cells["required"] == Decimal("360000000.00")
    assert cells["achieved"] == 6500 * WAN  # A and B in 渝北区; C in 上海 does not count
    assert cells["progress"] == Decimal(6500 * WAN) / Decimal("360000000")
    assert (cells["deadline"], cells["status"]) == (date(2029, 6, 30), "In progress")


def test_the_mandate_and_the_companies_near_or_over_the_cap(app, dbs, year):
    found = tables(section(app, dbs, sub_fund="ANGEL"))
    (mandate,) = found["compliance_mandate_ANGEL"].rows
    assert mandate == ["Start-up, Growth", "Any", Decimal("20"), Decimal("300000000.00"),
                       Decimal("60000000.00"), date(2029, 6, 30)]  # fmt: skip
    cap = found["compliance_cap_ANGEL"]
    assert [(r[0], r[1], r[3]) for r in cap.rows] == [
        ("上海丙机器人有限公司", 7000 * WAN, "over"),
        ("重庆乙成熟企业有限公司", 5500 * WAN, "near"),
    ]
    assert cap.rows[1][2] == Decimal("0.916667")  # 5,500 of 6,000 万元


def test_every_breach_with_its_override_or_none(app, dbs, year):
    breaches = tables(section(app, dbs, sub_fund="ANGEL"))["compliance_breaches_ANGEL"]
    found = {(r[0], r[1]): r[2:] for r in breaches.rows}
    # the company's stage is judged as of the date (no investment's), the cap on its investment
    assert set(found) == {
        ("重庆乙成熟企业有限公司", None),
        ("上海丙机器人有限公司", date(2025, 5, 1)),
    }
    text, why, who, on = found[("重庆乙成熟企业有限公司", None)]
    assert "Mature" in text
    assert (why, who, on) == ("出资人咨询委员会同意", year["risk"].name, date(2026, 3, 2))
    text, why, who, on = found[("上海丙机器人有限公司", date(2025, 5, 1))]
    assert "cap" in text and "7,000" in text
    assert (why, who, on) == ("No override recorded (e.g. imported history)", "", None)


def test_the_overdue_conditions_and_the_related_parties(app, dbs, year):
    found = tables(section(app, dbs, sub_fund="ANGEL"))
    deal = year["deal"]
    assert found["compliance_overdue_ANGEL"].rows == [
        [deal.deal_ref, "重庆擎天机器人科技有限公司", "12个月内迁入两江新区", date(2025, 10, 1)]
    ]
    first, second = year["members"]
    assert found["compliance_conflicts"].rows == [
        [first.name, "重庆擎天机器人科技有限公司", date(2025, 5, 20), "持有该公司股份"]
    ]  # the 2024 one and the one on a company outside the fund are not listed
    assert found["compliance_recusals"].rows == [
        [first.name, deal.deal_ref, "重庆擎天机器人科技有限公司", date(2025, 6, 15)]
    ]


def test_each_sub_fund_has_its_own_tables(app, dbs, year):
    found = section(app, dbs)
    keys = set(tables(found))
    for code in ("ANGEL", "INDUSTRY"):
        assert {f"compliance_{k}_{code}" for k in ("mandate", "reinvest", "cap", "breaches",
                                                   "overdue")} <= keys  # fmt: skip
    industry = tables(found)
    assert industry["compliance_breaches_INDUSTRY"].rows == []
    assert industry["compliance_breaches_INDUSTRY"].empty == "No breach of the mandate."
    assert industry["compliance_reinvest_INDUSTRY"].rows == []
    assert (
        industry["compliance_overdue_INDUSTRY"].rows[0][2] == "12个月内迁入两江新区"
    )  # both funds'


def test_a_meeting_decision_shows_the_meeting_date(app, dbs, year):
    memo, version = factories.memo(dbs, year["deal"], year["manager"].id)
    chair, member = year["members"]
    meeting = factories.meeting(dbs, chair.id, [chair.id, member.id], date(2025, 9, 8), [version])
    dbs.add(IcDecision(deal_id=year["deal"].id, item_id=meeting.items[0].id, outcome="approve",
                       decided_on=date(2025, 9, 9), recused=[member.id]))  # fmt: skip
    dbs.commit()
    recusals = tables(section(app, dbs, sub_fund="ANGEL"))["compliance_recusals"]
    assert [(r[0], r[3]) for r in recusals.rows] == [(chair.name, date(2025, 6, 15)),
                                                      (member.name, date(2025, 9, 8))]  # fmt: skip


def test_in_chinese_the_vocabularies_read_in_chinese(app, dbs, year):
    with app.app_context(), force_locale("zh_Hans_CN"):
        found = compliance(context(dbs, Ask(year=2025, sub_fund="ANGEL"), app.config))
    found = tables(found)
    assert found["compliance_mandate_ANGEL"].rows[0][0] == "初创期、成长期"
    (row,) = found["compliance_reinvest_ANGEL"].rows
    assert row[1] == "重庆市（全市）" and row[-1] == "推进中"
    assert "成熟期" in next(r[2] for r in found["compliance_breaches_ANGEL"].rows if r[1] is None)
