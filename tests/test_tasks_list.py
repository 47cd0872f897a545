"""The tasks list: company names beside references, every column sorted both ways, refused
sorts, tick-off by the assignee only, and a fixed number of statements."""

import re
from datetime import date, timedelta

import pytest
from sqlmodel import select

from fundcrm.models import Task, User
from fundcrm.workspace import services as work
from tests import factories
from tests.conftest import csrf_token, sign_in
from tests.world import snapshot

ENGLISH = {"Accept-Language": "en"}
TASK_ROW = re.compile(r'<tr class="[^"]*task" id="task-(\d+)"')


@pytest.fixture
def tasks(staff, dbs, make_user):
    """Tasks of two assignees (an IC member's and a manager's) on the deals of two companies,
    with distinct titles, due dates and statuses, set by the manager, who owns the deals
    (staff's manager is a stranger to them all)."""
    people = {
        "a": dbs.get(User, make_user("ic_member", email="a-ic@example.com")[0]),
        "b": dbs.get(User, make_user("manager", email="b-manager@example.com")[0]),
    }
    alpha = factories.company(dbs, "A重庆甲机器人有限公司", factories.make_uscc(31))
    beta = factories.company(dbs, "B重庆乙机器人有限公司", factories.make_uscc(32))
    deals = [
        factories.deal(dbs, company, people["b"], [(staff["angel"], "1")], round=r)
        for company, r in ((beta, "a"), (alpha, "b"))
    ]
    rows = [  # title, due in days, assignee, deal, done
        ("C 核实订单", 5, "a", 0, False),
        ("A 约访CTO", 9, "b", 1, True),
        ("D 收集财报", 1, "b", 0, False),
        ("B 走访客户", 3, "a", 1, True),
        ("E 整理纪要", None, "a", 0, False),  # no due date: last going up, on both databases
    ]
    made = {}
    for title, days, who, deal_index, done in rows:
        values = {
            "title": title,
            "due_on": None if days is None else date(2026, 3, 1) + timedelta(days=days),
            "assignee_id": people[who].id,
            "deal_id": deals[deal_index].id,
        }
        task = work.save_task(dbs, Task(title="", assignee_id=0), values, people["b"])
        if done:
            work.set_task_done(dbs, task, True)
        made[title] = task
    dbs.commit()
    return {"people": people, "deals": deals, "tasks": made}


def listed(client, url: str) -> list[int]:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return [int(i) for i in TASK_ROW.findall(response.get_data(as_text=True))]


def _expected(tasks, key: str, reverse: bool) -> list[int]:
    """The order a user expects from the column's values (ties by id)."""

    def due(t):
        return (t.due_on is None, t.due_on or date.min)

    value = {
        "title": lambda t: t.title,
        "due": due,
        "status": lambda t: t.status != "open",  # open ones first
        "assignee": lambda t: t.assignee.name,
        "deal": lambda t: t.deal.deal_ref,
        "company": lambda t: t.deal.company.name,
    }[key]
    then = due if key == "status" else (lambda t: 0)  # due within a status
    rows = sorted(tasks, key=lambda t: (value(t), then(t), t.id), reverse=reverse)
    return [t.id for t in rows]


@pytest.mark.parametrize("key", ["title", "due", "status", "assignee", "deal", "company"])
def test_every_column_sorts_both_ways(client, staff, dbs, tasks, key):
    sign_in(client, staff["admin"].id)
    found = dbs.exec(select(Task).where(Task.id.in_([t.id for t in tasks["tasks"].values()])))
    rows = list(found.all())
    for reverse in (False, True):
        sort = f"-{key}" if reverse else key
        shown = listed(client, f"/tasks?who=everyone&show=all&sort={sort}")
        assert shown == _expected(rows, key, reverse), sort


def test_headers_link_to_both_directions_and_keep_the_filters(client, staff, tasks):
    sign_in(client, staff["admin"].id)
    page = client.get("/tasks?who=everyone&show=all&sort=company").get_data(as_text=True)
    assert "sort=-company" in page  # the sorted column reverses
    assert "sort=deal" in page and "who=everyone" in page and "show=all" in page


