"""The names of the records a page of history refers to: one query per kind of record."""

from collections.abc import Callable, Iterable

from flask_babel import format_date
from flask_babel import gettext as _
from sqlmodel import Session, select

from fundcrm.i18n import current_locale, vocab_label
from fundcrm.models import (
    Activity,
    ApiToken,
    Commitment,
    CommitmentChange,
    Company,
    CompanyKpi,
    Contact,
    DDItem,
    DDTemplateItem,
    Deal,
    DealSubFund,
    Document,
    FundExpense,
    FundSettings,
    Holding,
    IcAgendaItem,
    IcAnswer,
    IcCondition,
    IcConflict,
    IcDecision,
    IcMeeting,
    IcMeetingMember,
    IcMemo,
    IcMemoVersion,
    IcQuestion,
    IcVote,
    IssuedReport,
    LimitedPartner,
    LpFlow,
    Milestone,
    OverrideRequest,
    PeriodClose,
    PortfolioTransaction,
    Relocation,
    StageMove,
    SubFund,
    Task,
    User,
    ValuationMark,
)
from fundcrm.views import MAX_ID


def joined(*parts) -> str:
    return " · ".join(str(p) for p in parts if p not in (None, ""))


def _localised(name: str, name_en: str | None) -> str:
    return name_en if name_en and not current_locale().startswith("zh") else name


