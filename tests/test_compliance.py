"""Compliance with the guidance-fund rules (DOMAIN.md section 1) at `/funds/<code>/compliance`,
as of any date: each government commitment's re-investment (required against achieved, on
either base, for a district fund's area and the whole city, progress before its deadline, at
risk within a year of it, a breach from it on, nothing for a ratio of 0), the single-project cap
judged on each investment's date, the stage and focus mandate, the investment period, overdue
conditions subsequent, every breach with its override (who, when, why) or without one; the
home page's alert; the mandate check on submitting an IC memo."""

import html
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from sqlmodel import select

from fundcrm.companies.relocations import record_relocation
from fundcrm.domain import compliance as rules
from fundcrm.domain import stages
from fundcrm.domain.commitments import schedule
from fundcrm.domain.location import Move, Place
from fundcrm.funds import changes, flows
from fundcrm.models import (
    Holding,
    IcCondition,
    IcDecision,
    MetricsCache,
    PortfolioTransaction,
    StageMove,
)
from tests import factories
from tests.conftest import page_text, post_form
from tests.factories import make_uscc
from tests.ic_fixtures import ENGLISH, client_of

WAN = Decimal(10000)
TODAY = datetime(2029, 8, 1, 4, 0, tzinfo=UTC)  # the fund's clock: 2029-08-01


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(TODAY, tick=False):
        yield


def invest(dbs, fund, company, on: date, wan: str, override=None, by=None) -> PortfolioTransaction:
    """An investment of the sub-fund in the company (the holding opened by its first)."""
    query = select(Holding).where(Holding.sub_fund_id == fund.id, Holding.company_id == company.id)
    holding = dbs.exec(query).first()
    if holding is None:
        holding = Holding(sub_fund_id=fund.id, company_id=company.id, opened_on=on)
        dbs.add(holding)
        dbs.flush()
    txn = PortfolioTransaction(holding_id=holding.id, made_on=on, kind="investment",
                               amount_yuan=Decimal(wan) * WAN, override_reason=override,
                               created_by_id=by.id if by else None)  # fmt: skip
    dbs.add(txn)
    dbs.commit()
    return txn


def relocate(dbs, company, on: date, district=None, city=None, zone="liangjiang", user=None):
    values = {"to_district": district, "to_city": city, "to_zone": zone, "effective_on": on,
              "evidence": "新营业执照"}  # fmt: skip
    found = record_relocation(dbs, company, values, user)
    dbs.commit()
    return found


def call(dbs, lp, fund, on: date, wan: str) -> None:
    values = {"lp_id": lp.id, "sub_fund_id": fund.id, "flow_on": on, "kind": "call",
              "amount_yuan": Decimal(wan) * WAN, "note": ""}  # fmt: skip
    flows.record_flow(dbs, values)
    dbs.commit()


# -- the re-investment of the angel fund's government commitments ----------------------------


