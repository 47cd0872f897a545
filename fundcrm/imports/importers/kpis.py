"""Portfolio companies' KPIs and milestones (DOMAIN.md sections 7 and 9), by the rules of the
holding page's forms (fundcrm.compliance.kpis and .milestones).

`kpis`: a row's company and period identify the record: a new row, or the cells given update
the recorded one (a blank cell leaves it). `milestones`: a row equal to a recorded milestone
(company, kind, title and date) is that record, each recorded one matched once (two equal rows
are two milestones); its evidence, when given and different, corrects it. A row that changes
nothing is not judged again (an export of a company no longer held, or of a period closed
since, re-imports unchanged); every other row is refused with (row, column, message) for an
unknown company or one the fund does not hold, a bad period or one not begun, a period in a
closed period, a revenue in Chongqing above the revenue, a milestone without a kind, title or
date, or dated after today."""

from flask_babel import gettext as _

from fundcrm.compliance import kpi_queries, milestones, periods
from fundcrm.compliance import kpis as services
from fundcrm.domain import kpis
from fundcrm.domain.kpis import parse_period
from fundcrm.imports.importers.base import Importer, LedgerImporter, Recorded
from fundcrm.imports.report import ERROR, NEW, UNCHANGED, UPDATE
from fundcrm.imports.table import Row
from fundcrm.models import Company, Milestone

# a KPI row's attribute → the file's column
KPI_COLUMNS = {
    "revenue_yuan": "revenue_wan",
    "cq_revenue_yuan": "cq_revenue_wan",
    "net_profit_yuan": "net_profit_wan",
    "headcount": "headcount",
    "rd_yuan": "rd_wan",
    "patents": "patents",
}
# a milestone rule's field → the file's column
MILESTONE_COLUMNS = {"achieved_on": "date", "kind": "kind", "title": "title",
                     "evidence": "evidence"}  # fmt: skip


class CompanyRows:
    """What both kinds share: each row's company, found by its USCC, and whether it is held."""

    def _companies(self) -> dict[str, Company]:
        usccs = {row.get("company_uscc") for row in self.table.rows}
        found = kpi_queries.companies_by_uscc(self.db, usccs)
        self.held = kpi_queries.first_investments(self.db, [c.id for c in found.values()])
        return found

    def _company(self, row: Row, companies: dict) -> Company | None:
        uscc = row.get("company_uscc")
        company = companies.get(uscc) if uscc else None
        if uscc is None:
            self.missing_key(row, "company_uscc")
        elif company is None:
            self.error(row, "company_uscc", _("No company has this USCC: %(uscc)s", uscc=uscc))
        return company

    def _check_held(self, row: Row, company: Company) -> None:
        if company.id not in self.held:
            self.error(row, "company_uscc", str(services.NOT_HELD))


class KpisImporter(CompanyRows, Importer):
    def plan(self) -> None:
        companies = self._companies()
        closed = periods.closed_through(self.db, lock=True)
        ids = [c.id for c in companies.values()]
        recorded = {(k.company_id, k.period): k for k in kpi_queries.kpis_of(self.db, ids, True)}
        seen: dict[tuple, int] = {}
        self.writes = []
        for row in self.table.rows:
            company, code = self._company(row, companies), row.get("period")
            key = f"{row.get('company_uscc') or ''} / {code or ''}"
            if code is None:
                self.missing_key(row, "period")
            if company is None or code is None:
                self.result(row, key, ERROR)
                continue
            if (company.id, code) in seen:
                self.duplicate(row, "period", seen[(company.id, code)], key)
                self.result(row, key, ERROR)
                continue
            seen[(company.id, code)] = row.number
            self._plan_row(row, key, company, code, recorded.get((company.id, code)), closed)
        self.finish()

    def _plan_row(self, row: Row, key: str, company: Company, code: str, existing, closed):
        given = {name: row.get(column) for name, column in KPI_COLUMNS.items()}
        changed = [
            KPI_COLUMNS[name]
            for name, value in given.items()
            if value is not None and getattr(existing, name, None) != value
        ]
        status = NEW if existing is None else UPDATE if changed else UNCHANGED
        self.result(row, key, status, changed, company.name)
        if status == UNCHANGED:
            return
        self._check_held(row, company)
        period = parse_period(code)
        if period.start > self.ctx.today:
            self.error(row, "period", str(services.not_begun(period)))
        if periods.refused(closed, period.end):
            self.error(row, "period", str(periods.message(closed)))
        wanted = services.merged(existing, given)
        for name, problem in kpis.problems(wanted):
            self.error(row, KPI_COLUMNS[name], str(services.PROBLEMS[problem]))
        self.writes.append((company.id, period, wanted, existing))

    def write(self) -> None:
        for company_id, period, wanted, existing in self.writes:
            services.write_kpi(self.db, company_id, period, wanted, existing)


class MilestonesImporter(CompanyRows, LedgerImporter):
    def plan(self) -> None:
        companies = self._companies()
        found = kpi_queries.milestones_of(self.db, [c.id for c in companies.values()])
        recorded = Recorded(found, lambda m: (m.company_id, m.kind, m.title, m.achieved_on))
        self.new, self.updates = [], []
        for row in self.table.rows:
            company = self._company(row, companies)
            key = self.keyed(f"{row.get('company_uscc') or ''} / {row.get('date') or ''}")
            if not self._filled(row) or company is None:
                self.result(row, key, ERROR)
                continue
            identity = (company.id, row.get("kind"), row.get("title"), row.get("date"))
            match = recorded.take(identity)
            if match is not None:
                self._matched(row, key, company, match)
                continue
            self.result(row, key, NEW, label=company.name)
            self._check_new(row, company)
        self.finish()

    def _filled(self, row: Row) -> bool:
        """The kind, title and date are given (a blank date says what a milestone needs)."""
        for code in ("kind", "title"):
            if not row.has(code):
                self.missing_key(row, code)
        if not row.has("date") and "date" not in row.bad:
            self.error(row, "date", str(milestones.NO_DATE))
        return all(row.has(code) for code in ("kind", "title", "date"))

    def _matched(self, row: Row, key: str, company: Company, match: Milestone) -> None:
        evidence = row.get("evidence")
        changed = evidence is not None and evidence != match.evidence
        if changed:
            self.updates.append((match, evidence))
        status = UPDATE if changed else UNCHANGED
        self.result(row, key, status, ["evidence"] if changed else [], company.name)

    def _check_new(self, row: Row, company: Company) -> None:
        values = {
            "kind": row.get("kind"),
            "title": row.get("title"),
            "achieved_on": row.get("date"),
            "evidence": row.get("evidence") or "",
        }
        self._check_held(row, company)
        for field, message in milestones.problems(values, self.ctx.today):
            self.error(row, MILESTONE_COLUMNS[field], str(message))
        self.new.append((company.id, values))

    def write(self) -> None:
        for milestone, evidence in self.updates:
            milestone.evidence = evidence
        for company_id, values in self.new:
            self.db.add(milestones.new_milestone(company_id, values, self.ctx.user))
        self.db.flush()
