"""A manager exports every deal from the list: more rows than a page waits for, so the export
runs as a background job; its page follows the progress without reloading and offers the file,
which holds every deal; the jobs menu lists it."""

import csv
import io

import pytest

from tests.e2e.conftest import screenshot
from tests.e2e.test_sign_in_journey import sign_in

pytestmark = pytest.mark.e2e


def test_a_big_export_runs_in_the_background_and_downloads(page):
    sign_in(page, "manager@example.com")
    page.wait_for_url("**/")
    page.goto("/exports/deals.csv")
    assert "在后台生成" in page.locator("#export-job").inner_text()
    screenshot(page, "export-job-offer-zh")
    with page.expect_navigation():
        page.click("#start-export-job")
    assert "/jobs/" in page.url
    download_button = page.locator("#job-download")
    download_button.wait_for(timeout=60_000)  # the page reloads itself when the job ends
    assert "已导出" in page.locator("#job-message").inner_text()
    assert page.locator(".job-progress .progress-bar").inner_text() == "100%"
    screenshot(page, "export-job-done-zh")
    with page.expect_download() as fetched:
        download_button.click()
    data = open(fetched.value.path(), encoding="utf-8-sig").read()
    rows = list(csv.DictReader(io.StringIO(data)))
    # every demo deal: one per company (64) and the follow-on of a held company
    assert len({row["deal_ref"] for row in rows}) == 65
    page.click("nav a[href='/jobs']")
    assert "完成" in page.locator("#jobs").inner_text()
    screenshot(page, "jobs-zh")