@pytest.fixture
def reinvest(dbs, staff):
    """The angel fund (investment period to 2029-06-30) with: the city fund of funds' 3亿 (1.2 ×
    committed, the whole city, multiplier by default 2, deadline the period's end); a district
    fund's 1亿 (1.5 × paid-in, 渝北区 and 江北区, multiplier 3, deadline 2027-12-31; calls of
    4,000 万元 in 2025 and 6,000 万元 in 2026); a government LP's 1亿 with a ratio of 0; an
    institution's 1亿. Companies: A in 渝北区 (1,000 万元, 2025-03-01); B in 上海 (2,000 万元,
    2025-04-01), relocated into 江北区 on 2025-09-01; C moved from 成都 into 渝北区 on
    2025-01-15, before its first investment (500 万元, 2025-02-01); D in 江北区 (800 万元,
    2025-05-01), moved out to 深圳 on 2025-10-01; E without a recorded location (300 万元)."""
    angel = staff["angel"]
    district = factories.lp(dbs, "两江新区产业发展投资基金", "district_fof")
    pledge = factories.commitment(
        dbs, district, angel, "100000000", reinvest_ratio=Decimal("1.5"),
        reinvest_area=["渝北区", "江北区"], reinvest_base="paid_in",
        reinvest_multiplier=Decimal("3"), reinvest_deadline=date(2027, 12, 31),
    )  # fmt: skip
    zero = factories.lp(dbs, "某区零返投母基金", "district_fof")
    factories.commitment(dbs, zero, angel, "100000000", reinvest_ratio=Decimal("0"))
    plain = factories.lp(dbs, "重庆科创投资管理有限公司", "institution", government=False)
    factories.commitment(dbs, plain, angel, "100000000")
    dbs.commit()
    call(dbs, district, angel, date(2025, 1, 10), "4000")
    call(dbs, district, angel, date(2026, 6, 1), "6000")
    a = factories.company(dbs, "重庆甲机器人有限公司", make_uscc(11))
    b = factories.company(dbs, "上海乙机器人有限公司", make_uscc(12), district=None, city="上海",
                          zone="outside")  # fmt: skip
    c = factories.company(dbs, "成都丙机器人有限公司", make_uscc(13), district=None, city="成都",
                          zone="outside")  # fmt: skip
    d = factories.company(dbs, "重庆丁机器人有限公司", make_uscc(14), district="江北区")
    e = factories.company(dbs, "戊机器人有限公司", make_uscc(15), district=None, zone=None)
    dbs.commit()
    relocate(dbs, c, date(2025, 1, 15), district="渝北区")
    invest(dbs, angel, c, date(2025, 2, 1), "500")
    invest(dbs, angel, a, date(2025, 3, 1), "1000")
    invest(dbs, angel, b, date(2025, 4, 1), "2000")
    invest(dbs, angel, d, date(2025, 5, 1), "800")
    invest(dbs, angel, e, date(2025, 6, 1), "300")
    relocate(dbs, b, date(2025, 9, 1), district="江北区")
    relocate(dbs, d, date(2025, 10, 1), city="深圳", zone="outside")
    return {**staff, "city": staff["commitment"], "district": pledge, "zero": zero,
            "companies": {"A": a, "B": b, "C": c, "D": d, "E": e}}  # fmt: skip


def compliance_page(app, user, code="ANGEL", as_of=None) -> str:
    query = f"?as_of={as_of}" if as_of else ""
    response = client_of(app, user).get(f"/funds/{code}/compliance{query}", headers=ENGLISH)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def row_of(page: str, row_id: str) -> str:
    match = re.search(rf'<tr[^>]*id="{row_id}"[^>]*>(.*?)</tr>', page, re.S)
    assert match, row_id
    return match.group(1)


def cell(row: str, css: str) -> str:
    match = re.search(rf'class="[^"]*\b{css}\b[^"]*"[^>]*>(.*?)</t[dh]>', row, re.S)
    assert match, css
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split()))


def standing(page: str, commitment) -> dict:
    """What the page says of a commitment: required, achieved, progress, status."""
    found = row_of(page, f"commitment-{commitment.id}")
    status = re.search(r'data-status="(\w+)"', found).group(1)
    return {"required": cell(found, "required"), "achieved": cell(found, "achieved"),
            "progress": cell(found, "progress-pct"), "status": status}  # fmt: skip


def counts(page: str, company) -> dict[int, str]:
    """What a company counts towards each commitment (by its id), as the page says it."""
    found = row_of(page, f"company-{company.id}")
    cells = re.findall(r'reinvest-count"[^>]*data-commitment="(\d+)"[^>]*>(.*?)</td>', found, re.S)
    return {int(i): " ".join(re.sub(r"<[^>]+>", " ", html.unescape(c)).split()) for i, c in cells}


def both(page: str, company, reinvest) -> tuple[str, str]:
    """What the company counts towards the city's and the district fund's commitments."""
    found = counts(page, company)
    return found[reinvest["city"].id], found[reinvest["district"].id]


def test_before_the_relocation_into_the_area_the_company_counts_for_nothing(app, reinvest):
    """2025-08-31: B is still registered in 上海 (outside both areas), D still in 江北区."""
    page = compliance_page(app, reinvest["risk"], as_of="2025-08-31")
    assert standing(page, reinvest["city"]) == {
        "required": "36,000.00", "achieved": "2,300.00", "progress": "6.4%", "status": "progress"
    }  # fmt: skip
    assert standing(page, reinvest["district"]) == {
        "required": "6,000.00", "achieved": "2,300.00", "progress": "38.3%", "status": "progress"
    }  # fmt: skip
    b = reinvest["companies"]["B"]
    assert both(page, b, reinvest) == ("outside the area", "outside the area")


