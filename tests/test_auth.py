from datetime import timedelta

from sqlmodel import select

from fundcrm.models import LoginThrottle, User, utcnow
from tests.conftest import PASSWORD, csrf_token, post_form

WRONG = "邮箱或密码错误。"
LOCKED = "该邮箱登录失败次数过多，请 15 分钟后再试。"


def login(client, email, password, next_url=None):
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return post_form(client, url, {"email": email, "password": password})


def signed_in(client) -> bool:
    response = client.get("/")
    return response.status_code == 200


def test_login_with_right_password_opens_home(client, make_user):
    _, email = make_user("manager")
    response = login(client, email, PASSWORD)
    assert response.status_code == 302 and response.location == "/"
    assert signed_in(client)


def test_email_is_matched_case_insensitively(client, make_user):
    _, email = make_user("manager")
    assert login(client, email.upper(), PASSWORD).status_code == 302


def test_wrong_email_and_wrong_password_get_the_same_message(client, make_user):
    _, email = make_user("manager")
    wrong_password = login(client, email, "not-the-password").get_data(as_text=True)
    wrong_email = login(client, "nobody@example.com", PASSWORD).get_data(as_text=True)
    assert WRONG in wrong_password and WRONG in wrong_email
    assert not signed_in(client)


def test_five_failures_lock_the_email_even_with_the_right_password(client, make_user, dbs):
    _, email = make_user("manager")
    for _ in range(5):
        assert WRONG in login(client, email, "wrong-password").get_data(as_text=True)
    page = login(client, email, PASSWORD).get_data(as_text=True)
    assert LOCKED in page and WRONG not in page
    assert not signed_in(client)
    throttle = dbs.get(LoginThrottle, email)
    assert throttle.locked_until > utcnow() + timedelta(minutes=14)


def test_unknown_email_is_locked_with_the_same_message(client):
    for _ in range(5):
        login(client, "ghost@example.com", "whatever-password")
    assert LOCKED in login(client, "ghost@example.com", "x").get_data(as_text=True)


def test_four_failures_do_not_lock(client, make_user):
    _, email = make_user("manager")
    for _ in range(4):
        login(client, email, "wrong-password")
    assert login(client, email, PASSWORD).status_code == 302


def test_lock_ends_after_fifteen_minutes(client, make_user, dbs):
    _, email = make_user("manager")
    for _ in range(5):
        login(client, email, "wrong-password")
    throttle = dbs.get(LoginThrottle, email)
    throttle.locked_until = utcnow() - timedelta(seconds=1)  # fifteen minutes have passed
    dbs.commit()
    assert login(client, email, PASSWORD).status_code == 302
    dbs.expire_all()
    assert dbs.get(LoginThrottle, email) is None  # success clears the count


def test_failures_outside_the_window_start_a_new_count(client, make_user, dbs):
    _, email = make_user("manager")
    for _ in range(4):
        login(client, email, "wrong-password")
    throttle = dbs.get(LoginThrottle, email)
    throttle.window_started_at = utcnow() - timedelta(minutes=16)
    dbs.commit()
    login(client, email, "wrong-password")
    assert login(client, email, PASSWORD).status_code == 302


def test_disabled_user_cannot_sign_in(client, make_user):
    _, email = make_user("manager", active=False)
    page = login(client, email, PASSWORD).get_data(as_text=True)
    assert "该账户已停用" in page
    assert not signed_in(client)


def test_disabled_user_loses_an_open_session(client, make_user, dbs):
    user_id, email = make_user("manager")
    login(client, email, PASSWORD)
    dbs.get(User, user_id).active = False
    dbs.commit()
    assert client.get("/").status_code == 302


def test_next_redirects_to_a_path_on_this_site(client, make_user):
    _, email = make_user("admin")
    response = login(client, email, PASSWORD, next_url="/admin/users")
    assert response.location == "/admin/users"


def test_foreign_next_is_ignored(client, make_user):
    _, email = make_user("admin")
    for target in ("https://evil.example.com/", "//evil.example.com/x", "/\\evil.example.com"):
        client.get("/login")  # fresh form
        response = login(client, email, PASSWORD, next_url=target)
        assert response.location == "/", target
        post_form(client, "/logout", {}, token_from="/")


def test_login_without_csrf_token_is_refused(client, make_user, dbs):
    _, email = make_user("manager")
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)
    assert not signed_in(client)


def test_logout_ends_the_session(client, make_user):
    _, email = make_user("manager")
    login(client, email, PASSWORD)
    response = post_form(client, "/logout", {}, token_from="/")
    assert response.location == "/login"
    assert not signed_in(client)


def test_logout_needs_a_csrf_token(client, make_user):
    _, email = make_user("manager")
    login(client, email, PASSWORD)
    assert client.post("/logout").status_code == 400
    assert signed_in(client)


def test_session_cookie_is_httponly_and_samesite(client, make_user):
    _, email = make_user("manager")
    response = login(client, email, PASSWORD)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "fundcrm_session" in c)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def change_password(client, current, new, confirm=None):
    return post_form(
        client,
        "/account/password",
        {
            "current_password": current,
            "password": new,
            "confirm": confirm or new,
        },
    )


def test_change_own_password(client, make_user):
    _, email = make_user("manager")
    login(client, email, PASSWORD)
    assert change_password(client, PASSWORD, "a-new-long-password").status_code == 302
    post_form(client, "/logout", {}, token_from="/")
    assert login(client, email, PASSWORD).status_code == 200  # old one no longer works
    assert login(client, email, "a-new-long-password").status_code == 302


def test_short_new_password_is_refused(client, make_user, dbs):
    user_id, email = make_user("manager")
    login(client, email, PASSWORD)
    before = dbs.get(User, user_id).password_hash
    page = change_password(client, PASSWORD, "short123").get_data(as_text=True)
    assert "密码至少需要 10 个字符。" in page
    dbs.expire_all()
    assert dbs.get(User, user_id).password_hash == before


def test_wrong_current_password_and_mismatch_are_refused(client, make_user):
    _, email = make_user("manager")
    login(client, email, PASSWORD)
    assert "当前密码不正确。" in change_password(client, "nope", "a-new-long-password").get_data(
        as_text=True
    )
    page = change_password(client, PASSWORD, "a-new-long-password", "another-long-one")
    assert "两次输入的密码不一致。" in page.get_data(as_text=True)


def test_login_page_has_a_token_for_signed_out_users(client):
    assert csrf_token(client)


def test_failed_logins_write_no_audit_records(client, dbs):
    from fundcrm.models import AuditEntry

    login(client, "ghost@example.com", "whatever")
    assert dbs.exec(select(AuditEntry)).all() == []
