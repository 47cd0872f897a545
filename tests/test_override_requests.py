"""Requests to override a mandate breach (DOMAIN.md section 3): a manager's move refused for a
breach becomes a request listing the breaches (judged again, never taken from the form); risk
or an administrator performs it with a reason (the move is theirs, through the same gates) or
declines it with one; the manager is told either way; one request waits per deal and stage;
two simultaneous decisions leave one."""

import html
import json

import pytest
from sqlmodel import select

from fundcrm.deals import moves
from fundcrm.models import AuditEntry, Deal, Notification, OverrideRequest, StageMove, User
from tests import factories
from tests.conftest import csrf_token, page_text, post_form, sign_in
from tests.test_concurrency import all_at_once, posting

ENGLISH = {"Accept-Language": "en"}  # messages new in this module, before translation
BREACH = (
    "ANGEL 子基金 invests in companies at these enterprise stages: Start-up, Growth; "
    "this company is Mature."
)
NOTE = "链主企业配套项目，补链作用明显"


@pytest.fixture
def breaking(staff, dbs):
    """A mature company's deal in the angel fund (start-ups and growth only), at 项目储备, the
    pipeline's manager its owner: moving it to 立项 breaks the fund's mandate."""
    mature = factories.company(
        dbs, "重庆成熟装备有限公司", factories.make_uscc(72), enterprise_stage="mature"
    )
    deal = factories.deal(dbs, mature, staff["manager"], [(staff["angel"], "1000000")])
    dbs.commit()
    return deal


def client_of(app, user):
    client = app.test_client()
    sign_in(client, user.id)
    return client


def ask(app, user, deal, note=NOTE, to_stage="approved", **extra):
    url = f"/deals/{deal.id}/override-request"
    data = {"to_stage": to_stage, "from_stage": deal.stage, "note": note, **extra}
    return post_form(
        client_of(app, user), url, data, token_from="/account/password", headers=ENGLISH
    )


def decide(app, user, request_id, action="perform", reason="投委会同意作为例外", seen="1"):
    url = f"/overrides/{request_id}/{action}"
    client = client_of(app, user)
    answer = post_form(
        client, url, {"reason": reason, "seen": seen}, token_from="/overrides", headers=ENGLISH
    )
    if answer.location is None:
        return answer, answer.get_data(as_text=True)
    return answer, client.get(answer.location, headers=ENGLISH).get_data(as_text=True)


def requests(dbs) -> list[OverrideRequest]:
    dbs.expire_all()
    return list(dbs.exec(select(OverrideRequest).order_by(OverrideRequest.id)).all())


def told(dbs, kind: str) -> set[int]:
    dbs.expire_all()
    return {n.user_id for n in dbs.exec(select(Notification).where(Notification.kind == kind))}


def moves_of(dbs, deal) -> list[StageMove]:
    dbs.expire_all()
    query = select(StageMove).where(StageMove.deal_id == deal.id).order_by(StageMove.id)
    return list(dbs.exec(query).all())


@pytest.fixture
def asked(app, staff, dbs, breaking) -> OverrideRequest:
    assert ask(app, staff["manager"], breaking).status_code == 302
    (request,) = requests(dbs)
    return request


# -- asking --------------------------------------------------------------------------------------


def test_a_managers_move_refused_for_a_breach_leads_to_the_request_with_the_breaches(
    app, staff, breaking
):
    client = client_of(app, staff["manager"])
    url = f"/deals/{breaking.id}"
    refused = post_form(
        client,
        f"{url}/move",
        {"to_stage": "approved", "from_stage": "sourcing"},
        token_from=url,
        headers=ENGLISH,
    )
    assert refused.location == f"{url}/override-request?to=approved&seen=sourcing"
    page = page_text(client.get(refused.location, headers=ENGLISH).get_data(as_text=True))
    assert "Moving the deal from Sourcing to Approved breaks the mandate: " + BREACH in page
    assert "Ask risk to override" in page
    # the board's move says where to ask
    board = client.post(
        f"{url}/move",
        json={"to_stage": "approved"},
        headers={"X-CSRFToken": csrf_token(client, url), **ENGLISH},
    )
    assert board.status_code == 422 and board.json["request_url"] == refused.location
    assert board.json["errors"][0] == BREACH and not board.json["overridable"]


