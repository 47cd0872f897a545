import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from fundcrm import clock, migrate
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


def _entry(entry_id, action, table, row_id, changes) -> dict:
    return {
        "id": entry_id,
        "at": utcnow(),
        "actor_id": None,
        "actor_label": "cli",
        "action": action,
        "table_name": table,
        "row_id": row_id,
        "changes": json.dumps(changes),
    }


@pytest.mark.filterwarnings("ignore:.*expression-based index")  # see tests/test_schema.py
def test_the_migration_gives_existing_entries_of_parts_their_parent(app):
    engine = app.extensions["fundcrm.engine"]
    migrate.drop_everything(engine)
    try:
        migrate.upgrade(engine, "0006")
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO companies (id, name, name_key, uscc, focus_area,"
                    " enterprise_stage, created_at, version) VALUES (5, '星河智能', '星河智能',"
                    " '91310000MA1FL00000', 'ai', 'growth', :at, 1)"
                ),
                {"at": utcnow()},
            )
            connection.execute(
                sa.text("INSERT INTO contacts (id, company_id, name) VALUES (8, 5, '王芳')")
            )
            log = sa.table(
                "audit_log",
                *(
                    sa.column(c)
                    for c in ("id", "at", "actor_id", "actor_label", "action")
                    + ("table_name", "row_id", "changes")
                ),
            )
            connection.execute(
                log.insert(),
                [
                    _entry(1, "create", "contacts", "8", {"company_id": [None, 5]}),
                    _entry(2, "update", "contacts", "8", {"title": [None, "CFO"]}),
                    _entry(3, "create", "contacts", "9", {"company_id": [None, 6]}),
                    _entry(4, "update", "contacts", "9", {"title": [None, "CEO"]}),
                    _entry(5, "delete", "contacts", "9", {"company_id": [6, None]}),
                    _entry(6, "delete", "deal_sub_funds", "11", {"deal_id": [3, None]}),
                    _entry(7, "create", "company_fields", "5/ai", {"field": [None, "ai"]}),
                    _entry(8, "delete", "deal_team", "3/4", {"user_id": [4, None]}),
                    _entry(9, "update", "companies", "5", {"city": [None, "上海"]}),
                ],
            )
        migrate.upgrade(engine)
        with engine.connect() as connection:
            parents = connection.execute(
                sa.text("SELECT id, parent_table, parent_id FROM audit_log ORDER BY id")
            ).all()
        assert [tuple(row) for row in parents] == [
            (1, "companies", "5"),
            (2, "companies", "5"),  # from the live contact
            (3, "companies", "6"),
            (4, "companies", "6"),  # a contact deleted since: from its create entry
            (5, "companies", "6"),
            (6, "deals", "3"),
            (7, "companies", "5"),  # from the key
            (8, "deals", "3"),
            (9, None, None),  # a whole record has no parent
        ]
    finally:
        migrate.drop_everything(engine)
        migrate.upgrade(engine)


def test_entries_of_a_records_parts_name_the_record(app, staff, dbs):
    """The flush hook and the bulk import's entries alike: a part's entry carries its parent,
    a whole record's none."""
    from fundcrm import audit
    from fundcrm.models import CompanyField

    company, deal = staff["company"], staff["deal"]
    parents = {
        (e.table_name, e.parent_table, e.parent_id)
        for e in dbs.exec(select(AuditEntry).where(AuditEntry.action == "create")).all()
    }
    assert ("deal_sub_funds", "deals", str(deal.id)) in parents
    assert ("deal_team", "deals", str(deal.id)) in parents
    assert ("stage_moves", "deals", str(deal.id)) in parents
    assert ("contacts", "companies", str(company.id)) in parents
    assert ("deals", None, None) in parents and ("companies", None, None) in parents
    (bulk,) = audit.created_entries(
        dbs, CompanyField.__table__, [{"company_id": company.id, "field": "medical"}]
    )
    assert (bulk["row_id"], bulk["parent_table"], bulk["parent_id"]) == (
        f"{company.id}/medical",
        "companies",
        str(company.id),
    )
