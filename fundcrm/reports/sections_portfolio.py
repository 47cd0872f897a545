"""Sections 8 and 9 of the annual report (DOMAIN.md sections 7 and 8): the portfolio's
contribution to the action plan's 2027 targets, counted by fundcrm.domain.targets.contribution
(the targets page's function, so the year's cluster revenue is the page's: the companies first
invested in by 31 December) as of 31 December, and the portfolio companies' latest KPIs and
their milestones of the year."""

from decimal import Decimal

from flask_babel import gettext as _

from fundcrm.compliance import kpi_queries
from fundcrm.domain import targets
from fundcrm.domain.kpis import period_order
from fundcrm.i18n import list_separator, vocab_label
from fundcrm.reports.cells import money, total_row
from fundcrm.reports.context import Context
from fundcrm.reports.model import Chart, Column, Section, Table, Text
from fundcrm.reports.sections_holdings import lines


def target_labels() -> dict[str, str]:
    return {
        "technology": _("Key core technologies broken through"),
        "companies": _("Well-known companies brought in or grown"),
        "product": _("High-tech, high-value service-robot products"),
        "scenario": _("Application scenarios with national influence"),
    }


def _companies(ctx: Context) -> list[targets.PortfolioCompany]:
    """The scope's companies held on the date, with its first investment in each."""
    first: dict[int, tuple] = {}
    for line in lines(ctx):
        dates = [t.on for t in line.held.txns if t.kind == "investment" and t.on <= ctx.as_of]
        if not dates:
            continue
        company_id = line.row.company_id
        earliest = min(dates)
        if company_id not in first or earliest < first[company_id][1]:
            first[company_id] = (line.held.company, earliest)
    return [targets.PortfolioCompany(i, name, on) for i, (name, on) in first.items()]


def targets_section(ctx: Context) -> Section:
    companies = _companies(ctx)
    ids = [c.id for c in companies]
    facts = [
        targets.MilestoneFact(m.company_id, m.kind, m.title, m.achieved_on)
        for m in kpi_queries.milestones_of(ctx.db, ids)
        if m.achieved_on <= ctx.as_of
    ]
    found = targets.contribution(
        companies, facts, kpi_queries.cq_revenue_of(ctx.db, ids, ctx.year), ctx.year
    )
    labels = target_labels()
    counts = Table(
        "targets",
        _("Contribution to the %(year)s targets", year=targets.TARGET_YEAR),
        [
            Column("target", _("Target"), "text", 3),
            Column("count", _("Contributed"), "int"),
            Column("city_target", _("City's target"), "int"),
            Column("share", _("Share of the target"), "share"),
        ],
    )
    behind = Table(
        "targets_behind",
        _("The companies behind each number"),
        [
            Column("target", _("Target"), "text", 1.6),
            Column("company", _("Company"), "text", 2),
            Column("milestones", _("Milestones counted"), "text", 3),
        ],
        empty=_("No milestone counted yet."),
    )
    for t in found.milestone_targets:
        counts.rows.append([labels[t.code], t.count, t.target, Decimal(t.count) / t.target])
        for b in t.behind:
            titles = list_separator().join(
                f"{m.title} ({m.achieved_on.isoformat()})" for m in b.milestones
            )
            behind.rows.append([labels[t.code], b.company.name, titles])
    revenue = found.revenue
    lines_table = Table(
        "targets_revenue",
        _("Chongqing revenue of the portfolio companies in %(year)s", year=ctx.year),
        [
            Column("company", _("Company"), "text", 3),
            money("cq_revenue", _("Revenue in Chongqing")),
            Column("source", _("From"), "text", 1.4),
        ],
        empty=_("No portfolio company has reported its revenue for %(year)s.", year=ctx.year),
    )
    sources = {"annual": _("Annual figure"), "quarters": _("Sum of four quarters")}
    for line in revenue.lines:
        lines_table.rows.append([line.company.name, line.cq_revenue_yuan, sources[line.source]])
    if lines_table.rows:
        lines_table.total = total_row(lines_table, _("Total"))
    missing = list_separator().join(c.name for c in revenue.missing)
    return Section(
        "8",
        "targets",
        _("Contribution to the action plan's targets"),
        [
            Text(
                _(
                    "Counted: milestones dated after the fund's first investment in their company "
                    "and on or before %(date)s; companies brought in or grown are counted once "
                    "each.",
                    date=ctx.as_of.isoformat(),
                ),
                "muted",
            ),
            counts,
            Chart(
                "chart_targets",
                _("Contribution to the %(year)s targets", year=targets.TARGET_YEAR),
                "bar",
                counts,
                "target",
                ["count", "city_target"],
            ),
            behind,
            Text(
                _(
                    "Cluster revenue: the portfolio's Chongqing revenue in %(year)s is "
                    "%(total)s万元 against the city's ¥300亿 target (%(share)s%%).",
                    year=ctx.year,
                    total=f"{revenue.total_yuan / 10000:,.2f}",
                    share=revenue.share_pct,
                )
            ),
            Text(
                _(  # the targets page's words: the report's year ends on its as-of date
                    "Counted: the companies the fund had first invested in by 31 December of "
                    "%(year)s (the year of the first investment counts in full). A company's "
                    "figure is its annual KPI row's revenue in Chongqing, else the sum of its four "
                    "quarters'; the companies without either are listed as missing.",
                    year=ctx.as_of.year,
                ),
                "muted",
            ),
            lines_table,
            *(
                [
                    Text(
                        _(
                            "Missing the figure for %(year)s: %(names)s.",
                            year=ctx.year,
                            names=missing,
                        ),
                        "muted",
                    )
                ]
                if missing
                else []
            ),
        ],
    )


