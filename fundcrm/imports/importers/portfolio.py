"""Portfolio transactions and valuation marks (DOMAIN.md sections 6 and 9).

A transaction or a mark has no identity of its own: a row equal to a recorded one (company,
sub-fund, date, type, amount and exit; for a mark date, fair value and method) is that record,
so re-importing a file or an export changes nothing; its other cells (round, ownership,
post-money, note) update it. Every other row is a new record, checked with the recorded ones by
the rules the holding page uses (fundcrm.domain.holding_rules): the whole holding's sequence
is judged, so a file may hold a holding's history in any order.

Transactions are historical data: a row opens the holding when the sub-fund has none in the
company (dated its first investment), investments need no deal and no IC decision, and the
mandate breaches each investment would meet at closing (stage, focus, cap, investment period)
are listed in the report, not refused. Marks go to existing holdings only; imported from the
command line or by a user with the risk role they count at once, otherwise they wait for
risk's review like a mark entered on the web."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from sqlmodel import select

from fundcrm.compliance import periods
from fundcrm.deals.refusals import breach_message
from fundcrm.domain import holding_rules as rules
from fundcrm.domain.vocab import TRANSACTION_KINDS
from fundcrm.funds.queries import commitment_schedules, sub_funds
from fundcrm.imports import queries
from fundcrm.imports.importers.base import LedgerImporter, Recorded, WriteRefused, chunks
from fundcrm.imports.report import ERROR, NEW, UNCHANGED, UPDATE, Issue
from fundcrm.imports.table import Row
from fundcrm.models import Company, Holding, PortfolioTransaction, ValuationMark
from fundcrm.portfolio import holdings
from fundcrm.portfolio.closing import investment_breaches

# a rule's field → the file's column
COLUMN_OF = {
    "made_on": "date",
    "marked_on": "date",
    "kind": "type",
    "amount": "amount_wan",
    "exit": "exit",
    "equity_pct": "equity_pct",
    "fair_value": "fair_value_wan",
}
# the cells that update a matched transaction: column → attribute
DETAILS = {
    "round": "round",
    "equity_pct": "equity_pct",
    "post_money_wan": "post_money_yuan",
    "note": "note",
}


@dataclass
class Line:
    """A row naming a holding: its sub-fund and company, found."""

    row: Row
    fund: object
    company: Company


@dataclass
class HoldingPlan:
    fund: object
    company: Company
    holding: Holding | None
    lines: list[Line] = field(default_factory=list)
    new: list[tuple[Row, dict]] = field(default_factory=list)  # (row, transaction values)
    updates: list[tuple[object, dict]] = field(default_factory=list)  # (record, changed)


class PortfolioImporter(LedgerImporter):
    """What transactions and marks share: finding each row's sub-fund, company and holding."""

    def _lines(self) -> list[Line]:
        funds = {f.code: f for f in sub_funds(self.db)}
        usccs = {row.get("company_uscc") for row in self.table.rows}
        companies = queries.by_key(self.db, Company, Company.uscc, usccs)
        lines = []
        for row in self.table.rows:
            fund = self.sub_fund(row, funds)
            uscc = row.get("company_uscc")
            company = companies.get(uscc) if uscc else None
            if uscc is None:
                self.missing_key(row, "company_uscc")
            elif company is None:
                self.error(row, "company_uscc", _("No company has this USCC: %(uscc)s", uscc=uscc))
            if fund is not None and company is not None:
                lines.append(Line(row, fund, company))
            else:
                self.result(row, f"{uscc or ''} / {row.get('sub_fund') or ''}", ERROR)
        return lines

    def _holdings(self, lines: list[Line]) -> dict[tuple[int, int], Holding]:
        """The recorded holdings of the rows' companies, with their transactions, locked: two
        imports of one file at once run one after the other, so the second finds the first's
        records and adds nothing (SQLite's write lock already serialises them)."""
        found = {}
        company_ids = sorted({line.company.id for line in lines})
        for chunk in chunks(company_ids):
            query = (
                select(Holding)
                .where(Holding.company_id.in_(chunk))
                .order_by(Holding.id)
                .with_for_update(of=Holding)
                .options(selectinload(Holding.transactions))
            )
            for holding in self.db.exec(query).all():
                found[(holding.sub_fund_id, holding.company_id)] = holding
        return found

    def _plans(self) -> list[HoldingPlan]:
        lines = self._lines()
        recorded = self._holdings(lines)
        plans: dict[tuple[int, int], HoldingPlan] = {}
        for line in lines:
            key = (line.fund.id, line.company.id)
            if key not in plans:
                plans[key] = HoldingPlan(line.fund, line.company, recorded.get(key))
            plans[key].lines.append(line)
        return list(plans.values())

    def _in_closed_period(self, row: Row) -> bool:
        """A row that would write, dated in a closed period: its error (the closed period is
        read once and locked against a close until the import ends)."""
        if not hasattr(self, "closed"):
            self.closed = periods.closed_through(self.db, lock=True)
        if periods.refused(self.closed, row.get("date")):
            self.error(row, "date", str(periods.message(self.closed)))
            return True
        return False

    def _problem(self, row: Row | int, problem: rules.Problem) -> None:
        self.error(row, COLUMN_OF.get(problem.field, "date"), str(holdings.message(problem)))

    @staticmethod
    def _key(plan: HoldingPlan, row: Row) -> str:
        return f"{plan.company.uscc} / {plan.fund.code} / {row.get('date')}"


