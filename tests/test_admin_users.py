import json

from sqlmodel import select

from fundcrm.models import AuditEntry, User
from tests.conftest import PASSWORD, post_form


def create(client, **fields):
    data = {
        "email": "new.manager@example.com",
        "name": "新经理",
        "roles": ["manager"],
        "password": "long-enough-pw",
        **fields,
    }
    return post_form(client, "/admin/users/new", data)


def users(dbs):
    dbs.expire_all()
    return {u.email: u for u in dbs.exec(select(User)).all()}


def test_admin_creates_a_user_with_two_roles(client, login_as, dbs):
    login_as("admin")
    response = create(client, roles=["manager", "ic_member"])
    assert response.status_code == 302
    created = users(dbs)["new.manager@example.com"]
    assert created.role_codes == {"manager", "ic_member"} and created.name == "新经理"
    assert "new.manager@example.com" in client.get("/admin/users").get_data(as_text=True)


def test_creating_a_user_leaves_exactly_the_expected_audit_records(client, login_as, dbs):
    admin_id, admin_email = login_as("admin")
    before = dbs.exec(select(AuditEntry)).all()
    create(client)
    new = [e for e in dbs.exec(select(AuditEntry)).all() if e not in before]
    created = users(dbs)["new.manager@example.com"]
    assert sorted((e.action, e.table_name, e.row_id) for e in new) == [
        ("create", "user_roles", f"{created.id}/manager"),
        ("create", "users", str(created.id)),
    ]
    user_entry = next(e for e in new if e.table_name == "users")
    assert user_entry.actor_id == admin_id and user_entry.actor_label == admin_email
    changes = json.loads(user_entry.changes)
    assert changes["email"] == [None, "new.manager@example.com"]
    assert changes["password_hash"] == [None, "***"]  # never the hash itself


def test_duplicate_email_is_refused_and_nothing_written(client, login_as, make_user, dbs):
    make_user("manager", email="taken@example.com")
    login_as("admin")
    count = len(users(dbs))
    page = create(client, email="Taken@Example.com").get_data(as_text=True)
    assert "该邮箱已有账户。" in page
    assert len(users(dbs)) == count


def test_short_password_unknown_role_and_no_role_are_refused(client, login_as, dbs):
    login_as("admin")
    count = len(users(dbs))
    assert "密码至少需要 10 个字符。" in create(client, password="short").get_data(as_text=True)
    assert "未知角色：superuser" in create(client, roles=["superuser"]).get_data(as_text=True)
    assert "请至少选择一个角色。" in create(client, roles=[]).get_data(as_text=True)
    assert "无效的 Email 地址" in create(client, email="not-an-email").get_data(as_text=True)
    assert len(users(dbs)) == count


def test_admin_disables_a_user_and_changes_roles(client, login_as, make_user, dbs):
    login_as("admin")
    user_id, email = make_user("manager")
    response = post_form(
        client, f"/admin/users/{user_id}", {"name": "改名", "roles": ["risk"], "active": ""}
    )
    assert response.status_code == 302
    user = users(dbs)[email]
    assert not user.active and user.role_codes == {"risk"} and user.name == "改名"
    update = dbs.exec(
        select(AuditEntry).where(
            AuditEntry.table_name == "users",
            AuditEntry.row_id == str(user_id),
            AuditEntry.action == "update",
        )
    ).one()
    assert json.loads(update.changes) == {
        "active": [True, False],
        "name": [email.split("@")[0], "改名"],
        "session_token": ["***", "***"],  # the user's open sessions end, the token never shown
    }


def test_admin_sets_a_new_password(client, login_as, make_user, dbs):
    login_as("admin")
    user_id, email = make_user("manager")
    before = users(dbs)[email].password_hash
    post_form(
        client,
        f"/admin/users/{user_id}",
        {"name": "x", "roles": ["manager"], "active": "y", "password": "brand-new-password"},
    )
    assert users(dbs)[email].password_hash != before


def test_the_last_admin_cannot_be_disabled_or_demoted(client, login_as, dbs):
    admin_id, email = login_as("admin")
    page = post_form(
        client, f"/admin/users/{admin_id}", {"name": "x", "roles": ["manager"], "active": "y"}
    ).get_data(as_text=True)
    assert "最后一位启用中的系统管理员" in page
    assert users(dbs)[email].role_codes == {"admin"}


def test_unknown_user_is_404(client, login_as):
    login_as("admin")
    assert client.get("/admin/users/999999").status_code == 404


def test_admin_password_reset_ends_the_users_sessions(app, client, login_as, make_user, dbs):
    login_as("admin")
    user_id, email = make_user("manager")
    users_browser = app.test_client()
    post_form(users_browser, "/login", {"email": email, "password": PASSWORD})
    assert users_browser.get("/").status_code == 200
    post_form(
        client,
        f"/admin/users/{user_id}",
        {"name": "x", "roles": ["manager"], "active": "y", "password": "brand-new-password"},
    )
    response = users_browser.get("/")
    assert response.status_code == 302 and response.location.startswith("/login")
    assert client.get("/admin/users").status_code == 200  # the administrator stays signed in


def test_admin_resetting_their_own_password_stays_signed_in(app, client, login_as, dbs):
    admin_id, email = login_as("admin")
    other_browser = app.test_client()
    post_form(other_browser, "/login", {"email": email, "password": PASSWORD})
    response = post_form(
        client,
        f"/admin/users/{admin_id}",
        {"name": "x", "roles": ["admin"], "active": "y", "password": "brand-new-password"},
    )
    assert response.status_code == 302
    assert client.get("/admin/users").status_code == 200
    assert other_browser.get("/").status_code == 302


def test_disabling_and_enabling_again_does_not_revive_old_sessions(
    app, client, login_as, make_user
):
    login_as("admin")
    user_id, email = make_user("manager")
    users_browser = app.test_client()
    post_form(users_browser, "/login", {"email": email, "password": PASSWORD})
    for active in ("", "y"):
        form = {"name": "x", "roles": ["manager"], "active": active}
        assert post_form(client, f"/admin/users/{user_id}", form).status_code == 302
    assert users_browser.get("/").status_code == 302
