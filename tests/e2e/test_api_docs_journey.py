"""/api/v1/docs in Chromium: Swagger UI from the vendored files lists the API's operations,
under the Content-Security-Policy (the `page` fixture fails the test on any violation)."""

import pytest

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e


def test_the_api_docs_list_the_operations_under_the_policy(page):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    response = page.goto("/api/v1/docs")
    assert response.status == 200
    page.wait_for_selector(".opblock-summary-path", timeout=30_000)
    paths = set(page.locator(".opblock-summary-path").all_inner_texts())
    assert "/api/v1/companies" in paths, paths
    assert "/api/v1/companies/{company_id}" in {p.replace("\u200b", "") for p in paths}, paths
    assert page.locator(".opblock-summary-method", has_text="PATCH").count() >= 1
    assert page.locator("button.authorize").is_visible()  # the bearer token can be entered
    screenshot(page, "api-docs")
    base = page.url.split("/api/v1/docs")[0]
    assert all(url.startswith(base) or url.startswith("data:") for url in requested), requested