def test_the_list_shows_the_company_beside_the_deal(client, staff, tasks):
    sign_in(client, tasks["people"]["a"].id)
    page = client.get("/tasks?show=all").get_data(as_text=True)
    for deal in tasks["deals"]:
        row = page[page.index(f">{deal.deal_ref}</a>") :]
        assert row.index(deal.company.name) < row.index("</tr>")
    home = client.get("/").get_data(as_text=True)  # the open task: on the deal of company B
    assert "C 核实订单" in home and "B重庆乙机器人有限公司" in home
    deal_page = client.get(f"/deals/{tasks['deals'][0].id}").get_data(as_text=True)
    assert "B重庆乙机器人有限公司" in deal_page[deal_page.index("C 核实订单") :]


def test_my_tasks_are_mine_and_open_unless_asked(client, tasks):
    me = tasks["people"]["a"]
    sign_in(client, me.id)
    mine = tasks["tasks"]
    assert listed(client, "/tasks") == [mine["C 核实订单"].id, mine["E 整理纪要"].id]
    assert set(listed(client, "/tasks?show=all")) == {
        mine[title].id for title in ("C 核实订单", "B 走访客户", "E 整理纪要")
    }
    assert len(listed(client, "/tasks?who=everyone&show=all")) == 5


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("sort=amount", "Unknown sort: amount"),
        ("sort=--due", "Unknown sort: --due"),
        ("sort=" + "x" * 300, "Unknown sort: " + "x" * 40),
        ("show=later", "Unknown code for show: later"),
        ("who=boss", "Unknown code for who: boss"),
    ],
)
def test_an_unknown_sort_or_choice_is_a_400_with_the_reason(client, staff, query, message):
    sign_in(client, staff["manager"].id)
    response = client.get(f"/tasks?{query}", headers=ENGLISH)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_the_assignee_ticks_off_a_task_another_manager_may_not(app, staff, dbs, tasks):
    """The IC member ticks off their own task (no edit rights on deals); a manager who is
    neither its assignee, its creator nor on the deal's team gets 403 and nothing changes."""
    mine, other = tasks["tasks"]["C 核实订单"], tasks["tasks"]["D 收集财报"]
    ic = app.test_client()
    sign_in(ic, tasks["people"]["a"].id)
    page = ic.get("/tasks").get_data(as_text=True)
    assert f"/tasks/{mine.id}/done" in page and f'/tasks/{mine.id}"' not in page  # no Edit
    token = csrf_token(ic, "/tasks")
    refused = ic.post(f"/tasks/{other.id}/done", data={"done": "1", "csrf_token": token})
    assert refused.status_code == 403
    done = ic.post(f"/tasks/{mine.id}/done", data={"done": "1", "csrf_token": token})
    assert done.status_code == 302
    dbs.expire_all()
    assert dbs.get(Task, mine.id).status == "done"

    stranger = app.test_client()
    sign_in(stranger, staff["manager"].id)  # the colleague owns the deals and set the tasks
    page = stranger.get("/tasks?who=everyone&show=all").get_data(as_text=True)
    assert f"/tasks/{other.id}/done" not in page and f'/tasks/{other.id}"' not in page
    before = snapshot(app)
    token = csrf_token(stranger, "/tasks")
    for url in (f"/tasks/{other.id}/done", f"/tasks/{mine.id}/done"):
        assert stranger.post(url, data={"done": "0", "csrf_token": token}).status_code == 403
    assert stranger.get(f"/tasks/{other.id}").status_code == 403
    assert snapshot(app) == before


def test_the_list_runs_a_fixed_number_of_statements(client, staff, dbs, tasks, count_queries):
    sign_in(client, staff["admin"].id)
    client.get("/tasks?who=everyone")  # warms the client's session
    counts = []
    for _round in range(2):
        with count_queries() as counted:
            listed(client, "/tasks?who=everyone&show=all&sort=company")
        counts.append(counted.n)
        for n in range(30):  # more tasks on more deals of more companies
            number = 100 + 50 * _round + n
            company = factories.company(
                dbs, f"重庆{number}号机器人有限公司", factories.make_uscc(number)
            )
            deal = factories.deal(dbs, company, staff["manager"], [(staff["angel"], "1")])
            values = {"title": f"任务{n}", "due_on": None, "assignee_id": staff["risk"].id}
            work.save_task(dbs, Task(title="", assignee_id=0), values | {"deal_id": deal.id}, None)
        dbs.commit()
    assert counts[0] == counts[1], counts
