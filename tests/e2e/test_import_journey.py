"""A manager imports a small companies file with one bad row, without saying what it holds: the
preview says the kind was recognised from the header row, shows the bad row's error, the file
cannot be confirmed, and nothing is imported."""

import pytest

from tests.e2e.conftest import screenshot
from tests.e2e.test_sign_in_journey import sign_in
from tests.factories import make_uscc

pytestmark = pytest.mark.e2e

GOOD = "重庆导入测试机器人有限公司"
FILE = (
    "企业名称,统一社会信用代码,重点方向,企业阶段,应用领域\n"
    f"{GOOD},{make_uscc(515151)},具身智能,成长期,物流服务；医疗服务\n"
    f"重庆坏行机器人有限公司,{make_uscc(515152)},flying_cars,成长期,\n"
)


def test_a_file_with_a_bad_row_imports_nothing(page):
    sign_in(page, "manager@example.com")
    page.wait_for_url("**/")
    page.click("nav a[href='/imports']")
    page.wait_for_url("**/imports")
    screenshot(page, "imports-zh")
    assert page.locator("#kind").input_value() == ""  # no kind preselected
    page.set_input_files(
        "#file",
        {"name": "companies.csv", "mimeType": "text/csv", "buffer": FILE.encode("gb18030")},
    )
    page.click("#submit")
    page.wait_for_url("**/imports/*")
    assert page.locator("#recognised-kind").is_visible()

    bad = page.locator('#import-rows tr[data-row="3"]')
    assert "status-error" in bad.get_attribute("class")
    assert "无效的代码：flying_cars" in bad.inner_text()
    assert "重点方向" in bad.inner_text()  # the column as the file names it
    assert "status-new" in page.locator('#import-rows tr[data-row="2"]').get_attribute("class")
    assert page.locator("#import-refused").is_visible()
    assert page.locator("#confirm-import").count() == 0
    screenshot(page, "import-preview-error-zh")

    page.goto(f"/companies?q={GOOD}")
    assert "没有符合条件的企业" in page.locator("#companies-table").inner_text()
