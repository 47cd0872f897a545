"""Sections 4 and 5 of the annual report (DOMAIN.md section 8): the schedule of investments with
the exits and write-offs of the year, and the allocation of the active holdings by focus area,
enterprise stage, application field, cluster zone, district and round — each chart drawn from
its table, each table from fundcrm.domain.breakdown (the home dashboard's charts call it too),
the district table from fundcrm.domain.places.tally (the industry map's)."""

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _

from fundcrm.domain import places
from fundcrm.domain.breakdown import breakdown
from fundcrm.domain.vocab import APPLICATION_FIELDS, ENTERPRISE_STAGES, FOCUS_AREAS, ROUNDS, ZONES
from fundcrm.i18n import vocab_label
from fundcrm.portfolio.queries import holding_rows
from fundcrm.reports import queries
from fundcrm.reports.cells import money, rate, share_of, total_row
from fundcrm.reports.context import Context
from fundcrm.reports.model import Chart, Column, Section, Table, Text


@dataclass(frozen=True)
class Line:
    """A holding of the scope as the two sections read it."""

    code: str  # its sub-fund
    held: object  # figures.Held
    figures: object  # metrics.HoldingFigures
    row: object  # portfolio.queries.holding_rows' row
    round: str | None
    fields: tuple[str, ...]
    equity_pct: Decimal | None
    active: bool  # no full exit or write-off dated on or before the date


def lines(ctx: Context) -> list[Line]:
    if "lines" in ctx.extra:
        return ctx.extra["lines"]
    _total, parts = ctx.figures
    rows = {r.id: r for r in holding_rows(ctx.db)}
    ids = [h.id for p in parts for h, _f in p.holdings]
    rounds = queries.latest_rounds(ctx.db, ids, ctx.as_of)
    fields = queries.application_fields(ctx.db, {rows[i].company_id for i in ids})
    found = []
    for part in parts:
        for held, figures in part.holdings:
            row = rows[held.id]
            dated = [t for t in held.txns if t.on <= ctx.as_of]
            ended = any(
                t.kind == "write_off" or (t.kind == "proceeds" and t.exit == "full") for t in dated
            )
            pcts = [t.equity_pct for t in dated if t.equity_pct is not None]
            found.append(
                Line(
                    part.code,
                    held,
                    figures,
                    row,
                    rounds.get(held.id),
                    tuple(fields.get(row.company_id, ())),
                    pcts[-1] if pcts else None,
                    not ended,
                )
            )
    found.sort(key=lambda line: (line.code, line.held.company, line.held.id))
    ctx.extra["lines"] = found
    return found


# -- 4. Schedule of investments ---------------------------------------------------------------


def investments(ctx: Context) -> Section:
    schedule = Table(
        "schedule",
        _("Schedule of investments on %(date)s", date=ctx.as_of.isoformat()),
        [
            Column("company", _("Company"), "text", 2.6),
            Column("sub_fund", _("Sub-fund"), "text", 1.4),
            Column("focus_area", _("Focus area"), "text", 1.1),
            Column("enterprise_stage", _("Enterprise stage"), "text", 1.1),
            Column("round", _("Round"), "text", 0.9),
            Column("first_on", _("First investment"), "date", 1.2),
            money("invested", _("Cost"), 1.2),
            Column("equity_pct", _("Ownership"), "pct", 0.9),
            money("fair_value", _("Fair value"), 1.2),
            money("proceeds", _("Proceeds"), 1.1),
            money("dividends", _("Dividends"), 1.0),
            Column("moic", "MOIC", "multiple", 0.8),
            Column("gross_irr", _("Gross IRR"), "rate", 0.8),
        ],
        empty=_("No holding on this date."),
    )
    for line in lines(ctx):
        f = line.figures
        invested_on = [t.on for t in line.held.txns if t.kind == "investment" and t.on <= ctx.as_of]
        schedule.rows.append(
            [
                line.held.company,
                line.code,
                vocab_label("focus_area", line.row.focus_area),
                vocab_label("enterprise_stage", line.row.enterprise_stage),
                vocab_label("round", line.round),
                min(invested_on, default=None),
                f.invested,
                line.equity_pct,
                f.fair_value,
                f.proceeds,
                f.dividends,
                f.moic,
                rate(f.gross_irr, f.first_flow, ctx.as_of),
            ]
        )
    if schedule.rows:
        schedule.total = total_row(schedule, _("Total"))
    return Section("4", "investments", _("Schedule of investments"), [schedule, exits(ctx)])


def exits(ctx: Context) -> Table:
    """The exits (full and partial) and write-offs dated in the year; proceeds recorded without
    an exit (escrow, earn-out, recovery) are in the schedule's proceeds, not here."""
    table = Table(
        "exits",
        _("Exits and write-offs in %(year)s", year=ctx.year),
        [
            Column("company", _("Company"), "text", 2.6),
            Column("sub_fund", _("Sub-fund")),
            Column("on", _("Date"), "date"),
            Column("kind", _("Kind"), "text", 1.4),
            money("amount", _("Amount")),
        ],
        empty=_("No exit or write-off in %(year)s.", year=ctx.year),
    )
    kinds = {"full": _("Full exit"), "partial": _("Partial exit")}
    for line in lines(ctx):
        for t in line.held.txns:
            if not ctx.start <= t.on <= ctx.as_of:
                continue
            if t.kind == "write_off" or (t.kind == "proceeds" and t.exit in kinds):
                kind = _("Write-off") if t.kind == "write_off" else kinds[t.exit]
                table.rows.append([line.held.company, line.code, t.on, kind, t.amount])
    table.rows.sort(key=lambda r: (r[2], r[0]))
    if table.rows:
        table.total = total_row(table, _("Total"))
    return table