def test_risk_and_an_administrator_are_not_sent_to_ask_but_may_override(app, staff, breaking):
    client = client_of(app, staff["risk"])
    board = client.post(
        f"/deals/{breaking.id}/move",
        json={"to_stage": "approved"},
        headers={"X-CSRFToken": csrf_token(client, "/overrides")},
    )
    assert board.json["overridable"] and board.json["request_url"] is None


def test_a_request_keeps_the_breaches_judged_again_and_tells_every_active_overrider(
    app, staff, dbs, breaking, make_user
):
    retired = make_user("risk", active=False)[0]
    answer = ask(app, staff["manager"], breaking, breaches="没有违规")  # a posted list is ignored
    assert answer.location == f"/deals/{breaking.id}#override-requests"
    (request,) = requests(dbs)
    assert (request.status, request.from_stage, request.to_stage) == (
        "pending",
        "sourcing",
        "approved",
    )
    assert request.breaches == [BREACH] and request.note == NOTE
    assert request.requested_by_id == staff["manager"].id
    assert told(dbs, "override_requested") == {staff["risk"].id, staff["admin"].id}
    assert retired not in told(dbs, "override_requested")
    entry = dbs.exec(select(AuditEntry).where(AuditEntry.table_name == "override_requests")).one()
    assert (entry.action, entry.actor_id, entry.parent_id) == (
        "create",
        staff["manager"].id,
        str(breaking.id),
    )
    # the deal's page shows the request waiting; the deal has not moved
    page = page_text(
        client_of(app, staff["risk"])
        .get(f"/deals/{breaking.id}", headers=ENGLISH)
        .get_data(as_text=True),
        'id="override-requests"',
    )
    assert "Waiting for risk Sourcing → Approved" in page and BREACH in page and NOTE in page
    assert dbs.get(Deal, breaking.id).stage == "sourcing"
    # risk's notification leads to the list of requests
    note = dbs.exec(select(Notification).where(Notification.user_id == staff["risk"].id)).one()
    opened = post_form(
        client_of(app, staff["risk"]),
        f"/notifications/{note.id}/open",
        {},
        token_from="/notifications",
    )
    assert opened.location == f"/overrides#request-{request.id}"


def test_a_request_without_a_note_is_refused_and_nothing_is_written(app, staff, dbs, breaking):
    answer = ask(app, staff["manager"], breaking, note="  ")
    assert answer.status_code == 200
    assert "Say why the move should be made despite the breach." in answer.get_data(as_text=True)
    assert requests(dbs) == [] and told(dbs, "override_requested") == set()


def test_a_second_request_for_the_same_move_is_refused(app, staff, dbs, asked, breaking):
    answer = ask(app, staff["manager"], breaking, note="再次申请")
    assert answer.status_code == 200
    assert "A request to make this move already waits for risk" in answer.get_data(as_text=True)
    assert len(requests(dbs)) == 1
    with app.test_request_context(headers=ENGLISH):
        from fundcrm import db
        from fundcrm.compliance import overrides

        with pytest.raises(overrides.OverrideError) as refused:
            overrides.request_override(
                db.session(),
                db.session().get(Deal, breaking.id),
                "approved",
                db.session().get(User, staff["manager"].id),
                "再次申请",
            )
        assert str(refused.value.message) == (
            "A request to move this deal to Approved already waits for risk: one is enough."
        )
    # the request page says it waits instead of asking again
    page = client_of(app, staff["manager"]).get(
        f"/deals/{breaking.id}/override-request?to=approved&seen=sourcing", headers=ENGLISH
    )
    assert 'id="request-waiting"' in page.get_data(as_text=True)
    assert 'id="override-request-form"' not in page.get_data(as_text=True)


