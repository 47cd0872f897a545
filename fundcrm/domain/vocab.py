"""The vocabularies of DOMAIN.md section 2: codes with their Chinese and English labels."""

from fundcrm.domain.vocab_ic import (
    COMMITMENT_CHANGE_KINDS,
    CONDITION_KINDS,
    CONDITION_STATUSES,
    DECISION_OUTCOMES,
    EXIT_KINDS,
    EXPENSE_KINDS,
    LP_FLOW_KINDS,
    MARK_STATUSES,
    MEMO_SECTIONS,
    MEMO_STATUSES,
    TRANSACTION_KINDS,
    VALUATION_METHODS,
    VOTE_CHOICES,
)
from fundcrm.domain.vocabulary import Term, Vocabulary
from fundcrm.domain.vocabulary import from_rows as _vocab

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

# A portfolio company's milestones (DOMAIN.md sections 2 and 7); the codes are the ones the
# milestones table's check constraint allows.
MILESTONE_KINDS = _vocab(
    "milestone_kind",
    """
technology|关键核心技术突破|Key core technology breakthrough
product|高技术产品|High-tech product
scenario|应用场景|Application scenario
introduced|引进落户重庆|Brought to Chongqing
recognised|获评知名企业|Recognised as a well-known company
""",
)

# A request to override a mandate breach (DOMAIN.md section 3); the codes are the ones the
# override_requests table's check constraint allows.
OVERRIDE_STATUSES = _vocab(
    "override_status",
    """
pending|待风控审批|Waiting for risk
performed|已特批执行|Performed
declined|已驳回|Declined
withdrawn|已撤回|Withdrawn
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
        LP_FLOW_KINDS,
        COMMITMENT_CHANGE_KINDS,
        EXPENSE_KINDS,
        VALUATION_METHODS,
        MARK_STATUSES,
        REINVEST_AREAS,
        ACTIVITY_KINDS,
        DD_STATUSES,
        SEVERITIES,
        OVERRIDE_STATUSES,
        MILESTONE_KINDS,
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
