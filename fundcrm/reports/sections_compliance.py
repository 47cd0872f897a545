"""Section 6 of the annual report, mandate and compliance (DOMAIN.md 8.6 and section 1), as of 31
December: per sub-fund in scope, what its compliance page shows (fundcrm.compliance.report: the
same computation, none of it redone here) — each government commitment's re-investment, the
mandate and the single-project cap, every breach with its override, the overdue conditions
subsequent — then the related-party disclosure: conflicts declared and recusals in the year."""

from flask_babel import gettext as _

from fundcrm import clock
from fundcrm.compliance.queries import names_of
from fundcrm.compliance.report import CompliancePage, page
from fundcrm.domain import compliance as rules
from fundcrm.i18n import vocab_label, vocab_labels
from fundcrm.reports import pipeline_queries as queries
from fundcrm.reports.context import Context
from fundcrm.reports.model import Column, Section, Table, Text


def compliance(ctx: Context) -> Section:
    blocks: list = []
    for fund in ctx.funds:
        found = page(ctx.db, fund, ctx.as_of, ctx.settings)
        name = fund.name_en if ctx.ask.language == "en" and fund.name_en else fund.name
        blocks.append(Text(f"{fund.code} · {name}", "h2"))
        blocks.append(Text(summary(found)))
        blocks.extend(
            [
                mandate_table(found),
                *reinvest_blocks(found, ctx.lp.name if ctx.lp is not None else None),
                cap_table(found),
                breach_table(found),
                overdue_table(found),
            ]
        )
    blocks.append(Text(_("Related parties"), "h2"))
    blocks.extend([conflict_table(ctx), recusal_table(ctx)])
    return Section("6", "compliance", _("Mandate and compliance"), blocks)


def summary(found: CompliancePage) -> str:
    n = found.counts
    return _(
        "Mandate breaches: %(breaches)s (%(bare)s without an override); re-investment breaches: "
        "%(reinvest)s; at risk: %(risk)s; companies near or over the cap: %(near)s; overdue "
        "conditions subsequent: %(overdue)s.",
        breaches=n["breaches"],
        bare=n["without_override"],
        reinvest=n["reinvest_breaches"],
        risk=n["at_risk"],
        near=n["near"],
        overdue=n["overdue"],
    )


def _key(name: str, found: CompliancePage) -> str:
    return f"compliance_{name}_{found.fund.code}"


def mandate_table(found: CompliancePage) -> Table:
    fund = found.fund
    row = [
        vocab_labels("enterprise_stage", fund.allowed_stages) or _("Any"),
        vocab_labels("focus_area", fund.focus_areas) or _("Any"),
        fund.project_cap_pct,
        found.size,
        found.limit,
        fund.investment_end,
    ]
    return Table(
        _key("mandate", found),
        _("Mandate"),
        [
            Column("stages", _("Allowed enterprise stages"), "text", 2),
            Column("focus", _("Focus areas"), "text", 2),
            Column("cap_pct", _("Single-project cap"), "pct"),
            Column("size", _("Committed size"), "money"),
            Column("limit", _("Cap per company"), "money"),
            Column("investment_end", _("Investment period end"), "date"),
        ],
        [row],
        note=_("The cap per company: the cap's percentage of the committed size on the date."),
    )


STATUS = {
    rules.BREACH: lambda: _("Breach"),
    rules.AT_RISK: lambda: _("At risk"),
    rules.PROGRESS: lambda: _("In progress"),
    rules.MET: lambda: _("Met"),
    rules.NOT_REQUIRED: lambda: _("Nothing required"),
}


def reinvest_blocks(found: CompliancePage, own_lp: str | None = None) -> list:
    """Each government commitment's re-investment; an LP edition (`own_lp`, its LP's name)
    shows only its own LP's, and how many other commitments are checked (each on its own: no
    total of them means anything), none of their figures (DOMAIN.md section 8)."""
    if own_lp is None:
        return [reinvest_table(found, found.commitments)]
    mine = [c for c in found.commitments if c.lp == own_lp]
    blocks: list = [reinvest_table(found, mine)]
    if others := len(found.commitments) - len(mine):
        blocks.append(
            Text(
                _(
                    "The re-investment of %(count)s other government commitments is "
                    "checked too; this edition does not show it.",
                    count=others,
                ),
                "muted",
            )
        )
    return blocks


