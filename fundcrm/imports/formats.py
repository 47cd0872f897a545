"""The columns of each interchange kind (DOMAIN.md section 9): code, Chinese label, cell type.

A file's header names each column by its code or by its Chinese label (a trailing `*`, the
mark of a required column in the template, is ignored). Exports write the codes; an export
for reading writes the Chinese label or the English one.
"""

from dataclasses import dataclass
from functools import cached_property

from flask_babel import lazy_gettext as _l

from fundcrm.domain.vocab import (
    APPLICATION_FIELDS,
    DISTRICTS,
    ENTERPRISE_STAGES,
    EXIT_KINDS,
    EXPENSE_KINDS,
    FOCUS_AREAS,
    LP_FLOW_KINDS,
    LP_TYPES,
    MILESTONE_KINDS,
    REINVEST_AREAS,
    REINVEST_BASES,
    ROUNDS,
    SOURCES,
    SPECIALIZED_LEVELS,
    STAGES,
    TRANSACTION_KINDS,
    VALUATION_METHODS,
    ZONES,
    Vocabulary,
)

FULL_WIDTH = str.maketrans("（）％", "()%")

# Cell types, parsed by fundcrm.imports.cells
TEXT = "text"
CODE = "code"  # an upper-cased identifier (sub-fund code, deal reference)
USCC = "uscc"
EMAIL = "email"
WAN = "wan"
SIGNED_WAN = "signed_wan"  # 万元 that may be negative (a net loss)
PERIOD = "period"  # a KPI period: a year (2026) or a quarter (2026Q3)
DATE = "date"
INT = "int"
PCT = "pct"
DECIMAL = "decimal"
RATIO = "ratio"
BOOL = "bool"
VOCAB = "vocab"
VOCAB_LIST = "vocab_list"


@dataclass(frozen=True)
class Column:
    code: str
    label: str  # the Chinese label of DOMAIN.md, part of the file format (not translated)
    type: str = TEXT
    required: bool = False
    vocabulary: Vocabulary | None = None
    max_length: int | None = None
    en: str = ""  # the English header of an export for reading (`--labels`)

    def title(self, locale: str) -> str:
        """The header of an export for reading, in that language."""
        return self.label if locale.startswith("zh") else self.en

    @property
    def heading(self) -> str:
        """The template's header: the label, with `*` when the column is required."""
        return f"{self.label}*" if self.required else self.label


def _loose(text: str) -> str:
    return "".join(text.translate(FULL_WIDTH).split())


@dataclass(frozen=True)
class Kind:
    code: str
    title: object  # lazy translated name of the kind
    columns: tuple[Column, ...]

    @cached_property
    def by_code(self) -> dict[str, Column]:
        return {c.code: c for c in self.columns}

    def resolve(self, heading: str) -> Column | None:
        """The column a header cell names, by code or by Chinese label (a trailing `*`,
        full-width brackets and spaces make no difference)."""
        name = _loose(heading.strip().rstrip("*＊"))
        for column in self.columns:
            if name in (column.code, _loose(column.label)) or name.lower() == column.code:
                return column
        return None

    @property
    def vocabularies(self) -> list[tuple[Column, Vocabulary]]:
        return [(c, c.vocabulary) for c in self.columns if c.vocabulary is not None]


SUB_FUNDS = Kind(
    "sub_funds",
    _l("Sub-funds"),
    (
        Column("code", "代码", CODE, True, max_length=30, en="Code"),
        Column("name", "子基金名称", TEXT, True, max_length=200, en="Sub-fund name"),
        Column("name_en", "英文名称", TEXT, max_length=200, en="English name"),
        Column("target_wan", "目标规模(万元)", WAN, True, en="Target size (万元)"),
        Column("first_close", "首次交割日", DATE, en="First close"),
        Column("investment_end", "投资期截止日", DATE, en="Investment period ends"),
        Column("term_end", "存续期截止日", DATE, en="Term ends"),
        Column(
            "allowed_stages",
            "可投企业阶段",
            VOCAB_LIST,
            vocabulary=ENTERPRISE_STAGES,
            en="Allowed enterprise stages",
        ),
        Column("focus_areas", "投资方向", VOCAB_LIST, vocabulary=FOCUS_AREAS, en="Focus areas"),
        Column("project_cap_pct", "单项目上限(%)", PCT, en="Single-project cap (%)"),
        Column("ic_quorum", "投决会法定人数", RATIO, max_length=20, en="IC quorum"),
        Column("ic_threshold", "投决通过比例", RATIO, max_length=20, en="IC approval threshold"),
        Column("ic_min_eligible", "最少有效表决人数", INT, en="IC minimum eligible members"),
    ),
)

