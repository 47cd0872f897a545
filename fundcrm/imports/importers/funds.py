"""Sub-funds (by code) and commitments (by LP name × sub-fund).

Every rule is the one function of funds.services that the setup forms call: the plan runs it
in memory on each row, so every row's refusal is reported with the form's message, and the
write goes through the same services."""

from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _

from fundcrm.funds import queries as fund_queries
from fundcrm.funds import services
from fundcrm.imports import queries
from fundcrm.imports.importers.base import Importer, WriteRefused, changes
from fundcrm.imports.report import ERROR, UNCHANGED, UPDATE
from fundcrm.imports.table import Row
from fundcrm.models import Commitment, LimitedPartner, SubFund

# sub-fund column → SubFund attribute
SUB_FUND_ATTRS = {
    "name": "name",
    "name_en": "name_en",
    "target_wan": "target_yuan",
    "first_close": "first_close",
    "investment_end": "investment_end",
    "term_end": "term_end",
    "allowed_stages": "allowed_stages",
    "focus_areas": "focus_areas",
    "project_cap_pct": "project_cap_pct",
    "ic_quorum": "ic_quorum",
    "ic_threshold": "ic_threshold",
    "ic_min_eligible": "ic_min_eligible",
}
DATE_COLUMNS = ("first_close", "investment_end", "term_end")
# a refusal's form field → the file's column
COLUMN_OF = {"target_wan": "target_wan", "committed_wan": "committed_wan", "lp_id": "lp_name"}


@dataclass
class PlannedFund:
    row: Row
    fund: SubFund | None
    values: dict  # every attribute, as it will be after the import
    changed: dict


class SubFundsImporter(Importer):
    def plan(self) -> None:
        existing = {f.code: f for f in services.sub_funds(self.db)}
        first: dict[str, int] = {}
        self.planned: list[PlannedFund] = []
        for row in self.table.rows:
            code = row.get("code")
            if code is None or code in first:
                self._refuse_key(row, first.get(code), code)
                continue
            first[code] = row.number
            fund = existing.get(code)
            if fund is None:
                self.require(row, ("name", "target_wan"))
            wanted = {SUB_FUND_ATTRS[c]: v for c, v in row.values.items() if c != "code"}
            wanted = services.normalise_sub_fund({**wanted, "code": code})
            wanted.pop("code")
            base = self._current(fund)
            changed = wanted if fund is None else changes(base, wanted)
            values = {**base, **wanted}
            self._check_rules(row, code, values)
            status = self.status(fund, changed)
            self.result(row, code, status, changed if fund else (), values.get("name") or "")
            self.planned.append(PlannedFund(row, fund, values, changed))
        self.finish()

    def _refuse_key(self, row: Row, first: int | None, code: str | None) -> None:
        if code is None:
            self.missing_key(row, "code")
        elif first is not None:
            self.duplicate(row, "code", first, code)
        self.result(row, code or "", ERROR)

    def _current(self, fund: SubFund | None) -> dict:
        """The attributes as they are, or a new sub-fund's defaults (from the settings)."""
        if fund is not None:
            return {a: getattr(fund, a) for a in SUB_FUND_ATTRS.values()}
        empty = {
            "name_en": None,
            "first_close": None,
            "investment_end": None,
            "term_end": None,
            "allowed_stages": [],
            "focus_areas": [],
        }
        return {**empty, **services.sub_fund_defaults(self.ctx.settings)}

    def _check_rules(self, row: Row, code: str, values: dict) -> None:
        try:
            services.check_sub_fund_rules({**values, "code": code})
        except services.SetupError as error:
            column = error.field or "code"
            if column == "investment_end":  # the order of the dates: the later one given
                column = next((c for c in DATE_COLUMNS[1:] if row.has(c)), DATE_COLUMNS[0])
            self.error(row, column, str(error.message))

    def write(self) -> None:
        for item in self.planned:
            if item.fund is not None and not item.changed:
                continue
            record = item.fund or SubFund(code="", name="", target_yuan=Decimal(0))
            values = {**item.values, "code": item.row.get("code")}
            try:
                services.save_sub_fund(self.db, record, values)
            except services.SetupError as error:
                raise WriteRefused(item.row.number, error.field or "code", error.message) from None


