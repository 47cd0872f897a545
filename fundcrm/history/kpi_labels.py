"""What a portfolio company's KPI rows and milestones are called in the audit trail (merged into
fundcrm.history.labels)."""

from flask_babel import lazy_gettext as _l

from fundcrm.history.columns import (
    COMPANY,
    CREATED,
    CREATED_BY,
    DAY,
    ID,
    MONEY,
    VERSION,
    Column,
    Table,
    code,
    own,
    ref,
    text,
)

KPI_LABELS: dict[str, Table] = {
    "company_kpis": Table(
        _l("Company KPIs"),
        own(_l("Company KPIs"), "company_kpis"),
        {
            "id": ID,
            "company_id": COMPANY,
            "period": text(_l("Period")),
            "period_end": Column(_l("Period ends"), DAY),
            "revenue_yuan": Column(_l("Revenue"), MONEY),
            "cq_revenue_yuan": Column(_l("Revenue in Chongqing"), MONEY),
            "net_profit_yuan": Column(_l("Net profit"), MONEY),
            "headcount": text(_l("Headcount")),
            "rd_yuan": Column(_l("R&D spending"), MONEY),
            "patents": text(_l("Patents")),
            "created_at": CREATED,
            "version": VERSION,
        },
        title="period",
    ),
    "milestones": Table(
        _l("Milestone"),
        own(_l("Milestone"), "milestones"),
        {
            "id": ID,
            "company_id": COMPANY,
            "kind": code(_l("Kind"), "milestone_kind"),
            "title": text(_l("Milestone title")),
            "achieved_on": Column(_l("Date reached"), DAY),
            "evidence": text(_l("Evidence")),
            "document_id": ref(_l("Evidence document"), "documents"),
            "relocation_id": ref(_l("Relocation"), "relocations"),
            "created_by_id": CREATED_BY,
            "created_at": CREATED,
        },
        title="title",
    ),
}