class TransactionsImporter(PortfolioImporter):
    def plan(self) -> None:
        self.plans = self._plans()
        self.committed = None
        for plan in self.plans:
            self._plan_holding(plan)
        self.finish()

    @staticmethod
    def _identity(on: date, kind: str, amount: Decimal, exit_: str | None) -> tuple:
        return (on, kind, Decimal(amount).quantize(Decimal("0.01")), exit_ or None)

    def _plan_holding(self, plan: HoldingPlan) -> None:
        recorded_txns = list(plan.holding.transactions) if plan.holding else []
        recorded = Recorded(
            recorded_txns, lambda t: self._identity(t.made_on, t.kind, t.amount_yuan, t.exit)
        )
        after = {id(t): t.equity_pct for t in recorded_txns}  # ownership once updated
        statuses: dict[int, tuple[str, list]] = {}
        new_entries = []
        for line in plan.lines:
            row = line.row
            if not self.needs(row, ("date", "type", "amount_wan")):
                continue
            values = self._values(row)
            match = recorded.take(
                self._identity(values["made_on"], values["kind"], values["amount_yuan"],
                               values["exit"])
            )  # fmt: skip
            if match is not None:
                changed = self._changes(row, match)
                if changed and self._in_closed_period(row):
                    continue
                if "equity_pct" in changed:
                    after[id(match)] = changed["equity_pct"]
                if changed:
                    plan.updates.append((match, changed))
                statuses[row.number] = (UPDATE if changed else UNCHANGED, changed)
                continue
            if self._in_closed_period(row):
                continue
            plan.new.append((row, values))
            statuses[row.number] = (NEW, [])
            new_entries.append(
                rules.Entry(values["made_on"], values["kind"], values["amount_yuan"],
                            values["exit"], values["equity_pct"], new=True, key=row.number)
            )  # fmt: skip
        entries = [
            rules.Entry(t.made_on, t.kind, t.amount_yuan, t.exit, after[id(t)])
            for t in recorded_txns
        ]
        for problem in rules.check_transactions([*entries, *new_entries], self.ctx.today):
            self._problem(problem.key, problem)
        for line in plan.lines:
            status, changed = statuses.get(line.row.number, (ERROR, []))
            kind = line.row.get("type")
            label = TRANSACTION_KINDS.label(kind, self.report.locale or "zh") if kind else ""
            self.result(line.row, self.keyed(self._key(plan, line.row)), status,
                        sorted(changed), f"{plan.company.name} {label}")  # fmt: skip
        self._list_breaches(plan, recorded_txns)

    @staticmethod
    def _values(row: Row) -> dict:
        kind = row.get("type")
        return {
            "made_on": row.get("date"),
            "kind": kind,
            "amount_yuan": row.get("amount_wan"),
            "exit": row.get("exit") if kind == "proceeds" else None,
            "round": row.get("round"),
            "equity_pct": row.get("equity_pct"),
            "post_money_yuan": row.get("post_money_wan"),
            "note": row.get("note") or "",
        }

    def _changes(self, row: Row, record: PortfolioTransaction) -> dict:
        """The cells of a matched row that differ from the record (blank: unchanged)."""
        changed = {}
        for column, attribute in DETAILS.items():
            if row.has(column) and getattr(record, attribute) != row.get(column):
                changed[column] = row.get(column)
        if row.has("exit") and row.get("type") != "proceeds":
            self.error(row, "exit", _("Only proceeds have an exit type."))
        return changed

    def _list_breaches(self, plan: HoldingPlan, recorded_txns: list) -> None:
        """Each new investment's mandate breaches, judged on its date with the sub-fund's
        cost in the company before it (recorded and earlier rows)."""
        investments = sorted(
            [(t.made_on, t.amount_yuan, None) for t in recorded_txns if t.kind == "investment"]
            + [(v["made_on"], v["amount_yuan"], row) for row, v in plan.new
               if v["kind"] == "investment" and row.number not in self.bad_rows()],
            key=lambda item: (item[0], item[2] is not None),
        )  # fmt: skip
        if self.committed is None:
            self.committed = commitment_schedules(self.db)  # the size on each date
        cost = Decimal(0)
        for on, amount, row in investments:
            if row is not None:
                found = investment_breaches(
                    plan.fund, plan.company, on, amount, cost, cost == 0, self.committed
                )
                for breach in found:
                    text = f"{plan.company.name}: {breach_message(breach)}"
                    self.report.breaches.append(Issue(row.number, self.table.heading("type"), text))
            cost += amount

    def write(self) -> None:
        user = self.ctx.user
        for plan in self.plans:
            for record, changed in plan.updates:
                for column, value in changed.items():
                    setattr(record, DETAILS[column], value)
            if not plan.new:
                continue
            holding = plan.holding
            first = min(v["made_on"] for _row, v in plan.new)
            if holding is None:
                holding = Holding(sub_fund_id=plan.fund.id, company_id=plan.company.id,
                                  opened_on=first)  # fmt: skip
                self.db.add(holding)
                self.db.flush()
            elif first < holding.opened_on:
                holding.opened_on = first
            for _row, values in plan.new:
                amount = values["amount_yuan"]
                self.db.add(
                    PortfolioTransaction(holding_id=holding.id, **{**values, "amount_yuan": amount},
                                         created_by_id=user.id if user else None)
                )  # fmt: skip
        self.db.flush()


