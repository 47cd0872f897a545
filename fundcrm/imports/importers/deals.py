"""Deals: one row per participating sub-fund; rows with the same deal_ref are one deal.

A row with a blank deal_ref belongs to the deal of its company and round (a deal is one
financing round of one company): an existing deal of that company with that round is updated,
otherwise a new deal is created and given the next reference of its creation year. So a file
without references re-imports unchanged; a company with several deals in one round needs the
deal_ref in the file.

Deals are written through deals.services (create_deal, update_deal) and the stage is set as
historical data by record_import_move: no gates; the mandate breaches it finds are listed in
the import's report. The import adds or updates participating sub-funds and never removes one.
Grouping the rows into deals is fundcrm.imports.importers.deal_rows.
"""

from datetime import datetime

from flask_babel import gettext as _

from fundcrm import clock
from fundcrm.auth.services import users_who_can
from fundcrm.deals import moves, services
from fundcrm.domain import stages
from fundcrm.imports.importers.base import WriteRefused, changes
from fundcrm.imports.importers.deal_rows import DEAL_ATTRS, SERVICE_FIELDS, DealRows, Group
from fundcrm.imports.report import UPDATE, Issue
from fundcrm.imports.table import Row
from fundcrm.models import Deal, DealSubFund, SubFund


class DealsImporter(DealRows):
    def plan(self) -> None:
        self._prefetch()
        self.groups = self._groups()
        claimed: dict[int, Group] = {}
        for group in self.groups:
            self._merge(group)
            self._resolve(group, claimed)
            self._plan_group(group)
        self.finish()

    # -- planning one deal ----------------------------------------------------------------

    def _plan_group(self, group: Group) -> None:
        if group.deal is None:
            required = ("company_uscc", "stage", "owner_email")
            self.require(group.first, [c for c in required if c not in group.values])
        self._check_owners(group)
        self._check_next_step(group)
        self._plan_participations(group)
        self._plan_fields(group)
        self._plan_stage(group)
        changed = group.changed or group.participations_changed or group.to_stage
        status = self.status(group.deal, changed)
        shown = group.changed_columns if status == UPDATE else ()
        key = group.ref or "{}·{}".format(group.values.get("company_uscc", ""), group.key[-1] or "")
        for row in group.rows:
            self.result(row, key, status, shown, group.company.name if group.company else "")

    def _check_owners(self, group: Group) -> None:
        """A new owner must be an active user who may see the pipeline; a deal keeps its
        current owner even when that user has since been disabled."""
        current = group.deal.owner_id if group.deal else None
        for row in group.rows:
            email = row.get("owner_email")
            user = self.users.get(email) if email else None
            if email and user is None:
                self.error(row, "owner_email", _("No user has the email %(email)s.", email=email))
            elif user is not None and user.id != current and user.id not in self._may_own():
                self.error(row, "owner_email", _("Choose an active user as owner."))

    def _may_own(self) -> set[int]:
        if not hasattr(self, "_owners"):
            self._owners = {u.id for u in users_who_can(self.db, "read_pipeline")}
        return self._owners

    def _check_next_step(self, group: Group) -> None:
        if services.due_without_step(group.values, group.deal):
            row = group.source_rows.get("next_step_due", group.first)
            self.error(row, "next_step", str(services.NEXT_STEP_NEEDED))

    def _plan_participations(self, group: Group) -> None:
        """The sub-funds taking part: those of the deal, plus or updated by the rows."""
        deal = group.deal
        current = {p.sub_fund_id: p.proposed_yuan for p in deal.participations} if deal else {}
        wanted, seen = dict(current), {}
        for row in group.rows:
            fund = self._sub_fund(row)
            if fund is None:
                continue
            if fund.id in seen:
                self.duplicate(row, "sub_fund", seen[fund.id], fund.code)
                continue
            seen[fund.id] = row.number
            if fund.id not in current:
                wanted[fund.id] = row.get("proposed_wan")
                group.changed_columns.add("sub_fund")
            elif row.has("proposed_wan") and current[fund.id] != row.get("proposed_wan"):
                wanted[fund.id] = row.get("proposed_wan")
                group.changed_columns.add("proposed_wan")
        group.participations = list(wanted.items())
        group.participations_changed = deal is not None and wanted != current

    def _sub_fund(self, row: Row) -> SubFund | None:
        code = row.get("sub_fund")
        if code is None:
            self.missing_key(row, "sub_fund")
            return None
        fund = self.funds.get(code)
        if fund is None:
            self.error(row, "sub_fund", _("Unknown sub-fund: %(code)s", code=code))
        return fund

    def _plan_fields(self, group: Group) -> None:
        wanted = {}
        for column, attr in DEAL_ATTRS.items():
            if column not in group.values:
                continue
            value = group.values[column]
            if column == "owner_email":
                user = self.users.get(value)
                if user is None:
                    continue
                value = user.id
            wanted[attr] = value
        if group.deal is None:
            group.changed = wanted
            return
        current = {attr: getattr(group.deal, attr) for attr in DEAL_ATTRS.values()}
        group.changed = changes(current, wanted)
        group.changed_columns |= {c for c, a in DEAL_ATTRS.items() if a in group.changed}

    def _plan_stage(self, group: Group) -> None:
        stage, deal = group.values.get("stage"), group.deal
        if stage is None:
            return
        from_stage = deal.stage if deal else "sourcing"
        reason = group.values.get("pass_reason") or (deal.pass_reason if deal else None)
        if stage == "passed" and from_stage != "passed" and not reason:
            row = group.source_rows["stage"]
            self.error(row, "pass_reason", _("A passed deal needs the reason in pass_reason."))
        if stage != from_stage:
            group.to_stage = stage
            if deal is not None:
                group.changed_columns.add("stage")
            self._preview_breaches(group, from_stage)

    def _preview_breaches(self, group: Group, from_stage: str) -> None:
        """The mandate breaches the move would list, found as record_import_move finds them
        (on a deal built in memory, never added to the session)."""
        if group.company is None or not group.participations:
            return
        by_id = {f.id: f for f in self.funds.values()}
        draft = Deal(company_id=group.company.id, stage=from_stage)
        draft.participations = [
            DealSubFund(sub_fund_id=i, proposed_yuan=a, sub_fund=by_id[i])
            for i, a in group.participations
        ]
        found = stages.mandate_breaches(
            stages.traversed(from_stage, group.to_stage) or [group.to_stage],
            group.company.enterprise_stage,
            group.company.focus_area,
            moves.mandate_facts(self.db, draft),
            clock.local_date(self._move_at(group)),
        )
        self._add_breaches(group, [moves.breach_message(b) for b in found])

    def _add_breaches(self, group: Group, messages: list[str]) -> None:
        row = group.source_rows.get("stage", group.first.number)
        label = group.ref or group.company.name
        for message in messages:
            self.report.breaches.append(
                Issue(row, self.table.heading("stage"), f"{label}: {message}")
            )

    def _move_at(self, group: Group) -> datetime:
        """When the stage is set: a new deal's creation (its created_on, if given), else now."""
        if group.deal is not None:
            return self.ctx.now
        created_on = group.values.get("created_on")
        if created_on is None:
            return self.ctx.now
        return clock.start_of_day(created_on)

    # -- writing --------------------------------------------------------------------------

    def write(self) -> None:
        """Existing deals first, then new deals with a given reference, then those that are
        assigned one (so an assigned reference never takes one the file gives)."""
        self.report.breaches.clear()
        results = {r.row: r for r in self.report.rows}
        order = sorted(self.groups, key=lambda g: (g.deal is None, g.key[0] != "ref"))
        for group in order:
            try:
                deal = self._write(group)
            except services.DealError as error:
                raise WriteRefused(
                    group.first.number, error.field or "deal_ref", error.message
                ) from None
            for row in group.rows:
                results[row.number].key = deal.deal_ref

    def _write(self, group: Group) -> Deal:
        deal = group.deal or self._create(group)
        group.ref = deal.deal_ref
        if group.deal is not None:
            self._update(group)
        if group.to_stage:
            reason = group.values.get("pass_reason") or deal.pass_reason
            found = moves.record_import_move(
                self.db,
                deal,
                group.to_stage,
                self._move_at(group),
                self.ctx.user,
                pass_reason=reason if group.to_stage == "passed" else None,
            )
            self._add_breaches(group, found)
        return deal

    def _create(self, group: Group) -> Deal:
        values = {
            **{a: group.changed.get(a) for a in SERVICE_FIELDS if a != "company_id"},
            "company_id": group.company.id,
            "deal_ref": group.key[1] if group.key[0] == "ref" else None,
            "participations": group.participations,
            "created_on": group.values.get("created_on") or self.ctx.today,
            "team_ids": [],
        }
        deal = services.create_deal(
            self.db,
            values,
            self.ctx.user,
            prefix=self.ctx.settings["DEAL_REF_PREFIX"],
            at=self._move_at(group),
        )
        if group.changed.get("pass_reason"):
            deal.pass_reason = group.changed["pass_reason"]
            self.db.flush()
        return deal

    def _update(self, group: Group) -> None:
        """One update_deal call (one audited flush) for the fields and the sub-funds."""
        if not (group.changed or group.participations_changed):
            return
        values = {k: v for k, v in group.changed.items() if k in SERVICE_FIELDS}
        if group.participations_changed:
            values["participations"] = group.participations
        with self.db.no_autoflush:
            for key, value in group.changed.items():
                if key not in SERVICE_FIELDS:
                    setattr(group.deal, key, value)
            services.update_deal(self.db, group.deal, values)
