"""Record-level permissions: the same role gets a different answer on records of two owners.

A manager edits and moves the deals it owns or is on the team of, never a colleague's, and
works on their workspaces only (checklist, documents, the deal's activities and tasks); risk
moves any deal (overrides are its call) but edits none; a task's assignee ticks it off whatever
its role; an activity is its author's and its deal team's. Each rule is checked twice: through
`user_can` (what services, templates and pick-lists ask) and through the pages themselves,
where a refusal is a 403 that changes nothing.
"""

import html
import io
from datetime import date

import pytest
from sqlmodel import select

from fundcrm.models import Activity, DDItem, Deal, DealMember, Task, User
from fundcrm.permissions import user_can
from fundcrm.workspace import services as work
from tests import factories
from tests.conftest import csrf_token
from tests.factories import make_uscc
from tests.world import ROLES, client_as, snapshot


@pytest.fixture
def two_owners(app, make_user, dbs):
    """Deals of the manager, of a colleague, and of a colleague with the manager on the team;
    a task of the colleague's assigned to an IC member, the colleague's own task and
    activity, and a due-diligence item on each deal."""
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
    items = {
        key: work.add_dd_item(dbs, deal, "legal", "股权结构核查").id
        for key, deal in (("own", own), ("other", other), ("shared", shared))
    }
    dbs.commit()
    dbs.expire_all()
    return {
        "users": users,
        "company": robot.id,
        "items": items,
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
    ("work_on_deals", ("deal", "own"), {"admin", "manager"}),
    ("work_on_deals", ("deal", "shared"), {"admin", "manager"}),
    ("work_on_deals", ("deal", "other"), {"admin"}),
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
    ("POST", "/deals/{other}/dd/items", {"workstream": "legal", "title": "补充核查"}, {"admin"}),
    (
        "POST",
        "/deals/{shared}/dd/items",
        {"workstream": "legal", "title": "补充核查"},
        {"admin", "manager"},
    ),
    # the forms of a new task or activity on a deal open only to those who may work on it
    ("GET", "/tasks/new?deal={other}", None, {"admin"}),
    ("GET", "/tasks/new?deal={shared}", None, {"admin", "manager"}),
    ("GET", "/companies/{company}/activities/new?deal={other}", None, {"admin"}),
    ("GET", "/companies/{company}/activities/new?deal={shared}", None, {"admin", "manager"}),
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


# -- what a refusal says -------------------------------------------------------------------------

DEAL_RULE_ZH = "只有项目负责人及项目组成员或管理员可以修改此项目。"
DEAL_RULE_EN = "Only the deal's owner and team or an administrator may change this deal."
GENERIC_EN = "Your role does not give access to this page."


def test_every_record_rule_has_its_refusal_message():
    from fundcrm.permissions import RECORD_REFUSALS, RECORD_RULES

    assert set(RECORD_REFUSALS) == set(RECORD_RULES)


@pytest.mark.parametrize(("language", "rule"), [("zh-CN", DEAL_RULE_ZH), ("en", DEAL_RULE_EN)])
def test_a_record_refusal_names_the_rule_not_the_role(app, two_owners, language, rule):
    manager = client_as(app, two_owners["users"]["manager"])
    response = manager.get(
        f"/deals/{two_owners['other']}/edit", headers={"Accept-Language": language}
    )
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 403 and rule in page
    assert "您的角色无权访问此页面" not in page and GENERIC_EN not in page


def test_a_refused_role_still_gets_the_generic_page(app, two_owners):
    risk = client_as(app, two_owners["users"]["risk"])
    response = risk.get(f"/deals/{two_owners['own']}/edit", headers={"Accept-Language": "en"})
    page = response.get_data(as_text=True)
    assert response.status_code == 403 and GENERIC_EN in page and DEAL_RULE_EN not in page


def test_a_refused_tick_off_names_the_tasks_rule(app, two_owners):
    manager = client_as(app, two_owners["users"]["manager"])
    response = manager.post(
        f"/tasks/{two_owners['colleagues_task']}/done",
        data={"done": "1", "csrf_token": csrf_token(manager, "/account/password")},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 403
    assert "Only the task's assignee" in html.unescape(response.get_data(as_text=True))


# -- the deal's workspace ------------------------------------------------------------------------

# each write to a deal's workspace → the table it adds a row to (None: it changes a row)
WORKSPACE_WRITES = {
    "add_dd_item": "dd_items",
    "save_workstream": None,
    "upload_to_deal": "documents",
    "upload_to_dd_item": "documents",
    "new_task": "tasks",
    "new_activity": "activities",
}


def _workspace_write(dbs, what: str, deal_key: str, records: dict, poster_id: int):
    """The address and a valid form of one write to the workspace of one of the deals."""
    deal_id, item_id = records[deal_key], records["items"][deal_key]
    upload = {"title": "尽调纪要", "file": (io.BytesIO("会谈纪要\n".encode()), "memo.txt")}
    if what == "add_dd_item":
        return f"/deals/{deal_id}/dd/items", {"workstream": "legal", "title": "补充核查"}
    if what == "save_workstream":
        seen = work.item_fingerprint(dbs.get(DDItem, item_id))
        row = {"seen": seen, "status": "in_progress", "owner_id": "", "severity": "low"}
        row |= {"finding": "股东名册待核", "waive_reason": ""}
        return f"/deals/{deal_id}/dd/legal", {f"item{item_id}-{k}": v for k, v in row.items()}
    if what == "upload_to_deal":
        return "/documents", {"owner": f"deal:{deal_id}", **upload}
    if what == "upload_to_dd_item":
        return "/documents", {"owner": f"dd_item:{item_id}", **upload}
    if what == "new_task":
        task = {"title": "补充材料", "due_on": "2026-03-02", "assignee_id": poster_id}
        return f"/tasks/new?deal={deal_id}", {**task, "deal_id": deal_id}
    company_id = dbs.get(Deal, deal_id).company_id
    activity = {"kind": "call", "occurred_on": "2026-01-07", "summary": "电话沟通"}
    activity |= {"user_ids": poster_id, "deal_id": deal_id}
    return f"/companies/{company_id}/activities/new?deal={deal_id}", activity


def _post(client, url: str, form: dict):
    token = csrf_token(client, "/account/password")
    return client.post(url, data={**form, "csrf_token": token}, content_type="multipart/form-data")


@pytest.mark.parametrize("what", WORKSPACE_WRITES)
def test_a_colleague_may_not_write_to_a_deals_workspace(app, dbs, two_owners, what):
    manager = two_owners["users"]["manager"]
    client = client_as(app, manager)
    url, form = _workspace_write(dbs, what, "other", two_owners, manager)
    before = snapshot(app)
    assert _post(client, url, form).status_code == 403
    assert snapshot(app) == before


@pytest.mark.parametrize("what", WORKSPACE_WRITES)
@pytest.mark.parametrize(("role", "deal"), [("manager", "shared"), ("admin", "other")])
def test_the_deal_team_and_an_administrator_write_to_its_workspace(
    app, dbs, two_owners, what, role, deal
):
    poster = two_owners["users"][role]
    client = client_as(app, poster)
    url, form = _workspace_write(dbs, what, deal, two_owners, poster)
    before = snapshot(app)
    response = _post(client, url, form)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    after = snapshot(app)
    table = WORKSPACE_WRITES[what]
    if table is None:
        item = dbs.get(DDItem, two_owners["items"][deal])
        assert (item.status, item.severity, item.finding) == ("in_progress", "low", "股东名册待核")
    else:
        assert len(after[table]) == len(before[table]) + 1


def test_an_activity_moved_to_a_colleagues_deal_is_refused(app, dbs, two_owners):
    """The author keeps their activity, but may not hang it on a deal they are not on."""
    manager = two_owners["users"]["manager"]
    url, form = _workspace_write(dbs, "new_activity", "own", two_owners, manager)
    client = client_as(app, manager)
    assert _post(client, url, form).status_code == 302
    (mine,) = dbs.exec(select(Activity).where(Activity.created_by_id == manager)).all()
    before = snapshot(app)
    moved = {**form, "deal_id": two_owners["other"]}
    assert _post(client, f"/activities/{mine.id}", moved).status_code == 403
    assert snapshot(app) == before


def test_company_documents_stay_open_to_whoever_works_on_deals(app, dbs, two_owners):
    manager = two_owners["users"]["manager"]
    upload = {"owner": f"company:{two_owners['company']}", "title": "营业执照"}
    upload["file"] = (io.BytesIO("营业执照副本\n".encode()), "licence.txt")
    before = snapshot(app)
    assert _post(client_as(app, manager), "/documents", upload).status_code == 302
    assert len(snapshot(app)["documents"]) == len(before["documents"]) + 1


def test_workspace_controls_show_only_to_the_deal_team(app, two_owners):
    manager = client_as(app, two_owners["users"]["manager"])
    for key, shown in (("shared", True), ("other", False)):
        deal_id = two_owners[key]
        checklist = manager.get(f"/deals/{deal_id}/dd").get_data(as_text=True)
        assert (f"/deals/{deal_id}/dd/legal" in checklist) is shown
        assert ("save-legal" in checklist) is shown
        assert (f"/deals/{deal_id}/dd/items" in checklist) is shown
        assert ("upload-form" in checklist) is shown
        page = manager.get(f"/deals/{deal_id}").get_data(as_text=True)
        assert (f"/tasks/new?deal={deal_id}" in page) is shown
        assert (f"activities/new?deal={deal_id}" in page) is shown
        assert (f'value="deal:{deal_id}"' in page) is shown
    company = manager.get(f"/companies/{two_owners['company']}").get_data(as_text=True)
    assert f'value="company:{two_owners["company"]}"' in company


def test_ticking_a_task_off_and_reopening_it_says_so(app, two_owners):
    """The message is flashed in the language of the click (Chinese by default)."""
    ic_member = client_as(app, two_owners["users"]["ic_member"])
    url = f"/tasks/{two_owners['ic_task']}/done"
    done = _post(ic_member, url, {"done": "1"})
    assert "已完成任务“核实订单”。" in ic_member.get(done.location).get_data(as_text=True)
    reopened = _post(ic_member, url, {"done": "0"})
    page = ic_member.get(reopened.location).get_data(as_text=True)
    assert "已重新打开任务“核实订单”。" in page


@pytest.mark.parametrize(("language", "separator"), [("en", ", "), ("zh-CN", "、")])
def test_activity_participants_are_listed_with_the_languages_separator(
    app, dbs, two_owners, language, separator
):
    admin, manager = (dbs.get(User, two_owners["users"][r]) for r in ("admin", "manager"))
    values = {"company_id": two_owners["company"], "deal_id": two_owners["shared"]}
    values |= {"kind": "meeting", "occurred_on": date(2026, 1, 8), "summary": "三方会谈"}
    values["user_ids"] = [admin.id, manager.id]
    work.save_activity(dbs, Activity(company_id=0, kind="", summary=""), values, manager)
    dbs.commit()
    client = client_as(app, manager.id)
    page = client.get(f"/deals/{two_owners['shared']}", headers={"Accept-Language": language})
    text = page.get_data(as_text=True)
    pairs = (f"{admin.name}{separator}{manager.name}", f"{manager.name}{separator}{admin.name}")
    assert any(pair in text for pair in pairs)


def test_the_activity_form_offers_only_the_deals_the_user_works_on(app, dbs, two_owners):
    manager = client_as(app, two_owners["users"]["manager"])
    page = manager.get(f"/companies/{two_owners['company']}/activities/new")
    offered = page.get_data(as_text=True)
    refs = {key: dbs.get(Deal, two_owners[key]).deal_ref for key in ("own", "shared", "other")}
    assert refs["own"] in offered and refs["shared"] in offered
    assert refs["other"] not in offered
