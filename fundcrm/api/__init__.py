"""JSON API v1 (README "JSON API"): personal tokens, the same services as the web pages, one
error shape, an OpenAPI 3.1 description generated from the request models."""

import json
import os
import shlex
import sys

from flask import Blueprint, Flask, current_app, g, request
from flask_babel import gettext as _
from flask_limiter import Limiter
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from fundcrm.api.errors import ApiError, error_response, is_api_request

bp = Blueprint("api", __name__, url_prefix="/api/v1")
BODY_METHODS = ("POST", "PUT", "PATCH")


def init_app(app: Flask) -> None:
    """The API's request hooks; call before permissions.init_app (its check needs the token's
    user). The routes are registered with the other blueprints (`bp`)."""
    refuse_shared_memory_counters(app)
    # after_request hooks run last-registered first: this one after the limiter writes headers
    app.after_request(_retry_after_on_429_only)
    # First the limit: every request is counted, also one refused below for its token or body.
    limiter = Limiter(
        key_func=_rate_key,
        app=app,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        headers_enabled=True,
        key_prefix="fundcrm-api",
        # Redis unreachable: the API goes on uncounted (and logs it) rather than answer 500
        swallow_errors=True,
    )
    limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], per_method=False)(bp)
    app.extensions["fundcrm.api_limiter"] = limiter
    app.before_request(_sign_in_by_token)
    app.before_request(_no_such_path)
    app.before_request(_read_json_body)
    app.register_error_handler(ApiError, _answer_refusal)


def _retry_after_on_429_only(response):
    """Flask-Limiter writes Retry-After on every answer; it means something only on a 429."""
    if is_api_request() and response.status_code != 429:
        response.headers.pop("Retry-After", None)
    return response


def _answer_refusal(error: ApiError):
    from fundcrm import db

    db.rollback_if_open()
    return error_response(error)


# -- who is asking --------------------------------------------------------------------------


def _sign_in_by_token():
    """The API signs in by `Authorization: Bearer <token>` only: a session cookie is ignored
    (so no CSRF token is needed). The user is set for this request alone (flask-login's
    per-request user), never stored in a session."""
    if not is_api_request():
        return
    from fundcrm import db
    from fundcrm.auth import login_manager
    from fundcrm.auth.tokens import TokenRefused, signed_in_user

    g._login_user = login_manager.anonymous_user()
    secret = _bearer_token()
    if secret is None:
        return
    try:
        user, token = signed_in_user(db.session(), secret)
    except TokenRefused as refused:
        challenge = {"WWW-Authenticate": 'Bearer realm="fundcrm", error="invalid_token"'}
        raise ApiError(401, refused.message, code="token_refused", headers=challenge) from None
    g._login_user = user
    g.api_token_id = token.id


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _space, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        challenge = {"WWW-Authenticate": 'Bearer realm="fundcrm"'}
        raise ApiError(
            401, _("Send the token as “Authorization: Bearer <token>”."), headers=challenge
        )
    return secret.strip()


def _rate_key() -> str:
    """Requests are counted per token presented (the hash of the secret itself, however the
    header spells "Bearer"), else per address."""
    from fundcrm.auth.tokens import digest

    try:
        secret = _bearer_token()
    except ApiError:  # a malformed header is refused after it is counted
        secret = None
    return "token:" + digest(secret)[:32] if secret else "address:" + (request.remote_addr or "")


# -- the route ------------------------------------------------------------------------------


def _no_such_path():
    """A record id beyond any (views.MAX_ID) matches no route: 404. Werkzeug answers 405 when
    another method's route has the path's shape, as if the path existed."""
    error = request.routing_exception
    if not is_api_request() or not isinstance(error, MethodNotAllowed) or not error.valid_methods:
        return
    try:
        current_app.create_url_adapter(request).match(method=error.valid_methods[0])
    except NotFound:
        request.routing_exception = NotFound()
    except HTTPException:
        pass


# -- the body -------------------------------------------------------------------------------


def _read_json_body():
    """A body is a JSON object of at most API_MAX_BODY_KB; anything else is refused before any
    view runs: 413 for its size, 400 for malformed JSON, a number that is not finite, or a body
    that is not an object."""
    if not is_api_request() or request.method not in BODY_METHODS:
        return
    if request.routing_exception is not None:
        return  # no such operation: its 404 or 405, whatever the body
    limit = current_app.config["API_MAX_BODY_KB"] * 1024
    if (request.content_length or 0) > limit:
        raise ApiError(413)
    raw = request.get_data(cache=True)
    if len(raw) > limit:
        raise ApiError(413)
    if not raw.strip():
        raise ApiError(400, _("Send the request's fields as a JSON object."), code="no_body")
    if request.mimetype != "application/json":
        raise ApiError(
            400, _("Send the body as JSON with “Content-Type: application/json”."), code="not_json"
        )
    try:
        body = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise ApiError(400, _("The body is not valid JSON."), code="malformed_json") from None
    if not isinstance(body, dict):
        raise ApiError(400, _("The body must be a JSON object."), code="malformed_json")


def _refuse_constant(name: str):
    raise ValueError(name)


# -- rate-limit counters across processes ---------------------------------------------------


def serving_workers() -> int:
    """How many processes serve this app: FUNDCRM_WEB_WORKERS, else gunicorn's `--workers` from
    its command line or GUNICORN_CMD_ARGS (or its WEB_CONCURRENCY) when gunicorn runs it, else 1.
    A count set only in a gunicorn config file is not seen: set FUNDCRM_WEB_WORKERS there."""
    if configured := os.environ.get("FUNDCRM_WEB_WORKERS"):
        return int(configured)
    if not os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn"):
        return 1
    words = [*shlex.split(os.environ.get("GUNICORN_CMD_ARGS", "")), *sys.argv[1:]]
    for index, word in enumerate(words):
        if word in ("-w", "--workers") and index + 1 < len(words):
            return int(words[index + 1])
        if word.startswith("--workers="):
            return int(word.split("=", 1)[1])
        if word.startswith("-w") and word[2:].isdigit():
            return int(word[2:])
    return int(os.environ.get("WEB_CONCURRENCY", "1"))


def refuse_shared_memory_counters(app: Flask) -> None:
    """Counters in one process's memory would give each worker its own limit: with several
    workers the counters must be in Redis (FUNDCRM_REDIS_URL)."""
    workers = serving_workers()
    if workers > 1 and app.config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        raise RuntimeError(
            f"{workers} worker processes would each count API requests on their own: set "
            "FUNDCRM_REDIS_URL so the rate-limit counters are shared "
            f"(command line: {shlex.join(sys.argv)})"
        )
