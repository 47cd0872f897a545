"""Every table model, imported here so SQLModel.metadata is complete for Alembic."""

from fundcrm.models.audit import AuditEntry
from fundcrm.models.base import utcnow
from fundcrm.models.caching import DataVersion, MetricsCache
from fundcrm.models.companies import Company, CompanyField, Contact
from fundcrm.models.compliance import (
    CompanyKpi,
    Milestone,
    OverrideRequest,
    PeriodClose,
    Relocation,
)
from fundcrm.models.deals import (
    Deal,
    DealMember,
    DealRefCounter,
    DealSubFund,
    StageGate,
    StageMove,
)
from fundcrm.models.funds import (
    Commitment,
    CommitmentChange,
    FundExpense,
    FundSettings,
    LimitedPartner,
    LpFlow,
    SubFund,
)
from fundcrm.models.ic import IcConflict, IcMemo, IcMemoVersion
from fundcrm.models.ic_decisions import IcCondition, IcDecision
from fundcrm.models.ic_meetings import IcAgendaItem, IcMeeting, IcMeetingMember, IcVote
from fundcrm.models.jobs import Job
from fundcrm.models.notes import IcAnswer, IcQuestion, Notification
from fundcrm.models.portfolio import Holding, PortfolioTransaction, ValuationMark
from fundcrm.models.reports import IssuedReport
from fundcrm.models.tokens import ApiToken
from fundcrm.models.users import LoginThrottle, User, UserRole
from fundcrm.models.workspace import (
    Activity,
    ActivityContact,
    ActivityUser,
    DDItem,
    DDTemplateItem,
    Document,
    Task,
)

__all__ = [
    "Activity",
    "ApiToken",
    "ActivityContact",
    "ActivityUser",
    "DDItem",
    "DDTemplateItem",
    "Document",
    "Task",
    "AuditEntry",
    "DataVersion",
    "MetricsCache",
    "Commitment",
    "CommitmentChange",
    "Company",
    "CompanyKpi",
    "Milestone",
    "OverrideRequest",
    "PeriodClose",
    "Relocation",
    "CompanyField",
    "Contact",
    "Deal",
    "DealMember",
    "DealRefCounter",
    "DealSubFund",
    "FundExpense",
    "FundSettings",
    "Holding",
    "IcAgendaItem",
    "IcAnswer",
    "IcCondition",
    "IcConflict",
    "IcDecision",
    "IcMeeting",
    "IcMeetingMember",
    "IcMemo",
    "IcMemoVersion",
    "IcQuestion",
    "IcVote",
    "IssuedReport",
    "Job",
    "LimitedPartner",
    "LoginThrottle",
    "LpFlow",
    "Notification",
    "PortfolioTransaction",
    "StageGate",
    "StageMove",
    "SubFund",
    "User",
    "UserRole",
    "ValuationMark",
    "utcnow",
]
