"""Make the files of tests/data and tests/data/bad (kept in the repository):

    python -m tests.data.make_files

Each bad file holds one mistake; tests/test_imports.py and tests/test_imports_web.py say which
message each one gets. The file over the size limit is made by its test instead.
"""

import base64
import csv
import io
from datetime import date
from pathlib import Path

from openpyxl import Workbook

from tests.factories import make_uscc

DATA = Path(__file__).resolve().parent
BAD = DATA / "bad"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
COMPANY_HEAD = ["name", "uscc", "focus_area", "enterprise_stage", "founded_on"]


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8", newline="\n") -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=newline).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))


def good_files() -> None:
    # companies as Excel saves CSV in China: GB18030, Chinese headers, CRLF
    header = "企业名称,统一社会信用代码*,英文名称,所在区县,所在城市,产业集聚区,成立日期,员工人数"
    header += ",网站,重点方向,应用领域,企业阶段,专精特新,简介"
    rows = [
        header.split(","),
        ["重庆云帆具身智能科技有限公司", make_uscc(101), "Yunfan Embodied AI", "渝北区", ""]
        + ["两江新区", "2019-05-20", "230", "https://yunfan.example.cn", "具身智能"]
        + ["物流服务；医疗服务", "成长期", "省级专精特新", "'=SUM(1)"],
        ["深圳灵动机器人有限公司", make_uscc(102, "440300"), "", "", "深圳", "重庆市外"]
        + ["2016-11-01", "85", "", "robot_body", "home;cleaning", "mature", "none"]
        + ["-负面舆情已核实"],
        ["重庆智语大模型科技有限公司", make_uscc(103), "", "沙坪坝区", "", "science_city"]
        + ["", "", "", "大模型", "", "初创期", "", "面向服务机器人的行业大模型"],
    ]
    write_csv(DATA / "companies_gb18030.csv", rows, "gb18030", "\r\n")

    # one deal with two participating sub-funds, no deal_ref (assigned on import)
    header = "deal_ref,company_uscc,round,sub_fund,stage,source,owner_email,ask_wan"
    header += ",proposed_wan,pre_money_wan,next_step,next_step_due,pass_reason,created_on"
    rows = [
        header.split(","),
        ["", make_uscc(1), "b", "ANGEL", "approved", "referral", "li.xiang@example.com"]
        + ["8000", "1500.123456", "40000", "约创始人二次访谈", "2026-12-15", "", "2026-03-02"],
        ["", make_uscc(1), "b", "INDUSTRY", "", "", "", "", "2500", "", "", "", "", ""],
    ]
    write_csv(DATA / "deals_two_sub_funds.csv", rows)

    # an XLSX whose data sheet is named after the kind but is not the first sheet
    workbook = Workbook()
    workbook.active.title = "说明"
    workbook.active.append(["本工作簿的数据在 companies 表"])
    sheet = workbook.create_sheet("companies")
    sheet.append(
        ["name", "uscc", "founded_on", "headcount", "focus_area", "application_fields"]
        + ["enterprise_stage", "description"]
    )
    sheet.append(
        ["重庆织梦人形机器人有限公司", make_uscc(201), date(2020, 1, 15), 42, "embodied_ai"]
        + ["humanoid；home", "startup", "@人形机器人"]
    )
    sheet.append(
        ["重庆启明清洁机器人有限公司", make_uscc(202), date(2018, 7, 1), 310.0, "机器人本体"]
        + ["cleaning", "growth", None]
    )
    workbook.save(DATA / "companies.xlsx")


def bad_files() -> None:
    def company(name: str, code: str, focus="embodied_ai", stage="growth", founded=""):
        return [name, code, focus, stage, founded]

    wrong_check = make_uscc(303)[:17] + ("0" if make_uscc(303)[17] != "0" else "1")
    write_csv(
        BAD / "missing_required_column.csv",
        [
            ["name", "focus_area", "enterprise_stage"],
            ["重庆缺列机器人有限公司", "embodied_ai", "growth"],
        ],
    )
    cases = {
        "unknown_vocabulary_code.csv": [
            company("重庆飞车科技有限公司", make_uscc(301), "flying_cars")
        ],
        "bad_date.csv": [company("重庆错日机器人有限公司", make_uscc(302), founded="2026-02-30")],
        "invalid_uscc.csv": [company("重庆校验机器人有限公司", wrong_check)],
        "duplicate_uscc.csv": [
            company("重庆甲机器人有限公司", make_uscc(304)),
            company("重庆乙机器人有限公司", make_uscc(304), "large_model", "startup"),
        ],
        "path_in_name.csv": [company("重庆路径机器人有限公司", make_uscc(305))],
    }
    for name, rows in cases.items():
        write_csv(BAD / name, [COMPANY_HEAD, *rows])
    write_csv(
        BAD / "negative_amount.csv", [["code", "name", "target_wan"], ["NEG", "负数基金", "-100"]]
    )
    write_csv(
        BAD / "too_many_decimals.csv",
        [["code", "name", "target_wan"], ["FINE", "精度基金", "1.1234567"]],
    )
    write_csv(
        BAD / "unknown_owner.csv",
        [
            ["company_uscc", "sub_fund", "stage", "owner_email"],
            [make_uscc(1), "ANGEL", "sourcing", "nobody@example.com"],
        ],
    )
    (BAD / "undecodable.csv").write_bytes(b"name,uscc\n\xff\xfe\xfd\x80abc,\xff\n")
    (BAD / "empty.csv").write_bytes(b"")
    (BAD / "png_renamed.csv").write_bytes(PNG)
    workbook = Workbook()
    workbook.active.title = "Sheet1"
    workbook.create_sheet("Sheet2")
    workbook.save(BAD / "no_data_sheet.xlsx")


if __name__ == "__main__":
    good_files()
    bad_files()