# -- 5. Allocation ----------------------------------------------------------------------------

DIMENSIONS = (
    ("focus_area", FOCUS_AREAS, "pie"),
    ("enterprise_stage", ENTERPRISE_STAGES, "pie"),
    ("application_field", APPLICATION_FIELDS, "bar"),
    ("zone", ZONES, "pie"),
    ("round", ROUNDS, None),
)


DIMENSION_LABELS = {
    "focus_area": lambda: _("Focus area"),
    "enterprise_stage": lambda: _("Enterprise stage"),
    "application_field": lambda: _("Application field"),
    "zone": lambda: _("Cluster zone"),
    "round": lambda: _("Round"),
}


def _keys(line: Line, dimension: str) -> list[str | None]:
    if dimension == "application_field":
        return list(line.fields)
    if dimension == "round":
        return [line.round]
    return [getattr(line.row, dimension)]


def allocation_table(ctx: Context, dimension: str, vocabulary) -> Table:
    """The active holdings' cost and fair value on the date by one vocabulary, with shares."""
    titles = {
        "focus_area": _("By focus area"),
        "enterprise_stage": _("By enterprise stage"),
        "application_field": _("By application field"),
        "zone": _("By cluster zone"),
        "round": _("By round"),
    }
    active = [line for line in lines(ctx) if line.active]
    slices, totals = breakdown(
        (
            (_keys(line, dimension), (line.figures.invested, line.figures.fair_value))
            for line in active
        ),
        vocabulary.codes,
        measures=2,
    )
    table = Table(
        f"allocation_{dimension}",
        titles[dimension],
        _share_columns(Column("label", DIMENSION_LABELS[dimension](), "text", 1.8)),
        empty=_("No active holding on this date."),
    )
    for s in slices:
        label = vocab_label(dimension, s.key) if s.key else _("Not set")
        table.rows.append([label, s.amounts[0], s.shares[0], s.amounts[1], s.shares[1]])
    if table.rows:
        overlapping = dimension == "application_field"
        table.total = [
            _("Total"),
            totals[0],
            Decimal(1) if totals[0] else None,
            totals[1],
            Decimal(1) if totals[1] else None,
        ]
        if overlapping:  # the groups overlap: the total is of the holdings, not of the rows
            table.note = _(
                "A company counts in full under each of its application fields, so "
                "the shares add up to more than 100%; the total is the holdings'."
            )
    return table


def allocation(ctx: Context) -> Section:
    blocks: list = [
        Text(
            _(
                "Active holdings on %(date)s (not fully exited or written off), at "
                "cost and at fair value.",
                date=ctx.as_of.isoformat(),
            ),
            "muted",
        )
    ]
    for dimension, vocabulary, kind in DIMENSIONS:
        if dimension == "round":  # the districts follow the cluster zones
            blocks += district_blocks(ctx)
        table = allocation_table(ctx, dimension, vocabulary)
        if kind is not None and table.rows:
            values = ["cost"] if kind == "pie" else ["cost", "fair_value"]
            title = table.title + (_(" (at cost)") if kind == "pie" else "")
            blocks.append(
                Chart(f"chart_{table.key}", title, kind, table, "label", values, note=table.note)
            )
        blocks.append(table)
    return Section("5", "allocation", _("Allocation"), blocks)


def _share_columns(first: Column) -> list[Column]:
    return [
        first,
        money("cost", _("Cost")),
        Column("cost_share", _("Share of cost"), "share"),
        money("fair_value", _("Fair value")),
        Column("fair_value_share", _("Share of fair value"), "share"),
    ]


def district_table(ctx: Context) -> tuple[Table, list]:
    """The active holdings' cost and fair value by their companies' registered district (every
    district with a holding, in the vocabulary's order), then each city outside Chongqing, then
    "no district": places.tally, as the industry map counts them. With the district code of
    each row (None for a city or no district), which the map colours."""
    active = [line for line in lines(ctx) if line.active]
    counted = places.tally(
        (
            (
                places.Where(line.row.district, line.row.city, line.row.zone),
                (line.figures.invested, line.figures.fair_value, line.held.id),
            )
            for line in active
        ),
        (places.SUM, places.SUM, places.DISTINCT),
    )
    table = Table(
        "allocation_district",
        _("By district"),
        _share_columns(Column("label", _("District"), "text", 1.8)),
        empty=_("No active holding on this date."),
    )
    total = counted.total
    found = [(code, vocab_label("district", code), f) for code, f in counted.districts.items()]
    found += [
        (None, _("%(city)s (outside Chongqing)", city=n), f) for n, f in counted.cities.items()
    ]
    found.append((None, _("No district"), counted.none))
    keys = []
    for code, label, f in found:
        if f[2]:  # a place with at least one active holding
            keys.append(code)
            table.rows.append(
                [label, f[0], share_of(f[0], total[0]), f[1], share_of(f[1], total[1])]
            )
    if table.rows:
        table.total = [_("Total"), total[0], share_of(total[0], total[0]), total[1],
                       share_of(total[1], total[1])]  # fmt: skip
    return table, keys


def district_blocks(ctx: Context) -> list:
    """The district map of cost (drawn from the district table) and the table."""
    table, keys = district_table(ctx)
    if not table.rows:
        return [table]
    note = _(
        "Companies registered outside Chongqing or without a district are in the table, "
        "not on the map."
    )
    chart = Chart(
        "chart_allocation_district",
        _("Invested cost by district"),
        "map",
        table,
        "label",
        ["cost"],
        note=note,
        keys=keys,
    )
    return [chart, table]
