"""Record-level permissions: the same role gets a different answer on records of two owners.

A manager edits and moves the deals it owns or is on the team of, never a colleague's; risk
moves any deal (overrides are its call) but edits none; a task's assignee ticks it off whatever
its role; an activity is its author's and its deal team's. Each rule is checked twice: through
`user_can` (what services, templates and pick-lists ask) and through the pages themselves,
where a refusal is a 403 that changes nothing.
"""

from datetime import date

import pytest

from fundcrm.models import Activity, DealMember, Task, User
from fundcrm.permissions import user_can
from fundcrm.workspace import services as work
from tests import factories
from tests.conftest import csrf_token
from tests.factories import make_uscc
from tests.world import ROLES, client_as, snapshot


@pytest.fixture
def two_owners(app, make_user, dbs):
    """Deals of the manager, of a colleague, and of a colleague with the manager on the team;
    a task of the colleague's assigned to an IC member, and the colleague's own task and
    activity."""
    users = {role: make_user(role)[0] for role in ROLES}
    colleague = dbs.get(User, make_user("manager")[0])
    manager = dbs.get(User, users["manager"])
    angel = factories.sub_fund(dbs, "ANGEL", allowed_stages=["startup", "growth"])
    robot = factories.company(dbs, "重庆擎天机器人科技有限公司", make_uscc(1))
    own = factories.deal(dbs, robot, manager, [(angel, "10000000")])
    other = factories.deal(dbs, robot, colleague, [(angel, "10000000")], round="b")
    shared = factories.deal(dbs, robot, colleague, [(angel, "10000000")], round="c")
    dbs.add(DealMember(deal_id=shared.id, user_id=manager.id))
    dbs.commit()

    def task(assignee_id: int) -> Task:
        values = {"title": "核实订单", "due_on": date(2026, 3, 1)}
        values |= {"assignee_id": assignee_id, "deal_id": other.id}
        return work.save_task(dbs, Task(title="", assignee_id=assignee_id), values, colleague)

    for_ic, colleagues_task = task(users["ic_member"]), task(colleague.id)
    note = work.save_activity(
        dbs,
        Activity(company_id=0, kind="", summary=""),
        {
            "company_id": robot.id,
            "deal_id": other.id,
            "kind": "meeting",
            "occurred_on": date(2026, 1, 6),
            "summary": "首次会谈",
        },
        colleague,
    )
    dbs.commit()
    dbs.expire_all()
    return {
        "users": users,
        "own": own.id,
        "other": other.id,
        "shared": shared.id,
        "ic_task": for_ic.id,
        "colleagues_task": colleagues_task.id,
        "activity": note.id,
    }


# (ability, record, roles allowed) — the manager is the owner of "own", a team member of
# "shared" and a stranger to "other" and to everything of the colleague's.
RULES = [
    ("edit_pipeline", ("deal", "own"), {"admin", "manager"}),
    ("edit_pipeline", ("deal", "shared"), {"admin", "manager"}),
    ("edit_pipeline", ("deal", "other"), {"admin"}),
    ("move_deals", ("deal", "own"), {"admin", "manager", "risk"}),
    ("move_deals", ("deal", "other"), {"admin", "risk"}),
    ("edit_task", ("task", "colleagues_task"), {"admin"}),
    ("complete_task", ("task", "colleagues_task"), {"admin"}),
    ("complete_task", ("task", "ic_task"), {"admin", "ic_member"}),
    ("edit_activity", ("activity", "activity"), {"admin"}),
]


def _record(dbs, kind: str, key: str, records: dict):
    from fundcrm.models import Deal

    model = {"deal": Deal, "task": Task, "activity": Activity}[kind]
    return dbs.get(model, records[key])


@pytest.mark.parametrize(("ability", "record", "allowed"), RULES, ids=lambda v: str(v))
def test_user_can_decides_per_record(dbs, two_owners, ability, record, allowed):
    found = _record(dbs, *record, two_owners)
    granted = {
        role for role in ROLES if user_can(dbs.get(User, two_owners["users"][role]), ability, found)
    }
    assert granted == allowed


def test_without_a_record_only_the_roles_are_asked(dbs, two_owners):
    manager = dbs.get(User, two_owners["users"]["manager"])
    viewer = dbs.get(User, two_owners["users"]["viewer"])
    assert user_can(manager, "edit_pipeline") and not user_can(viewer, "edit_pipeline")


def test_a_team_member_gains_the_deal_and_losing_the_seat_takes_it_away(dbs, two_owners):
    from fundcrm.models import Deal

    manager = dbs.get(User, two_owners["users"]["manager"])
    shared = dbs.get(Deal, two_owners["shared"])
    assert user_can(manager, "edit_pipeline", shared)
    dbs.delete(dbs.get(DealMember, (shared.id, manager.id)))
    dbs.commit()
    dbs.refresh(shared)
    assert not user_can(manager, "edit_pipeline", shared)


# -- through the pages ---------------------------------------------------------------------------

# (method, url, form, record key, roles allowed); the form of an allowed POST is valid.
PAGES = [
    ("GET", "/deals/{own}/edit", None, {"admin", "manager"}),
    ("GET", "/deals/{shared}/edit", None, {"admin", "manager"}),
    ("GET", "/deals/{other}/edit", None, {"admin"}),
    ("POST", "/deals/{other}/move", {"to_stage": "on_hold"}, {"admin", "risk"}),
    ("POST", "/deals/{own}/move", {"to_stage": "on_hold"}, {"admin", "manager", "risk"}),
    ("GET", "/tasks/{colleagues_task}", None, {"admin"}),
    ("POST", "/tasks/{ic_task}/done", {"done": "1"}, {"admin", "ic_member"}),
    ("POST", "/tasks/{colleagues_task}/done", {"done": "1"}, {"admin"}),
    ("GET", "/activities/{activity}", None, {"admin"}),
    ("POST", "/activities/{activity}/delete", {}, {"admin"}),
]


def _send(client, method: str, url: str, form: dict | None):
    if method == "GET":
        return client.get(url)
    return client.post(url, data={**form, "csrf_token": csrf_token(client, "/account/password")})


@pytest.mark.parametrize(("method", "url", "form", "allowed"), PAGES, ids=lambda v: str(v))
@pytest.mark.parametrize("role", sorted({"admin", "manager", "ic_member", "risk"}))
def test_each_role_gets_its_answer_on_each_record(
    app, two_owners, method, url, form, allowed, role
):
    client = client_as(app, two_owners["users"][role])
    before = snapshot(app)
    response = _send(client, method, url.format(**two_owners), form)
    if role in allowed:
        assert response.status_code in (200, 302), response.get_data(as_text=True)[:300]
    else:
        assert response.status_code == 403
        assert snapshot(app) == before


def test_pages_show_edit_controls_only_on_records_the_user_may_change(app, two_owners):
    manager = client_as(app, two_owners["users"]["manager"])
    own = manager.get(f"/deals/{two_owners['own']}").get_data(as_text=True)
    other = manager.get(f"/deals/{two_owners['other']}").get_data(as_text=True)
    assert f"/deals/{two_owners['own']}/edit" in own
    assert f"/deals/{two_owners['other']}/edit" not in other
    assert f"/deals/{two_owners['other']}/move" not in other
    assert f"/tasks/{two_owners['colleagues_task']}/done" not in other
    assert f"/activities/{two_owners['activity']}" not in other