def test_from_the_relocation_date_all_its_cost_counts_times_the_multiplier(app, reinvest):
    """2025-09-01: B's 2,000 万元 count × 3 for the district fund and × 2 (the default) for the
    city's; C, relocated in before the first investment, counts × 1."""
    page = compliance_page(app, reinvest["risk"], as_of="2025-09-01")
    assert standing(page, reinvest["city"])["achieved"] == "6,300.00"  # 1,000 + 4,000 + 500 + 800
    assert standing(page, reinvest["district"])["achieved"] == "8,300.00"  # + 6,000
    companies = reinvest["companies"]
    city_b, district_b = both(page, companies["B"], reinvest)
    assert district_b == "6,000.00 × 3 from Sep 1, 2025 (relocated in)"
    assert city_b == "4,000.00 × 2 from Sep 1, 2025 (relocated in)"
    assert both(page, companies["C"], reinvest) == ("500.00", "500.00")
    text = page_text(page, 'id="company-' + str(companies["B"].id))
    assert "Jiangbei District relocated 上海 → Jiangbei District on Sep 1, 2025" in text


def test_a_move_out_stops_counting_from_its_date(app, reinvest):
    d = reinvest["companies"]["D"]
    before = compliance_page(app, reinvest["risk"], as_of="2025-09-30")
    assert both(before, d, reinvest) == ("800.00", "800.00")
    after = compliance_page(app, reinvest["risk"], as_of="2025-10-01")
    assert both(after, d, reinvest) == ("outside the area", "outside the area")
    shown = page_text(after, f'id="company-{d.id}"')
    assert "深圳 relocated Jiangbei District → 深圳 on Oct 1, 2025" in shown
    assert standing(after, reinvest["city"])["achieved"] == "5,500.00"
    assert standing(after, reinvest["district"]) == {
        "required": "6,000.00", "achieved": "7,500.00", "progress": "125%", "status": "met"
    }  # fmt: skip


def test_an_unknown_location_is_said_and_a_ratio_of_0_requires_nothing(app, reinvest):
    page = compliance_page(app, reinvest["risk"], as_of="2025-12-31")
    assert list(counts(page, reinvest["companies"]["E"]).values()) == ["location unknown"] * 3
    rows = re.findall(r'<tr class="reinvest-commitment"[^>]*>(.*?)</tr>', page, re.S)
    zero = next(r for r in rows if "某区零返投母基金" in r)
    assert 'data-status="not_required"' in zero and "Nothing required" in zero
    assert "重庆科创投资管理有限公司" not in page_text(page, 'id="reinvest-commitments"')


@pytest.mark.parametrize(
    ("as_of", "district", "city"),
    [
        ("2026-12-30", ("15,000.00", "50%", "progress"), "progress"),  # paid-in base: 10,000
        ("2026-12-31", ("15,000.00", "50%", "at_risk"), "progress"),  # 12 months before
        ("2027-12-31", ("15,000.00", "50%", "breach"), "progress"),  # the district's deadline
        ("2028-06-29", ("15,000.00", "50%", "breach"), "progress"),
        ("2028-06-30", ("15,000.00", "50%", "breach"), "at_risk"),  # the city's at-risk window
        ("2029-06-30", ("15,000.00", "50%", "breach"), "breach"),  # its investment period end
    ],
)
def test_a_shortfall_is_progress_then_at_risk_then_a_breach(app, reinvest, as_of, district, city):
    page = compliance_page(app, reinvest["risk"], as_of=as_of)
    found = standing(page, reinvest["district"])
    assert (found["required"], found["progress"], found["status"]) == district
    assert found["achieved"] == "7,500.00"
    assert standing(page, reinvest["city"])["status"] == city


def test_the_page_counts_its_breaches_and_risks(app, reinvest):
    page = page_text(compliance_page(app, reinvest["risk"], as_of="2027-06-30"))
    assert "Re-investment breaches: 0" in page and "Re-investment at risk: 1" in page
    page = page_text(compliance_page(app, reinvest["risk"], as_of="2029-07-01"))
    assert "Re-investment breaches: 2" in page


# -- the mandate: the cap, stage and focus, the investment period, conditions, overrides ------


