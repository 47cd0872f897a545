"""A live server on a free port (waitress, demo data on its own SQLite file) and the system
Chromium driven by Playwright. Without Chromium these tests skip, unless
FUNDCRM_REQUIRE_BROWSER=1 (set by .ci/run) makes that a failure."""

import os
import shutil
import socket
import threading
from pathlib import Path

import pytest

import config as fundcrm_config
from fundcrm import create_app, db, demo, migrate
from fundcrm.jobs import queue

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SHOTS = Path(os.environ.get("FUNDCRM_SCREENSHOTS", Path(__file__).parents[2] / "test-results"))


def _chromium() -> str | None:
    for candidate in (
        os.environ.get("FUNDCRM_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def _unavailable(reason: str):
    if os.environ.get("FUNDCRM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests required but {reason}")
    pytest.skip(f"{reason}: install Debian 'chromium' to run the browser tests")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("e2e")
    settings = fundcrm_config.TestConfig()
    settings.DATABASE_URL = f"sqlite:///{folder / 'e2e.db'}"
    settings.INSTANCE_PATH = folder
    settings.JOBS_IMMEDIATE = False  # jobs run in a worker, as `fundcrm demo` runs them
    settings.EXPORT_JOB_ROWS = 20  # the demo's deals export as a job
    app = create_app(settings)
    with app.app_context():
        migrate.upgrade(db.engine())
        demo.seed(db.session(), app.config)
    consumer = queue.start_in_process(app)
    from waitress.server import create_server

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.close()
    consumer.stop(graceful=True)


@pytest.fixture(scope="session")
def browser():
    executable = _chromium()
    if executable is None:
        _unavailable("Chromium was not found")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


# Reports each violation the page's own policy catches as a console error, in every frame
# and after every navigation (init scripts run before the page's scripts and ignore the CSP).
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} refused ${event.blockedURI || "inline"}`
    + ` in ${event.sourceFile || document.location.pathname}:${event.lineNumber}`);
});
"""


def is_csp_violation(text: str) -> bool:
    """Chromium's own message ("Refused to … Content Security Policy directive …") or ours."""
    return text.startswith("CSP violation") or "Content Security Policy" in text


@pytest.fixture
def csp_violations() -> list[str]:
    """The Content-Security-Policy violations the test's pages reported (see `page`)."""
    return []


@pytest.fixture
def page(browser, live_server, csp_violations):
    """A page in a fresh context; the test fails at teardown if any page of the context
    reported a Content-Security-Policy violation, so every journey keeps the policy."""
    context = browser.new_context(
        base_url=live_server, locale="zh-CN", viewport={"width": 1280, "height": 800}
    )
    context.add_init_script(CSP_REPORTER)

    def watch(opened):
        opened.on(
            "console",
            lambda message: (
                csp_violations.append(f"{opened.url}: {message.text}")
                if is_csp_violation(message.text)
                else None
            ),
        )

    context.on("page", watch)
    page = context.new_page()
    yield page
    if not page.is_closed():
        page.evaluate("0")  # a round trip, so console messages still in flight arrive
    context.close()
    if csp_violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(csp_violations))


def screenshot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
