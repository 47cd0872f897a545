"""The API's common ground: tokens, the error shape, bodies, money as text, the description."""

import json

import pytest
from sqlmodel import select

from tests.api_fixtures import ApiClient, token_for

COMPANY = {
    "name": "重庆智元机器人有限公司",
    "uscc": "914403001922038216",
    "focus_area": "embodied_ai",
    "enterprise_stage": "growth",
    "district": "渝北区",
}


def test_a_token_reads_and_writes_as_its_user(api_as):
    api, _user = api_as("manager")
    created = api.post("/companies", json=COMPANY)
    assert created.status_code == 201, created.json
    body = created.json
    assert body["name"] == COMPANY["name"] and body["version"] == 1
    listed = api.get("/companies").json
    assert [c["uscc"] for c in listed["items"]] == [COMPANY["uscc"]]
    assert listed["page"] == {
        "page": 1,
        "per_page": 50,
        "total": 1,
        "total_capped": False,
        "has_next": False,
    }


def test_no_token_is_401_and_a_session_cookie_does_not_count(app, client, login_as):
    login_as("admin")  # a browser session: the API ignores it
    response = client.get("/api/v1/companies")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_revoked_expired_and_disabled_tokens_are_refused(app, make_user, dbs):
    from datetime import timedelta

    from fundcrm.models import ApiToken, User
    from fundcrm.models.base import utcnow

    user_id, _email = make_user("manager")
    secret = token_for(app, user_id)
    client = app.test_client()
    ok = ApiClient(client, secret).get("/companies")
    assert ok.status_code == 200
    assert ApiClient(client, secret + "x").get("/companies").json["error"]["code"] == (
        "token_refused"
    )
    token = dbs.exec(select(ApiToken).where(ApiToken.user_id == user_id)).one()
    token.expires_at = utcnow() - timedelta(seconds=1)
    dbs.commit()
    expired = ApiClient(client, secret).get("/companies")
    assert expired.status_code == 401 and "expired" in expired.json["error"]["message"]
    token.expires_at = None
    dbs.get(User, user_id).active = False
    dbs.commit()
    disabled = ApiClient(client, secret).get("/companies")
    assert disabled.status_code == 401 and "disabled" in disabled.json["error"]["message"]


def test_malformed_and_wrong_bodies_get_400_and_write_nothing(api_as):
    api, _user = api_as("manager")
    bad = [
        ({"data": b"{not json", "content_type": "application/json"}, "malformed_json"),
        ({"data": b"[1, 2]", "content_type": "application/json"}, "malformed_json"),
        ({"data": b'{"headcount": NaN}', "content_type": "application/json"}, "malformed_json"),
        ({"data": b"name=x", "content_type": "application/x-www-form-urlencoded"}, "not_json"),
        ({"json": {**COMPANY, "colour": "red"}}, "validation_failed"),
        ({"json": {**COMPANY, "focus_area": "biotech"}}, "validation_failed"),
        ({"json": {**COMPANY, "headcount": "many"}}, "validation_failed"),
        ({"json": {k: v for k, v in COMPANY.items() if k != "name"}}, "validation_failed"),
    ]
    for kwargs, code in bad:
        response = api.post("/companies", **kwargs)
        assert response.status_code == 400, (kwargs, response.json)
        assert response.json["error"]["code"] == code, (kwargs, response.json)
    unknown = api.post("/companies", json={**COMPANY, "colour": "red"}).json["error"]["fields"]
    assert "colour" in unknown
    assert api.get("/companies").json["page"]["total"] == 0


def test_a_body_over_the_limit_is_413(app, api_as):
    api, _user = api_as("manager")
    size = app.config["API_MAX_BODY_KB"] * 1024 + 1
    response = api.post("/companies", json={**COMPANY, "description": "字" * size})
    assert response.status_code == 413 and response.json["error"]["code"] == "too_large"


@pytest.mark.parametrize("language, word", [("zh-CN", "未知字段"), ("en", "Unknown field")])
def test_field_messages_speak_the_requests_language(api_as, language, word):
    api, _user = api_as("manager", language=language)
    response = api.post("/companies", json={**COMPANY, "colour": "red"})
    assert word in response.json["error"]["fields"]["colour"]


def test_unknown_addresses_and_methods_answer_json(api_as):
    api, _user = api_as("manager")
    assert api.get("/nothing-here").json["error"]["code"] == "not_found"
    missing = api.get("/companies/999999")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    wrong = api.call("DELETE", "/companies")
    assert wrong.status_code == 405 and "GET" in wrong.headers["Allow"]


def test_the_description_is_openapi_3_1_and_public(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.1")
    operations = [op for path in document["paths"].values() for op in path.values()]
    assert operations
    for op in operations:
        assert "429" in op["responses"] and "Retry-After" in op["responses"]["429"]["headers"]
        assert "401" in op["responses"]


def test_an_update_cannot_empty_a_required_field_and_a_stale_version_is_409(api_as):
    api, _user = api_as("manager")
    company = api.post("/companies", json=COMPANY).json
    emptied = api.patch(f"/companies/{company['id']}", json={"version": 1, "name": None})
    assert emptied.status_code == 400 and "name" in emptied.json["error"]["fields"]
    renamed = api.patch(f"/companies/{company['id']}", json={"version": 1, "headcount": 120})
    assert renamed.status_code == 200 and renamed.json["version"] == 2
    assert renamed.json["name"] == COMPANY["name"] and renamed.json["headcount"] == 120
    stale = api.patch(f"/companies/{company['id']}", json={"version": 1, "headcount": 7})
    assert stale.status_code == 409
    assert stale.json["error"]["current"]["version"] == 2
    assert stale.json["error"]["current"]["headcount"] == 120


def test_money_as_a_json_number_is_refused(api_as):
    from pydantic import TypeAdapter, ValidationError

    from fundcrm.api.fields import WanIn

    adapter = TypeAdapter(WanIn)
    assert str(adapter.validate_python("1200.5")) == "12005000.00"
    assert str(adapter.validate_python("0.000001")) == "0.01"
    for bad in (1200.5, 1200, "1e3", "-5", "0.0000001", True, "1,200.5", " 12 ", "", "１２"):
        with pytest.raises(ValidationError):
            adapter.validate_python(bad)


def test_a_write_through_the_api_is_audited_as_the_tokens_user(api_as, dbs):
    from fundcrm.models import AuditEntry

    api, user_id = api_as("manager")
    company = api.post("/companies", json=COMPANY).json
    entries = dbs.exec(
        select(AuditEntry).where(
            AuditEntry.table_name == "companies", AuditEntry.row_id == str(company["id"])
        )
    ).all()
    assert [(e.action, e.actor_id) for e in entries] == [("create", user_id)]
    tokens = dbs.exec(select(AuditEntry).where(AuditEntry.table_name == "api_tokens")).all()
    assert tokens, "making a token is audited"
    assert all(json.loads(e.changes)["token_hash"][1] == "***" for e in tokens)