COMMITMENTS = Kind(
    "commitments",
    _l("Commitments"),
    (
        Column("lp_name", "出资人", TEXT, True, max_length=200, en="LP"),
        Column("lp_type", "出资人类型", VOCAB, True, vocabulary=LP_TYPES, en="LP type"),
        Column("is_government", "政府出资", BOOL, True, en="Government LP"),
        Column("sub_fund", "子基金", CODE, True, max_length=30, en="Sub-fund"),
        Column("committed_wan", "认缴金额(万元)", WAN, True, en="Committed (万元)"),
        Column("committed_on", "认缴日期", DATE, en="Committed on"),
        Column("reinvest_ratio", "返投比例", DECIMAL, en="Re-investment ratio"),
        Column(
            "reinvest_area",
            "返投区域",
            VOCAB_LIST,
            vocabulary=REINVEST_AREAS,
            en="Re-investment area",
        ),
        Column(
            "reinvest_base", "返投基数", VOCAB, vocabulary=REINVEST_BASES, en="Re-investment base"
        ),
    ),
)

COMPANIES = Kind(
    "companies",
    _l("Companies"),
    (
        Column("name", "企业名称", TEXT, True, max_length=200, en="Company name"),
        Column("uscc", "统一社会信用代码", USCC, True, en="USCC"),
        Column("name_en", "英文名称", TEXT, max_length=200, en="English name"),
        Column("district", "所在区县", VOCAB, vocabulary=DISTRICTS, en="District"),
        Column("city", "所在城市", TEXT, max_length=50, en="City"),
        Column("zone", "产业集聚区", VOCAB, vocabulary=ZONES, en="Cluster zone"),
        Column("founded_on", "成立日期", DATE, en="Founded on"),
        Column("headcount", "员工人数", INT, en="Headcount"),
        Column("website", "网站", TEXT, max_length=200, en="Website"),
        Column("focus_area", "重点方向", VOCAB, True, vocabulary=FOCUS_AREAS, en="Focus area"),
        Column(
            "application_fields",
            "应用领域",
            VOCAB_LIST,
            vocabulary=APPLICATION_FIELDS,
            en="Application fields",
        ),
        Column(
            "enterprise_stage",
            "企业阶段",
            VOCAB,
            True,
            vocabulary=ENTERPRISE_STAGES,
            en="Enterprise stage",
        ),
        Column(
            "specialized_level",
            "专精特新",
            VOCAB,
            vocabulary=SPECIALIZED_LEVELS,
            en="Specialised SME level",
        ),
        Column("description", "简介", TEXT, max_length=5000, en="Description"),
    ),
)

DEALS = Kind(
    "deals",
    _l("Deals"),
    (
        Column("deal_ref", "项目编号", CODE, max_length=30, en="Reference"),
        Column("company_uscc", "企业统一社会信用代码", USCC, True, en="Company USCC"),
        Column(
            "company_name", "企业名称", TEXT, max_length=200, en="Company name"
        ),  # for reading; not imported
        Column("round", "轮次", VOCAB, vocabulary=ROUNDS, en="Round"),
        Column("sub_fund", "子基金", CODE, True, max_length=30, en="Sub-fund"),
        Column("stage", "项目阶段", VOCAB, True, vocabulary=STAGES, en="Stage"),
        Column("source", "项目来源", VOCAB, vocabulary=SOURCES, en="Source"),
        Column("owner_email", "负责人邮箱", EMAIL, True, max_length=254, en="Owner email"),
        Column("ask_wan", "融资金额(万元)", WAN, en="Amount sought (万元)"),
        Column("proposed_wan", "拟投金额(万元)", WAN, en="Proposed amount (万元)"),
        Column("pre_money_wan", "投前估值(万元)", WAN, en="Pre-money valuation (万元)"),
        Column("next_step", "下一步", TEXT, max_length=300, en="Next step"),
        Column("next_step_due", "下一步截止日", DATE, en="Next step due"),
        Column("pass_reason", "放弃原因", TEXT, max_length=500, en="Pass reason"),
        Column("created_on", "创建日期", DATE, en="Created on"),
    ),
)