class ValuationsImporter(PortfolioImporter):
    def plan(self) -> None:
        self.plans = self._plans()
        self.marks = self._marks([p.holding.id for p in self.plans if p.holding is not None])
        for plan in self.plans:
            self._plan_holding(plan)
        self.finish()

    def _marks(self, holding_ids: list[int]) -> dict[int, list[ValuationMark]]:
        """The counted and pending marks of these holdings (a rejected one is no mark)."""
        found: dict[int, list[ValuationMark]] = {}
        for chunk in chunks(holding_ids):
            query = select(ValuationMark).where(
                ValuationMark.holding_id.in_(chunk), ValuationMark.status != "rejected"
            )
            for mark in self.db.exec(query.order_by(ValuationMark.id)).all():
                found.setdefault(mark.holding_id, []).append(mark)
        return found

    def _plan_holding(self, plan: HoldingPlan) -> None:
        if plan.holding is None:
            for line in plan.lines:
                self.error(
                    line.row,
                    "company_uscc",
                    _("The sub-fund holds nothing in this company: a mark is of a holding."),
                )
                self.result(line.row, self._key(plan, line.row), ERROR)
            return  # fmt: skip
        marks = self.marks.get(plan.holding.id, [])
        recorded = Recorded(marks, lambda m: (m.marked_on, m.fair_value_yuan, m.method))
        entries = holdings.entries(plan.holding)
        for line in plan.lines:
            row = line.row
            key = self.keyed(self._key(plan, row))
            if not self.needs(row, ("date", "fair_value_wan", "method")):
                self.result(row, key, ERROR)
                continue
            on, value = row.get("date"), row.get("fair_value_wan")
            match = recorded.take((on, value, row.get("method")))
            if match is not None:
                if row.has("note") and row.get("note") != match.note:
                    self.error(row, "note", _("A mark never changes: a correction is a new mark."))
                self.result(row, key, UNCHANGED, label=plan.company.name)
                continue
            self._in_closed_period(row)
            for problem in rules.check_mark(entries, on, value, self.ctx.today, row):
                self._problem(row, problem)
            plan.new.append(
                (
                    row,
                    {
                        "marked_on": on,
                        "fair_value_yuan": value,
                        "method": row.get("method"),
                        "note": row.get("note"),
                    },
                )
            )
            self.result(row, key, NEW, label=plan.company.name)  # fmt: skip

    def write(self) -> None:
        counted = self.ctx.marks_count
        for plan in self.plans:
            for row, values in plan.new:
                try:
                    holdings.add_mark(self.db, plan.holding, values, self.ctx.user, counted)
                except (holdings.HoldingError, periods.PeriodClosed) as error:
                    column = COLUMN_OF.get(error.field or "", "date")
                    raise WriteRefused(row.number, column, error.message) from None
