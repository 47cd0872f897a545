"""The home page's dashboard per role (issue 15, part 6): the pipeline funnel, the deals by stage,
focus area and zone, deployment against commitment, the next IC meetings and the marks waiting
for review; each chart's figures equal the list beside it and the deal list its link opens; a
representative of an LP sees no pipeline figure; the page's statements do not grow with the
data (part 7)."""

import json
import re
from datetime import date
from decimal import Decimal

import pytest
import time_machine

from fundcrm.models import Holding, PortfolioTransaction, User, ValuationMark
from tests import factories
from tests.ic_fixtures import ENGLISH, client_of

TODAY = "2026-03-02T04:00:00Z"
DEAL_LINK = re.compile(r'href="/deals/(\d+)"')
FIGURE = re.compile(
    r'<li class="dashboard-figure[^"]*" data-code="([^"]*)" data-count="(\d+)">\s*'
    r'(?:<a href="([^"]*)">)?([^<]*)'
)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


def _deal(dbs, n: int, owner, stage: str, angel, team=(), **company):
    row = factories.company(dbs, f"重庆{n}号智能科技有限公司", factories.make_uscc(n), **company)
    deal = factories.deal(dbs, row, owner, [(angel, "1000000")], team_ids=list(team))
    deal.stage = stage
    return deal


def _holding(dbs, angel, n: int, invested: str, on: date, author_id: int) -> Holding:
    company = factories.company(dbs, f"重庆{n}号机器人有限公司", factories.make_uscc(n))
    holding = Holding(sub_fund_id=angel.id, company_id=company.id, opened_on=on)
    dbs.add(holding)
    dbs.flush()
    dbs.add(PortfolioTransaction(holding_id=holding.id, made_on=on, kind="investment",
                                 amount_yuan=Decimal(invested)))  # fmt: skip
    dbs.add(ValuationMark(holding_id=holding.id, marked_on=on, fair_value_yuan=Decimal(invested),
                          method="cost", author_id=author_id))  # fmt: skip
    return holding


@pytest.fixture
def fund(dbs, staff, make_user):
    """The staff's pipeline (the manager's deal at 项目储备, 具身智能, 两江新区) and: a colleague's
    deal at 初筛 with the manager on its team (大模型, 高新区), a colleague's deal at 尽调 without
    (大模型, no zone) and one passed (机器人本体, 两江新区); a holding of 天使基金 bought for
    3,000 万元 on 2025-03-01 with a mark waiting for review; a meeting on 2026-03-20 of the IC
    member with the first deal on its agenda, one of other members on 2026-03-10, one past."""
    angel, manager = staff["angel"], staff["manager"]
    colleague = dbs.get(User, make_user("manager")[0])
    _deal(dbs, 11, colleague, "screening", angel, [manager.id], focus_area="large_model",
          zone="science_city")  # fmt: skip
    _deal(dbs, 12, colleague, "due_diligence", angel, focus_area="large_model", zone=None)
    _deal(dbs, 13, colleague, "passed", angel, focus_area="robot_body")
    holding = _holding(dbs, angel, 20, "30000000", date(2025, 3, 1), manager.id)
    dbs.commit()
    others = [dbs.get(User, make_user("ic_member")[0]) for _ in range(2)]
    _memo, version = factories.memo(dbs, staff["deal"], manager.id)
    member = staff["ic_member"]
    mine = factories.meeting(
        dbs, member.id, [member.id, others[0].id], date(2026, 3, 20), [version]
    )
    theirs = factories.meeting(dbs, others[0].id, [o.id for o in others], date(2026, 3, 10))
    factories.meeting(dbs, member.id, [member.id], date(2026, 2, 20))  # past
    return {**staff, "holding": holding, "mine": mine, "theirs": theirs, "colleague": colleague}


def home(app, user) -> str:
    response = client_of(app, user).get("/", headers=ENGLISH)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def panels(page: str) -> list[str]:
    return re.findall(r'id="panel-([a-z_]+)"', page)