@pytest.fixture
def mandate(dbs, staff):
    """A sub-fund for start-ups and growth companies in embodied AI, its investment period to
    2027-06-30, 5亿 committed (an institution's): a cap of 20% = 10,000 万元. G 9,000 + 500
    (95%: near); H 10,500 in one go, overridden by risk at its entry; I 6,000 then 5,000 on
    2025-08-01 (imported, no override); L mature, in large models, whose deal's move risk
    overrode; F a new company after the period (no override); M a follow-on after it."""
    fund = factories.sub_fund(dbs, "MANDATE", allowed_stages=["startup", "growth"],
                              focus_areas=["embodied_ai"],
                              investment_end=date(2027, 6, 30))  # fmt: skip
    lp = factories.lp(dbs, "渝新创业投资有限公司", "institution", government=False)
    pledge = factories.commitment(dbs, lp, fund, "500000000")
    names = {
        "G": "重庆庚",
        "H": "重庆辛",
        "I": "重庆壬",
        "L": "重庆癸",
        "F": "重庆子",
        "M": "重庆丑",
    }
    made = {
        key: factories.company(dbs, f"{name}机器人有限公司", make_uscc(40 + i))
        for i, (key, name) in enumerate(names.items())
    }
    made["L"].enterprise_stage, made["L"].focus_area = "mature", "large_model"
    dbs.commit()
    risk = staff["risk"]
    invest(dbs, fund, made["G"], date(2025, 6, 1), "9000")
    invest(dbs, fund, made["G"], date(2025, 7, 1), "500")
    invest(
        dbs, fund, made["H"], date(2025, 6, 1), "10500", override="投委会特批：产业链龙头", by=risk
    )
    invest(dbs, fund, made["I"], date(2025, 6, 1), "6000")
    invest(dbs, fund, made["I"], date(2025, 8, 1), "5000")
    invest(dbs, fund, made["L"], date(2025, 6, 1), "1000")
    invest(dbs, fund, made["M"], date(2026, 1, 1), "1000")
    invest(dbs, fund, made["F"], date(2027, 8, 1), "1000")
    invest(dbs, fund, made["M"], date(2027, 8, 1), "500")
    deal = factories.deal(dbs, made["L"], staff["manager"], [(fund, "10000000")])
    dbs.add(StageMove(deal_id=deal.id, from_stage="screening", to_stage="approved",
                      at=datetime(2025, 5, 2, 2, tzinfo=UTC), by_id=risk.id, by_label=risk.email,
                      override_reason="战略协同，投委会同意作为例外",
                      breaches=[f"{fund.name} invests in companies at these stages"]))  # fmt: skip
    imported = factories.deal(dbs, made["F"], staff["manager"], [(fund, "10000000")])
    dbs.add(StageMove(deal_id=imported.id, from_stage="sourcing", to_stage="closed",
                      at=datetime(2027, 8, 1, 2, tzinfo=UTC), by_label="cli", kind="import",
                      breaches=[f"{fund.name}'s investment period ended"]))  # fmt: skip
    dbs.commit()
    return {**staff, "fund": fund, "lp": lp, "pledge": pledge, "made": made,
            "conditions": _conditions(dbs, factories.deal(dbs, made["G"], staff["manager"],
                                                          [(fund, "95000000")]))}  # fmt: skip


def _conditions(dbs, deal) -> dict:
    decision = IcDecision(deal_id=deal.id, decided_on=date(2025, 5, 20),
                          outcome="approve_conditions", recorded=True)  # fmt: skip
    dbs.add(decision)
    dbs.flush()
    made = {}
    for key, kind, text, due, status, resolved in (
        ("overdue", "subsequent", "一年内将注册地迁入两江新区", date(2028, 1, 31), "open", None),
        ("met_late", "subsequent", "补充研发费用专项审计", date(2028, 1, 1), "met",
         date(2028, 1, 10)),
        ("not_due", "subsequent", "年度经营数据报送", date(2029, 12, 31), "open", None),
        ("precedent", "precedent", "完成股东会决议", date(2025, 5, 1), "open", None),
    ):  # fmt: skip
        made[key] = IcCondition(decision_id=decision.id, deal_id=deal.id, kind=kind, text=text,
                                due_on=due, status=status, resolved_on=resolved)  # fmt: skip
        dbs.add(made[key])
    dbs.commit()
    return made


