"""Sections 1–3 of the annual report (DOMAIN.md section 8): the overview with deployment against
commitment, each LP's capital account and the fees and expenses, and the performance with the
dated cash flows behind every IRR. Every figure comes from the metrics (fundcrm.portfolio.figures)
and capital accounts (fundcrm.funds.capital) the pages show."""

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _

from fundcrm.domain.deployment import deployment, quarter_ends
from fundcrm.domain.metrics import merge
from fundcrm.funds import capital as ledger
from fundcrm.funds.positions import positions
from fundcrm.funds.queries import commitment_schedules, lps
from fundcrm.funds.statement_notes import NOTES
from fundcrm.i18n import vocab_label
from fundcrm.portfolio.queries import expenses
from fundcrm.reports.cells import money, rate, total_row
from fundcrm.reports.context import Context
from fundcrm.reports.model import Chart, Column, Section, Table, Text


def _fund_name(ctx: Context, fund) -> str:
    return fund.name_en if ctx.ask.language == "en" and fund.name_en else fund.name


# -- 1. Overview ------------------------------------------------------------------------------


def overview(ctx: Context) -> Section:
    held = positions(ctx.db, ctx.as_of)
    table = Table(
        "overview_sub_funds",
        _("Sub-funds on %(date)s", date=ctx.as_of.isoformat()),
        [
            Column("code", _("Sub-fund"), "text", 1.6),
            money("target", _("Target size")),
            money("committed", _("Committed")),
            money("paid_in", _("Paid-in")),
            money("unfunded", _("Unfunded")),
            Column("first_close", _("First close"), "date"),
            Column("investment_end", _("Investment period end"), "date"),
            Column("term_end", _("Term end"), "date"),
        ],
    )
    for fund in ctx.funds:
        position = held.of(fund.id).position
        table.rows.append(
            [
                f"{fund.code} {_fund_name(ctx, fund)}",
                fund.target_yuan,
                position.committed,
                position.paid_in,
                position.unfunded,
                fund.first_close,
                fund.investment_end,
                fund.term_end,
            ]
        )
    table.total = total_row(table, _("Total"))
    points = deployment_table(ctx)
    total, parts = ctx.figures
    held_count = sum(1 for p in parts for _h, f in p.holdings if f.invested)
    facts = _(
        "As of %(date)s: %(funds)s sub-funds, %(holdings)s holdings, invested cost %(cost)s万元, "
        "fair value %(value)s万元.",
        date=ctx.as_of.isoformat(),
        funds=len(ctx.funds),
        holdings=held_count,
        cost=f"{total.invested / 10000:,.2f}",
        value=f"{total.fair_value / 10000:,.2f}",
    )
    return Section(
        "1",
        "overview",
        _("Overview"),
        [
            Text(facts),
            table,
            points,
            Chart(
                "deployment",
                _("Deployment against commitment"),
                "line",
                points,
                "on",
                ["invested", "committed"],
            ),
        ],
    )


def deployment_table(ctx: Context) -> Table:
    """The investment cost to date against the commitments in force, at each quarter's end from
    the first close to 31 December (the dashboard's chart calls the same function)."""
    schedules = commitment_schedules(ctx.db)
    ids = ctx.fund_ids

    def committed_on(day: date) -> Decimal:
        return sum((s.on(day) for (_lp, f), s in schedules.items() if f in ids), Decimal(0))

    _total, parts = ctx.figures
    invested = [
        (t.on, t.amount)
        for p in parts
        for h, _f in p.holdings
        for t in h.txns
        if t.kind == "investment"
    ]
    closes = [f.first_close for f in ctx.funds if f.first_close is not None]
    start = min([*closes, *(on for on, _a in invested)], default=ctx.start)
    table = Table(
        "deployment",
        _("Deployment against commitment"),
        [
            Column("on", _("Date"), "date"),
            money("invested", _("Invested cost to date")),
            money("committed", _("Commitments in force")),
            Column("share", _("Deployed"), "share"),
        ],
    )
    for point in deployment(invested, committed_on, quarter_ends(start, ctx.as_of)):
        table.rows.append([point.on, point.invested, point.committed, point.share])
    return table


# -- 2. Capital accounts, 2a. Fees and expenses ------------------------------------------------


