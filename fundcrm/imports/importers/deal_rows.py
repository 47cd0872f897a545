"""Deal rows: which rows of a deals file make one deal, and which existing deal they describe.

Rows with the same deal_ref are one deal; a row without one belongs to its company's deal in
that round (a deal is one financing round of one company). The values given once per deal
(company, stage, round, owner…) must agree on every row that gives them.
"""

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from fundcrm.deals import services
from fundcrm.funds.services import sub_funds
from fundcrm.imports import queries
from fundcrm.imports.formats import DEALS
from fundcrm.imports.importers.base import Importer
from fundcrm.imports.report import ERROR
from fundcrm.imports.sheets import text_of
from fundcrm.imports.table import Row
from fundcrm.models import Company, Deal, User

# deal-level column → Deal attribute (the same on every row of a deal)
DEAL_ATTRS = {
    "round": "round",
    "source": "source",
    "owner_email": "owner_id",
    "ask_wan": "ask_yuan",
    "pre_money_wan": "pre_money_yuan",
    "next_step": "next_step",
    "next_step_due": "next_step_due",
    "pass_reason": "pass_reason",
    "created_on": "created_on",
}
SHARED = ("company_uscc", "stage", *DEAL_ATTRS)
SERVICE_FIELDS = set(services.DEAL_FIELDS)  # what update_deal sets; the rest is set here


@dataclass
class Group:
    """The rows of one deal and what the import does to it."""

    key: tuple
    rows: list[Row] = field(default_factory=list)
    values: dict = field(default_factory=dict)  # deal-level values given in the file
    source_rows: dict = field(default_factory=dict)  # column → the row that gave its value
    deal: Deal | None = None
    company: Company | None = None
    participations: list = field(default_factory=list)  # [(sub_fund_id, proposed_yuan)]
    changed: dict = field(default_factory=dict)  # Deal attribute → new value
    participations_changed: bool = False
    changed_columns: set = field(default_factory=set)  # file columns an update changes
    to_stage: str | None = None  # the stage to set, when it changes
    breaches: list = field(default_factory=list)  # the mandate breaches setting it finds
    ref: str = ""  # the deal's reference: given, existing, or assigned when written

    @property
    def first(self) -> Row:
        return self.rows[0]


class DealRows(Importer):
    """The first step of a deals import: fetch what the rows name, group them into deals."""

    # -- fetching, grouping ---------------------------------------------------------------

    def _prefetch(self) -> None:
        rows, db = self.table.rows, self.db
        self.funds = {f.code: f for f in sub_funds(db)}
        codes = {r.get("company_uscc") for r in rows}
        self.companies = queries.by_key(db, Company, Company.uscc, codes)
        self.users = queries.by_key(db, User, User.email, {r.get("owner_email") for r in rows})
        self.deals = queries.by_key(
            db,
            Deal,
            Deal.deal_ref,
            {r.get("deal_ref") for r in rows},
            selectinload(Deal.participations),
            selectinload(Deal.company),
        )
        self.deals_of = queries.deals_of_companies(db, [c.id for c in self.companies.values()])

    def _groups(self) -> list[Group]:
        groups: dict[tuple, Group] = {}
        for row in self.table.rows:
            ref, code = row.get("deal_ref"), row.get("company_uscc")
            if "deal_ref" in row.bad or (ref is None and code is None):
                if ref is None and code is None:
                    self.missing_key(row, "company_uscc")
                self.result(row, ref or "", ERROR)
                continue
            key = ("ref", ref) if ref else ("company", code, row.get("round"))
            groups.setdefault(key, Group(key)).rows.append(row)
        return list(groups.values())

    def _merge(self, group: Group) -> None:
        """Deal-level values: given once, or the same wherever given."""
        for row in group.rows:
            for column in SHARED:
                if not row.has(column):
                    continue
                value = row.get(column)
                if column in group.values and group.values[column] != value:
                    first = group.source_rows[column]
                    self.error(
                        row,
                        column,
                        _(
                            "Rows of one deal differ here: row %(row)s says %(value)s.",
                            row=first,
                            value=text_of(DEALS.by_code[column], group.values[column]),
                        ),
                    )
                elif column not in group.values:
                    group.values[column], group.source_rows[column] = value, row.number

    def _resolve(self, group: Group, claimed: dict[int, "Group"]) -> None:
        """The existing deal the rows describe, if any, and its company."""
        code = group.values.get("company_uscc")
        company = self.companies.get(code) if code else None
        if code and company is None:
            for row in group.rows:
                if row.get("company_uscc") == code:
                    self.error(row, "company_uscc", _("No company has this USCC."))
        if group.key[0] == "ref":
            group.deal = self.deals.get(group.key[1])
        elif company is not None:
            group.deal = self._deal_of_round(group, company)
        deal = group.deal
        if deal is not None:
            if company is not None and deal.company_id != company.id:
                self.error(
                    group.first,
                    "company_uscc",
                    _(
                        "Deal %(ref)s belongs to another company; a deal keeps its company.",
                        ref=deal.deal_ref,
                    ),
                )
            other = claimed.setdefault(deal.id, group)
            if other is not group:
                for row in group.rows:
                    self.error(
                        row,
                        "deal_ref",
                        _(
                            "This row describes deal %(ref)s, as row %(row)s does: give both "
                            "rows the same deal_ref.",
                            ref=deal.deal_ref,
                            row=other.first.number,
                        ),
                    )
            company = deal.company
        group.company = company
        group.ref = deal.deal_ref if deal else (group.key[1] if group.key[0] == "ref" else "")
        self._check_company_name(group)

    def _check_company_name(self, group: Group) -> None:
        """company_name is there for people reading the file (an export carries it): the USCC
        says which company a deal belongs to, and a deal import never renames a company."""
        if group.company is None:
            return
        for row in group.rows:
            name = row.get("company_name")
            if name is not None and name.strip() != group.company.name:
                message = _(
                    "The company with this USCC is named %(name)s; a deals import does not "
                    "change company names.",
                    name=group.company.name,
                )
                self.warn(row, "company_name", message)

    def _deal_of_round(self, group: Group, company: Company) -> Deal | None:
        matches = [d for d in self.deals_of.get(company.id, []) if d.round == group.key[2]]
        if len(matches) > 1:
            refs = ", ".join(sorted(d.deal_ref for d in matches))
            self.error(
                group.first,
                "deal_ref",
                _(
                    "The company has several deals in this round (%(refs)s): fill in deal_ref.",
                    refs=refs,
                ),
            )
            return None
        return matches[0] if matches else None