def breach_rows(page: str) -> list[str]:
    rows = re.findall(r'<tr class="mandate-breach"[^>]*>(.*?)</tr>', page, re.S)
    return [html.unescape(" ".join(re.sub(r"<[^>]+>", " ", r).split())) for r in rows]


def test_every_breach_is_listed_with_its_override_or_without_one(app, mandate):
    page = compliance_page(app, mandate["risk"], "MANDATE", "2029-07-01")
    rows = breach_rows(page)
    risk = mandate["risk"].name
    assert len(rows) == 5, rows
    h = next(r for r in rows if r.startswith("重庆辛"))
    assert "Jun 1, 2025" in h and "would hold 10,500.00 万元" in h
    assert "over its single-project cap of 10,000.00 万元 (20% of 50,000.00 万元)" in h
    assert f"Override by {risk}" in h and "投委会特批：产业链龙头" in h
    i = next(r for r in rows if r.startswith("重庆壬"))
    assert "Aug 1, 2025" in i and "11,000.00 万元 in this company (6,000.00 万元 invested" in i
    assert "No override recorded" in i
    stage, focus = [r for r in rows if r.startswith("重庆癸")]
    assert "this company is Mature" in stage and "this company's is Large models" in focus
    for found in (stage, focus):
        assert f"Override by {risk}" in found and "战略协同，投委会同意作为例外" in found
    f = next(r for r in rows if r.startswith("重庆子"))
    assert "investment period ended on Jun 30, 2027: no new companies" in f
    assert "No override recorded" in f
    assert not any(r.startswith(("重庆庚", "重庆丑")) for r in rows)  # within; a follow-on
    summary = page_text(page, 'id="compliance-summary"')
    assert "Mandate breaches: 5 (2 without an override)" in summary


def test_the_moves_that_recorded_breaches_are_listed_with_who_and_why(app, mandate):
    page = page_text(compliance_page(app, mandate["risk"], "MANDATE"), 'id="breach-moves"')
    assert "Screening → Approved" in page and mandate["risk"].name in page
    assert "战略协同，投委会同意作为例外" in page
    assert "Imported as history: no override" in page


def test_the_cap_near_and_judged_on_each_investments_date(app, dbs, mandate):
    page = compliance_page(app, mandate["risk"], "MANDATE", "2029-07-01")
    near = page_text(page, 'id="near-companies"')
    assert "重庆庚机器人有限公司 9,500.00 95% near" in near
    assert "= 10,000.00 万元" in page_text(page, 'id="near-cap"')
    # the commitment drops to 4亿 in 2028: today's limit is 8,000 万元, G is over it, yet no
    # investment broke the cap on its own date
    changes.record_change(dbs, mandate["pledge"], {"changed_on": date(2028, 1, 1),
                          "kind": "decrease", "amount_yuan": 10000 * WAN, "to_lp_id": None,
                          "note": ""})  # fmt: skip
    dbs.commit()
    page = compliance_page(app, mandate["risk"], "MANDATE", "2029-07-01")
    assert "重庆庚机器人有限公司 9,500.00 118.8% over" in page_text(page, 'id="near-companies"')
    assert len(breach_rows(page)) == 5
    earlier = compliance_page(app, mandate["risk"], "MANDATE", "2027-12-31")
    assert "= 10,000.00 万元" in page_text(earlier, 'id="near-cap"')


def test_overdue_conditions_subsequent_as_of_the_date(app, mandate):
    def overdue(as_of):
        page = compliance_page(app, mandate["risk"], "MANDATE", as_of)
        return page_text(page, 'id="overdue-conditions"')

    assert "一年内将注册地迁入两江新区" in overdue("2029-07-01")
    assert "补充研发费用专项审计" not in overdue("2029-07-01")  # met on 2028-01-10
    assert "补充研发费用专项审计" in overdue("2028-01-05")  # due before, not met by then
    assert "一年内将注册地迁入两江新区" not in overdue("2028-01-31")  # due that day
    text = overdue("2029-07-01")
    assert "年度经营数据报送" not in text and "完成股东会决议" not in text


