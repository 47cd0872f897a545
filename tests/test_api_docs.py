"""/api/v1/docs: public, Swagger UI from this site's own vendored files, started by a script
file (no inline script) reading /api/v1/openapi.json."""

import re
from pathlib import Path

from fundcrm.api.routes import SWAGGER_UI

STATIC = Path(__file__).parents[1] / "static"


def test_the_docs_page_is_public_and_loads_only_local_assets(client):
    answer = client.get("/api/v1/docs")
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    page = answer.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert f"/static/{SWAGGER_UI}/swagger-ui-bundle.js" in assets
    assert f"/static/{SWAGGER_UI}/swagger-ui.css" in assets
    assert "/static/js/api-docs.js" in assets
    assert all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    for asset in assets:  # each one is served from here
        assert client.get(asset).status_code == 200, asset
    assert 'data-description="/api/v1/openapi.json"' in page
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) is None  # no inline script
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy and "style-src 'self'" in policy


def test_the_vendored_swagger_ui_is_the_packages_files_with_its_licence():
    folder = STATIC / SWAGGER_UI
    assert sorted(p.name for p in folder.iterdir()) == [
        "LICENSE",
        "package.json",
        "swagger-ui-bundle.js",
        "swagger-ui.css",
    ]
    version = folder.name.rsplit("-", 1)[1]
    assert f'"version": "{version}"' in (folder / "package.json").read_text()
    assert "Apache License" in (folder / "LICENSE").read_text()
    script = (STATIC / "js" / "api-docs.js").read_text()
    assert "dataset.description" in script and "validatorUrl: null" in script
