"""The LP's representative opens Reports, sees only its own LP's edition on offer, generates the
demo year's annual report as PDF and workbook, watches each job's progress reach 100% and
downloads both files: the PDF names its own LP and no other, the workbook holds the same
account."""

import io

import openpyxl
import pdfplumber
import pytest

from fundcrm import clock
from tests.e2e.conftest import screenshot
from tests.e2e.test_ic_journey import person  # noqa: F401 (the fixture)

pytestmark = pytest.mark.e2e

OWN_LP = "两江新区产业发展投资基金"
OTHER_LPS = ("重庆市产业投资母基金", "渝创机器人产业集团有限公司", "重庆科创投资管理有限公司")


def test_the_lp_generates_and_downloads_its_annual_report(person):  # noqa: F811
    lp = person("lp@example.com")
    menu = lp.locator("#mainnav").inner_text()
    assert "报告" in menu and "项目看板" not in menu and "投资组合" not in menu
    lp.click("#mainnav a[href='/reports']")
    assert lp.locator("#report-edition").count() == 1  # no choice of edition or LP
    assert lp.locator("#edition").count() == 0 and lp.locator("#lp").count() == 0
    lp.fill("#year", str(clock.today().year))
    screenshot(lp, "reports-lp-zh")
    with lp.expect_navigation():
        lp.click("#generate-report")
    jobs = lp.locator(".report-job")
    assert jobs.count() == 2
    # the page follows both jobs and reloads when they end
    lp.locator(".report-download").nth(1).wait_for(timeout=120_000)
    assert lp.locator(".report-job .progress-bar").nth(0).inner_text() == "100%"
    assert "草稿" in lp.locator("#report-jobs").inner_text()  # the year is not closed
    screenshot(lp, "reports-lp-done-zh")
    files = {}
    for n in range(2):
        with lp.expect_download() as fetched:
            lp.locator(".report-download").nth(n).click()
        download = fetched.value
        files[download.suggested_filename.rsplit(".", 1)[-1]] = open(download.path(), "rb").read()
    assert set(files) == {"pdf", "xlsx"}
    with pdfplumber.open(io.BytesIO(files["pdf"])) as document:
        text = "".join(page.extract_text() or "" for page in document.pages)
    book = openpyxl.load_workbook(io.BytesIO(files["xlsx"]))
    cells = " ".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows()
                     for c in row if c.value is not None)  # fmt: skip
    for found in (text.replace("\n", ""), cells):
        assert OWN_LP in found
        for other in OTHER_LPS:
            assert other not in found
