"""Deals: one row per participating sub-fund; rows with the same deal_ref are one deal.

A row with a blank deal_ref belongs to the deal of its company and round (a deal is one
financing round of one company): an existing deal of that company with that round is updated,
otherwise a new deal is created and given the next reference of its creation year. So a file
without references re-imports unchanged; a company with several deals in one round needs the
deal_ref in the file.

Existing deals are updated through deals.services.update_deal and their stage set as historical
data by record_import_move: no gates; the mandate breaches it finds are listed in the import's
report. New deals are built by the same functions and written in bulk (new_deals). The import
adds or updates participating sub-funds and never removes one.
Grouping the rows into deals is fundcrm.imports.importers.deal_rows.
"""

from datetime import datetime

from flask_babel import gettext as _

from fundcrm import clock, progress
from fundcrm.auth.services import users_who_can
from fundcrm.deals import moves, services
from fundcrm.domain import stages
from fundcrm.funds.services import committed_by_sub_fund
from fundcrm.imports.importers.base import WriteRefused, changes
from fundcrm.imports.importers.deal_rows import DEAL_ATTRS, SERVICE_FIELDS, DealRows, Group
from fundcrm.imports.importers.new_deals import write_new
from fundcrm.imports.report import UPDATE, Issue
from fundcrm.imports.table import Row
from fundcrm.models import Deal, DealSubFund, SubFund, records


class DealsImporter(DealRows):
    def plan(self) -> None:
        self._prefetch()
        self.groups = self._groups()
        claimed: dict[int, Group] = {}
        for group in self.groups:
            self._merge(group)
            self._resolve(group, claimed)
            self._plan_group(group)
            progress.advance(len(group.rows))
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
        (on a deal built in memory as a plain row, models.records)."""
        if group.company is None or not group.participations:
            return
        by_id = {f.id: f for f in self.funds.values()}
        draft = records.row(Deal, company_id=group.company.id, stage=from_stage)
        draft.participations = [
            records.row(DealSubFund, sub_fund_id=i, proposed_yuan=a, sub_fund=by_id[i])
            for i, a in group.participations
        ]
        found = stages.mandate_breaches(
            stages.traversed(from_stage, group.to_stage) or [group.to_stage],
            group.company.enterprise_stage,
            group.company.focus_area,
            moves.mandate_facts(self.db, draft, self._committed()),
            clock.local_date(self.move_at(group)),
        )
        group.breaches = [moves.breach_message(b) for b in found]
        self._add_breaches(group, group.breaches)

    def _committed(self) -> dict:
        if not hasattr(self, "_committed_by_sub_fund"):
            self._committed_by_sub_fund = committed_by_sub_fund(self.db)
        return self._committed_by_sub_fund

    def _add_breaches(self, group: Group, messages: list[str]) -> None:
        row = group.source_rows.get("stage", group.first.number)
        label = group.ref or group.company.name
        for message in messages:
            self.report.breaches.append(
                Issue(row, self.table.heading("stage"), f"{label}: {message}")
            )

    def move_at(self, group: Group) -> datetime:
        """When the stage is set: a new deal's creation (its created_on, if given), else now."""
        if group.deal is not None:
            return self.ctx.now
        created_on = group.values.get("created_on")
        if created_on is None:
            return self.ctx.now
        return clock.start_of_day(created_on)

    # -- writing --------------------------------------------------------------------------

    def write(self) -> None:
        """Existing deals through the deal services, then the new ones in bulk (new_deals),
        where the references the file gives are noted before others are assigned."""
        self.report.breaches.clear()
        results = {r.row: r for r in self.report.rows}
        for group in (g for g in self.groups if g.deal is not None):
            try:
                self._write(group)
            except services.DealError as error:
                raise WriteRefused(
                    group.first.number, error.field or "deal_ref", error.message
                ) from None
            progress.advance(len(group.rows))
        new = [g for g in self.groups if g.deal is None]
        write_new(self, new)
        for group in new:
            self._add_breaches(group, group.breaches)
        for group in self.groups:
            for row in group.rows:
                results[row.number].key = group.ref

    def _write(self, group: Group) -> None:
        self._update(group)
        if group.to_stage:
            deal = group.deal
            reason = group.values.get("pass_reason") or deal.pass_reason
            found = moves.record_import_move(
                self.db,
                deal,
                group.to_stage,
                self.move_at(group),
                self.ctx.user,
                pass_reason=reason if group.to_stage == "passed" else None,
            )
            self._add_breaches(group, found)

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