# each LP's account in two tables that fit a page: its money in and out, then its share of the
# fees and its balance (column key, label, the account's attribute)
FLOWS = (
    ("committed", lambda: _("Commitment"), "committed"),
    ("calls_year", lambda: _("Calls in the year"), "calls_in_period"),
    ("calls", lambda: _("Calls to date"), "calls"),
    ("distributions_year", lambda: _("Distributions in the year"), "distributions_in_period"),
    ("distributions", lambda: _("Distributions to date"), "distributions"),
    ("unfunded", lambda: _("Unfunded"), "unfunded"),
)
SHARES = (
    ("fees_year", lambda: _("Fees and expenses in the year"), "fees_in_period"),
    ("fees", lambda: _("Fees and expenses to date"), "fees"),
    ("balance", lambda: _("Balance"), "balance"),
)


def _account_table(key: str, title: str, lines, with_irr: bool) -> Table:
    columns = [Column("lp", _("LP"), "text", 2.4), *(money(k, label()) for k, label, _a in lines)]
    if with_irr:
        columns.append(Column("net_irr", _("Net IRR"), "rate", 0.9))
    return Table(key, title, columns, empty=_("No LP has a commitment yet."))


def capital(ctx: Context) -> list[Section]:
    payload = ledger.every_account(ctx.db, ctx.as_of, ctx.start, computed=ctx.everything)
    names = {lp.id: lp.name for lp in lps(ctx.db)}
    blocks: list = [Text(str(NOTES[0]), "muted")]
    for fund in [f for f in payload["sub_funds"] if f["id"] in ctx.fund_ids]:
        accounts = ledger.accounts_in(fund)
        title = f"{fund['code']} · {fund['name']}"
        others = [a for a in accounts if ctx.lp is not None and a.lp_id != ctx.lp.id]
        shown = [a for a in accounts if a not in others]
        for key, lines, with_irr in (("", FLOWS, False), ("_balance", SHARES, True)):
            table = _account_table(f"capital_{fund['code']}{key}", title, lines, with_irr)
            for account in shown:
                irr = [rate(account.net_irr, account.first_flow, ctx.as_of)] if with_irr else []
                values = [getattr(account, attribute) for _k, _l, attribute in lines]
                table.rows.append([names.get(account.lp_id, ""), *values, *irr])
            if others:  # the LP edition: the other LPs as one line
                sums = [sum((getattr(a, attribute) for a in others), Decimal(0))
                        for _k, _l, attribute in lines]  # fmt: skip
                label = _("Other LPs (%(count)s)", count=len(others))
                table.rows.append([label, *sums, *([None] if with_irr else [])])
            if table.rows:
                table.total = total_row(table, _("Total"))
            blocks.append(table)
    sections = [Section("2", "capital", _("Capital accounts"), blocks)]
    sections.append(Section("2a", "fees", _("Fees and expenses"), [fees_table(ctx)]))
    return sections


def fees_table(ctx: Context) -> Table:
    table = Table(
        "fees",
        _("Management fees and fund expenses"),
        [
            Column("code", _("Sub-fund"), "text", 1.4),
            money("fees_year", _("Management fees in the year")),
            money("fees", _("Management fees to date")),
            money("expenses_year", _("Fund expenses in the year")),
            money("expenses", _("Fund expenses to date")),
            money("total_year", _("Total in the year")),
            money("total", _("Total to date")),
        ],
    )
    spent = expenses(ctx.db, ctx.as_of)
    for fund in ctx.funds:
        mine = [e for e in spent if e.sub_fund_id == fund.id]

        def summed(kind, year_only, mine=mine):
            return sum(
                (
                    e.amount_yuan
                    for e in mine
                    if (kind is None or e.kind == kind)
                    and (not year_only or e.spent_on >= ctx.start)
                ),
                Decimal(0),
            )

        table.rows.append(
            [
                fund.code,
                summed("management_fee", True),
                summed("management_fee", False),
                summed("expense", True),
                summed("expense", False),
                summed(None, True),
                summed(None, False),
            ]
        )
    table.total = total_row(table, _("Total"))
    return table


# -- 3. Performance ---------------------------------------------------------------------------

PERFORMANCE_MONEY = (
    "paid_in",
    "distributions",
    "expenses",
    "invested",
    "proceeds",
    "dividends",
    "fair_value",
    "nav",
)