def test_bad_dates_and_unknown_codes_are_refused(app, staff):
    client = client_of(app, staff["risk"])
    for bad in ("2026-02-30", "yesterday", "2026/01/01"):
        response = client.get(f"/funds/ANGEL/compliance?as_of={bad}", headers=ENGLISH)
        assert response.status_code == 400 and "YYYY-MM-DD" in response.get_data(as_text=True)
    response = client.get("/funds/NOPE/compliance", headers=ENGLISH)
    assert response.status_code == 404 and "No sub-fund has this code" in response.get_data(
        as_text=True
    )


def test_a_repeat_view_runs_a_fixed_number_of_statements(app, dbs, mandate, count_queries):
    client = client_of(app, mandate["risk"])
    client.get("/funds/MANDATE/compliance?as_of=2029-07-01")
    with count_queries() as small:
        assert client.get("/funds/MANDATE/compliance?as_of=2029-07-01").status_code == 200
    fund = mandate["fund"]
    for n in range(30):
        company = factories.company(dbs, f"重庆扩容{n}号机器人有限公司", make_uscc(300 + n))
        dbs.commit()
        invest(dbs, fund, company, date(2026, 3, 1), "10")
    client.get("/funds/MANDATE/compliance?as_of=2029-07-01")
    with count_queries() as large:
        page = client.get("/funds/MANDATE/compliance?as_of=2029-07-01")
    assert page.status_code == 200 and small.n == large.n
    assert not any("portfolio_transactions" in s for s in large.statements)


def test_a_relocation_is_seen_at_once(app, dbs, reinvest):
    """Relocations raise the metrics version: the cached checks are computed again."""
    d = reinvest["companies"]["D"]
    page = compliance_page(app, reinvest["risk"], as_of="2029-07-01")
    assert both(page, d, reinvest) == ("outside the area", "outside the area")
    relocate(dbs, d, date(2029, 7, 1), district="渝北区")
    page = compliance_page(app, reinvest["risk"], as_of="2029-07-01")
    # back into the area after the first investment: × the multiplier from that date
    assert both(page, d, reinvest) == ("1,600.00 × 2 from Jul 1, 2029 (relocated in)",
                                       "2,400.00 × 3 from Jul 1, 2029 (relocated in)")  # fmt: skip


# -- the home page's alert --------------------------------------------------------------------


def alert_of(client, code: str) -> str:
    """The home page alert's line of a sub-fund ('' without one)."""
    fragment = client.get("/compliance/alerts", headers=ENGLISH).get_data(as_text=True)
    match = re.search(
        rf'<li class="compliance-alert" data-code="{code}">(.*?)</li>', fragment, re.S
    )
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())) if match else ""


def test_the_home_alert_shows_risk_its_sub_funds_and_not_a_viewer(app, reinvest, mandate):
    risk = client_of(app, reinvest["risk"])
    assert 'id="compliance-alerts"' in risk.get("/", headers=ENGLISH).get_data(as_text=True)
    with time_machine.travel(datetime(2027, 6, 30, 4, tzinfo=UTC), tick=False):
        then = client_of(app, reinvest["risk"])  # signed in then
        assert alert_of(then, "ANGEL") == "ANGEL 子基金 : re-investment at risk: 1"
        line = alert_of(then, "MANDATE")
    assert "mandate breaches: 4 (1 without an override)" in line
    assert "companies near or over the cap: 3" in line and "overdue" not in line  # G, H, I
    assert "re-investment breaches: 2" in alert_of(risk, "ANGEL")
    assert "overdue conditions subsequent: 1" in alert_of(risk, "MANDATE")
    assert 'href="/funds/MANDATE/compliance"' in risk.get("/compliance/alerts").get_data(
        as_text=True
    )
    viewer = client_of(app, reinvest["viewer"])
    assert "compliance-alerts" not in viewer.get("/").get_data(as_text=True)
    assert viewer.get("/compliance/alerts").status_code == 403
    assert viewer.get("/funds/ANGEL/compliance").status_code == 403


def test_nothing_to_say_says_nothing(app, staff):
    with time_machine.travel(datetime(2026, 1, 5, 4, tzinfo=UTC), tick=False):  # no deadline yet
        response = client_of(app, staff["risk"]).get("/compliance/alerts", headers=ENGLISH)
    assert response.status_code == 200 and "compliance-alert" not in response.get_data(as_text=True)


