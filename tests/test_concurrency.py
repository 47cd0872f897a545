"""Simultaneous requests: no lost update, serialised stage moves, race-free identifiers.

Each thread is a user of its own (a test client with its own cookie jar); a barrier releases
their POSTs at the same moment. SQLite serialises writers (a writing request begins with
BEGIN IMMEDIATE and waits up to its busy timeout); PostgreSQL runs them truly in parallel.
"""

import json
import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from fundcrm.domain import stages
from fundcrm.models import AuditEntry, Company, Deal, StageMove, SubFund, User
from tests import factories
from tests.conftest import csrf_token, sign_in
from tests.test_companies import NEW
from tests.test_deals import deal_form

ENGLISH = {"Accept-Language": "en"}  # messages new in this module, before translation


def on_postgresql(app) -> bool:
    return app.extensions["fundcrm.engine"].dialect.name == "postgresql"


def all_at_once(app, user_id: int | list[int], requests: list) -> list:
    """Run `prepare(client) -> send` for each request in a thread of its own, each signed in
    as the user (or the request's own user, given a list); the sends start together. Returns
    the responses in the given order."""
    user_ids = user_id if isinstance(user_id, list) else [user_id] * len(requests)
    barrier = threading.Barrier(len(requests))
    responses, failures = [None] * len(requests), []

    def run(index, prepare):
        try:
            client = app.test_client()
            sign_in(client, user_ids[index])
            send = prepare(client)  # reading the form and its token is not part of the race
            barrier.wait(timeout=120)
            responses[index] = send()
        except Exception as error:  # surfaced below: a thread's exception would be lost
            barrier.abort()
            failures.append(error)

    threads = [threading.Thread(target=run, args=(i, p)) for i, p in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures
    return responses


def posting(url: str, data: dict, token_from: str | None = None):
    def prepare(client):
        token = csrf_token(client, token_from or url)
        return lambda: client.post(url, data={**data, "csrf_token": token})

    return prepare


def moving(deal_id: int, body: dict):
    def prepare(client):
        token = csrf_token(client, f"/deals/{deal_id}")
        return lambda: client.post(
            f"/deals/{deal_id}/move", json=body, headers={"X-CSRFToken": token, **ENGLISH}
        )

    return prepare


def test_two_saves_of_one_version_give_one_success_and_one_refusal(app, staff, dbs):
    deal = staff["deal"]
    form = {**deal_form(staff), "company_uscc": staff["company"].uscc, "version": "1"}
    url = f"/deals/{deal.id}/edit"
    first, second = all_at_once(
        app,
        staff["manager"].id,
        [
            posting(url, {**form, "next_step": "先保存的下一步"}),
            posting(url, {**form, "next_step": "后保存的下一步"}),
        ],
    )
    assert sorted([first.status_code, second.status_code]) == [200, 302]
    saved, refused = (first, second) if first.status_code == 302 else (second, first)
    won = "先保存的下一步" if saved is first else "后保存的下一步"
    page = refused.get_data(as_text=True)
    assert "其他人已保存了该记录" in page and won in page  # the other's change is shown
    dbs.expire_all()
    stored = dbs.get(Deal, deal.id)
    assert stored.next_step == won and stored.version == 2


def test_two_saves_of_one_company_version_keep_one_and_refuse_the_other(app, staff, dbs):
    company = staff["company"]
    form = {**NEW, "uscc": company.uscc, "name": company.name, "version": "1"}
    url = f"/companies/{company.id}/edit"
    responses = all_at_once(
        app,
        staff["manager"].id,
        [posting(url, {**form, "description": f"简介{i}"}) for i in range(2)],
    )
    assert sorted(r.status_code for r in responses) == [200, 302]
    dbs.expire_all()
    stored = dbs.get(Company, company.id)
    won = responses[0] if responses[0].status_code == 302 else responses[1]
    assert stored.description == f"简介{responses.index(won)}" and stored.version == 2


def _replay(moves: list[StageMove]) -> None:
    """Each move starts where the one before ended, obeys the transition rules, and counts
    the seconds since the move before it."""
    stage, return_stage = moves[0].to_stage, None
    for before, move in zip(moves, moves[1:], strict=False):
        assert move.from_stage == before.to_stage == stage
        assert move.to_stage in stages.targets(stage, return_stage)
        assert move.at >= before.at
        assert move.seconds_in_stage == int((move.at - before.at) / timedelta(seconds=1))
        if move.to_stage in stages.OFF_PATH:
            return_stage = return_stage if stage in stages.OFF_PATH else stage
        elif stage in stages.OFF_PATH:
            return_stage = None
        stage = move.to_stage


def test_twenty_simultaneous_moves_leave_a_consistent_history(app, staff, dbs):
    deal = staff["deal"]
    targets = ["screening", "on_hold", "sourcing", "passed", "approved"]
    bodies = [{"to_stage": targets[i % 5], "pass_reason": "估值过高"} for i in range(20)]
    responses = all_at_once(app, staff["manager"].id, [moving(deal.id, b) for b in bodies])
    assert {r.status_code for r in responses} <= {200, 422}
    dbs.expire_all()
    moves = dbs.exec(select(StageMove).where(StageMove.deal_id == deal.id).order_by(StageMove.id))
    moves = list(moves)
    assert moves[0].kind == "create" and len(moves) - 1 == sum(
        r.status_code == 200 for r in responses
    )
    assert len(moves) > 2  # several moves went through, one after another
    _replay(moves)
    assert dbs.get(Deal, deal.id).stage == moves[-1].to_stage


def test_moves_from_the_same_stage_seen_let_only_the_first_through(app, staff, dbs):
    deal = staff["deal"]
    body = {"to_stage": "screening", "from_stage": "sourcing"}
    others = [{"to_stage": "on_hold", "from_stage": "sourcing"}] * 9
    responses = all_at_once(app, staff["manager"].id, [moving(deal.id, b) for b in [body, *others]])
    assert sorted(r.status_code for r in responses) == [200] + [422] * 9
    refusals = [r.get_json()["errors"][0] for r in responses if r.status_code == 422]
    assert all("This deal was moved to" in text and "meanwhile" in text for text in refusals)
    dbs.expire_all()
    assert len(dbs.exec(select(StageMove).where(StageMove.deal_id == deal.id)).all()) == 2


def test_simultaneous_new_deals_all_get_distinct_references(app, staff, dbs, monkeypatch):
    # All the requests share this one process's 15 pooled connections: on a busy machine the
    # last may wait longer than the pool's 30 s for one, which is not what is tested here.
    monkeypatch.setattr(app.extensions["fundcrm.engine"].pool, "_timeout", 300)
    count = 150 if on_postgresql(app) else 30
    form = {**deal_form(staff), "company_uscc": staff["company"].uscc}
    responses = all_at_once(app, staff["manager"].id, [posting("/deals/new", form)] * count)
    assert [r.status_code for r in responses] == [302] * count
    dbs.expire_all()
    refs = dbs.exec(select(Deal.deal_ref)).all()
    assert len(refs) == count + 1 and len(set(refs)) == count + 1


def test_a_duplicate_uscc_racing_another_gets_the_normal_message(app, staff, dbs):
    code = factories.make_uscc(91)
    forms = [{**NEW, "uscc": code, "name": f"重庆并发测试{i}号科技有限公司"} for i in range(6)]
    responses = all_at_once(app, staff["manager"].id, [posting("/companies/new", f) for f in forms])
    assert sorted(r.status_code for r in responses) == [200] * 5 + [302]
    refused = [r.get_data(as_text=True) for r in responses if r.status_code == 200]
    assert all("该统一社会信用代码的企业已存在" in page for page in refused)
    dbs.expire_all()
    assert len(dbs.exec(select(Company).where(Company.uscc == code)).all()) == 1


@pytest.mark.parametrize("version", [None, "", "abc", "１"])
def test_an_edit_without_a_valid_version_is_refused(client, staff, dbs, version):
    sign_in(client, staff["manager"].id)
    deal = staff["deal"]
    form = {**deal_form(staff), "company_uscc": staff["company"].uscc, "next_step": "新的下一步"}
    url = f"/deals/{deal.id}/edit"
    data = {**form, "version": version, "csrf_token": csrf_token(client, url)}
    if version is None:  # the field left out of the post altogether
        del data["version"]
    response = client.post(url, data=data, headers=ENGLISH)
    assert response.status_code == 200
    assert "reload the page and make the change again" in response.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(Deal, deal.id).next_step != "新的下一步"


def test_an_email_taken_after_the_check_looked_gets_the_form_message(
    client, login_as, dbs, monkeypatch
):
    from fundcrm.auth import services as accounts

    login_as("admin")
    token = csrf_token(client, "/admin/users/new")
    form = {"name": "新经理", "roles": ["manager"], "password": "long-enough-pw"}
    data = {**form, "email": "twin@example.com", "csrf_token": token}
    assert client.post("/admin/users/new", data=data).status_code == 302
    # the other request committed between this one's check and its write
    monkeypatch.setattr(accounts, "find_user", lambda *_args: None)
    response = client.post("/admin/users/new", data=data)
    assert response.status_code == 200 and "该邮箱已有账户" in response.get_data(as_text=True)


def test_a_uscc_taken_after_the_check_looked_gets_the_form_message(client, staff, dbs, monkeypatch):
    from fundcrm.companies import services

    sign_in(client, staff["manager"].id)
    real, calls = services.refuse_taken_uscc, []

    def looks_after_the_other(*args):
        calls.append(args)
        if len(calls) > 1:  # the check saw nothing; the refusal after the write sees the other
            real(*args)

    monkeypatch.setattr(services, "refuse_taken_uscc", looks_after_the_other)
    url = "/companies/new"
    data = {**NEW, "uscc": staff["company"].uscc, "name": "另一家公司", "confirm_similar": "1"}
    response = client.post(url, data={**data, "csrf_token": csrf_token(client, url)})
    assert response.status_code == 200
    assert "该统一社会信用代码的企业已存在" in response.get_data(as_text=True)
    dbs.expire_all()
    assert len(dbs.exec(select(Company)).all()) == 1


def test_a_version_lost_at_the_update_is_refused_like_a_stale_form(app, staff):
    """The form's version matched when read; another save commits before this UPDATE."""
    from fundcrm import audit, db
    from fundcrm.deals import services
    from fundcrm.versioning import StaleEdit

    deal_id = staff["deal"].id
    with app.test_request_context(method="POST"):
        session = db.session()
        mine = session.get(Deal, deal_id)  # read at version 1
        # the other save, as it reaches the database: the row and its audit entry
        table, changes = Deal.__table__, {"next_step": [None, "别人刚保存的"], "version": [1, 2]}
        connection = session.connection()
        connection.execute(
            table.update().where(table.c.id == deal_id).values(version=2, next_step="别人刚保存的")
        )
        row = audit.entry(session, "update", "deals", str(deal_id), changes)
        connection.execute(AuditEntry.__table__.insert(), [row])
        with pytest.raises(StaleEdit) as refused:
            services.update_deal(session, mine, {"next_step": "我的"}, expected_version=1)
        assert [json.loads(e.changes) for e in refused.value.changes] == [changes]
        session.rollback()


def test_a_version_lost_where_no_form_handles_it_gets_a_409_page(client, staff, dbs, monkeypatch):
    from sqlalchemy.orm.exc import StaleDataError

    from fundcrm.companies import services

    def lost(*_args):
        raise StaleDataError("UPDATE statement on table 'deals' expected to update 1 row(s)")

    monkeypatch.setattr(services, "merge_companies", lost)
    sign_in(client, staff["admin"].id)
    other = factories.company(dbs, "重庆另一家科技有限公司", factories.make_uscc(5))
    dbs.commit()
    url = f"/companies/{staff['company'].id}/merge"
    data = {"other_uscc": other.uscc, "confirm": "y", "csrf_token": csrf_token(client, url)}
    response = client.post(url, data=data, headers=ENGLISH)
    assert response.status_code == 409
    assert "Someone else saved the same record" in response.get_data(as_text=True)


def test_a_sub_fund_code_taken_after_the_check_looked_gets_the_form_message(
    client, staff, dbs, monkeypatch
):
    from fundcrm.funds import services
    from tests.test_funds import SUB_FUND

    sign_in(client, staff["admin"].id)
    # the check sees no clash: the other request's row arrives before this one's write
    monkeypatch.setattr(services, "_check_sub_fund", lambda *_args: None)
    url = "/funds/sub-funds/new"
    data = {**SUB_FUND, "code": "ANGEL", "csrf_token": csrf_token(client, url)}
    page = client.post(url, data=data).get_data(as_text=True)
    assert "该代码已被其他子基金使用" in page
    dbs.expire_all()
    assert len(dbs.exec(select(SubFund)).all()) == 2


def _account_form(user, roles):
    return {"name": user.name, "roles": roles, "active": "y", "password": ""}


def test_two_administrators_demoting_each_other_leave_one_administrator(app, make_user, dbs):
    first, second = (dbs.get(User, make_user("admin")[0]) for _ in range(2))
    requests = [
        posting(f"/admin/users/{second.id}", _account_form(second, ["manager"])),
        posting(f"/admin/users/{first.id}", _account_form(first, ["manager"])),
    ]
    responses = all_at_once(app, [first.id, second.id], requests)
    refused = [r for r in responses if r.status_code != 302]
    assert len(refused) == 1
    # parallel (PostgreSQL): both pass the role check, the second finds the last administrator;
    # one at a time (SQLite): the second is no longer an administrator when it runs
    assert refused[0].status_code == 403 or "最后一位" in refused[0].get_data(as_text=True)
    dbs.expire_all()
    admins = [u for u in dbs.exec(select(User)).all() if "admin" in u.role_codes]
    assert len(admins) == 1


def test_two_administrators_giving_the_same_role_at_once_both_succeed(app, make_user, dbs):
    admins = [make_user("admin")[0] for _ in range(2)]
    target = dbs.get(User, make_user("manager")[0])
    form = _account_form(target, ["manager", "risk"])
    responses = all_at_once(app, admins, [posting(f"/admin/users/{target.id}", form)] * 2)
    assert [r.status_code for r in responses] == [302, 302]
    dbs.expire_all()
    assert dbs.get(User, target.id).role_codes == {"manager", "risk"}


def test_two_edits_adding_the_same_participant_to_an_activity_both_succeed(app, staff, dbs):
    from fundcrm.models import Activity
    from tests.test_workspace import log_activity

    client = app.test_client()
    sign_in(client, staff["manager"].id)
    assert log_activity(client, staff).status_code == 302
    activity = dbs.exec(select(Activity)).one()
    form = {
        "kind": "meeting",
        "occurred_on": "2026-03-02",
        "deal_id": str(staff["deal"].id),
        "user_ids": [str(staff["manager"].id), str(staff["admin"].id)],
        "contact_ids": [str(staff["contact"].id)],
        "summary": "第二次会谈",
    }
    url = f"/activities/{activity.id}"
    responses = all_at_once(app, staff["manager"].id, [posting(url, form)] * 2)
    assert [r.status_code for r in responses] == [302, 302]
    dbs.expire_all()
    users = {u.user_id for u in dbs.get(Activity, activity.id).users}
    assert users == {staff["manager"].id, staff["admin"].id}
