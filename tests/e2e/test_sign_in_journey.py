"""A manager signs in, reads the home page in Chinese and in English, and signs out."""

import pytest

from fundcrm.demo import DEMO_PASSWORD
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e


def sign_in(page, email, password=DEMO_PASSWORD, chinese=True):
    """Sign in; by default make sure the page speaks Chinese (the choice sticks to accounts)."""
    page.goto("/")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("#submit")
    switch = page.get_by_role("button", name="中文")
    if chinese and switch.count():
        with page.expect_navigation():
            switch.click()


def test_manager_signs_in_switches_language_and_signs_out(page):
    sign_in(page, "manager@example.com")
    page.wait_for_url("**/")
    assert page.locator("h1").inner_text() == "欢迎，投资经理 李响"
    assert page.locator("nav").get_by_text("首页").is_visible()
    assert page.locator("nav").get_by_text("用户管理").count() == 0  # not a manager's page
    screenshot(page, "home-zh")

    page.get_by_role("button", name="English").click()
    assert page.locator("h1").inner_text() == "Welcome, 投资经理 李响"
    assert page.get_by_text("Investment manager").is_visible()
    screenshot(page, "home-en")

    page.reload()  # the choice is remembered
    assert page.locator("h1").inner_text().startswith("Welcome")

    page.click("#account-menu")
    page.click("#logout")
    page.wait_for_url("**/login")
    assert page.get_by_text("You have signed out.").is_visible()
    page.goto("/")
    assert "/login" in page.url


def test_wrong_password_shows_the_message_in_chinese(page):
    sign_in(page, "manager2@example.com", "not-the-password")
    assert page.get_by_text("邮箱或密码错误。").is_visible()
    screenshot(page, "login-error-zh")


def test_admin_sees_users_and_audit_trail(page):
    sign_in(page, "admin@example.com")
    page.click("text=用户管理")
    assert page.locator("table").get_by_text("lp@example.com").is_visible()
    screenshot(page, "admin-users-zh")
    page.click("text=审计日志")
    assert page.locator("#audit-table tbody tr").count() > 0
    screenshot(page, "admin-audit-zh")
