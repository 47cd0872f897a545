"""In-app notifications: who is told what, the unread count, opening one, a record since
deleted, the daily sweep of conditions coming due (once each), and email only with SMTP."""

from datetime import date

from sqlmodel import select

from fundcrm.models import IcAgendaItem, IcCondition, IcConflict, IcDecision, Notification
from fundcrm.notifications import services
from tests import factories
from tests.conftest import post_form
from tests.ic_fixtures import ENGLISH, cast, client_of
from tests.test_ic_decisions import close, decision_of


def told(dbs, kind: str) -> set[int]:
    dbs.expire_all()
    return {n.user_id for n in dbs.exec(select(Notification).where(Notification.kind == kind))}


def test_members_are_told_of_a_memo_on_their_meeting(app, dbs, committee):
    admin, members = committee["admin"], committee["members"]
    other = factories.deal(dbs, committee["company"], committee["manager"],
                           [(committee["angel"], "5000000")])  # fmt: skip
    _memo, version = factories.memo(dbs, other, committee["manager"].id)
    url = f"/ic/meetings/{committee['meeting'].id}"
    post_form(client_of(app, admin), f"{url}/items", {"memo_version_id": str(version.id)})
    assert told(dbs, "on_agenda") == {m.id for m in members}
    page = client_of(app, members[0]).get("/notifications", headers=ENGLISH).get_data(as_text=True)
    assert f"{other.deal_ref}" in page and "is on the agenda of your IC meeting" in page
    home = client_of(app, members[0]).get("/", headers=ENGLISH).get_data(as_text=True)
    assert 'id="unread-count">1<' in home


def test_the_outcome_reaches_all_but_the_recused_member(app, dbs, committee):
    first, second, third = committee["members"]
    dbs.add(IcConflict(member_id=third.id, company_id=committee["company"].id, reason="持股",
                       declared_on=date(2026, 11, 1)))  # fmt: skip
    dbs.commit()
    cast(app, first, committee["item"].id, "approve")
    cast(app, second, committee["item"].id, "approve")
    close(app, committee["admin"], committee)
    assert decision_of(dbs, committee).outcome == "approve"
    assert told(dbs, "vote_closed") == {first.id, second.id, committee["manager"].id,
                                        committee["admin"].id}  # fmt: skip
    assert told(dbs, "vote_closed_recused") == {third.id}
    recused = dbs.exec(select(Notification).where(Notification.user_id == third.id)).one()
    assert "outcome" not in recused.params
    page = client_of(app, third).get("/notifications", headers=ENGLISH).get_data(as_text=True)
    assert "(you were recused on it)" in page and "Approved" not in page


def test_opening_marks_read_and_a_deleted_record_is_said_so(app, dbs, committee):
    member = committee["members"][0]
    item = dbs.get(IcAgendaItem, committee["item"].id)
    services.notify(dbs, [member.id], "on_agenda", item,
                    {"deal_ref": "XM", "company": "擎天", "date": "2026-12-10"})  # fmt: skip
    dbs.commit()
    (notification,) = dbs.exec(select(Notification)).all()
    client = client_of(app, member)
    opened = post_form(
        client, f"/notifications/{notification.id}/open", {}, token_from="/notifications"
    )
    assert opened.location == f"/ic/items/{item.id}"
    dbs.expire_all()
    assert dbs.get(Notification, notification.id).read_at is not None
    assert 'id="unread-count"' not in client.get("/").get_data(as_text=True)
    # someone else's notification is refused; a record since deleted gets a clear answer
    other = client_of(app, committee["members"][1])
    refused = post_form(
        other, f"/notifications/{notification.id}/open", {}, token_from="/notifications"
    )
    assert refused.status_code == 403
    dbs.delete(dbs.get(IcAgendaItem, item.id))
    dbs.commit()
    gone = post_form(client, f"/notifications/{notification.id}/open", {},
                     token_from="/notifications", headers=ENGLISH)  # fmt: skip
    assert gone.location == "/notifications"
    assert "has since been deleted" in client.get("/notifications", headers=ENGLISH).get_data(
        as_text=True
    )


def test_conditions_coming_due_are_announced_once(app, dbs, committee):
    decision = IcDecision(deal_id=committee["deal"].id, decided_on=date(2026, 6, 1),
                          outcome="approve_conditions", recorded=True)  # fmt: skip
    dbs.add(decision)
    dbs.flush()
    soon = IcCondition(decision_id=decision.id, deal_id=committee["deal"].id, kind="subsequent",
                       text="迁入两江新区", due_on=date(2026, 12, 10))  # fmt: skip
    later = IcCondition(decision_id=decision.id, deal_id=committee["deal"].id, kind="subsequent",
                        text="年报", due_on=date(2027, 6, 30))  # fmt: skip
    dbs.add_all([soon, later])
    dbs.commit()
    for _ in range(2):
        assert services.notify_conditions_due(dbs, date(2026, 11, 30), 14) == 1
        dbs.commit()
    rows = dbs.exec(select(Notification).where(Notification.kind == "condition_due")).all()
    recipients = sorted(n.user_id for n in rows)
    assert recipients == sorted({committee["manager"].id, committee["risk"].id,
                                 committee["admin"].id})  # fmt: skip
    assert all(n.subject_id == soon.id for n in rows)


def test_email_goes_out_only_when_smtp_is_configured(app, dbs, committee, monkeypatch):
    item = dbs.get(IcAgendaItem, committee["item"].id)
    words = {"deal_ref": "XM2026-0001", "company": "擎天", "date": "2026-12-10"}
    services.notify(dbs, [committee["members"][0].id], "on_agenda", item, words)
    dbs.commit()
    assert services.send_emails(dbs, {"SMTP_HOST": None}) == 0
    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            sent.append(("connect", host, port))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def send_message(self, mail):
            sent.append(("mail", mail["To"], mail.get_content()))

    monkeypatch.setattr(services.smtplib, "SMTP", FakeSMTP)
    settings = {"SMTP_HOST": "mail.intranet", "SMTP_PORT": 25, "SMTP_FROM": "crm@fund.cq"}
    with app.app_context():
        assert services.send_emails(dbs, settings) == 1
        dbs.commit()
        assert services.send_emails(dbs, settings) == 0  # once
    assert sent[0] == ("connect", "mail.intranet", 25)
    assert sent[1][1] == committee["members"][0].email and "XM2026-0001" in sent[1][2]


def test_an_email_whose_subject_would_break_is_sent_on_one_line_and_once(
    app, dbs, committee, monkeypatch
):
    item = dbs.get(IcAgendaItem, committee["item"].id)
    words = {"deal_ref": "XM\r\n2026", "company": "擎天\n科技", "date": "2026-12-10"}
    services.notify(dbs, [m.id for m in committee["members"]], "on_agenda", item, words)
    dbs.commit()
    sent, refused = [], {committee["members"][1].email}

    class FlakySMTP:
        def __init__(self, host, port, timeout):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def send_message(self, mail):
            assert "\n" not in mail["Subject"]
            if mail["To"] in refused:
                raise services.smtplib.SMTPRecipientsRefused({mail["To"]: (550, b"no")})
            sent.append(mail["To"])

    monkeypatch.setattr(services.smtplib, "SMTP", FlakySMTP)
    settings = {"SMTP_HOST": "mail.intranet", "SMTP_FROM": "crm@fund.cq"}
    with app.app_context():
        assert services.send_emails(dbs, settings) == 2
        assert services.send_emails(dbs, settings) == 0  # the refused one only is tried again
    assert sorted(sent) == sorted(m.email for m in committee["members"] if m.email not in refused)
