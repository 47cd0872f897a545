"""The API's rate limit: per token, answered 429 with Retry-After in the API's error shape, and
counted in Redis when several processes serve (the app refuses to start with per-process
counters then). Without Redis the shared-counter test skips, unless FUNDCRM_REQUIRE_SERVICES."""

import os

import pytest

from fundcrm import create_app
from fundcrm.api import serving_workers
from tests.api_fixtures import token_for
from tests.conftest import settings_for_tests

REDIS_URL = os.environ.get("FUNDCRM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


MADE: list = []  # the apps a test made, whose connections are closed after it


@pytest.fixture(autouse=True)
def _close_their_connections():
    """A made app's pool would keep the suite's database open: a later restore refuses that."""
    yield
    while MADE:
        MADE.pop().extensions["fundcrm.engine"].dispose()


def limited_app(app, tmp_path_factory, limit: str, storage: str = "memory://"):
    """An app on the suite's database with its own limit and counters' storage."""
    settings = settings_for_tests(
        tmp_path_factory,
        DATABASE_URL=app.config["DATABASE_URL"],
        API_RATE_LIMIT=limit,
        RATELIMIT_STORAGE_URI=storage,
    )
    made = create_app(settings)
    MADE.append(made)
    return made


def companies(client, secret: str):
    headers = {"Authorization": f"Bearer {secret}", "Accept-Language": "en"}
    return client.get("/api/v1/companies", headers=headers)


def redis_reachable() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as error:
        reason = f"Redis is unreachable at {REDIS_URL}: {error}"
        if os.environ.get("FUNDCRM_REQUIRE_SERVICES"):
            pytest.fail(f"{reason} (FUNDCRM_REQUIRE_SERVICES is set)")
        pytest.skip(reason)


def test_several_workers_with_memory_counters_refuse_to_start(app, tmp_path_factory, monkeypatch):
    monkeypatch.setenv("FUNDCRM_WEB_WORKERS", "3")
    assert serving_workers() == 3
    with pytest.raises(RuntimeError, match="3 worker processes .* FUNDCRM_REDIS_URL"):
        limited_app(app, tmp_path_factory, "600/minute", "memory://")
    started = limited_app(app, tmp_path_factory, "600/minute", REDIS_URL)
    assert started.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
    monkeypatch.setenv("FUNDCRM_WEB_WORKERS", "1")
    assert limited_app(app, tmp_path_factory, "600/minute", "memory://").name


def test_gunicorns_worker_count_is_read_from_its_command_line(monkeypatch):
    monkeypatch.delenv("FUNDCRM_WEB_WORKERS", raising=False)
    monkeypatch.setenv("SERVER_SOFTWARE", "gunicorn/23.0.0")
    for argv, workers in (
        (["gunicorn", "--workers", "4", "fundcrm:create_app()"], 4),
        (["gunicorn", "--workers=2", "x"], 2),
        (["gunicorn", "-w3", "x"], 3),
        (["gunicorn", "x"], 1),
    ):
        monkeypatch.setattr("sys.argv", argv)
        assert serving_workers() == workers, argv
    monkeypatch.setattr("sys.argv", ["gunicorn", "x"])
    monkeypatch.setenv("GUNICORN_CMD_ARGS", "--bind 127.0.0.1:8000 --workers 5")
    assert serving_workers() == 5
    monkeypatch.delenv("GUNICORN_CMD_ARGS")
    monkeypatch.delenv("SERVER_SOFTWARE")
    monkeypatch.setattr("sys.argv", ["waitress-serve", "--workers", "4"])
    assert serving_workers() == 1


def test_a_token_over_its_limit_gets_429_and_another_token_does_not(
    app, tmp_path_factory, make_user
):
    limited = limited_app(app, tmp_path_factory, "3/minute")
    user_id, _ = make_user("manager")
    busy, quiet = token_for(limited, user_id, name="busy"), token_for(limited, user_id, name="q")
    client = limited.test_client()
    answers = [companies(client, busy) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[-1].headers["X-RateLimit-Remaining"] == "0"

    refused = companies(client, busy)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    error = refused.get_json()["error"]
    assert error["code"] == "rate_limited" and "Too many requests" in error["message"]

    assert companies(client, quiet).status_code == 200  # counted per token
    assert companies(client, busy).status_code == 429  # still over


def test_counters_are_shared_through_redis_by_two_app_instances(app, tmp_path_factory, make_user):
    redis_reachable()
    first = limited_app(app, tmp_path_factory, "4/minute", REDIS_URL)
    second = limited_app(app, tmp_path_factory, "4/minute", REDIS_URL)
    user_id, _ = make_user("manager")
    secret = token_for(first, user_id)  # a new token: counters of no earlier run
    one, two = first.test_client(), second.test_client()
    statuses = [companies(client, secret).status_code for client in (one, two, one, two)]
    assert statuses == [200, 200, 200, 200]
    assert companies(one, secret).status_code == 429
    refused = companies(two, secret)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


def test_one_token_is_one_counter_however_bearer_is_spelled(app, tmp_path_factory, make_user):
    limited = limited_app(app, tmp_path_factory, "2/minute")
    user_id, _ = make_user("manager")
    secret = token_for(limited, user_id)
    client = limited.test_client()
    statuses = [
        client.get("/api/v1/companies", headers={"Authorization": f"{scheme} {secret}"}).status_code
        for scheme in ("Bearer", "bearer", "BEARER", "Bearer ", "BeArEr")
    ]
    assert statuses == [200, 200, 429, 429, 429]


def test_refused_tokens_and_bodies_are_counted_too(app, tmp_path_factory, make_user):
    limited = limited_app(app, tmp_path_factory, "2/minute")
    client = limited.test_client()
    unknown = [companies(client, "fcrm_not-a-token").status_code for _ in range(3)]
    assert unknown == [401, 401, 429]
    user_id, _ = make_user("manager")
    secret = token_for(limited, user_id)
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    bodies = [client.post("/api/v1/companies", data=b"{", headers=headers) for _ in range(3)]
    assert [b.status_code for b in bodies] == [400, 400, 429]


def test_an_unreachable_counter_store_lets_requests_through_not_500(
    app, tmp_path_factory, make_user
):
    nowhere = limited_app(app, tmp_path_factory, "600/minute", "redis://127.0.0.1:9/0")
    user_id, _ = make_user("manager")
    answer = companies(nowhere.test_client(), token_for(nowhere, user_id))
    assert answer.status_code == 200 and answer.json["items"] == []


def test_retry_after_is_only_on_a_429(app, tmp_path_factory, make_user):
    limited = limited_app(app, tmp_path_factory, "1/minute")
    user_id, _ = make_user("manager")
    secret = token_for(limited, user_id)
    client = limited.test_client()
    assert "Retry-After" not in companies(client, secret).headers
    assert "Retry-After" in companies(client, secret).headers