@dataclass
class PlannedLP:
    row: Row  # the first row naming the LP
    lp: LimitedPartner | None
    values: dict
    changed: dict
    record: LimitedPartner | None = None  # set when written


@dataclass
class PlannedCommitment:
    row: Row
    lp: PlannedLP
    fund: SubFund
    commitment: Commitment | None
    values: dict
    changed: dict = field(default_factory=dict)


class CommitmentsImporter(Importer):
    def plan(self) -> None:
        self.funds = {f.code: f for f in services.sub_funds(self.db)}
        self.lps = {lp.name: lp for lp in queries.lps(self.db)}
        self.commitments = {(c.lp_id, c.sub_fund_id): c for c in queries.commitments(self.db)}
        self.received = fund_queries.receiving_commitment_ids(self.db)
        self.planned_lps: dict[str, PlannedLP] = {}
        self.planned: list[PlannedCommitment] = []
        first: dict[tuple, int] = {}
        for row in self.table.rows:
            name, code = row.get("lp_name"), row.get("sub_fund")
            lp = self._plan_lp(row, name)
            fund = self._fund(row, code)
            if None in (name, code) or (name, code) in first:
                self._refuse_key(row, first.get((name, code)), name, code)
                continue
            first[(name, code)] = row.number
            if lp is not None and fund is not None:
                self._plan_commitment(row, lp, fund)
            else:
                self.result(row, f"{name} / {code}", ERROR)
        self._tell_flag_effects()
        self.finish()

    def _others(self, planned: PlannedLP) -> list[Commitment]:
        """The LP's commitments to sub-funds the file does not name."""
        named = {item.fund.id for item in self.planned if item.lp is planned}
        return [
            c
            for (lp_id, fund_id), c in self.commitments.items()
            if lp_id == planned.lp.id and fund_id not in named
        ]

    def _effects(self, planned: PlannedLP) -> list:
        """What the LP's flag change does to the commitments the file does not name: the
        service's rule, as the LP form applies it."""
        if planned.lp is None or "is_government" not in planned.changed:
            return []
        flag = planned.changed["is_government"]
        return services.flag_effects(planned.lp, flag, self._others(planned), self.ctx.settings)

    def _tell_flag_effects(self) -> None:
        for planned in self.planned_lps.values():
            if notice := services.flag_notice(self._effects(planned)):
                self.warn(planned.row, "is_government", notice)

    def _refuse_key(self, row, first, name, code) -> None:
        for column, value in (("lp_name", name), ("sub_fund", code)):
            if value is None:
                self.missing_key(row, column)
        if first is not None:
            message = _(
                "%(rule)s (rows %(first)s and %(row)s)",
                rule=services.COMMITMENT_TAKEN,
                first=first,
                row=row.number,
            )
            self.error(row, "sub_fund", message)
        self.result(row, f"{name or ''} / {code or ''}", ERROR)

    def _fund(self, row: Row, code: str | None) -> SubFund | None:
        fund = self.funds.get(code) if code else None
        if code and fund is None:
            self.error(row, "sub_fund", _("Unknown sub-fund: %(code)s", code=code))
        return fund

    def _plan_lp(self, row: Row, name: str | None) -> PlannedLP | None:
        """The LP's type and government flag, the same on every row that names it."""
        if name is None:
            return None
        wanted = {k: row.values[k] for k in ("lp_type", "is_government") if k in row.values}
        planned = self.planned_lps.get(name)
        if planned is None:
            lp = self.lps.get(name)
            if lp is None:
                self.require(row, ("lp_type", "is_government"))
                current = {}
            else:
                current = {"lp_type": lp.lp_type, "is_government": lp.is_government}
            changed = wanted if lp is None else changes(current, wanted)
            planned = PlannedLP(row, lp, {**current, **wanted}, changed)
            self.planned_lps[name] = planned
            return planned
        for key, value in wanted.items():
            if key in planned.values and planned.values[key] != value:
                self.error(
                    row,
                    key,
                    _("This LP is described differently in row %(row)s.", row=planned.row.number),
                )
        planned.values = {**wanted, **planned.values}
        return planned

    def _plan_commitment(self, row: Row, lp: PlannedLP, fund: SubFund) -> None:
        commitment = self.commitments.get((lp.lp.id, fund.id)) if lp.lp else None
        current = self._current(commitment)
        wanted = {k: row.values[k] for k in services.TERMS if k in row.values}
        if row.has("committed_wan"):
            wanted["committed_yuan"] = row.get("committed_wan")
        elif commitment is None:
            self.require(row, ("committed_wan",))
        if row.has("committed_on"):
            wanted["committed_on"] = row.get("committed_on")
        values = self._checked(row, lp, {**current, **wanted}, commitment)
        changed = values if commitment is None else changes(current, values)
        status = self.status(commitment, changed)
        if status == UNCHANGED and lp.changed and lp.row is row:
            status = UPDATE
        shown = sorted({*changed, *lp.changed}) if status == UPDATE else ()
        self.result(row, f"{lp.row.get('lp_name')} / {fund.code}", status, shown)
        self.planned.append(PlannedCommitment(row, lp, fund, commitment, values, changed))

    @staticmethod
    def _current(commitment: Commitment | None) -> dict:
        if commitment is None:
            return {**services.NO_TERMS, "committed_on": None}
        return {
            "committed_yuan": commitment.committed_yuan,
            "committed_on": commitment.committed_on,
            "reinvest_ratio": commitment.reinvest_ratio,
            "reinvest_area": list(commitment.reinvest_area),
            "reinvest_base": commitment.reinvest_base,
        }

    def _checked(self, row: Row, lp: PlannedLP, values: dict, commitment) -> dict:
        """The values the commitment form's rule (services.check_commitment) gives, or the
        row's error where it refuses them."""
        government = bool(lp.values.get("is_government"))
        if column := services.terms_ignored(government, {k: row.get(k) for k in services.TERMS}):
            self.warn(row, column, str(services.IGNORED_TERMS))
        starts = commitment is None or commitment.reinvest_ratio is None
        received = commitment is not None and commitment.id in self.received
        try:
            return services.check_commitment(
                values, government, starts, self.ctx.settings, may_be_zero=received
            )
        except services.SetupError as error:
            column = COLUMN_OF.get(error.field, error.field)
            blank = column == "committed_wan" and values.get("committed_yuan") is None
            if column not in row.bad and not blank:  # a blank or bad cell has its error
                self.error(row, column, str(error.message))
            return values

    def write(self) -> None:
        for planned in self.planned_lps.values():
            planned.record = self._write_lp(planned)
        for item in self.planned:
            if item.commitment is not None and not item.changed:
                continue
            record = item.commitment or Commitment(lp_id=0, sub_fund_id=0, committed_yuan=0)
            values = {**item.values, "lp_id": item.lp.record.id, "sub_fund_id": item.fund.id}
            try:
                services.save_commitment(self.db, record, values, self.ctx.settings)
            except services.SetupError as error:
                column = COLUMN_OF.get(error.field, "sub_fund")
                raise WriteRefused(item.row.number, column, error.message) from None

    def _write_lp(self, planned: PlannedLP) -> LimitedPartner:
        """Through the LP form's service, which also applies the flag to its commitments."""
        if planned.lp is not None and not planned.changed:
            return planned.lp
        record = planned.lp or LimitedPartner(name="", lp_type="")
        values = {"name": planned.row.get("lp_name"), **planned.values}
        try:
            return services.save_lp(self.db, record, values)
        except services.SetupError as error:
            raise WriteRefused(planned.row.number, "lp_name", error.message) from None
