"""The investment committee's and the portfolio's vocabularies (DOMAIN.md sections 4 and 6)."""

from fundcrm.domain.vocabulary import from_rows as _vocab

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

LP_FLOW_KINDS = _vocab(
    "lp_flow_kind",
    """
call|实缴出资|Capital call
distribution|分配|Distribution
""",
)

# A dated change of a commitment (DOMAIN.md section 1); the amount is positive, the kind gives
# the direction (a transfer moves part of the commitment to another LP's in the same sub-fund).
COMMITMENT_CHANGE_KINDS = _vocab(
    "commitment_change_kind",
    """
increase|增资|Increase
decrease|减资|Decrease
transfer|转让|Transfer
""",
)

EXPENSE_KINDS = _vocab(
    "expense_kind",
    """
management_fee|管理费|Management fee
expense|基金费用|Fund expense
""",
)

VALUATION_METHODS = _vocab(
    "valuation_method",
    """
recent_round|最近融资价格|Recent round
comparables|可比公司法|Comparables
dcf|现金流折现法|DCF
cost|成本法|Cost
other|其他|Other
""",
)

MARK_STATUSES = _vocab(
    "mark_status",
    """
pending|待复核|Pending review
counted|已生效|Counted
rejected|已退回|Rejected
""",
)

EXIT_KINDS = _vocab(
    "exit_kind",
    """
partial|部分退出|Partial exit
full|全部退出|Full exit
""",
)