def figures(page: str, key: str) -> list[tuple[str, int, str | None, str]]:
    """(code, count, link, label) of a chart's list."""
    part = page.split(f'id="figures-{key}"')[1].split("</ul>")[0]
    return [(c, int(n), url or None, label.strip()) for c, n, url, label in FIGURE.findall(part)]


def chart_data(page: str) -> dict:
    return json.loads(page.split('id="dashboard-data"')[1].split(">", 1)[1].split("</script>")[0])


def test_a_manager_sees_its_own_pipeline_first_then_the_funds(app, fund):
    page = home(app, fund["manager"])
    assert panels(page) == ["mine", "funnel", "stages", "focus_areas", "zones", "deployment",
                            "meetings"]  # fmt: skip
    mine = {code: n for code, n, _url, _label in figures(page, "mine")}
    assert mine == {"sourcing": 1, "screening": 1, "approved": 0, "due_diligence": 0, "ic": 0,
                    "signing": 0, "closed": 0, "on_hold": 0, "passed": 0}  # fmt: skip
    assert ("screening", 1, "/deals/mine?stage=screening", "Screening") in figures(page, "mine")
    funnel = [(code, n) for code, n, _url, _label in figures(page, "funnel")]
    assert funnel[:4] == [("sourcing", 1), ("screening", 1), ("approved", 0),
                          ("due_diligence", 1)]  # fmt: skip
    assert funnel[-2:] == [("on_hold", 0), ("passed", 1)]
    assert figures(page, "focus_areas") == [
        ("large_model", 2, "/deals?focus_area=large_model", "Large models"),
        ("embodied_ai", 1, "/deals?focus_area=embodied_ai", "Embodied AI"),
        ("robot_body", 1, "/deals?focus_area=robot_body", "Robot body"),
    ]
    zones = figures(page, "zones")
    assert [(code, n, url) for code, n, url, _label in zones] == [
        ("liangjiang", 2, "/deals?zone=liangjiang"),
        ("science_city", 1, "/deals?zone=science_city"),
        ("", 1, None),  # no zone recorded: nothing to filter on
    ]
    assert zones[-1][3] == "Not set"


def test_each_chart_draws_the_figures_of_its_list(app, fund):
    page = home(app, fund["manager"])
    data = chart_data(page)
    for key in ("mine", "funnel", "stages", "focus_areas", "zones"):
        listed = figures(page, key)
        drawn = [(i["label"], i["value"], i["url"]) for i in data[key]["items"]]
        if key in ("mine", "funnel"):  # the chart is the path; on hold and passed are listed
            listed = listed[:7]
        assert drawn == [(label, n, url) for _code, n, url, label in listed], key


def test_each_segment_opens_the_list_of_exactly_its_deals(app, fund):
    client = client_of(app, fund["manager"])
    page = client.get("/", headers=ENGLISH).get_data(as_text=True)
    for key in ("mine", "stages", "focus_areas", "zones"):
        for _code, n, url, label in figures(page, key):
            if url is None:
                continue
            listed = client.get(url, headers=ENGLISH)
            assert listed.status_code == 200, url
            shown = set(DEAL_LINK.findall(listed.get_data(as_text=True)))
            assert len(shown) == n, (key, label, url)


