import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlmodel import select

from fundcrm.auth import services
from fundcrm.models import AuditEntry, LoginThrottle, User, utcnow
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


def test_signing_out_ends_the_users_sessions_in_every_browser(app, client, make_user, dbs):
    user_id, email = make_user("manager")
    other_browser = app.test_client()
    login(client, email, PASSWORD)
    login(other_browser, email, PASSWORD)
    post_form(client, "/logout", {}, token_from="/")
    response = other_browser.get("/")
    assert response.status_code == 302 and response.location.startswith("/login")
    entry = dbs.exec(
        select(AuditEntry).where(AuditEntry.table_name == "users", AuditEntry.action == "update")
    ).one()
    assert entry.actor_id == user_id and entry.row_id == str(user_id)
    assert json.loads(entry.changes) == {"session_token": ["***", "***"]}  # never the token


def test_a_browser_signed_out_elsewhere_can_sign_in_again(app, client, make_user):
    _, email = make_user("manager")
    other_browser = app.test_client()
    login(client, email, PASSWORD)
    login(other_browser, email, PASSWORD)
    post_form(other_browser, "/logout", {}, token_from="/")
    assert login(client, email, PASSWORD).status_code == 302  # its stale cookie is no obstacle
    assert signed_in(client)


def test_password_change_keeps_this_browser_and_ends_the_others(app, client, make_user):
    _, email = make_user("manager")
    other_browser = app.test_client()
    login(client, email, PASSWORD)
    login(other_browser, email, PASSWORD)
    assert change_password(client, PASSWORD, "a-new-long-password").status_code == 302
    assert signed_in(client)
    assert other_browser.get("/").status_code == 302


def test_a_session_without_the_current_token_is_refused(app, make_user, dbs):
    from fundcrm.auth import load_user

    user_id, _ = make_user("manager")
    token = dbs.get(User, user_id).session_token
    with app.test_request_context():
        assert load_user(f"{user_id}:{token}").id == user_id
        assert load_user(f"{user_id}:x") is None
        assert load_user(str(user_id)) is None  # what sessions carried before tokens


def count_hash_checks(monkeypatch, delay: float = 0.0) -> list[str]:
    """The hashes sign-in checks passwords against, one per check (threads included)."""
    checked = []
    real = services.check_password_hash

    def counting(pwhash, password):
        checked.append(pwhash)
        time.sleep(delay)  # keeps simultaneous attempts overlapping
        return real(pwhash, password)

    monkeypatch.setattr(services, "check_password_hash", counting)
    return checked


def test_sign_in_checks_exactly_one_hash_whether_or_not_the_email_exists(
    app, client, make_user, monkeypatch
):
    _, email = make_user("manager")
    checked = count_hash_checks(monkeypatch)
    assert WRONG in login(client, "ghost@example.com", PASSWORD).get_data(as_text=True)
    assert len(checked) == 1
    assert checked[0].startswith(app.config["PASSWORD_HASH_METHOD"] + "$")  # a real hash
    assert WRONG in login(client, email, "wrong-password").get_data(as_text=True)
    assert login(client, email, PASSWORD).status_code == 302
    assert len(checked) == 3


def test_thirty_simultaneous_wrong_passwords_check_at_most_five(app, make_user, dbs, monkeypatch):
    _, email = make_user("manager")
    checked = count_hash_checks(monkeypatch, delay=0.05)
    browsers = [app.test_client() for _ in range(30)]
    tokens = [csrf_token(browser) for browser in browsers]
    start = threading.Barrier(len(browsers))

    def attempt(i):
        start.wait()
        form = {"email": email, "password": "wrong-password", "csrf_token": tokens[i]}
        return browsers[i].post("/login", data=form).get_data(as_text=True)

    with ThreadPoolExecutor(len(browsers)) as pool:
        pages = list(pool.map(attempt, range(len(browsers))))
    assert len(checked) == app.config["LOGIN_MAX_FAILURES"] == 5
    assert sum(WRONG in page for page in pages) == 5
    assert sum(LOCKED in page for page in pages) == 25
    assert dbs.get(LoginThrottle, email).locked_until > utcnow() + timedelta(minutes=14)
    assert LOCKED in login(browsers[0], email, PASSWORD).get_data(as_text=True)
    assert len(checked) == 5  # the locked email is refused without checking any hash


def test_a_remember_me_cookie_ends_with_the_sessions(app, make_user, dbs):
    from flask_login.utils import encode_cookie

    user_id, email = make_user("manager")
    with app.app_context():
        cookie = encode_cookie(dbs.get(User, user_id).get_id())
    remembered = app.test_client()
    remembered.set_cookie(app.config.get("REMEMBER_COOKIE_NAME", "remember_token"), cookie)
    assert signed_in(remembered)
    browser = app.test_client()
    login(browser, email, PASSWORD)
    post_form(browser, "/logout", {}, token_from="/")
    assert not signed_in(remembered)


def test_upgrading_gives_every_existing_user_a_token_of_their_own(app):
    import sqlalchemy as sa

    from fundcrm import migrate
    from fundcrm.models.base import UTCDateTime

    engine = app.extensions["fundcrm.engine"]
    users = sa.table(
        "users",
        *(sa.column(name) for name in ("id", "email", "name", "password_hash", "active")),
        sa.column("created_at", UTCDateTime()),
    )
    roles = sa.table("user_roles", sa.column("user_id"), sa.column("role"))
    migrate.drop_everything(engine)
    try:
        migrate.upgrade(engine, "0004")
        with engine.begin() as connection:
            for user_id in (1, 2):
                connection.execute(
                    users.insert().values(
                        id=user_id,
                        email=f"u{user_id}@example.com",
                        name="u",
                        password_hash="x",
                        active=True,
                        created_at=utcnow(),
                    )
                )
                connection.execute(roles.insert().values(user_id=user_id, role="manager"))
        migrate.upgrade(engine)
        with engine.connect() as connection:
            tokens = connection.execute(sa.text("SELECT session_token FROM users")).scalars().all()
            kept = connection.execute(sa.text("SELECT count(*) FROM user_roles")).scalar_one()
        assert len(set(tokens)) == 2 and all(len(token) >= 40 for token in tokens)
        assert kept == 2
    finally:
        migrate.drop_everything(engine)
        migrate.upgrade(engine)
