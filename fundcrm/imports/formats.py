"""The columns of each interchange kind (DOMAIN.md section 9): code, Chinese label, cell type.

A file's header names each column by its code or by its Chinese label (a trailing `*`, the
mark of a required column in the template, is ignored). Exports write the codes.
"""

from dataclasses import dataclass
from functools import cached_property

from flask_babel import lazy_gettext as _l

from fundcrm.domain.vocab import (
    APPLICATION_FIELDS,
    DISTRICTS,
    ENTERPRISE_STAGES,
    FOCUS_AREAS,
    LP_TYPES,
    REINVEST_AREAS,
    REINVEST_BASES,
    ROUNDS,
    SOURCES,
    SPECIALIZED_LEVELS,
    STAGES,
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
        Column("code", "代码", CODE, True, max_length=30),
        Column("name", "子基金名称", TEXT, True, max_length=200),
        Column("name_en", "英文名称", TEXT, max_length=200),
        Column("target_wan", "目标规模(万元)", WAN, True),
        Column("first_close", "首次交割日", DATE),
        Column("investment_end", "投资期截止日", DATE),
        Column("term_end", "存续期截止日", DATE),
        Column("allowed_stages", "可投企业阶段", VOCAB_LIST, vocabulary=ENTERPRISE_STAGES),
        Column("focus_areas", "投资方向", VOCAB_LIST, vocabulary=FOCUS_AREAS),
        Column("project_cap_pct", "单项目上限(%)", PCT),
        Column("ic_quorum", "投决会法定人数", RATIO, max_length=20),
        Column("ic_threshold", "投决通过比例", RATIO, max_length=20),
    ),
)

COMMITMENTS = Kind(
    "commitments",
    _l("Commitments"),
    (
        Column("lp_name", "出资人", TEXT, True, max_length=200),
        Column("lp_type", "出资人类型", VOCAB, True, vocabulary=LP_TYPES),
        Column("is_government", "政府出资", BOOL, True),
        Column("sub_fund", "子基金", CODE, True, max_length=30),
        Column("committed_wan", "认缴金额(万元)", WAN, True),
        Column("reinvest_ratio", "返投比例", DECIMAL),
        Column("reinvest_area", "返投区域", VOCAB_LIST, vocabulary=REINVEST_AREAS),
        Column("reinvest_base", "返投基数", VOCAB, vocabulary=REINVEST_BASES),
    ),
)

COMPANIES = Kind(
    "companies",
    _l("Companies"),
    (
        Column("name", "企业名称", TEXT, True, max_length=200),
        Column("uscc", "统一社会信用代码", USCC, True),
        Column("name_en", "英文名称", TEXT, max_length=200),
        Column("district", "所在区县", VOCAB, vocabulary=DISTRICTS),
        Column("city", "所在城市", TEXT, max_length=50),
        Column("zone", "产业集聚区", VOCAB, vocabulary=ZONES),
        Column("founded_on", "成立日期", DATE),
        Column("headcount", "员工人数", INT),
        Column("website", "网站", TEXT, max_length=200),
        Column("focus_area", "重点方向", VOCAB, True, vocabulary=FOCUS_AREAS),
        Column("application_fields", "应用领域", VOCAB_LIST, vocabulary=APPLICATION_FIELDS),
        Column("enterprise_stage", "企业阶段", VOCAB, True, vocabulary=ENTERPRISE_STAGES),
        Column("specialized_level", "专精特新", VOCAB, vocabulary=SPECIALIZED_LEVELS),
        Column("description", "简介", TEXT, max_length=5000),
    ),
)

DEALS = Kind(
    "deals",
    _l("Deals"),
    (
        Column("deal_ref", "项目编号", CODE, max_length=30),
        Column("company_uscc", "企业统一社会信用代码", USCC, True),
        Column("round", "轮次", VOCAB, vocabulary=ROUNDS),
        Column("sub_fund", "子基金", CODE, True, max_length=30),
        Column("stage", "项目阶段", VOCAB, True, vocabulary=STAGES),
        Column("source", "项目来源", VOCAB, vocabulary=SOURCES),
        Column("owner_email", "负责人邮箱", EMAIL, True, max_length=254),
        Column("ask_wan", "融资金额(万元)", WAN),
        Column("proposed_wan", "拟投金额(万元)", WAN),
        Column("pre_money_wan", "投前估值(万元)", WAN),
        Column("next_step", "下一步", TEXT, max_length=300),
        Column("next_step_due", "下一步截止日", DATE),
        Column("pass_reason", "放弃原因", TEXT, max_length=500),
        Column("created_on", "创建日期", DATE),
    ),
)

KINDS: dict[str, Kind] = {k.code: k for k in (SUB_FUNDS, COMMITMENTS, COMPANIES, DEALS)}
