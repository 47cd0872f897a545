"""`/api/v1/activities` and `/api/v1/tasks`: the workspace's rules through the API — the deal
team logs and edits, the assignee ticks its task off, the others are refused and nothing is
written."""

from datetime import date

import pytest
from sqlmodel import select

from fundcrm.models import Activity, Deal, Task
from tests.api_fixtures import ApiClient, token_for


def as_user(app, user) -> ApiClient:
    return ApiClient(app.test_client(), token_for(app, user.id))


@pytest.fixture
def team(app, staff):
    """The deal's owner (a manager), by token."""
    return as_user(app, staff["manager"])


def activity_body(staff, **changes) -> dict:
    body = {
        "deal_id": staff["deal"].id,
        "kind": "meeting",
        "occurred_on": "2026-01-06",
        "summary": "首次会谈：融资需求 5000 万元",
        "contact_ids": [staff["contact"].id],
    }
    return {**body, **changes}


def test_the_deal_team_logs_an_activity_and_reads_it_back(app, dbs, staff, team):
    created = team.post("/activities", json=activity_body(staff))
    assert created.status_code == 201, created.json
    body = created.json
    assert body["company_id"] == staff["company"].id and body["deal_id"] == staff["deal"].id
    assert body["user_ids"] == [staff["manager"].id]  # the author by default, as the form
    assert body["contact_ids"] == [staff["contact"].id]
    stored = dbs.get(Activity, body["id"])
    assert stored.summary == "首次会谈：融资需求 5000 万元"
    assert stored.occurred_on == date(2026, 1, 6)
    assert team.get(f"/activities/{body['id']}").json["summary"] == stored.summary
    # the company alone, another day: listed newest first, each filter keeping its own
    other = team.post(
        "/activities",
        json=activity_body(
            staff,
            deal_id=None,
            company_id=staff["company"].id,
            occurred_on="2026-02-01",
            summary="电话回访",
        ),  # fmt: skip
    )
    assert other.status_code == 201, other.json
    listed = team.get(f"/activities?company_id={staff['company'].id}").json
    assert [a["summary"] for a in listed["items"]] == ["电话回访", "首次会谈：融资需求 5000 万元"]
    assert listed["page"]["total"] == 2
    by_deal = team.get(f"/activities?deal_id={staff['deal'].id}").json["items"]
    assert [a["id"] for a in by_deal] == [body["id"]]
    paged = team.get(f"/activities?company_id={staff['company'].id}&per_page=1&page=2").json
    assert [a["summary"] for a in paged["items"]] == ["首次会谈：融资需求 5000 万元"]


def test_activity_refusals_write_nothing(app, dbs, staff, team, api_as, make_user):
    outsider, _id = api_as("manager")  # a manager not on the deal's team
    assert outsider.post("/activities", json=activity_body(staff)).status_code == 403
    risk, _id = api_as("risk")  # no work_on_deals
    assert risk.post("/activities", json=activity_body(staff)).status_code == 403
    viewer, _id = api_as("viewer")  # never the pipeline
    assert viewer.get("/activities").status_code == 403
    bad = [
        (activity_body(staff, kind="lunch"), 400, "kind"),
        (activity_body(staff, colour="red"), 400, "colour"),
        (activity_body(staff, occurred_on="2026-13-01"), 400, "occurred_on"),
        (activity_body(staff, occurred_on="2026-13-45"), 400, "occurred_on"),
        (activity_body(staff, occurred_on=0), 400, "occurred_on"),
        (activity_body(staff, deal_id=str(staff["deal"].id)), 400, "deal_id"),
        (activity_body(staff, summary=""), 400, "summary"),
        (activity_body(staff, deal_id=None), 422, "company_id"),  # neither company nor deal
        (activity_body(staff, deal_id=999999), 422, "deal_id"),
        (activity_body(staff, contact_ids=[999999]), 422, "contact_ids"),
        (activity_body(staff, user_ids=[make_user("viewer")[0]]), 422, "user_ids"),
        (activity_body(staff, user_ids=[2**40]), 400, "user_ids.0"),  # beyond any id
    ]
    for body, status, field in bad:
        answer = team.post("/activities", json=body)
        assert answer.status_code == status, (body, answer.json)
        assert field in answer.json["error"]["fields"], answer.json
    assert dbs.exec(select(Activity)).all() == []
    assert team.get("/activities/999999").status_code == 404