def test_the_alert_is_cached_with_the_metrics(app, dbs, mandate, count_queries):
    client = client_of(app, mandate["risk"])
    client.get("/compliance/alerts")
    with count_queries() as counted:
        client.get("/compliance/alerts")
    assert not any("portfolio_transactions" in s for s in counted.statements)
    assert dbs.exec(select(MetricsCache)).first() is not None


# -- links ------------------------------------------------------------------------------------


def test_the_fund_pages_link_to_compliance(app, staff):
    client = client_of(app, staff["manager"])
    assert 'href="/funds/ANGEL/compliance"' in client.get("/funds").get_data(as_text=True)
    metrics = client.get("/funds/ANGEL/metrics?as_of=2029-07-01").get_data(as_text=True)
    assert 'href="/funds/ANGEL/compliance?as_of=2029-07-01"' in metrics
    viewer = client_of(app, staff["viewer"]).get("/funds").get_data(as_text=True)
    assert "/funds/ANGEL/compliance" not in viewer


# -- the commitment form's relocation terms ---------------------------------------------------


def test_the_commitment_form_keeps_a_multiplier_and_a_deadline(app, dbs, staff):
    client = client_of(app, staff["admin"])
    pledge = staff["commitment"]
    url = f"/funds/commitments/{pledge.id}"
    form = {"lp_id": staff["lp"].id, "sub_fund_id": staff["angel"].id, "committed_wan": "30000",
            "reinvest_ratio": "1.2", "reinvest_area": "chongqing", "reinvest_base": "committed",
            "reinvest_multiplier": "2.5", "reinvest_deadline": "2028-12-31"}  # fmt: skip
    assert post_form(client, url, form).status_code == 302
    dbs.refresh(pledge)
    assert pledge.reinvest_multiplier == Decimal("2.5")
    assert pledge.reinvest_deadline == date(2028, 12, 31)
    shown = client.get(url).get_data(as_text=True)
    assert 'value="2.5000"' in shown and 'value="2028-12-31"' in shown
    refused = post_form(client, url, {**form, "reinvest_multiplier": "0.5"}, headers=ENGLISH)
    assert refused.status_code == 200 and "Number must be between 1 and 10" in html.unescape(
        refused.get_data(as_text=True)
    )
    page = page_text(compliance_page(app, staff["risk"]))
    assert "Relocation multiplier ×2.5" in page and "Dec 31, 2028" in page


# -- the IC memo: the mandate check on submission ---------------------------------------------


def test_submitting_a_memo_shows_the_mandate_breaches_to_be_overridden(app, dbs, staff):
    company = factories.company(dbs, "重庆成熟期机器人有限公司", make_uscc(90),
                                enterprise_stage="mature")  # fmt: skip
    deal = factories.deal(dbs, company, staff["manager"], [(staff["angel"], "70000000")])
    deal.stage = "due_diligence"
    dbs.commit()
    memo, _version = factories.memo(dbs, deal, staff["manager"].id, submitted=False)
    client = client_of(app, staff["manager"])
    url = f"/ic/memos/{memo.id}/submit"
    answer = post_form(client, url, {"seen": "1"}, token_from=f"/ic/memos/{memo.id}",
                       headers=ENGLISH, follow_redirects=True)  # fmt: skip
    text = html.unescape(answer.get_data(as_text=True))
    assert "Version 1 is submitted to the IC" in text
    assert "this company is Mature" in text
    assert "over its single-project cap of 6,000.00 万元" in text  # 20% of the 3亿 committed
    assert "will need an override by risk or an administrator" in text
    assert 'id="memo-mandate"' in text


def test_a_memo_within_the_mandates_says_nothing_of_an_override(app, dbs, staff):
    deal = staff["deal"]
    deal.stage = "due_diligence"
    dbs.commit()
    memo, _version = factories.memo(dbs, deal, staff["manager"].id, submitted=False)
    with time_machine.travel(datetime(2026, 1, 5, 4, tzinfo=UTC), tick=False):  # in the period
        client = client_of(app, staff["manager"])
        answer = post_form(client, f"/ic/memos/{memo.id}/submit", {"seen": "1"},
                           token_from=f"/ic/memos/{memo.id}", headers=ENGLISH,
                           follow_redirects=True)  # fmt: skip
    text = answer.get_data(as_text=True)
    assert "submitted to the IC" in text and "will need an override" not in text


