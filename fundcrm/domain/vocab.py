"""The vocabularies of DOMAIN.md section 2: codes with their Chinese and English labels."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    code: str
    zh: str
    en: str

    def label(self, locale: str) -> str:
        return self.zh if locale.startswith("zh") else self.en


class Vocabulary:
    def __init__(self, name: str, terms: list[Term]):
        self.name = name
        self.terms = terms
        self._by_code = {t.code: t for t in terms}
        # code → label per language, built once: pages look labels up per cell
        self._zh = {t.code: t.zh for t in terms}
        self._en = {t.code: t.en for t in terms}
        self._choices = {
            True: [(t.code, t.zh) for t in terms],
            False: [(t.code, t.en) for t in terms],
        }

    @property
    def codes(self) -> list[str]:
        return [t.code for t in self.terms]

    def __contains__(self, code: str) -> bool:
        return code in self._by_code

    def __getitem__(self, code: str) -> Term:
        return self._by_code[code]

    def labels(self, locale: str) -> dict[str, str]:
        """Every code's label in the language (a shared dict: read it, do not change it)."""
        return self._zh if locale.startswith("zh") else self._en

    def label(self, code: str, locale: str) -> str:
        return self.labels(locale).get(code, code)

    def choices(self, locale: str) -> list[tuple[str, str]]:
        return list(self._choices[locale.startswith("zh")])


def _vocab(name: str, rows: str) -> Vocabulary:
    """Build a vocabulary from lines of `code|中文|English`."""
    terms = [
        Term(*(part.strip() for part in line.split("|"))) for line in rows.strip().splitlines()
    ]
    return Vocabulary(name, terms)


ROLES = _vocab(
    "role",
    """
admin|系统管理员|Administrator
manager|投资经理|Investment manager
ic_member|投委委员|IC member
risk|风控合规|Risk & compliance
viewer|出资人代表|LP representative
""",
)

FOCUS_AREAS = _vocab(
    "focus_area",
    """
large_model|大模型|Large models
embodied_ai|具身智能|Embodied AI
robot_body|机器人本体|Robot body
""",
)

ENTERPRISE_STAGES = _vocab(
    "enterprise_stage",
    """
startup|初创期|Start-up
growth|成长期|Growth
mature|成熟期|Mature
""",
)

APPLICATION_FIELDS = _vocab(
    "application_field",
    """
cleaning|清洁服务|Cleaning
logistics|物流服务|Logistics
medical|医疗服务|Medical
home|居家服务|Home
special|特种服务|Special-purpose
humanoid|人形机器人|Humanoid robots
general|通用|General
""",
)

# Chongqing's 38 districts and counties; the code is the Chinese name itself.
DISTRICTS = _vocab(
    "district",
    """
万州区|万州区|Wanzhou District
涪陵区|涪陵区|Fuling District
渝中区|渝中区|Yuzhong District
大渡口区|大渡口区|Dadukou District
江北区|江北区|Jiangbei District
沙坪坝区|沙坪坝区|Shapingba District
九龙坡区|九龙坡区|Jiulongpo District
南岸区|南岸区|Nan'an District
北碚区|北碚区|Beibei District
綦江区|綦江区|Qijiang District
大足区|大足区|Dazu District
渝北区|渝北区|Yubei District
巴南区|巴南区|Banan District
黔江区|黔江区|Qianjiang District
长寿区|长寿区|Changshou District
江津区|江津区|Jiangjin District
合川区|合川区|Hechuan District
永川区|永川区|Yongchuan District
南川区|南川区|Nanchuan District
璧山区|璧山区|Bishan District
铜梁区|铜梁区|Tongliang District
潼南区|潼南区|Tongnan District
荣昌区|荣昌区|Rongchang District
开州区|开州区|Kaizhou District
梁平区|梁平区|Liangping District
武隆区|武隆区|Wulong District
城口县|城口县|Chengkou County
丰都县|丰都县|Fengdu County
垫江县|垫江县|Dianjiang County
忠县|忠县|Zhong County
云阳县|云阳县|Yunyang County
奉节县|奉节县|Fengjie County
巫山县|巫山县|Wushan County
巫溪县|巫溪县|Wuxi County
石柱土家族自治县|石柱土家族自治县|Shizhu Tujia Autonomous County
秀山土家族苗族自治县|秀山土家族苗族自治县|Xiushan Tujia and Miao Autonomous County
酉阳土家族苗族自治县|酉阳土家族苗族自治县|Youyang Tujia and Miao Autonomous County
彭水苗族土家族自治县|彭水苗族土家族自治县|Pengshui Miao and Tujia Autonomous County
""",
)

ZONES = _vocab(
    "zone",
    """
liangjiang|两江新区|Liangjiang New Area
science_city|西部科学城重庆高新区|Western Science City (Chongqing Hi-tech Zone)
central|中心城区|Central urban area
west|渝西地区|Western Chongqing
other_cq|重庆其他区县|Other Chongqing districts
outside|重庆市外|Outside Chongqing
""",
)

ROUNDS = _vocab(
    "round",
    """
angel|天使轮|Angel
pre_a|Pre-A轮|Pre-A
a|A轮|Series A
a_plus|A+轮|Series A+
b|B轮|Series B
c|C轮|Series C
d_plus|D轮及以后|Series D and later
pre_ipo|Pre-IPO轮|Pre-IPO
strategic|战略融资|Strategic
""",
)

SOURCES = _vocab(
    "source",
    """
own|自主挖掘|Own sourcing
referral|机构推荐|Institution referral
government|政府推荐|Government referral
park|园区/孵化器|Park / incubator
competition|路演/赛事|Roadshow / competition
lp|出资人推荐|LP referral
inbound|主动来访|Inbound
""",
)

