"""The template workbook of a kind: the Chinese labels as header (`*` marks a required
column; labels re-import as they are), one example row, and a second sheet listing every
vocabulary the kind uses with code, 中文 and English (and the sub-funds, where a column
names one)."""

import io
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlmodel import Session

from fundcrm.domain import uscc
from fundcrm.domain.text import strip_illegal
from fundcrm.funds.services import sub_funds
from fundcrm.imports import formats
from fundcrm.imports.formats import KINDS, Kind
from fundcrm.imports.sheets import xlsx_row

VOCAB_SHEET = "代码表 vocabularies"
EXAMPLE_USCC = uscc.complete("91500112MA60ABCD0")
REQUIRED_FILL = PatternFill("solid", fgColor="FFF2CC")


def _examples(owner_email: str, sub_fund: str) -> dict[str, dict]:
    return {
        "sub_funds": {
            "code": "ANGEL2",
            "name": "示例天使二期基金",
            "name_en": "Angel Fund II",
            "target_wan": Decimal("50000"),
            "first_close": date(2026, 6, 30),
            "investment_end": date(2031, 6, 30),
            "term_end": date(2036, 6, 30),
            "allowed_stages": ["startup", "growth"],
            "focus_areas": ["embodied_ai", "robot_body"],
            "project_cap_pct": Decimal("20"),
            "ic_quorum": "2/3",
            "ic_threshold": "2/3",
        },
        "commitments": {
            "lp_name": "示例区级产业引导基金",
            "lp_type": "district_fof",
            "is_government": True,
            "sub_fund": sub_fund,
            "committed_wan": Decimal("10000.5"),
            "committed_on": date(2024, 6, 28),
            "reinvest_ratio": Decimal("1.2"),
            "reinvest_area": ["渝北区", "江北区"],
            "reinvest_base": "committed",
        },
        "companies": {
            "name": "重庆示例机器人科技有限公司",
            "uscc": EXAMPLE_USCC,
            "name_en": "Example Robotics",
            "district": "渝北区",
            "zone": "liangjiang",
            "founded_on": date(2021, 3, 15),
            "headcount": 120,
            "website": "https://robot.example.cn",
            "focus_area": "embodied_ai",
            "application_fields": ["logistics", "medical"],
            "enterprise_stage": "growth",
            "specialized_level": "province",
            "description": "服务机器人整机研发",
        },
        "deals": {
            "company_uscc": EXAMPLE_USCC,
            "company_name": "重庆示例机器人科技有限公司",
            "round": "a",
            "sub_fund": sub_fund,
            "stage": "screening",
            "source": "referral",
            "owner_email": owner_email,
            "ask_wan": Decimal("5000"),
            "proposed_wan": Decimal("1500.25"),
            "pre_money_wan": Decimal("40000"),
            "next_step": "约创始人二次访谈",
            "next_step_due": date(2026, 12, 15),
            "created_on": date(2026, 11, 1),
        },
        "transactions": {
            "company_uscc": EXAMPLE_USCC,
            "sub_fund": sub_fund,
            "date": date(2025, 3, 31),
            "type": "investment",
            "amount_wan": Decimal("1500.25"),
            "round": "a",
            "equity_pct": Decimal("3.5"),
            "post_money_wan": Decimal("42865"),
            "note": "A 轮首次投资",
        },
        "valuations": {
            "company_uscc": EXAMPLE_USCC,
            "sub_fund": sub_fund,
            "date": date(2025, 12, 31),
            "fair_value_wan": Decimal("1800"),
            "method": "recent_round",
            "note": "B 轮融资价格",
        },
        "lp_flows": {
            "lp_name": "示例区级产业引导基金",
            "sub_fund": sub_fund,
            "date": date(2025, 1, 15),
            "type": "call",
            "amount_wan": Decimal("2000"),
        },
        "expenses": {
            "sub_fund": sub_fund,
            "date": date(2025, 12, 31),
            "kind": "management_fee",
            "amount_wan": Decimal("600"),
        },
        "kpis": {
            "company_uscc": EXAMPLE_USCC,
            "period": "2025",
            "revenue_wan": Decimal("8600"),
            "cq_revenue_wan": Decimal("5200.5"),
            "net_profit_wan": Decimal("-320"),
            "headcount": 135,
            "rd_wan": Decimal("1450"),
            "patents": 42,
        },
        "milestones": {
            "company_uscc": EXAMPLE_USCC,
            "kind": "product",
            "title": "商用清洁机器人 C2 量产交付",
            "date": date(2025, 9, 18),
            "evidence": "首批 500 台交付两江新区物业企业",
        },
    }


def build(db: Session, kind_code: str, owner_email: str) -> bytes:
    kind = KINDS[kind_code]
    funds = sub_funds(db)
    example = _examples(owner_email, funds[0].code if funds else "ANGEL")[kind_code]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = kind.code
    _header(sheet, kind)
    sheet.append(xlsx_row(sheet, kind, example))
    _vocabularies(workbook.create_sheet(VOCAB_SHEET), kind, funds)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _header(sheet, kind: Kind) -> None:
    bold = Font(bold=True)
    for index, column in enumerate(kind.columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.heading)
        cell.font = bold
        if column.required:
            cell.fill = REQUIRED_FILL
        cell.comment = Comment(_hint(column), "FundCRM")
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(14, len(column.heading) * 2 + 4)
        if column.type in (formats.USCC, formats.RATIO, formats.TEXT, formats.CODE):
            # typed as text, so Excel keeps a USCC's 18 digits and 2/3 as written
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"


def _hint(column: formats.Column) -> str:
    hints = {
        formats.WAN: "万元, ≤ 6 decimals",
        formats.SIGNED_WAN: "万元, ≤ 6 decimals; a loss negative",
        formats.PERIOD: "2026 (a year) or 2026Q3 (a quarter)",
        formats.DATE: "YYYY-MM-DD",
        formats.BOOL: "true/false, 是/否, 1/0, yes/no",
        formats.VOCAB: f"code or 中文: sheet {VOCAB_SHEET}",
        formats.VOCAB_LIST: f"codes or 中文, separated by ; — sheet {VOCAB_SHEET}",
        formats.PCT: "0–100",
        formats.RATIO: "2/3 or 60%",
    }
    required = " (required)" if column.required else ""
    return f"{column.code}{required}: {hints.get(column.type, column.type)}"


def _vocabularies(sheet, kind: Kind, funds) -> None:
    bold = Font(bold=True)
    sheet.append(["column 列", "code 代码", "中文", "English"])
    for cell in sheet[1]:
        cell.font = bold
    for column, vocabulary in kind.vocabularies:
        for term in vocabulary.terms:
            sheet.append([f"{column.code} {column.label}", term.code, term.zh, term.en])
    if "sub_fund" in kind.by_code:
        column = kind.by_code["sub_fund"]
        for fund in funds:
            names = [strip_illegal(n or "") or None for n in (fund.name, fund.name_en)]
            sheet.append([f"{column.code} {column.label}", fund.code, *names])
    for letter, width in zip("ABCD", (26, 18, 30, 36), strict=True):
        sheet.column_dimensions[letter].width = width
