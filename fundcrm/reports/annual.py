"""Making an annual report (DOMAIN.md section 8): the sections gathered one by one as plain
data (fundcrm.reports.model) in the report's language, each step told to whoever watches
(fundcrm.progress: the CLI's bar, a job's progress), then laid out as PDF or as a workbook."""

from collections.abc import Callable
from dataclasses import replace

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlmodel import Session

from fundcrm import clock, progress
from fundcrm.compliance.periods import closed_through
from fundcrm.funds.queries import fund_settings
from fundcrm.portfolio.figures import as_json
from fundcrm.reports import (
    sections_compliance,
    sections_fund,
    sections_holdings,
    sections_pipeline,
    sections_portfolio,
)
from fundcrm.reports.context import Ask, Context, context
from fundcrm.reports.model import Report, Table, Text

# (what the progress calls the step, the builder: a Section or a list of them)
STEPS: list[tuple[Callable[[], str], Callable[[Context], object]]] = [
    (lambda: _("Overview"), sections_fund.overview),
    (lambda: _("Capital accounts"), sections_fund.capital),
    (lambda: _("Performance"), sections_fund.performance),
    (lambda: _("Schedule of investments"), sections_holdings.investments),
    (lambda: _("Allocation"), sections_holdings.allocation),
    (lambda: _("Mandate and compliance"), sections_compliance.compliance),
    (lambda: _("Pipeline"), sections_pipeline.pipeline),
    (lambda: _("Contribution to the 2027 targets"), sections_portfolio.targets_section),
    (lambda: _("Portfolio company updates"), sections_portfolio.updates),
]


def issued(db: Session, ask: Ask) -> bool:
    """Whether the report is issued (kept): its period is closed through 31 December."""
    through = closed_through(db)
    return through is not None and through >= ask.as_of


def build(db: Session, ask: Ask, config, by: str) -> Report:
    """The report asked for (an ask `context.refusals` accepted), in its language."""
    with force_locale(ask.locale):
        ctx = context(db, ask, config)
        progress.begin(len(STEPS) + 1, "report")
        report = _frame(db, ctx, by)
        for name, builder in STEPS:
            progress.enter(name())
            made = builder(ctx)
            report.sections.extend(made if isinstance(made, list) else [made])
            progress.advance()
        return report


def render(report: Report) -> bytes:
    """The report laid out in its format's file (the last step of the progress)."""
    from fundcrm.reports import excel, pdf

    with force_locale(report.locale):
        progress.enter(_("Laying out the file"))
        if report.file_format == "pdf":
            made = pdf.render(for_paper(report))
        else:
            made = excel.render(report)
        progress.advance()
    return made


def for_paper(report: Report) -> Report:
    """The report as the PDF lays it out: a table of every dated flow is left to the workbook,
    and the PDF says so where it would be."""
    sections = []
    for section in report.sections:
        blocks = []
        for block in section.blocks:
            if isinstance(block, Table) and not block.in_pdf:
                note = _(
                    "%(title)s: %(rows)s rows, in the Excel workbook of this report.",
                    title=block.title,
                    rows=len(block.rows),
                )
                blocks.append(Text(note, "muted"))
            else:
                blocks.append(block)
        sections.append(replace(section, blocks=blocks))
    return replace(report, sections=sections)


def _frame(db: Session, ctx: Context, by: str) -> Report:
    settings = fund_settings(db)
    english = ctx.ask.language == "en"
    fund_name = ""
    if settings is not None:
        fund_name = settings.name_en if english and settings.name_en else settings.name
    if ctx.ask.sub_fund is not None:
        fund = ctx.funds[0]
        scope = f"{fund.code} · {fund.name_en if english and fund.name_en else fund.name}"
    elif ctx.lp_edition:
        scope = " · ".join(f.code for f in ctx.funds)
    else:
        scope = _("The whole fund")
    title = _("Annual portfolio report %(year)s", year=ctx.year)
    code = ctx.ask.sub_fund if ctx.ask.sub_fund is not None else None
    figures = as_json(db, ctx.as_of, code, computed=ctx.figures)
    if not ctx.whole_fund and code is None:  # an LP edition: only its sub-funds' figures
        codes = {f.code for f in ctx.funds}
        figures = {
            **figures,
            "fund": None,
            "sub_funds": [s for s in figures["sub_funds"] if s["code"] in codes],
            "holdings": [h for h in figures["holdings"] if h["sub_fund"] in codes],
        }
    return Report(
        year=ctx.year,
        as_of=ctx.as_of,
        language=ctx.ask.language,
        edition=ctx.ask.edition,
        fund_name=fund_name,
        title=title,
        scope=scope,
        sub_fund=code,
        lp_name=ctx.lp.name if ctx.lp is not None else None,
        draft=not issued(db, ctx.ask),
        generated_at=clock.now(),
        generated_by=by,
        figures=figures,
        labels={
            "confidential": _("Confidential"),
            "draft": _("DRAFT · not issued"),
            "contents": _("Contents"),
            "page_of": _("Page %(page)s of %(pages)s"),
            "unit_note": _(
                "Amounts in 万元 unless stated; net of fees and expenses, before carried interest."
            ),
            "workbook_unit_note": _("Amounts in yuan (exact, to the fen)."),
            "none": _("None."),
            "total": _("Total"),
            "not_meaningful": "n.m.",
            "generated": _("Generated %(when)s by %(who)s"),
            "edition": _("LP edition for %(lp)s") if ctx.lp_edition else _("Staff edition"),
        },
        file_format=ctx.ask.file_format,
        locale=ctx.ask.locale,
    )