def _company_uscc() -> Column:
    return Column("company_uscc", "企业统一社会信用代码", USCC, True, en="Company USCC")


def _sub_fund() -> Column:
    return Column("sub_fund", "子基金", CODE, True, max_length=30, en="Sub-fund")


def _on() -> Column:
    return Column("date", "日期", DATE, True, en="Date")


def _amount() -> Column:
    return Column("amount_wan", "金额(万元)", WAN, True, en="Amount (万元)")


TRANSACTIONS = Kind(
    "transactions",
    _l("Portfolio transactions"),
    (
        _company_uscc(),
        _sub_fund(),
        _on(),
        Column("type", "类型", VOCAB, True, vocabulary=TRANSACTION_KINDS, en="Type"),
        # a write-off's amount is informational: 0 allowed (DOMAIN.md section 6)
        _amount(),
        Column("exit", "退出类型", VOCAB, vocabulary=EXIT_KINDS, en="Exit"),
        Column("round", "轮次", VOCAB, vocabulary=ROUNDS, en="Round"),
        Column("equity_pct", "持股比例(%)", PCT, en="Ownership (%)"),
        Column("post_money_wan", "投后估值(万元)", WAN, en="Post-money valuation (万元)"),
        Column("note", "备注", TEXT, max_length=2000, en="Note"),
    ),
)

VALUATIONS = Kind(
    "valuations",
    _l("Valuation marks"),
    (
        _company_uscc(),
        _sub_fund(),
        _on(),
        Column("fair_value_wan", "公允价值(万元)", WAN, True, en="Fair value (万元)"),
        Column("method", "估值方法", VOCAB, True, vocabulary=VALUATION_METHODS, en="Method"),
        Column("note", "备注", TEXT, max_length=2000, en="Note"),
    ),
)

LP_FLOWS = Kind(
    "lp_flows",
    _l("LP calls and distributions"),
    (
        Column("lp_name", "出资人", TEXT, True, max_length=200, en="LP"),
        _sub_fund(),
        _on(),
        Column("type", "类型", VOCAB, True, vocabulary=LP_FLOW_KINDS, en="Type"),
        _amount(),
    ),
)

EXPENSES = Kind(
    "expenses",
    _l("Fees and expenses"),
    (
        _sub_fund(),
        _on(),
        Column("kind", "类别", VOCAB, True, vocabulary=EXPENSE_KINDS, en="Kind"),
        _amount(),
    ),
)

KPIS = Kind(
    "kpis",
    _l("Company KPIs"),
    (
        _company_uscc(),
        Column("period", "期间", PERIOD, True, en="Period"),
        Column("revenue_wan", "营业收入(万元)", WAN, en="Revenue (万元)"),
        Column("cq_revenue_wan", "重庆营业收入(万元)", WAN, en="Revenue in Chongqing (万元)"),
        Column("net_profit_wan", "净利润(万元)", SIGNED_WAN, en="Net profit (万元)"),
        Column("headcount", "员工人数", INT, en="Headcount"),
        Column("rd_wan", "研发投入(万元)", WAN, en="R&D spending (万元)"),
        Column("patents", "专利数", INT, en="Patents"),
    ),
)

MILESTONES = Kind(
    "milestones",
    _l("Milestones"),
    (
        _company_uscc(),
        Column("kind", "类别", VOCAB, True, vocabulary=MILESTONE_KINDS, en="Kind"),
        Column("title", "名称", TEXT, True, max_length=200, en="Title"),
        _on(),
        Column("evidence", "佐证", TEXT, max_length=1000, en="Evidence"),
    ),
)

KINDS: dict[str, Kind] = {
    k.code: k
    for k in (
        SUB_FUNDS, COMMITMENTS, COMPANIES, DEALS, TRANSACTIONS, VALUATIONS, LP_FLOWS, EXPENSES,
        KPIS, MILESTONES,
    )
}  # fmt: skip
