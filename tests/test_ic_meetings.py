"""IC meetings and votes: an administrator schedules a meeting of IC members and sets its
agenda of submitted memos; members vote, blind, one vote each that they may change until the
vote closes; a member with a declared conflict is recused. Refusals are audited."""

import html
from datetime import date

from sqlmodel import select

from fundcrm.models import IcAgendaItem, IcConflict, IcMeeting, IcVote
from tests import factories
from tests.conftest import page_text, post_form
from tests.ic_fixtures import (
    ENGLISH,
    cast,
    client_of,
    item_page,
    refusals,
    votes,
)


def _schedule(app, admin, members, **extra):
    form = {
        "held_on": "2026-12-20",
        "starts_at": "14:30",
        "place": "西部科学城 会议中心 3 楼",
        "member_ids": [str(m.id) for m in members],
        "chair_id": str(members[0].id),
        **extra,
    }
    return post_form(client_of(app, admin), "/ic/meetings/new", form, headers=ENGLISH)


def test_an_administrator_schedules_a_meeting_and_sets_its_agenda(app, dbs, committee):
    admin, members = committee["admin"], committee["members"]
    answer = _schedule(app, admin, members)
    meeting = dbs.exec(select(IcMeeting).order_by(IcMeeting.id.desc())).first()
    assert answer.location == f"/ic/meetings/{meeting.id}"
    assert (meeting.place, meeting.chair_id) == ("西部科学城 会议中心 3 楼", members[0].id)
    assert sorted(meeting.member_ids) == sorted(m.id for m in members)
    # a revised memo, submitted, waits for a meeting: it is offered and goes on the agenda
    other = factories.deal(
        dbs, committee["company"], committee["manager"], [(committee["angel"], "5000000")]
    )
    _memo, version = factories.memo(dbs, other, committee["manager"].id)
    page = client_of(app, admin).get(f"/ic/meetings/{meeting.id}", headers=ENGLISH)
    assert f'value="{version.id}"' in page.get_data(as_text=True)
    url = f"/ic/meetings/{meeting.id}"
    added = post_form(client_of(app, admin), f"{url}/items", {"memo_version_id": str(version.id)},
                      token_from=url)  # fmt: skip
    assert added.location == url
    dbs.expire_all()
    (item,) = dbs.get(IcMeeting, meeting.id).items
    assert (item.memo_version_id, item.deal_id) == (version.id, other.id)


def test_a_meeting_needs_ic_members_and_a_chair_among_them(app, dbs, committee):
    admin, members = committee["admin"], committee["members"]
    count = len(dbs.exec(select(IcMeeting)).all())
    cases = [
        ({"member_ids": [str(members[0].id)]}, "A meeting needs at least two IC members."),
        (
            {"member_ids": [str(members[1].id), str(members[2].id)]},
            "The chair is one of the meeting's members.",
        ),
        ({"place": ""}, "This field is required."),
    ]
    for extra, message in cases:
        answer = _schedule(app, admin, members, **extra)
        text = html.unescape(answer.get_data(as_text=True))
        assert answer.status_code == 200 and message in text, message
    # a manager is no IC member: not offered, refused if sent
    answer = _schedule(app, admin, [members[0], committee["manager"]])
    assert answer.status_code == 200
    assert len(dbs.exec(select(IcMeeting)).all()) == count


def test_what_may_go_on_an_agenda(app, dbs, committee):
    admin, meeting = committee["admin"], committee["meeting"]
    later = factories.meeting(
        dbs, committee["members"][0].id, [m.id for m in committee["members"]], date(2026, 12, 30)
    )
    url = f"/ic/meetings/{later.id}"

    def add(version_id):
        return post_form(client_of(app, admin), f"{url}/items",
                         {"memo_version_id": str(version_id)}, token_from=url,
                         headers=ENGLISH)  # fmt: skip

    # the memo is on an open item already
    add(committee["version"].id)
    # a draft
    other = factories.deal(
        dbs, committee["company"], committee["manager"], [(committee["angel"], "5000000")]
    )
    _memo, draft = factories.memo(dbs, other, committee["manager"].id, submitted=False)
    add(draft.id)
    add(987654)
    dbs.expire_all()
    assert dbs.get(IcMeeting, later.id).items == []
    reasons = [r.changes for r in refusals(dbs, "ic_meetings")]
    assert len(reasons) == 3
    assert "still open" in reasons[0] and "submitted memo version" in reasons[1]
    assert dbs.get(IcMeeting, meeting.id).items[0].is_open