def test_a_move_that_breaks_no_mandate_is_not_asked_for(app, staff, dbs):
    client = client_of(app, staff["manager"])
    deal = staff["deal"]  # a growth company: within both mandates
    page = client.get(
        f"/deals/{deal.id}/override-request?to=approved&seen=sourcing", headers=ENGLISH
    )
    assert page.location == f"/deals/{deal.id}"
    answer = ask(app, staff["manager"], deal)
    assert answer.location == f"/deals/{deal.id}"
    shown = client.get(answer.location, headers=ENGLISH).get_data(as_text=True)
    assert "This move breaks no mandate: move the deal." in shown
    assert requests(dbs) == []


def test_who_may_ask_and_decide(app, staff, dbs, breaking, asked, make_user):
    for role in ("admin", "risk", "ic_member", "viewer"):
        answer = ask(app, staff[role], breaking, to_stage="due_diligence")
        assert answer.status_code == 403, role
    for role in ("manager", "ic_member", "viewer"):
        assert client_of(app, staff[role]).get("/overrides").status_code == 403, role
        for action in ("perform", "decline"):
            url = f"/overrides/{asked.id}/{action}"
            answer = post_form(
                client_of(app, staff[role]),
                url,
                {"reason": "同意", "seen": "1"},
                token_from="/account/password",
            )
            assert answer.status_code == 403, (role, action)
    # a manager not on the deal's team: the record's rule, in words
    stranger = dbs.get(User, make_user("manager")[0])
    answer = ask(app, stranger, breaking, to_stage="due_diligence")
    assert answer.status_code == 403
    assert "Only the deal's owner and team may ask" in html.unescape(answer.get_data(as_text=True))
    missing = client_of(app, staff["manager"]).get("/deals/987654/override-request?to=approved")
    assert missing.status_code == 404
    assert len(requests(dbs)) == 1


# -- deciding ------------------------------------------------------------------------------------


def test_risk_performs_the_move_with_its_reason_and_the_manager_is_told(
    app, staff, dbs, breaking, asked
):
    answer, page = decide(app, staff["risk"], asked.id)
    assert answer.location == "/overrides"
    assert "The move is made with the override: the requester is told." in page
    dbs.expire_all()
    assert dbs.get(Deal, breaking.id).stage == "approved"
    move = moves_of(dbs, breaking)[-1]
    assert (move.kind, move.to_stage, move.by_id) == ("move", "approved", staff["risk"].id)
    assert move.override_reason == "投委会同意作为例外" and move.breaches == [BREACH]
    (request,) = requests(dbs)
    assert (request.status, request.decided_by_id) == ("performed", staff["risk"].id)
    assert request.decision_reason == "投委会同意作为例外" and request.decided_at is not None
    assert told(dbs, "override_performed") == {staff["manager"].id}
    audited = dbs.exec(
        select(AuditEntry).where(
            AuditEntry.table_name == "override_requests", AuditEntry.action == "update"
        )
    ).one()
    assert audited.actor_id == staff["risk"].id and '"performed"' in audited.changes
    # the manager reads it in its language and is led to the deal
    manager = client_of(app, staff["manager"])
    listing = page_text(manager.get("/notifications", headers=ENGLISH).get_data(as_text=True))
    assert (
        f"{staff['risk'].name} performed your request: {breaking.deal_ref} 重庆成熟装备有限公司 "
        "moved to Approved with the override (投委会同意作为例外)."
    ) in listing
    # the decision is listed; nothing waits
    decided = page_text(page, 'id="decided-requests"')
    assert "Performed" in decided and "投委会同意作为例外" in decided
    assert "No request waits." in page