# -- the rules themselves -----------------------------------------------------------------------


def test_the_multiplier_counts_only_for_a_move_in_after_the_first_investment():
    t = rules.terms("1.2", ["chongqing"], "committed", None, None, "2", date(2029, 6, 30))
    outside, inside = Place(city="上海"), Place(district="渝北区")
    moved = [Move(date(2025, 9, 1), outside, inside)]
    cost = Decimal("1000")
    before = rules.company_count(t, inside, moved, date(2025, 4, 1), cost, date(2025, 8, 31))
    assert (before.status, before.counted) == ("outside", 0)
    on = rules.company_count(t, inside, moved, date(2025, 4, 1), cost, date(2025, 9, 1))
    assert (on.counted, on.relocated_on) == (Decimal("2000.00"), date(2025, 9, 1))
    earlier = rules.company_count(t, inside, moved, date(2025, 9, 1), cost, date(2025, 9, 2))
    assert earlier.counted == cost  # moved in on the day of the first investment: × 1
    # a location first recorded by a relocation from nowhere known: counted once, no multiplier
    filled = [Move(date(2025, 9, 1), Place(), inside)]
    after = rules.company_count(t, inside, filled, date(2025, 4, 1), cost, date(2025, 10, 1))
    assert (after.status, after.counted, after.relocated_on) == ("counted", cost, None)
    assert rules.required(t, Decimal("300000000"), Decimal(0)) == Decimal("360000000.00")
    # a commitment not in force yet requires nothing, rather than being "met"
    assert rules.standing(t, Decimal(0), Decimal(0), date(2025, 1, 1), 90, 12).status == (
        "not_required"
    )


def test_the_cap_rule_is_the_pipelines(app):
    """One rule: the compliance page's cap is fundcrm.domain.stages' over_cap, on the size in
    force on each investment's date."""
    mandate = rules.Mandate("F", [], [], Decimal("20"), None)
    sizes = {date(2025, 1, 1): Decimal("100"), date(2026, 1, 1): Decimal("50")}
    found = rules.holding_breaches(mandate, "growth", "large_model",
                                   [(date(2025, 1, 1), Decimal("20"), 1),
                                    (date(2026, 1, 1), Decimal("1"), 2)],
                                   sizes.__getitem__, date(2026, 6, 1))  # fmt: skip
    assert [(j.breach.code, j.made_on) for j in found] == [("cap", date(2026, 1, 1))]
    assert found[0].breach.params["limit"] == stages.cap_limit(Decimal("50"), Decimal("20"))
    commitments = {(1, 7): schedule(date(2025, 1, 1), Decimal("80")),
                   (2, 7): schedule(date(2026, 1, 1), Decimal("20"))}  # fmt: skip
    assert rules.committed_size(commitments, 7, date(2025, 6, 1), Decimal(1)) == 80
    assert rules.committed_size(commitments, 7, date(2026, 6, 1), Decimal(1)) == 100
    assert rules.committed_size(commitments, 8, date(2026, 6, 1), Decimal(9)) == 9  # target


def test_at_risk_and_breach_dates():
    t = rules.terms("1", ["chongqing"], "committed", None, date(2027, 12, 31), "2", None)
    found = rules.standing(t, Decimal(100), Decimal(89), date(2026, 12, 31), "90", 12)
    assert (found.status, found.risk_from) == ("at_risk", date(2026, 12, 31))
    assert rules.standing(t, Decimal(100), Decimal(90), date(2027, 1, 1), "90", 12).status == (
        "progress"
    )
    assert rules.standing(t, Decimal(100), Decimal(99), date(2027, 12, 31), "90", 12).status == (
        "breach"
    )
    assert rules.months_before(date(2028, 2, 29), 12) == date(2027, 2, 28)


def test_a_sub_fund_without_holdings_or_moves_says_so(app, dbs, mandate):
    factories.sub_fund(dbs, "OTHER")
    dbs.commit()
    page = page_text(compliance_page(app, mandate["risk"], "OTHER", "2029-07-01"))
    assert "No breach of the mandate" in page and "No move of the sub-fund’s deals" in page
    assert "The sub-fund has no investment dated on or before the date" in page