def test_tasks_are_set_listed_and_ticked_off_by_their_assignee(app, dbs, staff, team):
    ic_member = staff["ic_member"]
    created = team.post(
        "/tasks",
        json={"title": "补充财务尽调", "due_on": "2026-02-01", "deal_id": staff["deal"].id,
              "assignee_id": ic_member.id},
    )  # fmt: skip
    assert created.status_code == 201, created.json
    task = created.json
    assert (task["assignee_id"], task["status"], task["deal_id"]) == (
        ic_member.id, "open", staff["deal"].id
    )  # fmt: skip
    mine = team.post("/tasks", json={"title": "约访 CEO"}).json
    assert mine["assignee_id"] == staff["manager"].id  # the author by default
    # the tasks list: mine by default, everyone's on asking, by deal or assignee
    assert [t["title"] for t in team.get("/tasks").json["items"]] == ["约访 CEO"]
    everyone = team.get("/tasks?who=everyone&sort=title").json["items"]
    assert sorted(t["title"] for t in everyone) == ["约访 CEO", "补充财务尽调"]
    by_deal = team.get(f"/tasks?deal_id={staff['deal'].id}").json["items"]
    assert [t["id"] for t in by_deal] == [task["id"]]
    by_assignee = team.get(f"/tasks?assignee_id={ic_member.id}").json["items"]
    assert [t["id"] for t in by_assignee] == [task["id"]]
    assert team.get("/tasks?sort=colour").status_code == 400
    assert "sort" in team.get("/tasks?sort=colour").json["error"]["fields"]
    assert team.get("/tasks?show=closed").json["error"]["fields"].keys() == {"show"}
    assert [t["title"] for t in team.get("/tasks?who=everyone&sort=-title").json["items"]] == [
        "补充财务尽调", "约访 CEO"
    ]  # fmt: skip
    # the assignee (an IC member) ticks it off, but may not rewrite it
    assignee = as_user(app, ic_member)
    done = assignee.patch(
        f"/tasks/{task['id']}", json={"version": task["version"], "status": "done"}
    )
    assert done.status_code == 200, done.json
    assert done.json["status"] == "done" and done.json["done_at"] is not None
    assert done.json["version"] == task["version"] + 1
    rewrite = {"version": done.json["version"], "title": "x"}
    assert assignee.patch(f"/tasks/{task['id']}", json=rewrite).status_code == 403
    dbs.expire_all()
    assert dbs.get(Task, task["id"]).title == "补充财务尽调"
    # the team edits it and reopens it
    change = {"version": done.json["version"], "title": "补充法律尽调", "status": "open"}
    edited = team.patch(f"/tasks/{task['id']}", json=change)
    assert edited.status_code == 200, edited.json
    assert (edited.json["title"], edited.json["status"]) == ("补充法律尽调", "open")
    assert edited.json["due_on"] == "2026-02-01"  # not sent: kept
    # an update from the version read before the team's edit: 409 with the task as it is now
    stale_tick = {"version": done.json["version"], "status": "done"}
    stale = assignee.patch(f"/tasks/{task['id']}", json=stale_tick)
    assert stale.status_code == 409 and stale.json["error"]["code"] == "stale_version"
    assert stale.json["error"]["current"]["title"] == "补充法律尽调"
    assert stale.json["error"]["current"]["version"] == edited.json["version"]
    dbs.expire_all()
    assert dbs.get(Task, task["id"]).status == "open"


def test_task_refusals_write_nothing(app, dbs, staff, team, api_as):
    task = team.post("/tasks", json={"title": "约访 CEO", "deal_id": staff["deal"].id}).json
    other, _id = api_as("risk")  # neither its assignee nor its team
    version = {"version": task["version"]}
    assert other.patch(f"/tasks/{task['id']}", json={**version, "status": "done"}).status_code \
        == 403  # fmt: skip
    outsider, _id = api_as("manager")
    assert outsider.patch(f"/tasks/{task['id']}", json={**version, "title": "x"}).status_code \
        == 403  # fmt: skip
    assert outsider.post("/tasks", json={"title": "x", "deal_id": staff["deal"].id}).status_code \
        == 403  # fmt: skip
    viewer, _id = api_as("viewer")
    assert viewer.get("/tasks").status_code == 403
    bad = [
        ({"title": "x", "assignee_id": staff["viewer"].id}, 422),  # may not tick tasks off
        ({"title": "x", "deal_id": 999999}, 422),
        ({"title": ""}, 400),
        ({"title": "x", "priority": "high"}, 400),
        ({"title": "x", "due_on": 20260201}, 400),
        ({"title": "x", "due_on": 0}, 400),
        ({"title": "x", "due_on": "2026-13-45"}, 400),
        ({"title": "x", "deal_id": 2**40}, 400),
        ({"title": "x", "deal_id": str(staff["deal"].id)}, 400),
        ({"title": "x", "assignee_id": True}, 400),
    ]
    for body, status in bad:
        answer = team.post("/tasks", json=body)
        assert answer.status_code == status, (body, answer.json)
    for change in ({"title": None}, {"assignee_id": None}, {"status": None}, {"version": None}):
        refused = team.patch(f"/tasks/{task['id']}", json={**version, **change})
        assert refused.status_code == 400, change
        assert refused.json["error"]["fields"].keys() == change.keys()
    without_version = team.patch(f"/tasks/{task['id']}", json={"status": "done"})
    assert without_version.json["error"]["fields"].keys() == {"version"}
    assert team.patch(f"/tasks/{task['id']}", json={**version, "status": "closed"}).status_code \
        == 400  # fmt: skip
    assert team.patch(f"/tasks/{task['id']}", json={**version, "due_on": 0}).status_code == 400
    no_body = team.patch(f"/tasks/{task['id']}", data="", content_type="application/json")
    assert no_body.status_code == 400 and no_body.json["error"]["code"] == "no_body"
    assert team.patch("/tasks/999999", json={**version, "status": "done"}).status_code == 404
    dbs.expire_all()
    assert [(t.title, t.status) for t in dbs.exec(select(Task)).all()] == [("约访 CEO", "open")]
    assert dbs.get(Deal, staff["deal"].id).next_step is None
