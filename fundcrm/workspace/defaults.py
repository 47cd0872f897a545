"""The due-diligence items every new installation starts with; administrators edit them at
/admin/dd-templates. Migration 0003 seeds them."""

DEFAULT_DD_TEMPLATE = {
    "financial": [
        "近三年审计报告及财务报表核查",
        "收入确认与主要客户合同抽查",
        "银行流水与货币资金核查",
        "应收账款、存货盘点与减值测试",
        "税务合规与政府补助核查",
        "财务预测与本轮资金用途复核",
    ],
    "legal": [
        "工商登记、历史沿革与股权结构核查",
        "知识产权（专利、软件著作权）权属核查",
        "重大合同、对外担保与关联交易核查",
        "诉讼、仲裁与行政处罚检索",
        "劳动用工、核心人员竞业限制与股权激励",
        "数据安全与个人信息保护合规",
    ],
    "business": [
        "商业模式与核心竞争力访谈",
        "主要客户与应用场景访谈",
        "供应链、产能与生产现场考察",
        "市场空间与竞争格局分析",
        "创始团队与管理层背景调查",
        "在渝落地与返投计划核实",
    ],
    "technical": [
        "核心技术路线与外部专家评审",
        "研发团队、研发投入与专利布局",
        "产品样机测试与性能验证",
        "大模型训练数据来源与算法合规",
        "关键零部件国产化与供应风险",
        "技术成熟度与量产可行性评估",
    ],
}


def template_rows() -> list[dict]:
    return [
        {"workstream": stream, "title": title, "position": i, "active": True}
        for stream, titles in DEFAULT_DD_TEMPLATE.items()
        for i, title in enumerate(titles, start=1)
    ]
