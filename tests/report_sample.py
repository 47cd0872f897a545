"""A made-up annual report (fundcrm.reports.model) with every kind of cell, block and chart, for
the layouts' tests: the PDF's and the workbook's. Its figures mean nothing."""

from datetime import UTC, date, datetime
from decimal import Decimal

from fundcrm.reports.model import Chart, Column, Rate, Report, Section, Table, Text, money_total

AREAS = ["大模型", "具身智能", "机器人本体"]


def sample_report(
    draft: bool = True, language: str = "zh", file_format: str = "pdf", rows: int = 60
) -> Report:
    allocation = Table(
        "allocation_focus_area",
        "按重点方向",
        [
            Column("focus_area", "重点方向", "text", 2),
            Column("cost", "成本", "money"),
            Column("cost_share", "占比", "share"),
            Column("fair_value", "公允价值", "money"),
            Column("fair_value_share", "占比", "share"),
        ],
        [
            [
                a,
                Decimal(1_000_000 * (i + 1)) + Decimal("0.01"),
                Decimal(i + 1) / 6,
                Decimal(1_500_000 * (i + 1)),
                Decimal(i + 1) / 6,
            ]
            for i, a in enumerate(AREAS)
        ],
    )
    allocation.total = [
        "合计",
        money_total(allocation.values("cost")),
        Decimal(1),
        money_total(allocation.values("fair_value")),
        Decimal(1),
    ]
    schedule = Table(
        "schedule",
        "投资明细",
        [
            Column("company", "公司", "text", 3),
            Column("first_on", "首次投资", "date"),
            Column("invested", "投资成本", "money"),
            Column("equity_pct", "持股", "pct"),
            Column("fair_value", "公允价值", "money"),
            Column("moic", "MOIC", "multiple"),
            Column("gross_irr", "毛IRR", "rate"),
        ],
        [
            [
                f"重庆样例智能科技有限公司{i:03d}（两江新区）",
                date(2024, 1 + i % 12, 1 + i % 28),
                Decimal(123456789 + i) / 100,
                Decimal("12.5"),
                Decimal(200000000 + i) / 100,
                Decimal("1.62") if i % 3 else None,
                Rate(0.1234 if i % 4 else None, annualised=i % 5 != 0),
            ]
            for i in range(rows)
        ],
    )
    schedule.total = [
        "合计",
        None,
        money_total(schedule.values("invested")),
        None,
        money_total(schedule.values("fair_value")),
        None,
        None,
    ]
    flows = Table(
        "cash_flows_net",
        "现金流（LP 视角）",
        [
            Column("sub_fund", "子基金"),
            Column("on", "日期", "date"),
            Column("kind", "类型"),
            Column("amount", "金额", "money"),
        ],
        [
            ["ANGEL", date(2024, 3, 1), "实缴出资", Decimal("-50000000.00")],
            ["ANGEL", date(2025, 6, 30), "分配", Decimal("2500000.00")],
            ["ANGEL", date(2025, 12, 31), "净资产", Decimal("61000000.55")],
            ["ANGEL", date(2025, 12, 31), '=HYPERLINK("http://x")', Decimal("0")],
        ],
    )
    deployment = Table(
        "deployment",
        "投资进度",
        [
            Column("on", "日期", "date"),
            Column("invested", "累计投资", "money"),
            Column("committed", "认缴规模", "money"),
            Column("share", "投资比例", "share"),
        ],
        [
            [date(2025, m, d), Decimal(10_000_000 * i), Decimal(500_000_000), Decimal(i) / 50]
            for i, (m, d) in enumerate(((3, 31), (6, 30), (9, 30), (12, 31)), start=1)
        ],
    )
    funnel = Table(
        "pipeline_stages",
        "阶段",
        [
            Column("stage", "阶段"),
            Column("reached", "到达", "int"),
            Column("conversion", "转化率", "share"),
            Column("median_days", "中位天数", "int"),
        ],
        [
            ["项目储备", 120, Decimal("0.5"), 30],
            ["初筛", 60, Decimal("0.5"), 21],
            ["立项", 30, Decimal("0.4"), 14],
            ["尽职调查", 12, None, None],
        ],
    )
    empty = Table(
        "exits",
        "年内退出与核销",
        [Column("company", "公司"), Column("amount", "金额", "money")],
        empty="年内无退出。",
    )
    sections = [
        Section(
            "1",
            "overview",
            "概览",
            [
                Text("本报告截至 2025 年 12 月 31 日。" * 8),
                deployment,
                Chart(
                    "deployment", "投资进度", "line", deployment, "on", ["invested", "committed"]
                ),
            ],
        ),
        Section("3", "performance", "业绩", [flows]),
        Section("4", "investments", "投资明细", [schedule, empty]),
        Section(
            "5",
            "allocation",
            "配置",
            [
                Chart(
                    "allocation_focus_area",
                    "按重点方向（成本）",
                    "pie",
                    allocation,
                    "focus_area",
                    ["cost"],
                ),
                allocation,
                Chart(
                    "allocation_focus_area_bar",
                    "按重点方向",
                    "bar",
                    allocation,
                    "focus_area",
                    ["cost", "fair_value"],
                    note="同一公司可计入多个应用领域。",
                ),
            ],
        ),
        Section(
            "7",
            "pipeline",
            "项目储备",
            [
                Text("小标题", "h2"),
                funnel,
                Chart("funnel", "漏斗", "funnel", funnel, "stage", ["reached"]),
            ],
        ),
    ]
    return Report(
        year=2025,
        as_of=date(2025, 12, 31),
        language=language,
        edition="staff",
        fund_name="重庆 AI 及服务机器人基金",
        title="2025 年度投资组合报告",
        scope="全基金",
        sub_fund=None,
        lp_name=None,
        draft=draft,
        generated_at=datetime(2026, 1, 5, 2, 30, tzinfo=UTC),
        generated_by="周静",
        sections=sections,
        figures={"as_of": "2025-12-31"},
        labels={
            "confidential": "机密",
            "draft": "草稿 · 未发布",
            "contents": "目录",
            "page_of": "第 %(page)s 页，共 %(pages)s 页",
            "unit_note": "金额单位：万元。",
            "workbook_unit_note": "金额单位：元（精确到分）。",
            "none": "无。",
            "total": "合计",
            "not_meaningful": "n.m.",
            "generated": "%(when)s 由 %(who)s 生成",
            "edition": "员工版",
        },
        file_format=file_format,
        locale="zh_Hans_CN" if language == "zh" else "en",
    )