def test_a_decline_needs_a_reason_and_tells_the_manager(app, staff, dbs, breaking, asked):
    answer, page = decide(app, staff["admin"], asked.id, "decline", reason=" ")
    assert answer.location == f"/overrides#request-{asked.id}"
    assert "Give the reason for your decision." in page
    assert requests(dbs)[0].status == "pending" and told(dbs, "override_declined") == set()
    answer, page = decide(app, staff["admin"], asked.id, "decline", reason="不符合天使基金定位")
    assert answer.location == "/overrides"
    (request,) = requests(dbs)
    assert (request.status, request.decided_by_id, request.decision_reason) == (
        "declined",
        staff["admin"].id,
        "不符合天使基金定位",
    )
    assert dbs.get(Deal, breaking.id).stage == "sourcing" and len(moves_of(dbs, breaking)) == 1
    assert told(dbs, "override_declined") == {staff["manager"].id}
    deal_page = client_of(app, staff["manager"]).get(f"/deals/{breaking.id}", headers=ENGLISH)
    shown = page_text(deal_page.get_data(as_text=True), 'id="override-requests"')
    assert f"Declined by {staff['admin'].name}" in shown and "不符合天使基金定位" in shown
    # decided once: performing it now is refused
    answer, page = decide(app, staff["risk"], asked.id, seen="2")
    assert "Someone decided this request meanwhile" in page
    assert dbs.get(Deal, breaking.id).stage == "sourcing"
    # the refused attempt is kept in the audit trail
    dbs.expire_all()
    refused = dbs.exec(
        select(AuditEntry).where(
            AuditEntry.table_name == "override_requests", AuditEntry.action == "refused"
        )
    ).all()
    assert [json.loads(e.changes)["refused"][1] for e in refused] == [
        "decline_override",
        "perform_override",
    ]


def test_a_move_refused_now_for_another_reason_leaves_the_request_waiting(
    app, staff, dbs, breaking, asked
):
    with app.test_request_context():
        from fundcrm import db

        moves.save_gate(db.session(), "approved", ["pre_money_wan"], [])
        db.session().commit()
    answer, page = decide(app, staff["risk"], asked.id)
    assert answer.location == f"/overrides#request-{asked.id}"
    assert "Moving to Approved needs: pre-money valuation." in page
    (request,) = requests(dbs)
    assert request.status == "pending" and request.decided_by_id is None
    assert dbs.get(Deal, breaking.id).stage == "sourcing"
    assert told(dbs, "override_performed") == set()


def test_the_requester_withdraws_a_waiting_request(app, staff, dbs, breaking, asked, make_user):
    teammate = dbs.get(User, make_user("manager")[0])
    deal = dbs.get(Deal, breaking.id)
    from fundcrm.models import DealMember

    dbs.add(DealMember(deal_id=deal.id, user_id=teammate.id))
    dbs.commit()
    url = f"/overrides/{asked.id}/withdraw"
    refused = post_form(
        client_of(app, teammate), url, {}, token_from="/account/password", headers=ENGLISH
    )
    assert refused.status_code == 403
    assert "Only whoever asked for an override withdraws it." in refused.get_data(as_text=True)
    answer = post_form(client_of(app, staff["manager"]), url, {}, token_from="/account/password")
    assert answer.location == f"/deals/{breaking.id}#override-requests"
    (request,) = requests(dbs)
    assert (request.status, request.decided_by_id) == ("withdrawn", staff["manager"].id)
    answer, page = decide(app, staff["risk"], asked.id, seen="2")
    assert "Someone decided this request meanwhile" in page and requests(dbs)[0].status == (
        "withdrawn"
    )
    # withdrawn, the same move may be asked for again
    assert ask(app, staff["manager"], breaking, note="补充说明后再次申请").status_code == 302