def test_members_vote_blind_and_may_change_their_vote_until_it_closes(app, dbs, committee):
    first, second, third = committee["members"]
    item_id = committee["item"].id
    assert cast(app, first, item_id, "approve").location == f"/ic/items/{item_id}"
    assert cast(app, first, item_id, "reject").status_code == 302
    assert votes(dbs, item_id) == {first.id: "reject"}  # changed in place: one record
    cast(app, second, item_id, "approve_conditions", "12 个月内迁入两江新区")
    # each member sees their own vote only; nobody sees the others' before the vote closes
    mine = page_text(item_page(app, second, item_id), 'id="my-vote"')
    assert "You voted: Approve with conditions — 12 个月内迁入两江新区." in mine
    assert "You voted" not in page_text(item_page(app, third, item_id))
    for viewer in (third, committee["admin"], committee["risk"], committee["manager"]):
        page = item_page(app, viewer, item_id)
        assert "12 个月内迁入两江新区" not in page and 'id="votes"' not in page
    assert "2 of 3 eligible members have voted." in page_text(item_page(app, first, item_id))


def test_a_vote_needs_its_conditions_and_only_an_approval_with_conditions_has_them(
    app, dbs, committee
):
    member, item_id = committee["members"][1], committee["item"].id
    cast(app, member, item_id, "approve_conditions", "  ")
    cast(app, member, item_id, "reject", "条件")
    cast(app, member, item_id, "approve_conditions", "x" * 2001)
    assert votes(dbs, item_id) == {}
    assert len(refusals(dbs, "ic_agenda_items")) == 3


def test_a_recused_member_does_not_vote_and_the_refusal_is_audited(app, dbs, committee):
    member, item_id = committee["members"][2], committee["item"].id
    dbs.add(IcConflict(member_id=member.id, company_id=committee["company"].id,
                       reason="持有该公司 3% 股权", declared_on=date(2026, 11, 1)))  # fmt: skip
    dbs.commit()
    page = item_page(app, member, item_id)
    assert 'id="recused-notice"' in page and 'id="vote-form"' not in page
    answer = cast(app, member, item_id, "approve")
    assert answer.location == f"/ic/items/{item_id}"
    assert votes(dbs, item_id) == {}
    (refusal,) = refusals(dbs, "ic_agenda_items")
    assert refusal.actor_id == member.id and "recused" in refusal.changes
    assert "You have a declared conflict" in page_text(item_page(app, member, item_id))


def test_only_the_meetings_members_vote(app, dbs, committee, make_user):
    outsider_id = make_user("ic_member")[0]
    from fundcrm.models import User

    outsider = dbs.get(User, outsider_id)
    item_id = committee["item"].id
    # the outsider does not sit on the meeting: its page is refused, its vote too
    assert client_of(app, outsider).get(f"/ic/items/{item_id}").status_code == 403
    url = f"/ic/items/{item_id}"
    answer = post_form(client_of(app, outsider), f"{url}/vote", {"choice": "approve"},
                       token_from="/account/password")  # fmt: skip
    assert answer.location == "/ic"
    (refusal,) = refusals(dbs, "ic_agenda_items")
    assert refusal.actor_id == outsider_id and "Only the meeting" in refusal.changes
    assert client_of(app, committee["manager"]).post(f"{url}/vote").status_code in (400, 403)
    assert votes(dbs, item_id) == {}