def test_deployment_is_the_cost_against_the_commitments_in_force(app, fund):
    page = home(app, fund["manager"])
    rows = re.findall(
        r'<tr data-on="([\d-]+)"><td><a href="([^"]+)">[^<]*</a></td><td class="num">([^<]*)</td>'
        r'<td class="num">([^<]*)</td><td class="num">([^<]*)</td>',
        page,
    )
    by_date = {
        on: (url, invested, committed, share) for on, url, invested, committed, share in rows
    }
    # the first close is 2024-06-01: its quarter's end first, then each quarter's to today
    assert sorted(by_date)[0] == "2024-06-30" and sorted(by_date)[-1] == "2026-03-02"
    assert len(by_date) == 8
    assert by_date["2024-12-31"][1:] == ("0.00", "30,000.00", "0.0%")
    assert by_date["2025-03-31"] == ("/portfolio?as_of=2025-03-31", "3,000.00", "30,000.00",
                                     "10.0%")  # fmt: skip
    data = chart_data(page)["deployment"]
    at = data["dates"].index("2025-03-31")
    assert (data["invested"][at], data["committed"][at]) == ("3000.00", "30000.00")
    assert data["urls"][at] == "/portfolio?as_of=2025-03-31"


def test_an_ic_member_sees_its_next_meeting_first(app, fund):
    page = home(app, fund["ic_member"])
    assert panels(page)[0] == "meetings"
    listed = page.split('id="home-meetings"')[1].split("</ul>")[0]
    assert re.findall(r'data-meeting="(\d+)"', listed) == [str(fund["mine"].id)]
    assert "Agenda items: 1" in listed and f'href="/ic/meetings/{fund["mine"].id}"' in listed
    manager = home(app, fund["manager"]).split('id="home-meetings"')[1].split("</ul>")[0]
    meetings = [str(fund["theirs"].id), str(fund["mine"].id)]
    assert re.findall(r'data-meeting="(\d+)"', manager) == meetings  # soonest first, no past one


def test_risk_sees_the_marks_waiting_for_review_first(app, fund):
    page = home(app, fund["risk"])
    assert panels(page)[0] == "marks" and "mine" not in panels(page)
    assert re.search(r'id="home-pending-marks">1<', page)
    link = f'href="/portfolio/{fund["holding"].id}#marks"'
    assert link in page.split('id="panel-marks"')[1]
    assert 'id="compliance-alerts"' in page  # the breaches, fetched after the page
    assert "marks" not in panels(home(app, fund["manager"]))


def test_an_lp_representative_sees_its_account_and_no_pipeline_figure(app, dbs, fund):
    viewer = fund["viewer"]
    viewer.lp_id = fund["lp"].id
    dbs.commit()
    page = home(app, viewer)
    assert 'id="home-lp-account"' in page
    assert panels(page) == [] and "dashboard-data" not in page and "echarts" not in page
    for leak in ("/deals", "Pipeline", "Deals by", "Sourcing", "Embodied AI", "/ic/meetings"):
        assert leak not in page, leak


def test_the_page_runs_a_fixed_number_of_statements_as_each_role(
    app, dbs, fund, count_queries, make_user
):
    viewer = fund["viewer"]
    viewer.lp_id = fund["lp"].id
    dbs.commit()
    roles = ("manager", "ic_member", "risk", "admin", "viewer")
    clients = {role: client_of(app, fund[role]) for role in roles}
    for client in clients.values():
        client.get("/")  # warms the client's session
    counts = {role: [] for role in roles}
    for round_ in range(2):
        for n in range(12):  # more deals, companies, holdings, transactions, marks, meetings
            number = 100 + 20 * round_ + n
            stage = ("sourcing", "screening", "ic", "passed")[n % 4]
            deal = _deal(dbs, number, fund["manager"], stage, fund["angel"], zone=None)
            _holding(dbs, fund["angel"], 1000 + number, "1000000", date(2025, 6, 1), deal.owner_id)
        dbs.commit()
        factories.meeting(dbs, fund["ic_member"].id, [fund["ic_member"].id],
                          date(2026, 4, 1 + round_))  # fmt: skip
        for role, client in clients.items():
            seen = []
            for _view in ("first after the change", "repeat"):  # the metrics cache filled
                with count_queries() as counted:
                    assert client.get("/").status_code == 200
                seen.append(counted.n)
            counts[role].append(seen)
    for role, found in counts.items():
        assert found[0] == found[1], (role, found)
