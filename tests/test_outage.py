"""With the database down, every page answers a 503 page in the user's language, JSON callers
and the health check 503 JSON, and nothing says what the database is or what failed."""

from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from fundcrm import create_app
from tests.conftest import TOKEN_RE, settings_for_tests, sign_in

PAGES = ["/", "/login", "/deals", "/deals/board", "/companies/1", "/admin/users", "/nowhere"]
POSTS = ["/login", "/language", "/deals/new", "/companies/1/edit", "/logout"]
# What an answer must never show: the database's address, driver, SQL or a stack.
LEAKS = [
    "127.0.0.1",
    "5432",
    "sqlite",
    "psycopg",
    "postgres",
    "select",
    "operationalerror",
    "traceback",
    "unreachable.db",
    "connection refused",
    "unable to open",
]


@pytest.fixture(params=["postgresql", "sqlite"])
def down(request, tmp_path_factory):
    """A client of an app whose database cannot be reached: a PostgreSQL port nobody listens
    on, or a SQLite path that is a folder."""
    if request.param == "postgresql":
        url = "postgresql+psycopg://fundcrm@127.0.0.1:9/fundcrm?connect_timeout=1"
    else:
        folder = tmp_path_factory.mktemp("unreachable.db")
        url = f"sqlite:///{folder}"
    app = create_app(settings_for_tests(tmp_path_factory, DATABASE_URL=url))
    return app.test_client()


def signed_in(client):
    """The cookie of a signed-in user (who cannot be looked up while the database is down)."""
    with client.session_transaction() as session:
        session["_user_id"] = "1:a-session-token"
        session["_fresh"] = True


def assert_outage_page(response, english: bool = False) -> str:
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    page = response.get_data(as_text=True)
    assert 'data-code="503"' in page
    if english:
        assert '<html lang="en">' in page and "Service temporarily unavailable" in page
        assert "The database cannot be reached at the moment. Nothing was saved." in page
    else:
        assert '<html lang="zh-CN">' in page and "服务暂时不可用" in page
        assert "暂时无法连接数据库，本次操作未保存任何内容。" in page
    assert [leak for leak in LEAKS if leak in page.lower()] == []
    assert 'id="account-menu"' not in page  # drawn without asking who is signed in
    return page


@pytest.mark.parametrize("url", PAGES)
def test_every_page_answers_503_in_chinese_signed_out_and_in(down, url):
    assert_outage_page(down.get(url))
    signed_in(down)
    assert_outage_page(down.get(url))


def test_english_follows_the_browser_or_the_chosen_language(down):
    assert_outage_page(down.get("/deals", headers={"Accept-Language": "en"}), english=True)
    with down.session_transaction() as session:
        session["_user_id"] = "1:a-session-token"
        session["locale"] = "en"
    assert_outage_page(down.get("/", headers={"Accept-Language": "zh-CN"}), english=True)


@pytest.mark.parametrize("url", POSTS)
def test_posts_answer_503_with_or_without_a_valid_token(down, url):
    page = assert_outage_page(down.post(url, data={"email": "a@example.com"}))
    token = TOKEN_RE.search(page).group(1)  # the outage page's own language switch
    form = {"csrf_token": token, "email": "a@example.com", "password": "x" * 12}
    assert_outage_page(down.post(url, data=form))
    signed_in(down)
    assert_outage_page(down.post(url, data=form))
    assert_outage_page(down.post(url, data={}))  # the permission check comes first


def test_health_check_and_json_callers_get_503_json(down):
    health = down.get("/healthz")
    assert health.status_code == 503
    assert health.get_json() == {"status": "error", "database": "unreachable", "revision": None}
    signed_in(down)
    move = down.post("/deals/1/move", json={"to_stage": "approved"})
    assert move.status_code == 503 and move.get_json()["ok"] is False
    assert move.get_json()["errors"][0].startswith("暂时无法连接数据库")
    for answer in (health, move):
        assert [leak for leak in LEAKS if leak in answer.get_data(as_text=True).lower()] == []


def test_static_files_are_served_during_an_outage(down):
    assert down.get("/static/css/app.css").status_code == 200


@contextmanager
def deals_query_fails(app, error_class, message: str):
    """While inside: the statement reading deals raises `error_class` as the driver would."""
    engine = app.extensions["fundcrm.engine"]

    def fail(_conn, _cursor, statement, *_args):
        if "FROM deals" in statement:
            raise error_class(statement, {}, Exception(message))

    sa.event.listen(engine, "before_cursor_execute", fail)
    try:
        yield
    finally:
        sa.event.remove(engine, "before_cursor_execute", fail)


def test_a_connection_lost_mid_request_gives_503_and_the_next_request_works(app, client, staff):
    """The user is loaded, then the deals query fails: the page is drawn signed out, the
    broken session is dropped, and the database serves the next request as usual."""
    sign_in(client, staff["manager"].id)
    with deals_query_fails(app, sa.exc.OperationalError, "server closed the connection"):
        page = assert_outage_page(client.get("/deals"))
    assert "server closed" not in page
    again = client.get("/deals")
    assert again.status_code == 200 and staff["deal"].deal_ref in again.get_data(as_text=True)


def test_integrity_errors_are_not_taken_for_an_outage(app, client, staff, monkeypatch):
    """A constraint the request broke is the request's fault: not a 503."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    sign_in(client, staff["manager"].id)
    with deals_query_fails(app, sa.exc.IntegrityError, "duplicate key"):
        assert client.get("/deals").status_code == 500


def test_a_busy_database_says_busy_not_unreachable(app, client, staff):
    """SQLite's writer lock held past the busy timeout (or a PostgreSQL deadlock) is a 503
    that says to try again in a moment, not that the database is gone."""
    sign_in(client, staff["manager"].id)
    with deals_query_fails(app, sa.exc.OperationalError, "database is locked"):
        answer = client.get("/deals")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 503 and "数据库正忙" in page and "无法连接" not in page


def test_a_value_the_database_refuses_is_a_400_page_not_a_500(app, client, staff):
    sign_in(client, staff["manager"].id)
    with deals_query_fails(app, sa.exc.DataError, "value too long"):
        answer = client.get("/deals")
    assert answer.status_code == 400 and "未保存任何内容" in answer.get_data(as_text=True)