def test_an_item_with_votes_stays_on_the_agenda(app, dbs, committee):
    item_id = committee["item"].id
    cast(app, committee["members"][0], item_id, "approve")
    url = f"/ic/meetings/{committee['meeting'].id}"
    post_form(client_of(app, committee["admin"]), f"/ic/items/{item_id}/remove", {},
              token_from=url)  # fmt: skip
    dbs.expire_all()
    assert dbs.get(IcAgendaItem, item_id) is not None


def test_ic_members_see_their_meetings_and_deals(app, dbs, committee, make_user):
    from fundcrm.models import User

    member = committee["members"][1]
    page = client_of(app, member).get("/ic", headers=ENGLISH).get_data(as_text=True)
    assert f"/ic/meetings/{committee['meeting'].id}" in page
    mine = client_of(app, member).get("/deals/mine", headers=ENGLISH).get_data(as_text=True)
    assert committee["deal"].deal_ref in mine and "deals on the agenda of your IC meetings" in mine
    elsewhere = dbs.get(User, make_user("ic_member")[0])
    page = client_of(app, elsewhere).get("/ic", headers=ENGLISH).get_data(as_text=True)
    assert f"/ic/meetings/{committee['meeting'].id}" not in page
    assert (
        client_of(app, elsewhere).get(f"/ic/meetings/{committee['meeting'].id}").status_code == 403
    )
    assert committee["deal"].deal_ref not in client_of(app, elsewhere).get("/deals/mine").get_data(
        as_text=True
    )
    assert client_of(app, committee["viewer"]).get("/ic").status_code == 403


def test_attendance_is_recorded_by_the_chair(app, dbs, committee):
    chair, other = committee["members"][0], committee["members"][1]
    meeting = committee["meeting"]
    url = f"/ic/meetings/{meeting.id}"
    form = {"attended": [str(chair.id), str(other.id)], "seen": str(meeting.version)}
    assert post_form(client_of(app, chair), f"{url}/attendance", form).location == url
    dbs.expire_all()
    attended = {m.member_id: m.attended for m in dbs.get(IcMeeting, meeting.id).members}
    assert attended == {chair.id: True, other.id: True, committee["members"][2].id: False}
    # a member who is not the chair may not
    assert post_form(client_of(app, other), f"{url}/attendance", form,
                     token_from=url).status_code == 403  # fmt: skip


def test_simultaneous_votes_of_one_member_leave_exactly_one_record(app, dbs, committee):
    """Ten tabs of one member post their votes at the same moment (truly in parallel on
    PostgreSQL): the unique key and the item's lock leave one vote, the last one to commit."""
    from tests.test_concurrency import all_at_once, on_postgresql, posting

    member, item_id = committee["members"][1], committee["item"].id
    url = f"/ic/items/{item_id}"
    count = 10 if on_postgresql(app) else 4
    choices = ["approve", "reject", "abstain", "approve"] * 3
    requests = [
        posting(f"{url}/vote", {"choice": choices[i]}, token_from=url) for i in range(count)
    ]
    answers = all_at_once(app, member.id, requests)
    assert all(a.status_code == 302 for a in answers)
    rows = dbs.exec(select(IcVote).where(IcVote.item_id == item_id)).all()
    assert len(rows) == 1 and rows[0].member_id == member.id


def test_the_audit_trail_records_a_vote_without_its_content(app, dbs, committee):
    """Administrators and risk read the trail: it says a vote was cast or changed, never how
    (the decision keeps each vote once the item closes)."""
    from fundcrm.models import AuditEntry

    member, item_id = committee["members"][0], committee["item"].id
    cast(app, member, item_id, "approve_conditions", "秘密条件")
    cast(app, member, item_id, "reject")
    entries = dbs.exec(select(AuditEntry).where(AuditEntry.table_name == "ic_votes")).all()
    assert [e.action for e in entries] == ["create", "update"]
    assert all("秘密条件" not in e.changes and "reject" not in e.changes for e in entries)
    page = (
        client_of(app, committee["risk"]).get("/admin/audit?table=ic_votes").get_data(as_text=True)
    )
    assert "秘密条件" not in page and "Approve with conditions" not in page
