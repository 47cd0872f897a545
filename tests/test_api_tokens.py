"""Personal API tokens on the user's own page (/account/tokens) and with `fundcrm tokens`: the
secret shown once, only one's own tokens listed and revocable, bad input refused per field."""

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from fundcrm.auth.tokens import digest
from fundcrm.models import ApiToken, AuditEntry
from tests.conftest import csrf_token, post_form, sign_in
from tests.test_cli import run

PAGE = "/account/tokens"


def _tokens(dbs, user_id=None) -> list[ApiToken]:
    dbs.expire_all()
    query = select(ApiToken).order_by(ApiToken.id)
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return list(dbs.exec(query).all())


def _api(client, secret: str):
    headers = {"Authorization": f"Bearer {secret}", "Accept-Language": "en"}
    return client.get("/api/v1/companies", headers=headers)


def _in_english(client):
    with client.session_transaction() as session:
        session["locale"] = "en"


# -- the page -------------------------------------------------------------------------------


def test_a_new_token_is_shown_once_and_signs_in_to_the_api(app, client, login_as, dbs):
    user_id, _email = login_as("manager")
    _in_english(client)
    page = client.get(PAGE).get_data(as_text=True)
    assert 'name="expires_days"' in page and 'value="90"' in page  # API_TOKEN_DAYS offered
    assert "You have no API token yet." in page

    answer = post_form(client, PAGE, {"name": "monthly export", "expires_days": "30"})
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    shown = answer.get_data(as_text=True)
    (token,) = _tokens(dbs, user_id)
    secret = shown.split('id="new-token-secret">')[1].split("<")[0]
    assert secret.startswith("fcrm_") and digest(secret) == token.token_hash
    assert token.prefix == secret[:12] and token.name == "monthly export"
    assert token.expires_at - token.created_at == timedelta(days=30)
    assert secret not in token.token_hash and "monthly export" in shown

    with client.session_transaction() as session:  # nothing of it in the cookie session
        assert secret not in repr(dict(session))
    again = client.get(PAGE).get_data(as_text=True)
    assert secret not in again and token.prefix in again and "active" in again

    api = _api(app.test_client(), secret)
    assert api.status_code == 200 and api.get_json()["items"] == []


def test_every_signed_in_role_has_the_page_and_sees_only_its_own_tokens(app, client, make_user):
    from tests.api_fixtures import token_for

    other, _ = make_user("admin")
    token_for(app, other, name="the admin's script")
    for role in ("viewer", "risk", "ic_member"):
        user_id, _ = make_user(role)
        sign_in(client, user_id)
        token_for(app, user_id, name=f"{role} notebook")
        page = client.get(PAGE).get_data(as_text=True)
        assert f"{role} notebook" in page and "the admin&#39;s script" not in page
    signed_out = app.test_client().get(PAGE)
    assert signed_out.status_code == 302 and "/login" in signed_out.headers["Location"]


def test_bad_input_is_refused_under_its_field_and_nothing_is_made(client, login_as, dbs):
    user_id, _ = login_as("manager")
    _in_english(client)
    cases = [
        ({"name": "", "expires_days": "30"}, "Give the token a name"),
        ({"name": "   ", "expires_days": "30"}, "Give the token a name"),
        ({"name": "x" * 101, "expires_days": "30"}, "at most 100 characters"),
        ({"name": "ok", "expires_days": "0"}, "1 to 3650 days"),
        ({"name": "ok", "expires_days": "3651"}, "1 to 3650 days"),
        ({"name": "ok", "expires_days": "-5"}, "1 to 3650 days"),
        ({"name": "ok", "expires_days": "soon"}, "Not a valid integer"),
        ({"name": "ok", "expires_days": ""}, "after how many days"),
    ]
    for data, message in cases:
        answer = post_form(client, PAGE, data)
        page = answer.get_data(as_text=True)
        assert answer.status_code == 200 and message in page, (data, page[-3000:])
        assert "is-invalid" in page and 'id="new-token"' not in page, data
    assert _tokens(dbs, user_id) == []


def test_the_list_shows_times_in_the_funds_time_zone_and_each_state(app, client, login_as, dbs):
    user_id, _ = login_as("manager")
    _in_english(client)
    created = datetime(2026, 1, 1, 16, 30, tzinfo=UTC)  # 2 January 00:30 in Chongqing
    rows = {
        "live one": (None, datetime(2099, 1, 1, tzinfo=UTC)),
        "revoked one": (created + timedelta(hours=1), None),
        "old one": (None, datetime(2026, 1, 2, tzinfo=UTC)),
    }
    for name, (revoked, expires) in rows.items():
        dbs.add(
            ApiToken(
                user_id=user_id,
                name=name,
                token_hash=digest(name),
                prefix="fcrm_" + name[:4],
                created_at=created,
                expires_at=expires,
                revoked_at=revoked,
            )
        )
    dbs.commit()
    page = client.get(PAGE).get_data(as_text=True)
    for name, state in (("live one", "active"), ("revoked one", "revoked"), ("old one", "expired")):
        row = page.split(f"<td>{name}</td>")[1].split("</tr>")[0]
        assert "1/2/26" in row and "12:30" in row, row  # created, in Asia/Shanghai
        assert f">{state}" in row, row
        assert ("Revoke" in row) == (state != "revoked"), row