def reinvest_table(found: CompliancePage, commitments: list) -> Table:
    rows = [
        [
            c.lp,
            vocab_labels("reinvest_area", c.area),
            c.ratio,
            vocab_label("reinvest_base", c.base),
            c.base_amount,
            c.required,
            c.achieved,
            c.progress,
            c.deadline,
            STATUS[c.status](),
        ]
        for c in commitments
    ]
    return Table(
        _key("reinvest", found),
        _("Re-investment (返投)"),
        [
            Column("lp", _("LP"), "text", 2),
            Column("area", _("Area"), "text", 1.5),
            Column("ratio", _("Ratio"), "multiple"),
            Column("base", _("Base")),
            Column("base_amount", _("Base amount"), "money"),
            Column("required", _("Required"), "money"),
            Column("achieved", _("Achieved"), "money"),
            Column("progress", _("Progress"), "share"),
            Column("deadline", _("Deadline"), "date"),
            Column("status", _("Status")),
        ],
        rows,
        note=_(
            "Required = ratio × base on the date; a shortfall is progress before the deadline "
            "and a breach from it on."
        ),
        empty=_("No government commitment to this sub-fund carries a re-investment requirement."),
    )


def cap_table(found: CompliancePage) -> Table:
    rows = [[c.name, c.cost, c.share, _("over") if c.over else _("near")] for c in found.near]
    return Table(
        _key("cap", found),
        _("Near or over the single-project cap"),
        [
            Column("company", _("Company"), "text", 3),
            Column("cost", _("Cost"), "money"),
            Column("share", _("Share of the cap"), "share"),
            Column("standing", _("Standing")),
        ],
        rows,
        empty=_("No company is near the cap."),
    )


def breach_table(found: CompliancePage) -> Table:
    rows = []
    for b in found.breaches:
        o = b.override
        if o is None:
            override = [_("No override recorded (e.g. imported history)"), "", None]
        else:
            override = [o.why, o.who, clock.local_date(o.at) if o.at else None]
        rows.append([b.company, b.made_on, str(b.text), *override])
    return Table(
        _key("breaches", found),
        _("Mandate breaches and their overrides"),
        [
            Column("company", _("Company"), "text", 2),
            Column("made_on", _("Investment"), "date"),
            Column("breach", _("Breach"), "text", 4),
            Column("override", _("Override"), "text", 3),
            Column("by", _("Overridden by")),
            Column("on", _("Overridden on"), "date"),
        ],
        rows,
        empty=_("No breach of the mandate."),
    )


def overdue_table(found: CompliancePage) -> Table:
    rows = [[c.deal_ref, c.company, c.text, c.due_on] for c in found.conditions]
    return Table(
        _key("overdue", found),
        _("Overdue conditions subsequent"),
        [
            Column("deal", _("Deal")),
            Column("company", _("Company"), "text", 2),
            Column("condition", _("Condition"), "text", 4),
            Column("due_on", _("Due"), "date"),
        ],
        rows,
        empty=_("No condition subsequent is overdue."),
    )


def conflict_table(ctx: Context) -> Table:
    rows = [
        [c.member, c.company, c.declared_on, c.reason]
        for c in queries.conflicts(ctx.db, ctx.fund_ids, ctx.year, ctx.lp_edition)
    ]
    return Table(
        "compliance_conflicts",
        _("Conflicts of interest declared in the year"),
        [
            Column("member", _("Member")),
            Column("company", _("Company"), "text", 2),
            Column("declared_on", _("Declared on"), "date"),
            Column("reason", _("Reason"), "text", 3),
        ],
        rows,
        empty=_("No conflict of interest was declared in the year."),
    )


def recusal_table(ctx: Context) -> Table:
    decisions = queries.decisions_with_recusals(ctx.db, ctx.fund_ids, ctx.year, ctx.lp_edition)
    names = names_of(ctx.db, [m for d in decisions for m in d.recused])
    rows = [
        [names.get(m, ""), d.deal_ref, d.company, d.held_on or d.decided_on]
        for d in decisions
        for m in d.recused
    ]
    return Table(
        "compliance_recusals",
        _("Recusals in the year"),
        [
            Column("member", _("Member")),
            Column("deal", _("Deal")),
            Column("company", _("Company"), "text", 2),
            Column("meeting", _("Meeting"), "date"),
        ],
        rows,
        note=_(
            "The IC members recused from a decision dated in the year (a recorded decision "
            "shows its date)."
        ),
        empty=_("No IC member was recused in the year."),
    )
