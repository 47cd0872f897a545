"""Every response carries the Content-Security-Policy, the referrer policy and one charset;
no template or script relies on what the policy refuses (inline scripts, handlers, styles)."""

import re

import pytest
from flask import render_template_string

from fundcrm import ROOT
from fundcrm.headers import content_security_policy
from fundcrm.permissions import requires
from tests.conftest import csrf_token, sign_in

VENDOR_CSS = "/static/vendor/bootstrap-5.3.8/bootstrap.min.css"
VENDOR_JS = "/static/vendor/bootstrap-5.3.8/bootstrap.bundle.min.js"


def directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {name: sources for name, *sources in parts}


def assert_protected(response) -> None:
    """The headers every answer must carry, whatever it is."""
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"][0] == "'self'"
    assert re.fullmatch(r"'nonce-[\w-]{20,}'", policy["script-src"][1])
    assert len(policy["script-src"]) == 2  # no 'unsafe-inline', 'unsafe-eval' nor hosts
    assert policy["style-src"] == ["'self'"]
    assert "style-src-attr" not in policy and "style-src-elem" not in policy
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'self'"]
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    content_type = response.headers["Content-Type"]
    if content_type.startswith("text/"):
        assert content_type.count("charset=") == 1, content_type
        assert content_type.endswith("charset=utf-8"), content_type
    if content_type.startswith("text/html") and not 300 <= response.status_code < 400:
        page = response.get_data(as_text=True).lower()
        assert page.count("<meta charset") == 1 and "http-equiv" not in page


@pytest.fixture
def admin_client(client, staff):
    sign_in(client, staff["admin"].id)
    return client


def test_pages_forms_and_redirects_carry_the_headers(admin_client, staff):
    deal = staff["deal"]
    for url in ("/", "/deals", "/deals/board", f"/deals/{deal.id}", "/companies/new", "/funds"):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert_protected(response)
    assert_protected(admin_client.get("/login"))  # a redirect home, signed in
    assert_protected(admin_client.post("/language", data={"locale": "en"}))


def test_sign_in_page_carries_the_headers(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert_protected(response)


@pytest.mark.parametrize(
    "url", ["/static/css/app.css", "/static/js/board.js", VENDOR_CSS, VENDOR_JS]
)
def test_static_files_carry_the_headers(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert_protected(response)


def test_json_answers_carry_the_headers(admin_client, staff):
    assert_protected(admin_client.get("/healthz"))
    move = admin_client.post(
        f"/deals/{staff['deal'].id}/move",
        json={"to_stage": "nowhere"},
        headers={"X-CSRFToken": csrf_token(admin_client, "/deals/board")},
    )
    assert move.is_json and move.status_code == 422
    assert_protected(move)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_downloads_carry_the_headers(admin_client, staff, fmt):
    response = admin_client.get(f"/exports/deals.{fmt}")
    assert response.status_code == 200
    assert_protected(response)


def test_error_pages_carry_the_headers(app, client, make_user, monkeypatch):
    user_id, _ = make_user("viewer")
    sign_in(client, user_id)
    assert_protected(_expect(client.get("/no-such-page"), 404))
    assert_protected(_expect(client.get("/admin/users"), 403))
    assert_protected(_expect(client.get("/logout"), 405))
    assert_protected(_expect(client.post("/language", data={"locale": "en"}), 400))  # no token
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 100)
    assert_protected(_expect(client.post("/login", data={"email": "x" * 200}), 413))


def test_the_server_error_page_carries_the_headers(app, admin_client, monkeypatch):
    @requires("use_app")
    def broken():
        raise RuntimeError("a bug")

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setitem(app.view_functions, "main.home", broken)
    assert_protected(_expect(admin_client.get("/"), 500))


def _expect(response, status: int):
    assert response.status_code == status
    assert f'data-code="{status}"' in response.get_data(as_text=True)
    return response


def test_each_response_gets_its_own_nonce_and_templates_can_use_it(app, client):
    nonces = {directives(client.get("/login"))["script-src"][1] for _ in range(3)}
    assert len(nonces) == 3
    with app.test_request_context("/"):
        nonce = render_template_string("{{ csp_nonce() }}")
        assert f"'nonce-{nonce}'" in content_security_policy()


# What the policy refuses, as it would be written in a template or a script.
INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)[^>]*>", re.I),
    "event handler attribute": re.compile(r"""\son[a-z]+\s*=\s*["'{]""", re.I),
    "javascript: address": re.compile(r"javascript:", re.I),
    "style attribute": re.compile(r"""\sstyle\s*=\s*["'{]""", re.I),
    "style element": re.compile(r"<style[\s>]", re.I),
}
OWN_FILES = [
    *sorted((ROOT / "templates").rglob("*.html")),
    *sorted((ROOT / "static" / "js").rglob("*.js")),
]


@pytest.mark.parametrize("path", OWN_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_or_script_needs_what_the_policy_refuses(path):
    text = path.read_text(encoding="utf-8")
    found = {kind: pattern.findall(text) for kind, pattern in INLINE.items()}
    assert {kind: hits for kind, hits in found.items() if hits} == {}


def test_multiline_notes_keep_their_lines_without_a_style_attribute(admin_client, dbs, staff):
    deal = staff["deal"]
    deal.notes = "first line\nsecond line"
    dbs.add(deal)
    dbs.commit()
    page = admin_client.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert 'class="col-sm-8 keep-lines">first line\nsecond line' in page
    assert ".keep-lines { white-space: pre-wrap; }" in (ROOT / "static/css/app.css").read_text()