SPECIALIZED_LEVELS = _vocab(
    "specialized_level",
    """
none|无|None
province|省级专精特新|Provincial specialised SME
little_giant|国家级专精特新"小巨人"|National "little giant"
""",
)

STAGES = _vocab(
    "stage",
    """
sourcing|项目储备|Sourcing
screening|初筛|Screening
approved|立项|Approved
due_diligence|尽职调查|Due diligence
ic|投决|Investment committee
signing|签约|Signing
closed|交割(已投)|Closed (invested)
on_hold|暂缓|On hold
passed|放弃|Passed
""",
)

LP_TYPES = _vocab(
    "lp_type",
    """
city_fof|市级母基金|City fund of funds
district_fof|区级母基金|District fund of funds
industry_leader|行业龙头企业|Industry leader
institution|专业投资机构|Professional investor
gp|管理人|GP
""",
)

REINVEST_BASES = _vocab(
    "reinvest_base",
    """
committed|认缴规模|Committed amount
paid_in|实缴规模|Paid-in amount
""",
)

DD_WORKSTREAMS = _vocab(
    "dd_workstream",
    """
financial|财务|Financial
legal|法务|Legal
business|业务|Business
technical|技术|Technical
""",
)

ACTIVITY_KINDS = _vocab(
    "activity_kind",
    """
meeting|会议|Meeting
call|电话|Call
site_visit|实地考察|Site visit
email|邮件|Email
roadshow|路演|Roadshow
""",
)

DD_STATUSES = _vocab(
    "dd_status",
    """
open|待办|Open
in_progress|进行中|In progress
done|已完成|Done
waived|豁免|Waived
""",
)

SEVERITIES = _vocab(
    "severity",
    """
none|无|None
low|低|Low
medium|中|Medium
high|高|High
red_flag|重大风险（红旗）|Red flag
""",
)

# The sections of an IC memo (投资建议书), DOMAIN.md section 4, in order.
MEMO_SECTIONS = _vocab(
    "memo_section",
    """
summary|摘要|Summary
company_team|公司与团队|Company & team
technology|技术与产品|Technology & products
market|市场与竞争|Market & competition
financials|财务情况|Financials
valuation_terms|估值与条款|Valuation & terms
dd_findings|尽调发现|DD findings
risks|风险与应对|Risks & mitigations
mandate_fit|投资范围与返投|Mandate & re-investment fit
recommendation|投资建议|Recommendation
""",
)

MEMO_STATUSES = _vocab(
    "memo_status",
    """
draft|草稿|Draft
submitted|已提交|Submitted
""",
)

# A member's vote on an agenda item, and the outcome of closing it (DOMAIN.md section 4).
VOTE_CHOICES = _vocab(
    "vote_choice",
    """
approve|同意|Approve
approve_conditions|附条件同意|Approve with conditions
reject|不同意|Reject
abstain|弃权|Abstain
""",
)

DECISION_OUTCOMES = _vocab(
    "decision_outcome",
    """
approve|同意|Approved
approve_conditions|附条件同意|Approved with conditions
reject|不同意|Rejected
no_quorum|未达法定人数|No quorum
""",
)

# A decision's condition: met before closing (precedent) or tracked after it (subsequent).
CONDITION_KINDS = _vocab(
    "condition_kind",
    """
precedent|先决条件|Condition precedent
subsequent|后续条件|Condition subsequent
""",
)

# `overdue` is not stored: an open condition whose due date has passed reads so.
CONDITION_STATUSES = _vocab(
    "condition_status",
    """
open|待落实|Open
met|已落实|Met
waived|已豁免|Waived
overdue|已逾期|Overdue
""",
)

# Portfolio transactions (DOMAIN.md section 6) and the kind of an exit.
TRANSACTION_KINDS = _vocab(
    "transaction_kind",
    """
investment|投资|Investment
proceeds|退出回款|Proceeds
dividend|分红|Dividend
write_off|核销|Write-off
""",
)

EXIT_KINDS = _vocab(
    "exit_kind",
    """
partial|部分退出|Partial exit
full|全部退出|Full exit
""",
)

REINVEST_AREAS = Vocabulary(
    "reinvest_area",
    [Term("chongqing", "重庆市（全市）", "Chongqing (whole city)"), *DISTRICTS.terms],
)

VOCABULARIES = {
    v.name: v
    for v in (
        ROLES,
        FOCUS_AREAS,
        ENTERPRISE_STAGES,
        APPLICATION_FIELDS,
        DISTRICTS,
        ZONES,
        ROUNDS,
        SOURCES,
        SPECIALIZED_LEVELS,
        STAGES,
        LP_TYPES,
        REINVEST_BASES,
        DD_WORKSTREAMS,
        MEMO_SECTIONS,
        MEMO_STATUSES,
        VOTE_CHOICES,
        DECISION_OUTCOMES,
        CONDITION_KINDS,
        CONDITION_STATUSES,
        TRANSACTION_KINDS,
        EXIT_KINDS,
        REINVEST_AREAS,
        ACTIVITY_KINDS,
        DD_STATUSES,
        SEVERITIES,
    )
}


def lookup(vocabulary: Vocabulary, value: str) -> str | None:
    """The code for a cell or form value given as a code or a Chinese label, else None."""
    value = (value or "").strip()
    if value in vocabulary:
        return value
    for term in vocabulary.terms:
        if value in (term.zh, term.en):
            return term.code
    return None
