"""The API's routes: each resource module adds its operations to `bp`; the description at
/api/v1/openapi.json and its reading page at /api/v1/docs are public (no token needed)."""

from flask import Flask, current_app, jsonify, render_template

from fundcrm.api import bp
from fundcrm.api.spec import spec
from fundcrm.permissions import public
from fundcrm.views import MAX_ID

# The resources, each adding its operations to the blueprint when imported.
RESOURCES = ("companies", "deals", "workspace", "portfolio", "funds", "ic", "reports")


def register(app: Flask) -> None:
    from importlib import import_module

    from fundcrm import csrf

    for name in RESOURCES:
        import_module(f"fundcrm.api.{name}")
    csrf.exempt(bp)  # a token in a header, never a cookie: nothing for a forged form to ride on
    if "api" not in app.blueprints:
        app.register_blueprint(bp)
    spec.app = app  # spectree reads the routes from it; its own doc pages are not served


RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds until the token may send requests again.",
        "schema": {"type": "integer"},
    }
}


def description() -> dict:
    """spectree's document, with the 429's Retry-After header on every operation and each
    record id in a path bounded as the routes take it (views.MAX_ID)."""
    document = spec.spec
    for path in document.get("paths", {}).values():
        for operation in path.values():
            answer = operation.get("responses", {}).get("429")
            if answer is not None:
                answer.setdefault("headers", RETRY_AFTER)
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") == "path" and schema.get("type") == "integer":
                    schema.pop("format", None)
                    schema.update(minimum=1, maximum=MAX_ID)
    return document


@bp.get("/openapi.json")
@public
def openapi():
    key = "fundcrm.api_description"
    if key not in current_app.extensions:
        current_app.extensions[key] = description()
    return jsonify(current_app.extensions[key])


SWAGGER_UI = "vendor/swagger-ui-dist-5.35.0"  # static/: the npm package's bundle, vendored


@bp.get("/docs")
@public
def docs():
    """The description for reading and trying out: Swagger UI from this site's own files (the
    Content-Security-Policy allows no other), started by static/js/api-docs.js."""
    return render_template("api/docs.html", swagger_ui=SWAGGER_UI)
