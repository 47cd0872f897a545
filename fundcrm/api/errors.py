"""The API's one error shape: `{"error": {"code", "message", "fields"}}`, for every refusal the
API gives (validation, permissions, versions, gates, sizes, rate limits), never an HTML page."""

from flask import jsonify, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, Field

API_PREFIX = "/api/"

# status → (code, message) for refusals that carry no message of their own
GENERIC = {
    400: ("bad_request", _l("The request could not be understood.")),
    401: (
        "unauthorized",
        _l("Send a personal API token as “Authorization: Bearer <token>”."),
    ),
    403: ("forbidden", _l("Your role does not allow this.")),
    404: ("not_found", _l("There is nothing at this address.")),
    405: ("method_not_allowed", _l("This address does not accept that method.")),
    409: ("conflict", _l("The record changed meanwhile. Nothing was saved.")),
    413: ("too_large", _l("The request body is larger than this API accepts. Nothing was saved.")),
    422: ("refused", _l("The request was refused. Nothing was saved.")),
    429: ("rate_limited", _l("Too many requests with this token: wait and try again.")),
    500: ("server_error", _l("The error has been logged and nothing was saved.")),
    503: ("unavailable", _l("The service is unavailable: try again shortly.")),
}


class ErrorDetail(BaseModel):
    code: str = Field(description="What went wrong, for programs: e.g. validation_failed.")
    message: str = Field(description="What went wrong, for people, in the request's language.")
    fields: dict[str, str] = Field(
        default_factory=dict, description="Each refused field (dotted path) → why."
    )
    reasons: list[str] = Field(
        default_factory=list, description="A refused stage move: each of the gate's reasons."
    )
    current: dict | None = Field(
        default=None, description="A 409: the record as it is now, with its current version."
    )


class ErrorBody(BaseModel):
    error: ErrorDetail


class ApiError(Exception):
    """A refusal with its HTTP status; raised anywhere under the API, answered as ErrorBody."""

    def __init__(
        self,
        status: int,
        message=None,
        *,
        code: str | None = None,
        fields: dict | None = None,
        reasons: list | None = None,
        current: dict | None = None,
        headers: dict | None = None,
    ):
        generic_code, generic_message = GENERIC.get(status, GENERIC[400])
        super().__init__(str(message or generic_message))
        self.status = status
        self.code = code or generic_code
        self.message = message or generic_message
        self.fields = {name: str(text) for name, text in (fields or {}).items()}
        self.reasons = [str(reason) for reason in reasons or ()]
        self.current = current
        self.headers = headers or {}


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def error_response(error: ApiError):
    detail = {"code": error.code, "message": str(error.message), "fields": error.fields}
    if error.reasons:
        detail["reasons"] = error.reasons
    if error.current is not None:
        detail["current"] = error.current
    response = jsonify(error=detail)
    response.status_code = error.status
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def http_error_response(status: int, description: str | None = None, headers=None):
    """An HTTP error raised outside the API's own code (routing, permissions, sizes, limits)."""
    message = description or None
    extra = {name: value for name, value in headers or () if name.lower() != "content-type"}
    if status == 401:
        extra.setdefault("WWW-Authenticate", 'Bearer realm="fundcrm"')
    return error_response(ApiError(status if status in GENERIC else 400, message, headers=extra))


def validation_fields(errors: list[dict]) -> dict[str, str]:
    """pydantic's errors as field → message, in the request's language where we word them."""
    fields: dict[str, str] = {}
    for item in errors:
        name = ".".join(str(part) for part in item.get("loc", ())) or "body"
        fields.setdefault(name, _worded(item))
    return fields


def _worded(item: dict) -> str:
    kind = item.get("type", "")
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("Unknown field: this API does not take it.")
    if kind in ("string_type", "int_type", "bool_type", "list_type", "dict_type", "model_type"):
        return _("Wrong type: expected %(kind)s.", kind=kind.removesuffix("_type"))
    message = str(item.get("msg", ""))
    return message.removeprefix("Value error, ")
