"""Section 7 of the annual report, the pipeline in the year (DOMAIN.md 8.7): for the deals in
which a sub-fund in scope participates, the deals reaching each stage, their conversion to the
next, the median days per stage, the pass reasons and the sources. The figures are those of
fundcrm.domain.pipeline; the LP edition shows counts and conversions only (no company, no
reason)."""

from flask_babel import gettext as _

from fundcrm import clock
from fundcrm.domain import pipeline as figures
from fundcrm.i18n import vocab_label
from fundcrm.reports import pipeline_queries as queries
from fundcrm.reports.context import Context
from fundcrm.reports.model import Chart, Column, Section, Table, Text


def pipeline(ctx: Context) -> Section:
    moves = [
        figures.Move(r.deal_id, r.from_stage, r.to_stage, clock.local_date(r.at))
        for r in queries.moves(ctx.db, ctx.fund_ids, ctx.year)
    ]
    stages = stage_table(figures.year_stages(moves, ctx.year))
    blocks: list = [Text(_("The deals in which a sub-fund of this report participates."), "muted")]
    if stages.rows:
        blocks.append(
            Chart(
                "pipeline_funnel",
                _("Pipeline funnel %(year)s", year=ctx.year),
                "funnel",
                stages,
                "stage",
                ["reached"],
            )
        )
    blocks.append(stages)
    blocks.append(source_table(queries.created_sources(ctx.db, ctx.fund_ids, ctx.year)))
    passed = queries.passes(ctx.db, ctx.fund_ids, ctx.year)
    if ctx.lp_edition:
        blocks.append(Text(_("Deals passed in the year: %(n)s.", n=len(passed))))
    else:
        blocks.append(reason_table(passed))
        blocks.append(passed_table(passed))
    return Section("7", "pipeline", _("Pipeline in the year"), blocks)


def stage_table(found: list[figures.StageYear]) -> Table:
    """The stages of the path: reached, converted to the next, the share, the median days
    (whole days, a half rounded up; None where no stay ended in the year)."""
    rows = [
        [
            vocab_label("stage", s.stage),
            s.reached,
            s.converted,
            s.conversion,
            figures.whole_days(s.median_days),
        ]
        for s in found
    ]
    if not any(s.reached or s.stays for s in found):
        rows = []
    return Table(
        "pipeline_stages",
        _("Deals by stage"),
        [
            Column("stage", _("Stage"), "text", 2),
            Column("reached", _("Reached"), "int"),
            Column("converted", _("Reached the next stage"), "int"),
            Column("conversion", _("Conversion"), "share"),
            Column("median_days", _("Median days in the stage"), "int"),
        ],
        rows,
        note=_(
            "A deal reaches a stage in the year when a move into or through it is dated in the "
            "year. Conversion: the share of those deals that reached the next stage by 31 "
            "December. Median days: over the stays in the stage that ended in the year (a "
            "deal's stays in one stage added up; a stage passed through counts 0 days; "
            "imported history included), counted in calendar days between the moves' dates, "
            "a half day rounded up."
        ),
        empty=_("No deal moved in the year."),
    )


def source_table(sources: list[str | None]) -> Table:
    rows = [
        [vocab_label("source", code) if code else _("Not recorded"), n]
        for code, n in figures.tally(sources)
    ]
    return Table(
        "pipeline_sources",
        _("Deals created in the year by source"),
        [Column("source", _("Source"), "text", 2), Column("deals", _("Number of deals"), "int")],
        rows,
        total=[_("Total"), len(sources)] if rows else None,
        empty=_("No deal was created in the year."),
    )


def reason_table(passed: list) -> Table:
    counted = figures.pass_reason_counts(p.reason for p in passed)
    rows = [[reason or _("Not recorded"), n] for reason, n in counted]
    return Table(
        "pipeline_pass_reasons",
        _("Pass reasons"),
        [Column("reason", _("Reason"), "text", 3), Column("deals", _("Number of deals"), "int")],
        rows,
        total=[_("Total"), len(passed)] if rows else None,
        note=_("Each deal passed in the year once, with the reason it was last passed for."),
        empty=_("No deal was passed in the year."),
    )


def passed_table(passed: list) -> Table:
    return Table(
        "pipeline_passed",
        _("Deals passed in the year"),
        [
            Column("deal", _("Deal")),
            Column("company", _("Company"), "text", 2),
            Column("passed_on", _("Passed on"), "date"),
            Column("reason", _("Reason"), "text", 3),
        ],
        [[p.deal_ref, p.company, clock.local_date(p.at), p.reason or ""] for p in passed],
        empty=_("No deal was passed in the year."),
    )
