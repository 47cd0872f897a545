import json
import re
from datetime import timedelta

from sqlmodel import select

from fundcrm import clock
from fundcrm.models import AuditEntry, utcnow
from tests.conftest import post_form


def test_no_route_can_change_the_audit_trail(app):
    audit_rules = [r for r in app.url_map.iter_rules() if "audit" in r.rule]
    assert audit_rules and all(r.methods <= {"GET", "HEAD", "OPTIONS"} for r in audit_rules)


def test_changing_own_language_is_audited_as_the_user(client, login_as, dbs):
    user_id, email = login_as("viewer")
    post_form(client, "/language", {"locale": "en"}, token_from="/")
    entry = dbs.exec(
        select(AuditEntry).where(AuditEntry.table_name == "users", AuditEntry.action == "update")
    ).one()
    assert (entry.action, entry.row_id, entry.actor_id, entry.actor_label) == (
        "update",
        str(user_id),
        user_id,
        email,
    )
    assert json.loads(entry.changes) == {"locale": [None, "en"]}


def _arrange_history(dbs):
    now = utcnow()
    rows = [
        AuditEntry(
            at=now - timedelta(days=3),
            actor_label="a@example.com",
            action="update",
            table_name="users",
            row_id="7",
            changes='{"name": ["旧", "新"]}',
        ),
        AuditEntry(
            at=now,
            actor_label="b@example.com",
            action="create",
            table_name="users",
            row_id="8",
            changes='{"name": [null, "王五"]}',
        ),
        AuditEntry(
            at=now,
            actor_label="a@example.com",
            action="create",
            table_name="user_roles",
            row_id="8/risk",
            changes='{"role": [null, "risk"]}',
        ),
    ]
    dbs.add_all(rows)
    dbs.commit()
    return now


def _rows(page: str) -> int:
    return page.count("<tr>") - 1  # minus the header row


def test_audit_page_filters_by_record_user_and_date(client, login_as, dbs):
    now = _arrange_history(dbs)
    login_as("risk")
    by_record = client.get("/admin/audit?table=users&row=7").get_data(as_text=True)
    assert _rows(by_record) == 1 and "<del>旧</del>" in by_record and "<ins>新</ins>" in by_record
    by_user = client.get("/admin/audit?user=a@example.com").get_data(as_text=True)
    assert _rows(by_user) == 2 and "王五" not in by_user
    today = clock.local_date(now).isoformat()
    by_date = client.get(f"/admin/audit?date_from={today}&date_to={today}").get_data(as_text=True)
    assert "王五" in by_date and "旧" not in by_date


def test_audit_page_rejects_a_malformed_date_with_a_message(client, login_as, dbs):
    _arrange_history(dbs)
    login_as("admin")
    response = client.get("/admin/audit?date_from=2026-13-45")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "起始日期:" in page and "请更正上方的筛选条件。" in page and "旧" not in page


def test_cli_and_demo_changes_are_audited_under_their_names(app, dbs):
    from fundcrm import db, demo

    with app.app_context():
        demo.seed(db.session(), app.config)
    labels = set(dbs.exec(select(AuditEntry.actor_label)).all())
    assert labels == {"demo"}


def test_the_trail_names_people_and_records_and_reads_values(client, login_as, dbs):
    user_id, email = login_as("admin")
    name = email.split("@")[0]
    post_form(client, "/language", {"locale": "en"}, token_from="/")
    page = client.get(f"/admin/audit?table=users&row={user_id}").get_data(as_text=True)
    shown = " ".join(re.sub(r"<[^>]+>", "", page).split())
    assert f"{name} ({email})" in shown  # the "who" filter, by name
    assert f"{name} updated User {name} Language: — → English" in shown
    assert "locale" not in shown and f"#{user_id}" not in shown