def performance(ctx: Context) -> Section:
    total, parts = ctx.figures
    labels = {
        "paid_in": _("Paid-in"),
        "distributions": _("Distributions"),
        "expenses": _("Fees and expenses"),
        "invested": _("Invested cost"),
        "proceeds": _("Proceeds"),
        "dividends": _("Dividends"),
        "fair_value": _("Fair value"),
        "nav": "NAV",
    }
    amounts = Table(
        "performance_money",
        _("Money figures"),
        [
            Column("code", _("Sub-fund"), "text", 1.3),
            *(money(k, labels[k]) for k in PERFORMANCE_MONEY),
        ],
    )
    ratios = Table(
        "performance_ratios",
        _("Multiples and rates"),
        [
            Column("code", _("Sub-fund"), "text", 1.3),
            *(Column(k, k.upper(), "multiple") for k in ("moic", "dpi", "rvpi", "tvpi")),
            Column("gross_irr", _("Gross IRR"), "rate"),
            Column("net_irr", _("Net IRR"), "rate"),
        ],
    )
    for part in parts:
        amounts.rows.append([part.code, *(getattr(part.figures, k) for k in PERFORMANCE_MONEY)])
        ratios.rows.append([part.code, *_ratios(part.figures, part.money, part.holdings, ctx)])
    amounts.total = total_row(amounts, _("Total"))
    if len(parts) > 1:
        every = [h for p in parts for h in p.holdings]
        ratios.total = [_("Total"), *_ratios(total, merge(p.money for p in parts), every, ctx)]
    net, gross = cash_flow_tables(ctx)
    return Section(
        "3",
        "performance",
        _("Performance"),
        [
            Text(
                _(
                    'Net of fees and expenses, before carried interest. IRRs are "n.m." within a '
                    "year of the first cash flow (not annualised); the workbook holds the numbers."
                ),
                "muted",
            ),
            amounts,
            ratios,
            net,
            gross,
            Text(
                _(
                    "Gross IRR: the fund's side of the holdings (investments −, proceeds and "
                    "dividends +, fair value on %(date)s +). Net IRR: the LPs' side (calls −, "
                    "distributions +, NAV on %(date)s +). Excel's XIRR over each sub-fund's rows "
                    "gives its IRR.",
                    date=ctx.as_of.isoformat(),
                ),
                "muted",
            ),
        ],
    )


def _ratios(figures, money, holdings, ctx: Context) -> list:
    calls = [on for on, _a in money.calls if on <= ctx.as_of]
    invested = [f.first_flow for _h, f in holdings if f.first_flow]
    return [
        figures.moic,
        figures.dpi,
        figures.rvpi,
        figures.tvpi,
        rate(figures.gross_irr, min(invested, default=None), ctx.as_of),
        rate(figures.net_irr, min(calls, default=None), ctx.as_of),
    ]


def cash_flow_tables(ctx: Context) -> tuple[Table, Table]:
    """The dated flows behind the net and the gross IRR of each sub-fund, signed as XIRR reads
    them, flows of one day and kind added up (XIRR gives the same rate)."""
    _total, parts = ctx.figures
    columns = [
        Column("code", _("Sub-fund"), "text", 1.2),
        Column("on", _("Date"), "date"),
        Column("kind", _("Flow"), "text", 1.6),
        money("amount", _("Amount (signed)")),
    ]
    net = Table("cash_flows_net", _("Cash flows behind the net IRR"), list(columns))
    gross = Table(
        "cash_flows_gross", _("Cash flows behind the gross IRR"), list(columns), in_pdf=False
    )
    kinds = {
        "call": _("Call"),
        "distribution": _("Distribution"),
        "nav": "NAV",
        "investment": vocab_label("transaction_kind", "investment"),
        "proceeds": _("Proceeds"),
        "dividend": _("Dividend"),
        "fair_value": _("Fair value"),
    }
    for part in parts:
        lp_side = [(on, "call", -a) for on, a in part.money.calls if on <= ctx.as_of]
        lp_side += [
            (on, "distribution", a) for on, a in part.money.distributions if on <= ctx.as_of
        ]
        net.rows += _by_day(part.code, lp_side, kinds)
        net.rows.append([part.code, ctx.as_of, kinds["nav"], part.figures.nav])
        sign = {"investment": -1, "proceeds": 1, "dividend": 1}
        fund_side = [
            (t.on, t.kind, sign[t.kind] * t.amount)
            for h, _f in part.holdings
            for t in h.txns
            if t.on <= ctx.as_of and t.kind in sign
        ]
        gross.rows += _by_day(part.code, fund_side, kinds)
        gross.rows.append([part.code, ctx.as_of, kinds["fair_value"], part.figures.fair_value])
    return net, gross


def _by_day(code: str, flows: list, kinds: dict) -> list[list]:
    summed: dict[tuple[date, str], Decimal] = {}
    for on, kind, amount in flows:
        summed[(on, kind)] = summed.get((on, kind), Decimal(0)) + amount
    return [[code, on, kinds[kind], amount] for (on, kind), amount in sorted(summed.items())]
