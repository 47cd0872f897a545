"""An LP's capital account statement as PDF (fundcrm.pdf, the embedded CJK font): the figures of
its account page (fundcrm.funds.capital.statement), in the reader's language."""

from datetime import date
from decimal import Decimal

from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from sqlmodel import Session

from fundcrm import clock
from fundcrm.domain.capital import Account, bears_fees
from fundcrm.funds.capital import Statement, SubFundAccount
from fundcrm.funds.queries import fund_settings
from fundcrm.funds.statement_notes import NOTES, irr_text
from fundcrm.i18n import current_locale, format_wan, vocab_label
from fundcrm.models import LimitedPartner
from fundcrm.pdf import PAGE_WIDTH, Frame, build, para, table


def _multiple(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def _share(value: Decimal | None) -> str:
    return "—" if value is None else f"{value * 100:.4f}%"


def _frame(db: Session, title: str) -> Frame:
    settings = fund_settings(db)
    fund = ""
    if settings is not None:
        english = not current_locale().startswith("zh") and settings.name_en
        fund = settings.name_en if english else settings.name
    return Frame(fund, title, _("Confidential"), _("Page %(page)s of %(pages)s"))


def _account_table(account: Account, as_of: date, part: SubFundAccount | None = None):
    """One account's lines: (line, in the period, to date), amounts in 万元."""
    rows = [
        [_("Commitment"), "", format_wan(account.committed)],
        [_("Calls"), format_wan(account.calls_in_period), format_wan(account.calls)],
        [_("Distributions"), format_wan(account.distributions_in_period),
         format_wan(account.distributions)],
        [_("Share of fees and expenses"), format_wan(account.fees_in_period),
         format_wan(account.fees)],
        [_("Unfunded"), "", format_wan(account.unfunded)],
        [_("Balance"), "", format_wan(account.balance)],
        [_("Net IRR"), "", irr_text(account.net_irr, account.first_flow, as_of)],
    ]  # fmt: skip
    if part is not None:
        rows += [
            [_("Paid-in share"), "", _share(account.paid_in_share)],
            [_("Commitment share"), "", _share(account.commitment_share)],
            [_("Sub-fund NAV"), "", format_wan(part.nav)],
            [_("Sub-fund fees and expenses"), format_wan(part.expenses_in_period),
             format_wan(part.expenses)],
        ]  # fmt: skip
    header = [_("万元"), para(_("In the period"), "cell_right"), para(_("To date"), "cell_right")]
    return table(header, rows, [PAGE_WIDTH * w for w in (0.46, 0.27, 0.27)], right=[1, 2])


PER_TABLE = 3  # sub-funds side by side in one performance table


def _performance_tables(found: Statement) -> list:
    """The sub-funds' performance: a line per figure, a column per sub-fund (three at most in a
    table, so any code fits)."""
    lines = [
        (_("Committed"), lambda p: format_wan(p.committed)),
        (_("Paid-in"), lambda p: format_wan(p.paid_in)),
        (_("Distributions"), lambda p: format_wan(p.distributions)),
        ("NAV", lambda p: format_wan(p.nav)),
        ("DPI", lambda p: _multiple(p.dpi)),
        ("RVPI", lambda p: _multiple(p.rvpi)),
        ("TVPI", lambda p: _multiple(p.tvpi)),
        (_("Net IRR"), lambda p: irr_text(p.net_irr, p.first_call, found.as_of)),
        (_("Gross IRR"), lambda p: irr_text(p.gross_irr, p.first_investment, found.as_of)),
    ]
    tables = []
    for at in range(0, len(found.parts), PER_TABLE):
        parts = found.parts[at : at + PER_TABLE]
        header = [_("万元"), *(para(part.code, "cell_right") for part in parts)]
        rows = [[label, *(shown(part.performance) for part in parts)] for label, shown in lines]
        widths = [PAGE_WIDTH * 0.28] + [PAGE_WIDTH * 0.24] * len(parts)
        grid = table(header, rows, widths, right=range(1, len(parts) + 1))
        grid.hAlign = "LEFT"
        tables.append(grid)
    return tables


def build_statement(db: Session, lp: LimitedPartner, found: Statement) -> bytes:
    """The statement's PDF bytes."""
    title = _("Capital account statement") + f" · {lp.name}"
    fees = _("Bears fees and expenses") if bears_fees(lp.bears_fees, lp.lp_type) else _(
        "Bears no fees or expenses")  # fmt: skip
    story = [
        para(_("Capital account statement"), "title"),
        para(f"{lp.name} · {vocab_label('lp_type', lp.lp_type)} · {fees}", "h2"),
        para(
            _(
                "As of %(date)s; period %(start)s – %(end)s; printed %(when)s",
                date=format_date(found.as_of),
                start=format_date(found.start),
                end=format_date(found.as_of),
                when=format_datetime(clock.now(), "short"),
            ),
            "subtitle",
        ),  # fmt: skip
        para(_("Net of fees and expenses, before carried interest. Amounts in 万元."), "muted"),
    ]
    if not found.parts:
        return build([*story, para(_("This LP has no commitment yet."), "body")], _frame(db, title))
    for part in found.parts:
        story += [para(f"{part.code} · {part.name}", "h1"),
                  _account_table(part.account, found.as_of, part)]  # fmt: skip
    if len(found.parts) > 1:
        story += [para(_("Total"), "h1"), _account_table(found.total, found.as_of)]
    story += [para(_("Performance of these sub-funds"), "h1"), *_performance_tables(found),
              para(_("Notes"), "h1"), *(para(note, "muted") for note in NOTES)]  # fmt: skip
    return build(story, _frame(db, title))
