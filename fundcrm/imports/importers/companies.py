"""Companies, identified by USCC.

The company rules of companies.services, applied to many rows at once: the USCC is checked by
checked_uscc when the cell is read (imports give no override reason, so pilot-era codes are
refused) and is the key to an existing company; a second row with a USCC is refused as the form
refuses a second company (uscc_taken); location by check_location; a loosely matching name of
another company (similar_names) is a warning with the form's message (an import confirms
similar names, as the form's second save does); a held company's district or city is refused as
the form refuses it (refuse_direct_move: it moves by a relocation); new companies are what
new_company says and updates are what apply_values makes.

Built for 50,000 rows: existing companies are read with one query per 2,000 USCCs (columns
only, no ORM objects); changed companies are then loaded and updated through the ORM in
batches, so the audit hook records each change as it does for the form; new companies and
their application fields are inserted in bulk and audited row by row in the hook's own form
(fundcrm.imports.bulk).
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlmodel import select

from fundcrm import progress, search
from fundcrm.companies.queries import held_among
from fundcrm.companies.services import (
    COMPANY_FIELDS,
    MOVE_BY_RELOCATION,
    CompanyError,
    apply_values,
    check_location,
    new_company,
    similar_message,
    similar_names,
    uscc_taken,
)
from fundcrm.domain.location import Place, moved
from fundcrm.domain.uscc import name_key
from fundcrm.imports import bulk
from fundcrm.imports.importers.base import Importer, changes, chunks
from fundcrm.imports.report import ERROR
from fundcrm.imports.table import Row
from fundcrm.models import Company, CompanyField, utcnow

REQUIRED_NEW = ("name", "focus_area", "enterprise_stage")
FIELDS = (*COMPANY_FIELDS, "application_fields")
BATCH = 1000  # companies per flush


@dataclass
class Planned:
    row: Row
    current: dict | None  # the existing company's values (with its id); None: a new company
    values: dict  # what to set: every given value for a new company, the changes otherwise


class CompaniesImporter(Importer):
    def plan(self) -> None:
        first = self._first_rows()
        existing = self._existing(first)
        self.held = self._held(existing)
        similar = self._similar_names()
        seen_names: dict[str, tuple[str, int]] = {}
        self.planned: list[Planned] = []
        for row in self.table.rows:
            progress.advance()
            code = row.get("uscc")
            if code is None or first[code] != row.number:
                self._result_without_key(row)
                continue
            company = existing.get(code)
            if company is None:
                self.require(row, REQUIRED_NEW)
            wanted = {k: row.values[k] for k in FIELDS if k in row.values}
            changed = wanted if company is None else changes(company, wanted)
            self._check_location(row, company, wanted)
            self._refuse_direct_move(row, company, wanted)
            self._check_name(row, code, company is None or "name" in changed, similar, seen_names)
            name = row.get("name") or (company or {}).get("name", "")
            status = self.status(company, changed)
            self.result(row, code, status, changed if company else (), name)
            self.planned.append(Planned(row, company, changed))
        self.finish()

    def _check_location(self, row: Row, company, wanted: dict) -> None:
        """The company form's rules on zone, district and founding date."""
        merged = {k: (company or {}).get(k) for k in ("zone", "district", "founded_on")}
        merged.update({k: v for k, v in wanted.items() if k in merged})
        try:
            check_location(merged)
        except CompanyError as error:
            column = (
                error.field
                if row.has(error.field or "")
                else next((c for c in ("district", "zone", "founded_on") if row.has(c)), "uscc")
            )
            self.error(row, column, str(error.message))

    def _held(self, existing: dict) -> set[int]:
        """The ids of the existing companies a sub-fund holds: they move by a relocation."""
        held: set[int] = set()
        for chunk in chunks([c["id"] for c in existing.values()]):
            held |= held_among(self.db, chunk)
        return held

    def _refuse_direct_move(self, row: Row, company, wanted: dict) -> None:
        """The company form's rule: a held company's district or city changes by a relocation."""
        if company is None or company["id"] not in self.held:
            return
        present = Place.of(company.get("district"), company.get("city"))
        merged = {k: wanted.get(k, company.get(k)) for k in ("district", "city")}
        if moved(present, Place.of(merged["district"], merged["city"])):
            column = "district" if row.has("district") else "city"
            self.error(row, column, str(MOVE_BY_RELOCATION))

    def _result_without_key(self, row: Row) -> None:
        if not row.has("uscc"):
            self.missing_key(row, "uscc")
        self.result(row, row.get("uscc") or "", ERROR, label=row.get("name") or "")

    def _first_rows(self) -> dict[str, int]:
        """USCC → the row that first gives it; a later row with it is refused as a second
        company with a taken USCC."""
        first: dict[str, tuple[int, str]] = {}
        for row in self.table.rows:
            code = row.get("uscc")
            if code is None:
                continue
            if code in first:
                self.error(row, "uscc", str(uscc_taken(first[code][1]).message))
            else:
                first[code] = (row.number, row.get("name") or code)
        return {code: number for code, (number, _name) in first.items()}

    def _existing(self, codes) -> dict[str, dict]:
        """USCC → the existing company's columns and application fields."""
        connection, table = self.db.connection(), Company.__table__
        found: dict[str, dict] = {}
        keys = [c.name for c in table.columns]
        for chunk in chunks(codes):
            for row in connection.execute(sa.select(table).where(table.c.uscc.in_(chunk))):
                values = dict(zip(keys, row, strict=True))
                found[values["uscc"]] = {**values, "application_fields": []}
        by_id = {values["id"]: values for values in found.values()}
        fields = CompanyField.__table__
        for chunk in chunks(by_id):
            query = sa.select(fields.c.company_id, fields.c.field).where(
                fields.c.company_id.in_(chunk)
            )
            for company_id, field in connection.execute(query):
                by_id[company_id]["application_fields"].append(field)
        return found

    def _similar_names(self) -> dict[str, list]:
        """name key → the existing companies with that key (the form's loose-name rule)."""
        return similar_names(self.db, (r.get("name") for r in self.table.rows if r.has("name")))

    def _check_name(self, row: Row, code: str, check: bool, similar, seen: dict) -> None:
        """Warn when a new or renamed company's name is close to another company's, in the
        database or earlier in the file."""
        if not row.has("name"):
            return
        key = name_key(row.get("name"))
        earlier = seen.setdefault(key, (code, row.number))
        if not check:
            return
        others = [c for c in similar.get(key, []) if c.uscc != code]
        if others:
            self.warn(row, "name", str(similar_message(others)))
        if earlier[0] != code:
            self.warn(
                row,
                "name",
                _(
                    "The name is close to the one in row %(row)s, which has another USCC.",
                    row=earlier[1],
                ),
            )

    def write(self) -> None:
        self._update([p for p in self.planned if p.current is not None and p.values])
        self._insert([p for p in self.planned if p.current is None])

    def _update(self, planned: list[Planned]) -> None:
        for chunk in chunks(planned, BATCH):
            ids = [p.current["id"] for p in chunk]
            loaded = {c.id: c for c in self.db.exec(select(Company).where(Company.id.in_(ids)))}
            for item in chunk:
                apply_values(loaded[item.current["id"]], item.values)
            self.db.flush()
            progress.advance(len(chunk))

    def _insert(self, planned: list[Planned]) -> None:
        if not planned:
            return
        now = utcnow()
        rows = [new_company(p.row.get("uscc"), p.values, now=now) for p in planned]
        search.fill_tokens("companies", rows)  # a bulk INSERT passes no ORM event
        bulk.insert(self.db, Company.__table__, rows)
        ids = self._ids([r["uscc"] for r in rows])
        links = []
        for row, item in zip(rows, planned, strict=True):
            row["id"] = ids[row["uscc"]]
            codes = dict.fromkeys(item.values.get("application_fields") or [])
            links += [{"company_id": row["id"], "field": code} for code in codes]
        bulk.insert(self.db, CompanyField.__table__, links)
        bulk.audit_created(self.db, Company.__table__, rows)
        progress.advance(len(planned))
        bulk.audit_created(self.db, CompanyField.__table__, links)

    def _ids(self, codes: list[str]) -> dict[str, int]:
        table, found = Company.__table__, {}
        for chunk in chunks(codes):
            query = sa.select(table.c.uscc, table.c.id).where(table.c.uscc.in_(chunk))
            found.update(self.db.connection().execute(query).all())
        return found
