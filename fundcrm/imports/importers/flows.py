"""LP calls and distributions, and a sub-fund's fees and expenses (DOMAIN.md sections 1 and 9).

Like transactions they have no identity of their own: a row equal to a recorded one (LP,
sub-fund, date, type and amount; for an expense sub-fund, date, kind and amount) is that
record, so re-importing a file or an export changes nothing, and every other row is a new
record, written through the service the metrics page uses. A call is checked with the LP's
recorded calls and the file's: the calls to each date stay within the commitment in force."""

from flask_babel import gettext as _

from fundcrm.compliance import periods
from fundcrm.domain import holding_rules as rules
from fundcrm.funds import flows, queries
from fundcrm.imports.importers.base import LedgerImporter, Recorded, WriteRefused
from fundcrm.imports.report import ERROR, NEW, UNCHANGED
from fundcrm.imports.table import Row

# a service's field → the file's column
COLUMN_OF = {"flow_on": "date", "spent_on": "date", "amount": "amount_wan", "lp_id": "lp_name",
             "kind": "type"}  # fmt: skip


class DatedImporter(LedgerImporter):
    """What both share: the date and amount rules of every flow, and the write."""

    def _dated(self, row: Row) -> bool:
        """The date is today or earlier, in no closed period, and the amount above zero (the
        service's rules)."""
        try:
            flows.check_dated(row.get("date"), row.get("amount_wan"), "date")
            self._check_open(row.get("date"))
        except (flows.FlowError, periods.PeriodClosed) as error:
            self.error(row, COLUMN_OF.get(error.field, error.field), str(error.message))
            return False
        return True

    def _check_open(self, on) -> None:
        """The closed period, read once and locked against a close until the import ends."""
        if not hasattr(self, "closed"):
            self.closed = periods.closed_through(self.db, lock=True)
        if periods.refused(self.closed, on):
            raise periods.PeriodClosed(periods.message(self.closed), "date")

    def write(self) -> None:
        for row, values in self.new:
            try:
                self.record(values)
            except (flows.FlowError, periods.PeriodClosed) as error:
                raise WriteRefused(row.number, COLUMN_OF.get(error.field, "date"),
                                   error.message) from None  # fmt: skip


class LpFlowsImporter(DatedImporter):
    def plan(self) -> None:
        funds = {f.code: f for f in queries.sub_funds(self.db)}
        lps = {lp.name: lp for lp in queries.lps(self.db)}
        queries.lock_commitments(self.db)  # as a call on the web locks its commitment
        amounts = queries.commitment_schedules(self.db)  # in force on each date
        recorded_flows = queries.all_lp_flows(self.db)
        recorded = Recorded(
            recorded_flows, lambda f: (f.lp_id, f.sub_fund_id, f.flow_on, f.kind, f.amount_yuan)
        )
        self.new: list[tuple[Row, dict]] = []
        calls: dict[tuple, list] = {}  # (lp, fund) → (date, amount, row number or None)
        for flow in recorded_flows:
            if flow.kind == "call":
                calls.setdefault((flow.lp_id, flow.sub_fund_id), []).append(
                    (flow.flow_on, flow.amount_yuan, None))  # fmt: skip
        for row in self.table.rows:
            name, fund = row.get("lp_name"), self.sub_fund(row, funds)
            on, code = row.get("date") or "", row.get("sub_fund") or ""
            key = self.keyed(f"{name or ''} / {code} / {on}")
            lp = lps.get(name) if name else None
            if name is None:
                self.missing_key(row, "lp_name")
            elif lp is None:
                self.error(row, "lp_name", _("No LP has this name: %(name)s", name=name))
            filled = self.needs(row, ("date", "type", "amount_wan"))
            if lp is None or fund is None or not filled:
                self.result(row, key, ERROR)
                continue
            values = {
                "lp_id": lp.id,
                "sub_fund_id": fund.id,
                "flow_on": row.get("date"),
                "kind": row.get("type"),
                "amount_yuan": row.get("amount_wan"),
                "note": "",
            }
            identity = (lp.id, fund.id, values["flow_on"], values["kind"], values["amount_yuan"])
            if recorded.take(identity) is not None:
                self.result(row, key, UNCHANGED, label=lp.name)
                continue  # fmt: skip
            self.result(row, key, NEW, label=lp.name)
            if not self._dated(row):
                continue
            schedule = amounts.get((lp.id, fund.id))
            if schedule is None or not schedule.started(values["flow_on"]):
                self.error(row, "lp_name", str(flows.NO_COMMITMENT))
                continue
            self.new.append((row, values))
            if values["kind"] == "call":
                calls.setdefault((lp.id, fund.id), []).append(
                    (values["flow_on"], values["amount_yuan"], row.number))  # fmt: skip
        for key, made in calls.items():
            if any(row is not None for _on, _amount, row in made):
                for number in rules.calls_above_commitment(made, amounts[key].on):
                    self.error(number, "amount_wan", str(flows.CALLS_ABOVE))
        self.finish()

    def record(self, values: dict) -> None:
        flows.record_flow(self.db, values)


class ExpensesImporter(DatedImporter):
    def plan(self) -> None:
        funds = {f.code: f for f in queries.sub_funds(self.db, lock=True)}
        recorded = Recorded(
            queries.all_expenses(self.db),
            lambda e: (e.sub_fund_id, e.spent_on, e.kind, e.amount_yuan),
        )
        self.new = []
        for row in self.table.rows:
            fund = self.sub_fund(row, funds)
            key = self.keyed(f"{row.get('sub_fund') or ''} / {row.get('date') or ''}")
            if not self.needs(row, ("date", "kind", "amount_wan")) or fund is None:
                self.result(row, key, ERROR)
                continue
            values = {
                "sub_fund_id": fund.id,
                "spent_on": row.get("date"),
                "kind": row.get("kind"),
                "amount_yuan": row.get("amount_wan"),
                "note": "",
            }
            identity = (fund.id, values["spent_on"], values["kind"], values["amount_yuan"])
            if recorded.take(identity) is not None:
                self.result(row, key, UNCHANGED, label=fund.name)
                continue
            self.result(row, key, NEW, label=fund.name)
            if self._dated(row):
                self.new.append((row, values))
        self.finish()  # fmt: skip

    def record(self, values: dict) -> None:
        flows.record_expense(self.db, values)
