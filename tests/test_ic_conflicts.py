"""The register of IC members' conflicts (回避): a member declares their own, risk and
administrators record anyone's; one entry per member and company."""

import html
from datetime import timedelta

from sqlmodel import select

from fundcrm import clock
from fundcrm.models import AuditEntry, IcConflict
from tests.conftest import page_text, post_form, sign_in

ENGLISH = {"Accept-Language": "en"}
URL = "/ic/conflicts/new"


def client_of(app, user_id):
    client = app.test_client()
    sign_in(client, user_id)
    return client


def declare(client, member_id, uscc, reason="持有该公司 2% 股份", **extra):
    form = {"member_id": str(member_id), "company_uscc": uscc, "reason": reason, **extra}
    return post_form(client, URL, form, token_from=URL, headers=ENGLISH)


def test_a_member_declares_a_conflict_of_their_own(app, staff, dbs):
    member = staff["ic_member"]
    company = staff["company"]
    answer = declare(client_of(app, member.id), member.id, company.uscc.lower())
    assert answer.status_code == 302 and answer.location == "/ic/conflicts"
    (conflict,) = dbs.exec(select(IcConflict)).all()
    assert (conflict.member_id, conflict.company_id, conflict.recorded_by_id) == (
        member.id,
        company.id,
        member.id,
    )
    assert conflict.declared_on == clock.today()
    listed = page_text(client_of(app, staff["risk"].id).get("/ic/conflicts").get_data(True))
    assert member.name in listed and company.name in listed and "持有该公司 2% 股份" in listed
    entry = dbs.exec(select(AuditEntry).where(AuditEntry.table_name == "ic_conflicts")).one()
    assert entry.actor_id == member.id and entry.parent_id == str(company.id)


def test_a_member_cannot_declare_for_another(app, staff, dbs, make_user):
    other = make_user("ic_member")[0]
    answer = declare(client_of(app, staff["ic_member"].id), other, staff["company"].uscc)
    assert answer.status_code == 403
    assert "An IC member declares their own conflicts" in html.unescape(answer.get_data(True))
    assert dbs.exec(select(IcConflict)).all() == []


def test_risk_records_a_members_conflict_once(app, staff, dbs):
    risk = client_of(app, staff["risk"].id)
    member, uscc = staff["ic_member"].id, staff["company"].uscc
    earlier = (clock.today() - timedelta(days=30)).isoformat()
    assert declare(risk, member, uscc, declared_on=earlier).status_code == 302
    again = declare(risk, member, uscc)
    assert again.status_code == 200
    assert "This member's conflict with this company is recorded already." in html.unescape(
        again.get_data(True)
    )
    (conflict,) = dbs.exec(select(IcConflict)).all()
    assert (
        conflict.declared_on.isoformat() == earlier and conflict.recorded_by_id == staff["risk"].id
    )


def test_refusals_name_their_field(app, staff, dbs):
    risk = client_of(app, staff["risk"].id)
    uscc = staff["company"].uscc
    cases = [
        (staff["manager"].id, uscc, {}, "Not a valid choice"),  # not offered: no IC member
        (staff["ic_member"].id, "91500000000000000X", {}, "No company has this USCC."),
        (
            staff["ic_member"].id,
            uscc,
            {"declared_on": (clock.today() + timedelta(days=1)).isoformat()},
            "A conflict is declared on a past date or today.",
        ),
        (staff["ic_member"].id, uscc, {"reason": "  "}, "This field is required."),
    ]
    for member, code, extra, message in cases:
        answer = declare(risk, member, code, **extra)
        assert answer.status_code == 200 and message in html.unescape(answer.get_data(True))
    assert dbs.exec(select(IcConflict)).all() == []


def test_who_sees_the_register(app, staff):
    for role, status in (("ic_member", 200), ("risk", 200), ("admin", 200), ("manager", 403),
                         ("viewer", 403)):  # fmt: skip
        assert client_of(app, staff[role].id).get("/ic/conflicts").status_code == status, role


def test_a_blank_date_is_the_funds_today_not_utcs(app, staff, dbs):
    import time_machine

    member = staff["ic_member"]
    with time_machine.travel("2026-12-31T16:30:00Z", tick=False):  # 00:30 on 1 January in 重庆
        assert (
            declare(client_of(app, member.id), member.id, staff["company"].uscc).status_code == 302
        )
    assert dbs.exec(select(IcConflict)).one().declared_on.isoformat() == "2027-01-01"