def updates(ctx: Context) -> Section:
    companies = {c.id: c.name for c in _companies(ctx)}
    latest = {}
    for kpi in kpi_queries.kpis_of(ctx.db, list(companies)):
        if kpi.period_end > ctx.as_of:
            continue
        shown = latest.get(kpi.company_id)
        if shown is None or period_order(kpi.period) > period_order(shown.period):
            latest[kpi.company_id] = kpi
    kpis = Table(
        "updates_kpis",
        _("Latest KPIs"),
        [
            Column("company", _("Company"), "text", 2.4),
            Column("period", _("Period"), "text", 0.8),
            money("revenue", _("Revenue")),
            money("cq_revenue", _("of which in Chongqing")),
            money("net_profit", _("Net profit")),
            Column("headcount", _("Headcount"), "int", 0.8),
            money("rd", _("R&D")),
            Column("patents", _("Patents"), "int", 0.7),
        ],
        empty=_("No KPIs recorded."),
    )
    for company_id, name in sorted(companies.items(), key=lambda item: (item[1], item[0])):
        if (k := latest.get(company_id)) is not None:
            kpis.rows.append(
                [
                    name,
                    k.period,
                    k.revenue_yuan,
                    k.cq_revenue_yuan,
                    k.net_profit_yuan,
                    k.headcount,
                    k.rd_yuan,
                    k.patents,
                ]
            )
    milestones = Table(
        "updates_milestones",
        _("Milestones in %(year)s", year=ctx.year),
        [
            Column("company", _("Company"), "text", 2.2),
            Column("on", _("Date"), "date"),
            Column("kind", _("Kind"), "text", 1.3),
            Column("title", _("Milestone"), "text", 3),
        ],
        empty=_("No milestone in %(year)s.", year=ctx.year),
    )
    for m in kpi_queries.milestones_of(ctx.db, list(companies)):
        if ctx.start <= m.achieved_on <= ctx.as_of:
            milestones.rows.append(
                [
                    companies[m.company_id],
                    m.achieved_on,
                    vocab_label("milestone_kind", m.kind),
                    m.title,
                ]
            )
    milestones.rows.sort(key=lambda r: (r[1], r[0]))
    return Section("9", "updates", _("Portfolio company updates"), [kpis, milestones])
