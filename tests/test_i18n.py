from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask_babel import format_date

from fundcrm import ROOT
from tests.conftest import post_form

CATALOGS = ROOT / "fundcrm" / "translations"
LOCALE_DIRS = {"zh_CN": "zh_Hans_CN", "en": "en"}


def _extracted_ids() -> set[str]:
    method_map = [("fundcrm/**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
    found = extract_from_dir(
        str(ROOT),
        method_map=method_map,
        keywords=keywords,
        directory_filter=lambda path: "__pycache__" not in path,
    )
    return {msg[2] if isinstance(msg[2], str) else msg[2][0] for msg in found}


@pytest.mark.parametrize("locale", LOCALE_DIRS)
def test_catalog_translates_every_string(locale):
    folder = CATALOGS / LOCALE_DIRS[locale] / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as handle:
        catalog = read_po(handle)
    translated = {m.id for m in catalog if m.id and m.string and "fuzzy" not in m.flags}
    assert _extracted_ids() - translated == set()


@pytest.mark.parametrize("locale", LOCALE_DIRS)
def test_compiled_catalog_matches_its_source(locale):
    folder = CATALOGS / LOCALE_DIRS[locale] / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as handle:
        source = {m.id: m.string for m in read_po(handle) if m.id and m.string}
    with open(folder / "messages.mo", "rb") as handle:
        compiled = {m.id: m.string for m in read_mo(handle) if m.id}
    assert compiled == source, "run pybabel compile -d fundcrm/translations"


def test_chinese_is_the_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert "重庆 AI 及服务机器人基金" in page and 'lang="zh-CN"' in page


def test_accept_language_picks_english(client):
    page = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.8"}).get_data(
        as_text=True
    )
    assert "Chongqing AI & Service Robot Fund" in page and "Sign in" in page


def test_unsupported_accept_language_falls_back_to_chinese(client):
    page = client.get("/login", headers={"Accept-Language": "fr-FR"}).get_data(as_text=True)
    assert "登录" in page


def test_switch_before_sign_in_is_remembered_in_the_session(client):
    response = post_form(client, "/language", {"locale": "en", "next": "/login"})
    assert response.location == "/login"
    assert "Sign in" in client.get("/login").get_data(as_text=True)


def test_signed_in_choice_is_kept_on_the_account(app, client, login_as):
    user_id, _ = login_as("manager")
    post_form(client, "/language", {"locale": "en"}, token_from="/")
    other_browser = app.test_client()
    from tests.conftest import sign_in

    sign_in(other_browser, user_id)
    assert "Welcome" in other_browser.get("/").get_data(as_text=True)


def test_unknown_language_and_foreign_next_change_nothing(client):
    response = post_form(client, "/language", {"locale": "xx", "next": "https://evil.example/"})
    assert response.location == "/"
    assert "登录" in client.get("/login").get_data(as_text=True)


def test_language_switch_needs_a_csrf_token(client):
    assert client.post("/language", data={"locale": "en"}).status_code == 400


def test_dates_are_formatted_per_language(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert format_date(date(2026, 3, 5)) == "Mar 5, 2026"
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert format_date(date(2026, 3, 5)) == "2026年3月5日"


def test_error_pages_in_both_languages(client, login_as):
    login_as("viewer")
    assert "无权访问" in client.get("/admin/users").get_data(as_text=True)
    assert "页面不存在" in client.get("/no-such-page").get_data(as_text=True)
    post_form(client, "/language", {"locale": "en"}, token_from="/")
    assert "Access denied" in client.get("/admin/users").get_data(as_text=True)
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "Page not found" in response.get_data(as_text=True)


def test_server_error_page_is_friendly_and_translated(tmp_path_factory):
    from fundcrm import create_app
    from tests.conftest import settings_for_tests

    app = create_app(settings_for_tests(tmp_path_factory, PROPAGATE_EXCEPTIONS=False))
    from fundcrm.permissions import public

    app.view_functions["main.healthz"] = public(lambda: 1 / 0)
    response = app.test_client().get("/healthz")
    assert response.status_code == 500 and "出错了" in response.get_data(as_text=True)


def test_no_page_loads_anything_from_outside_the_site(client, login_as):
    login_as("admin")
    for url in ("/", "/admin/users", "/admin/audit", "/account/password"):
        page = client.get(url).get_data(as_text=True)
        assert "http://" not in page and "https://" not in page, url
    assert Path(ROOT / "static/vendor/bootstrap-5.3.8/bootstrap.min.css").exists()
