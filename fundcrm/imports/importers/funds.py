"""Sub-funds (by code) and commitments (by LP name × sub-fund), written through
funds.services, whose checks are run in memory first so every row's errors are reported."""

from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from sqlmodel import select

from fundcrm.funds import services
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
}
DATE_COLUMNS = ("first_close", "investment_end", "term_end")
REINVEST = ("reinvest_ratio", "reinvest_area", "reinvest_base")


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
        settings = self.ctx.settings
        return {
            "name_en": None,
            "first_close": None,
            "investment_end": None,
            "term_end": None,
            "allowed_stages": [],
            "focus_areas": [],
            "project_cap_pct": Decimal(settings["DEFAULT_PROJECT_CAP_PCT"]),
            "ic_quorum": settings["DEFAULT_IC_QUORUM"],
            "ic_threshold": settings["DEFAULT_IC_THRESHOLD"],
        }

    def _check_rules(self, row: Row, code: str, values: dict) -> None:
        """The sub-fund rules of the form, so the preview refuses what the write would."""
        try:
            services.check_sub_fund_rules({**values, "code": code})
        except services.SetupError as error:
            column = error.field or "code"
            if column == "investment_end":
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
        self.lps = {lp.name: lp for lp in self.db.exec(select(LimitedPartner)).all()}
        self.commitments = {
            (c.lp_id, c.sub_fund_id): c for c in self.db.exec(select(Commitment)).all()
        }
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
        self._check_flag_changes()
        self.finish()

    def _others(self, planned: PlannedLP) -> list[Commitment]:
        """The LP's commitments to sub-funds the file does not name."""
        named = {item.fund.id for item in self.planned if item.lp is planned}
        return [
            c
            for (lp_id, fund_id), c in self.commitments.items()
            if lp_id == planned.lp.id and fund_id not in named
        ]

    def _check_flag_changes(self) -> None:
        """An LP becoming a government LP needs every commitment's re-investment terms."""
        for planned in self.planned_lps.values():
            if planned.lp is None or not planned.changed.get("is_government"):
                continue
            missing = [c for c in self._others(planned) if c.reinvest_ratio is None]
            if missing:
                codes = ", ".join(sorted(c.sub_fund.code for c in missing))
                self.error(
                    planned.row,
                    "is_government",
                    _(
                        "A government LP's commitments need re-investment terms: add rows for its "
                        "commitments to %(codes)s.",
                        codes=codes,
                    ),
                )

    def _refuse_key(self, row, first, name, code) -> None:
        for column, value in (("lp_name", name), ("sub_fund", code)):
            if value is None:
                self.missing_key(row, column)
        if first is not None:
            self.duplicate(row, "sub_fund", first, f"{name} / {code}")
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
        wanted = {k: row.values[k] for k in REINVEST if k in row.values}
        if row.has("committed_wan"):
            wanted["committed_yuan"] = row.get("committed_wan")
        elif commitment is None:
            self.require(row, ("committed_wan",))
        values = self._reinvestment(row, lp, {**current, **wanted}, commitment is None, wanted)
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
            return {"reinvest_ratio": None, "reinvest_area": [], "reinvest_base": None}
        return {
            "committed_yuan": commitment.committed_yuan,
            "reinvest_ratio": commitment.reinvest_ratio,
            "reinvest_area": list(commitment.reinvest_area),
            "reinvest_base": commitment.reinvest_base,
        }

    def _reinvestment(self, row: Row, lp: PlannedLP, values: dict, new: bool, given) -> dict:
        """A government LP's commitment carries a requirement (a new one starts from the
        settings' defaults); any other commitment carries none."""
        if not lp.values.get("is_government"):
            if any(k in given for k in REINVEST):
                column = next(k for k in REINVEST if k in given)
                self.warn(
                    row,
                    column,
                    _(
                        "Ignored: only a government LP's commitment carries a re-investment "
                        "requirement."
                    ),
                )
            return {**values, "reinvest_ratio": None, "reinvest_area": [], "reinvest_base": None}
        if new:
            settings = self.ctx.settings
            defaults = {
                "reinvest_ratio": Decimal(settings["DEFAULT_REINVEST_RATIO"]),
                "reinvest_area": [settings["DEFAULT_REINVEST_AREA"]],
                "reinvest_base": settings["DEFAULT_REINVEST_BASE"],
            }
            values = {**values, **{k: v for k, v in defaults.items() if k not in given}}
        self._check_reinvestment(row, values)
        return values

    def _check_reinvestment(self, row: Row, values: dict) -> None:
        area = values.get("reinvest_area") or []
        if values.get("reinvest_ratio") is None and "reinvest_ratio" not in row.bad:
            self.error(
                row, "reinvest_ratio", _("A government commitment needs a re-investment ratio.")
            )
        if not area and "reinvest_area" not in row.bad:
            self.error(row, "reinvest_area", _("Choose the re-investment area."))
        elif "chongqing" in area and len(area) > 1:
            self.error(
                row, "reinvest_area", _("Choose the whole city or a list of districts, not both.")
            )

    def write(self) -> None:
        for planned in self.planned_lps.values():
            planned.record = self._write_lp(planned)
            if planned.lp is not None and planned.changed.get("is_government") is False:
                for other in self._others(planned):  # no longer government: no requirement
                    services.save_commitment(
                        self.db,
                        other,
                        {
                            "lp_id": other.lp_id,
                            "sub_fund_id": other.sub_fund_id,
                            "committed_yuan": other.committed_yuan,
                        },
                    )
        for item in self.planned:
            if item.commitment is not None and not item.changed:
                continue
            record = item.commitment or Commitment(lp_id=0, sub_fund_id=0, committed_yuan=0)
            values = {
                **item.values,
                "lp_id": item.lp.record.id,
                "sub_fund_id": item.fund.id,
            }
            try:
                services.save_commitment(self.db, record, values)
            except services.SetupError as error:
                raise WriteRefused(item.row.number, "sub_fund", error.message) from None

    def _write_lp(self, planned: PlannedLP) -> LimitedPartner:
        if planned.lp is not None and not planned.changed:
            return planned.lp
        record = planned.lp or LimitedPartner(name="", lp_type="")
        values = {"name": planned.row.get("lp_name"), **planned.values}
        try:
            return services.save_lp(self.db, record, values)
        except services.SetupError as error:
            raise WriteRefused(planned.row.number, "lp_name", error.message) from None
