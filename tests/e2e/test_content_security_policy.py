"""Every page works under the Content-Security-Policy, and a page breaking it fails its test."""

import pytest

from tests.e2e.test_sign_in_journey import sign_in

pytestmark = pytest.mark.e2e


def _policy(response) -> str:
    return response.headers["content-security-policy"]


def test_each_page_of_the_navigation_runs_under_the_policy(page):
    """The admin's navigation, a deal, a company and its checklist: no violation (the `page`
    fixture fails the test on any), and Bootstrap's script still opens the account menu."""
    sign_in(page, "admin@example.com")
    page.wait_for_url("**/")
    links = page.locator("nav .nav-link").evaluate_all("links => links.map(a => a.href)")
    page.goto("/deals")
    links.append(page.locator("table a[href*='/deals/']").first.get_attribute("href"))
    page.goto("/companies")
    links.append(page.locator("table a[href*='/companies/']").first.get_attribute("href"))
    links.append("/no-such-page")
    assert len(links) >= 12
    for link in links:
        response = page.goto(link)
        assert "'unsafe-inline'" not in _policy(response), link
        assert page.locator("h1").count() >= 1, link
    page.click("#account-menu")
    assert page.locator("#logout").is_visible()


def test_an_injected_inline_script_style_and_handler_are_refused_and_reported(page, csp_violations):
    response = page.goto("/login")
    assert "script-src 'self' 'nonce-" in _policy(response)
    page.evaluate(
        """() => {
        const script = document.createElement("script");
        script.textContent = "window.injected = true";
        document.body.appendChild(script);
        const box = document.createElement("div");
        box.innerHTML = '<p style="color: red">x</p>'
          + '<img src="/static/none" onerror="window.injected = true">';
        document.body.appendChild(box);
        }"""
    )
    page.wait_for_timeout(200)  # the violations are reported asynchronously
    assert page.evaluate("window.injected") is None
    reported = "\n".join(csp_violations)
    assert "script-src" in reported and "style-src" in reported, reported
    csp_violations.clear()  # proven caught: the fixture would otherwise fail this test