def test_revoking_ones_own_token_stops_it_at_once(app, client, login_as, dbs):
    from tests.api_fixtures import token_for

    user_id, _ = login_as("manager")
    own_secret = token_for(app, user_id, name="mine")
    (own,) = _tokens(dbs, user_id)

    refused = client.post(f"{PAGE}/{own.id}/revoke")  # no CSRF token: a forged form
    assert refused.status_code == 400 and _tokens(dbs, user_id)[0].revoked_at is None

    done = post_form(client, f"{PAGE}/{own.id}/revoke", {}, token_from=PAGE)
    assert done.status_code == 302 and done.headers["Location"].endswith(PAGE)
    assert _tokens(dbs, user_id)[0].revoked_at is not None
    answer = _api(app.test_client(), own_secret)
    assert answer.status_code == 401 and "revoked" in answer.get_json()["error"]["message"]


def test_another_users_token_cannot_be_revoked(app, client, make_user, dbs):
    from tests.api_fixtures import token_for

    owner, _ = make_user("manager")
    secret = token_for(app, owner, name="theirs")
    (theirs,) = _tokens(dbs, owner)
    intruder, _ = make_user("admin")
    sign_in(client, intruder)
    answer = client.post(
        f"{PAGE}/{theirs.id}/revoke", data={"csrf_token": csrf_token(client, PAGE)}
    )
    assert answer.status_code == 403  # even an administrator: a token is its user's only
    assert _tokens(dbs, owner)[0].revoked_at is None
    assert _api(app.test_client(), secret).status_code == 200
    missing = client.post(f"{PAGE}/999999/revoke", data={"csrf_token": csrf_token(client, PAGE)})
    assert missing.status_code == 404


# -- the command ----------------------------------------------------------------------------


def test_cli_create_prints_the_secret_alone_and_audits_as_cli(app, make_user, dbs):
    user_id, email = make_user("manager")
    result = run(app, "tokens", "create", email, "--name", "nightly sync")
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert secret.startswith("fcrm_") and "\n" not in secret and " " not in secret
    assert "shown this once" in result.stderr and secret not in result.stderr
    (token,) = _tokens(dbs, user_id)
    assert (token.name, token.token_hash) == ("nightly sync", digest(secret))
    assert token.expires_at - token.created_at == timedelta(days=app.config["API_TOKEN_DAYS"])
    labels = set(
        dbs.exec(select(AuditEntry.actor_label).where(AuditEntry.table_name == "api_tokens"))
    )
    assert labels == {"cli"}
    assert _api(app.test_client(), secret).status_code == 200


def test_cli_create_audits_as_the_as_user_and_takes_the_expiry(app, make_user, dbs):
    user_id, email = make_user("viewer")
    _admin, admin_email = make_user("admin")
    result = run(app, "tokens", "create", email, "--expires-days", "7", "--as", admin_email)
    assert result.exit_code == 0, result.output
    (token,) = _tokens(dbs, user_id)
    assert token.expires_at - token.created_at == timedelta(days=7)
    labels = set(
        dbs.exec(select(AuditEntry.actor_label).where(AuditEntry.table_name == "api_tokens"))
    )
    assert labels == {admin_email}


def test_cli_refusals_exit_1_with_the_reason_and_make_nothing(app, make_user, dbs):
    _id, email = make_user("manager")
    _off, disabled = make_user("manager", active=False)
    cases = [
        (["create", "nobody@example.com"], "No user has the email nobody@example.com"),
        (["create", email, "--expires-days", "0"], "1 to 3650 days"),
        (["create", email, "--expires-days", "4000"], "1 to 3650 days"),
        (["create", email, "--name", " "], "Give the token a name"),
        (["create", email, "--name", "x" * 101], "at most 100 characters"),
        (["create", email, "--as", "ghost@example.com"], "ghost@example.com"),
        (["create", disabled], "is disabled"),
        (["list", "nobody@example.com"], "No user has the email"),
        (["revoke", email, "12345"], "has no token 12345"),
    ]
    for args, message in cases:
        result = run(app, "tokens", *args)
        assert result.exit_code == 1 and message in result.output, (args, result.output)
    assert _tokens(dbs) == []


def test_cli_list_and_revoke_only_the_users_own_tokens(app, make_user, dbs):
    user_id, email = make_user("manager")
    other_id, other_email = make_user("manager")
    secret = run(app, "tokens", "create", email, "--name", "bi tool").stdout.strip()
    run(app, "tokens", "create", other_email, "--name", "their tool")
    (mine,) = _tokens(dbs, user_id)
    (theirs,) = _tokens(dbs, other_id)

    listed = run(app, "tokens", "list", email)
    assert listed.exit_code == 0, listed.output
    assert "bi tool" in listed.output and mine.prefix in listed.output
    assert "active" in listed.output and "their tool" not in listed.output

    refused = run(app, "tokens", "revoke", email, str(theirs.id))
    assert refused.exit_code == 1 and f"has no token {theirs.id}" in refused.output
    assert _tokens(dbs, other_id)[0].revoked_at is None

    done = run(app, "tokens", "revoke", email, str(mine.id))
    assert done.exit_code == 0 and "Revoked token" in done.output, done.output
    assert _tokens(dbs, user_id)[0].revoked_at is not None
    assert _api(app.test_client(), secret).status_code == 401
    assert "revoked" in run(app, "tokens", "list", email).output
    assert run(app, "tokens", "list", other_email).output.count("active") == 1
    _empty, empty_email = make_user("viewer")
    assert "has no API token" in run(app, "tokens", "list", empty_email).output