def test_two_simultaneous_decisions_leave_one(app, staff, dbs, breaking, asked):
    """Risk performs while an administrator declines, at the same moment: one decision stands,
    the other is told someone decided meanwhile; the deal moved only if it was performed."""
    url = f"/overrides/{asked.id}"
    answers = all_at_once(
        app,
        [staff["risk"].id, staff["admin"].id],
        [
            posting(f"{url}/perform", {"reason": "同意特批", "seen": "1"}, "/overrides"),
            posting(f"{url}/decline", {"reason": "不同意", "seen": "1"}, "/overrides"),
        ],
    )
    won = [a for a in answers if a.location == "/overrides"]
    lost = [a for a in answers if a.location == f"/overrides#request-{asked.id}"]
    assert len(won) == 1 and len(lost) == 1
    (request,) = requests(dbs)
    performed = won[0] is answers[0]
    assert request.status == ("performed" if performed else "declined")
    assert request.version == 2
    assert dbs.get(Deal, breaking.id).stage == ("approved" if performed else "sourcing")
    assert len(moves_of(dbs, breaking)) == (2 if performed else 1)
    kinds = told(dbs, "override_performed") | told(dbs, "override_declined")
    assert kinds == {staff["manager"].id}


def test_two_simultaneous_performs_move_the_deal_once(app, staff, dbs, breaking, asked):
    url = f"/overrides/{asked.id}/perform"
    form = {"reason": "同意特批", "seen": "1"}
    answers = all_at_once(
        app, [staff["risk"].id, staff["admin"].id], [posting(url, form, "/overrides")] * 2
    )
    assert sorted(a.location for a in answers) == ["/overrides", f"/overrides#request-{asked.id}"]
    assert len(moves_of(dbs, breaking)) == 2 and requests(dbs)[0].status == "performed"


def test_a_decision_lost_at_the_update_is_refused_and_moves_nothing(app, staff, dbs, asked):
    """The request read as waiting; another decision commits before this one's UPDATE: the
    version column finds no row, and the move is not made."""
    from fundcrm import db
    from fundcrm.compliance import overrides

    with app.test_request_context(method="POST", headers=ENGLISH):
        session = db.session()
        mine = session.get(OverrideRequest, asked.id)  # read at version 1, waiting
        table = OverrideRequest.__table__
        session.connection().execute(
            table.update().where(table.c.id == asked.id).values(version=2, status="declined")
        )
        risk = session.get(User, staff["risk"].id)
        with pytest.raises(overrides.OverrideError) as refused:
            overrides.perform(session, mine, risk, "同意特批", seen_version=1)
        assert str(refused.value.message) == (
            "Someone decided this request meanwhile: look at it again."
        )
        session.rollback()
    dbs.expire_all()
    assert dbs.get(Deal, asked.deal_id).stage == "sourcing"


@pytest.mark.parametrize(
    "extra",
    [
        {"to_stage": "nowhere"},
        {"to_stage": ""},
        {"from_stage": "elsewhere"},
        {"note": "说明\x00"},
        {"note": "长" * 2001},
    ],
)
def test_a_bad_request_form_writes_nothing_and_never_fails(app, staff, dbs, breaking, extra):
    answer = ask(app, staff["manager"], breaking, **extra)
    assert answer.status_code in (200, 302)
    assert requests(dbs) == []


def test_a_bad_request_address_or_decision_form_is_answered(app, staff, dbs, breaking, asked):
    client = client_of(app, staff["manager"])
    for query in ("", "?to=nowhere", "?to=approved\x01"):
        answer = client.get(f"/deals/{breaking.id}/override-request{query}", headers=ENGLISH)
        assert answer.status_code == 400, query
    for form in ({"reason": "同意\x00", "seen": "1"}, {"reason": "同意", "seen": "１"}):
        url = f"/overrides/{asked.id}/perform"
        answer = post_form(client_of(app, staff["risk"]), url, form, token_from="/overrides")
        assert answer.status_code == 302
    # the control character is refused; an unreadable version leaves the status to decide
    assert requests(dbs)[0].status == "performed"