# For each kind of record: the statement reading the names of some of them (the first column
# is the id, or the email for accounts) and how a row of it reads.
NAMES: dict[str, tuple[Callable, Callable]] = {
    "ic_memos": (
        lambda ids: (
            select(IcMemo.id, Deal.deal_ref)
            .join(Deal, Deal.id == IcMemo.deal_id)
            .where(IcMemo.id.in_(ids))
        ),
        lambda r: _("IC memo of %(deal)s", deal=r[1]),
    ),
    "ic_conflicts": (
        lambda ids: (
            select(IcConflict.id, User.name, Company.name)
            .join(User, User.id == IcConflict.member_id)
            .join(Company, Company.id == IcConflict.company_id)
            .where(IcConflict.id.in_(ids))
        ),
        lambda r: f"{r[1]} · {r[2]}",
    ),
    "ic_memo_versions": (
        lambda ids: (
            select(IcMemoVersion.id, Deal.deal_ref, IcMemoVersion.number)
            .join(IcMemo, IcMemo.id == IcMemoVersion.memo_id)
            .join(Deal, Deal.id == IcMemo.deal_id)
            .where(IcMemoVersion.id.in_(ids))
        ),
        lambda r: _("IC memo of %(deal)s, version %(n)s", deal=r[1], n=r[2]),
    ),
    "ic_meetings": (
        lambda ids: select(IcMeeting.id, IcMeeting.held_on, IcMeeting.place).where(
            IcMeeting.id.in_(ids)
        ),
        lambda r: _("IC meeting of %(date)s", date=format_date(r[1])) + f" · {r[2]}",
    ),
    "ic_agenda_items": (
        lambda ids: (
            select(IcAgendaItem.id, Deal.deal_ref, IcMeeting.held_on)
            .join(Deal, Deal.id == IcAgendaItem.deal_id)
            .join(IcMeeting, IcMeeting.id == IcAgendaItem.meeting_id)
            .where(IcAgendaItem.id.in_(ids))
        ),
        lambda r: _("%(deal)s at the IC of %(date)s", deal=r[1], date=format_date(r[2])),
    ),
    "ic_decisions": (
        lambda ids: (
            select(IcDecision.id, Deal.deal_ref, IcDecision.outcome)
            .join(Deal, Deal.id == IcDecision.deal_id)
            .where(IcDecision.id.in_(ids))
        ),
        lambda r: joined(r[1], vocab_label("decision_outcome", r[2])),
    ),
    "ic_meeting_members": (
        lambda ids: (
            select(IcMeetingMember.id, User.name, IcMeeting.held_on)
            .join(User, User.id == IcMeetingMember.member_id)
            .join(IcMeeting, IcMeeting.id == IcMeetingMember.meeting_id)
            .where(IcMeetingMember.id.in_(ids))
        ),
        lambda r: joined(r[1], _("IC meeting of %(date)s", date=format_date(r[2]))),
    ),
    "ic_votes": (
        lambda ids: (
            select(IcVote.id, User.name, Deal.deal_ref)
            .join(User, User.id == IcVote.member_id)
            .join(IcAgendaItem, IcAgendaItem.id == IcVote.item_id)
            .join(Deal, Deal.id == IcAgendaItem.deal_id)
            .where(IcVote.id.in_(ids))
        ),
        lambda r: joined(r[1], r[2]),
    ),
    "ic_questions": (
        lambda ids: select(IcQuestion.id, IcQuestion.text).where(IcQuestion.id.in_(ids)),
        lambda r: r[1][:60],
    ),
    "ic_answers": (
        lambda ids: select(IcAnswer.id, IcAnswer.text).where(IcAnswer.id.in_(ids)),
        lambda r: r[1][:60],
    ),
    "ic_conditions": (
        lambda ids: select(IcCondition.id, IcCondition.text).where(IcCondition.id.in_(ids)),
        lambda r: r[1],
    ),
    "holdings": (
        lambda ids: (
            select(Holding.id, Company.name, SubFund.name, SubFund.name_en)
            .join(Company, Company.id == Holding.company_id)
            .join(SubFund, SubFund.id == Holding.sub_fund_id)
            .where(Holding.id.in_(ids))
        ),
        lambda r: joined(r[1], _localised(r[2], r[3])),
    ),
    "portfolio_transactions": (
        lambda ids: select(
            PortfolioTransaction.id, PortfolioTransaction.kind, PortfolioTransaction.made_on
        ).where(PortfolioTransaction.id.in_(ids)),
        lambda r: joined(vocab_label("transaction_kind", r[1]), format_date(r[2])),
    ),
    "lp_flows": (
        lambda ids: (
            select(LpFlow.id, LimitedPartner.name, LpFlow.kind, LpFlow.flow_on)
            .join(LimitedPartner, LimitedPartner.id == LpFlow.lp_id)
            .where(LpFlow.id.in_(ids))
        ),
        lambda r: joined(r[1], vocab_label("lp_flow_kind", r[2]), format_date(r[3])),
    ),
    "fund_expenses": (
        lambda ids: select(FundExpense.id, FundExpense.kind, FundExpense.spent_on).where(
            FundExpense.id.in_(ids)
        ),
        lambda r: joined(vocab_label("expense_kind", r[1]), format_date(r[2])),
    ),
    "valuation_marks": (
        lambda ids: select(ValuationMark.id, ValuationMark.marked_on).where(
            ValuationMark.id.in_(ids)
        ),
        lambda r: format_date(r[1]),
    ),
    "users": (lambda ids: select(User.id, User.name).where(User.id.in_(ids)), lambda r: r[1]),
    "api_tokens": (
        lambda ids: select(ApiToken.id, ApiToken.name).where(ApiToken.id.in_(ids)),
        lambda r: r[1],
    ),
    "accounts": (
        lambda emails: select(User.email, User.name).where(User.email.in_(emails)),
        lambda r: r[1],
    ),
    "fund_settings": (
        lambda ids: select(FundSettings.id, FundSettings.name, FundSettings.name_en).where(
            FundSettings.id.in_(ids)
        ),
        lambda r: _localised(r[1], r[2]),
    ),
    "sub_funds": (
        lambda ids: select(SubFund.id, SubFund.name, SubFund.name_en).where(SubFund.id.in_(ids)),
        lambda r: _localised(r[1], r[2]),
    ),
    "lps": (
        lambda ids: select(LimitedPartner.id, LimitedPartner.name).where(
            LimitedPartner.id.in_(ids)
        ),
        lambda r: r[1],
    ),
    "commitments": (
        lambda ids: (
            select(Commitment.id, LimitedPartner.name, SubFund.name, SubFund.name_en)
            .join(LimitedPartner, LimitedPartner.id == Commitment.lp_id)
            .join(SubFund, SubFund.id == Commitment.sub_fund_id)
            .where(Commitment.id.in_(ids))
        ),
        lambda r: f"{r[1]} → {_localised(r[2], r[3])}",
    ),
    "commitment_changes": (
        lambda ids: (
            select(
                CommitmentChange.id,
                LimitedPartner.name,
                CommitmentChange.kind,
                CommitmentChange.changed_on,
            )
            .join(Commitment, Commitment.id == CommitmentChange.commitment_id)
            .join(LimitedPartner, LimitedPartner.id == Commitment.lp_id)
            .where(CommitmentChange.id.in_(ids))
        ),
        lambda r: joined(r[1], vocab_label("commitment_change_kind", r[2]), format_date(r[3])),
    ),
    "companies": (
        lambda ids: select(Company.id, Company.name).where(Company.id.in_(ids)),
        lambda r: r[1],
    ),
    "contacts": (
        lambda ids: select(Contact.id, Contact.name).where(Contact.id.in_(ids)),
        lambda r: r[1],
    ),
    "deals": (
        lambda ids: (
            select(Deal.id, Deal.deal_ref, Company.name)
            .join(Company, Company.id == Deal.company_id)
            .where(Deal.id.in_(ids))
        ),
        lambda r: f"{r[1]} {r[2]}",
    ),
    "deal_sub_funds": (
        lambda ids: (
            select(DealSubFund.id, Deal.deal_ref, SubFund.name, SubFund.name_en)
            .join(Deal, Deal.id == DealSubFund.deal_id)
            .join(SubFund, SubFund.id == DealSubFund.sub_fund_id)
            .where(DealSubFund.id.in_(ids))
        ),
        lambda r: joined(r[1], _localised(r[2], r[3])),
    ),
    "override_requests": (
        lambda ids: (
            select(OverrideRequest.id, Deal.deal_ref, OverrideRequest.to_stage)
            .join(Deal, Deal.id == OverrideRequest.deal_id)
            .where(OverrideRequest.id.in_(ids))
        ),
        lambda r: _(
            "Override request: %(deal)s → %(stage)s", deal=r[1], stage=vocab_label("stage", r[2])
        ),
    ),
    "issued_reports": (
        lambda ids: select(IssuedReport.id, IssuedReport.year, IssuedReport.sub_fund_code).where(
            IssuedReport.id.in_(ids)
        ),
        lambda r: _("Annual portfolio report %(year)s", year=r[1]) + (f" · {r[2]}" if r[2] else ""),
    ),
    "period_closes": (
        lambda ids: select(PeriodClose.id, PeriodClose.closed_through).where(
            PeriodClose.id.in_(ids)
        ),
        lambda r: _("Closed through %(date)s", date=format_date(r[1])),
    ),
    "relocations": (
        lambda ids: (
            select(Relocation.id, Company.name, Relocation.effective_on)
            .join(Company, Company.id == Relocation.company_id)
            .where(Relocation.id.in_(ids))
        ),
        lambda r: _("%(company)s relocated on %(date)s", company=r[1], date=format_date(r[2])),
    ),
    "stage_moves": (
        lambda ids: (
            select(StageMove.id, Deal.deal_ref, StageMove.to_stage)
            .join(Deal, Deal.id == StageMove.deal_id)
            .where(StageMove.id.in_(ids))
        ),
        lambda r: f"{r[1]} → {vocab_label('stage', r[2])}",
    ),
    "activities": (
        lambda ids: (
            select(Activity.id, Activity.kind, Activity.occurred_on, Company.name)
            .join(Company, Company.id == Activity.company_id)
            .where(Activity.id.in_(ids))
        ),
        lambda r: joined(vocab_label("activity_kind", r[1]), format_date(r[2]), r[3]),
    ),
    "tasks": (lambda ids: select(Task.id, Task.title).where(Task.id.in_(ids)), lambda r: r[1]),
    "dd_template_items": (
        lambda ids: select(DDTemplateItem.id, DDTemplateItem.title).where(
            DDTemplateItem.id.in_(ids)
        ),
        lambda r: r[1],
    ),
    "dd_items": (
        lambda ids: (
            select(DDItem.id, Deal.deal_ref, DDItem.title)
            .join(Deal, Deal.id == DDItem.deal_id)
            .where(DDItem.id.in_(ids))
        ),
        lambda r: joined(r[1], r[2]),
    ),
    "documents": (
        lambda ids: select(Document.id, Document.title, Document.version).where(
            Document.id.in_(ids)
        ),
        lambda r: f"{r[1]} (v{r[2]})",
    ),
    "company_kpis": (
        lambda ids: (
            select(CompanyKpi.id, Company.name, CompanyKpi.period)
            .join(Company, Company.id == CompanyKpi.company_id)
            .where(CompanyKpi.id.in_(ids))
        ),
        lambda r: joined(r[1], r[2]),
    ),
    "milestones": (
        lambda ids: select(Milestone.id, Milestone.title, Milestone.achieved_on).where(
            Milestone.id.in_(ids)
        ),
        lambda r: joined(r[1], format_date(r[2])),
    ),
}


class Names:
    """The names of the records a page of history refers to, read in one query per kind."""

    def __init__(self):
        self.wanted: dict[str, set] = {}
        self.found: dict[str, dict[str, str]] = {}

    def want(self, target: str | None, value) -> None:
        if target in NAMES and value not in (None, ""):
            self.wanted.setdefault(target, set()).add(str(value))

    def read(self, db: Session) -> None:
        for target, values in self.wanted.items():
            keys = values if target == "accounts" else [int(v) for v in values if _is_id(v)]
            if not keys:
                continue
            statement, name_of = NAMES[target]
            rows = db.exec(statement(sorted(keys))).all()
            self.found[target] = {str(row[0]): name_of(row) for row in rows}

    def of(self, target: str, value) -> str | None:
        return self.found.get(target, {}).get(str(value))


def _is_id(text: str) -> bool:
    return text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID


def names_of(db: Session, target: str, values: Iterable) -> Names:
    """The names of some records of one kind (e.g. the users who moved a deal), read at once."""
    found = Names()
    for value in values:
        found.want(target, value)
    found.read(db)
    return found
