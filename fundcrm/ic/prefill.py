"""A new memo's first draft, written from the deal (DOMAIN.md section 4): the company's facts,
the proposed amount per participating sub-fund with the round and pre-money, every DD finding
(red flags first), and each participating sub-fund's mandate check with, per government
commitment of those sub-funds, whether the company lies in its re-investment area. The other
sections start empty for the deal team to write."""

import re

from flask_babel import gettext as _
from sqlmodel import Session

from fundcrm.deals import moves
from fundcrm.deals.refusals import breach_message
from fundcrm.domain import stages
from fundcrm.domain.reinvest import in_area
from fundcrm.domain.vocab import MEMO_SECTIONS
from fundcrm.i18n import format_wan, vocab_label, vocab_labels
from fundcrm.ic import queries
from fundcrm.models import Deal

SEVERITY_ORDER = ["red_flag", "high", "medium", "low", "none"]
# what could start emphasis, a link, code, raw HTML or a table cell inside a line (the values go
# after a label or in a cell, never at a line's start)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def escaped(text) -> str:
    """Text from a record, shown as itself inside Markdown (a name with * stays a name)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text or "")).replace("\n", " ")


def first_draft(db: Session, deal: Deal, today) -> dict[str, str]:
    sections = {code: "" for code in MEMO_SECTIONS.codes}
    sections["company_team"] = _company(deal)
    sections["valuation_terms"] = _terms(deal)
    sections["dd_findings"] = _findings(db, deal)
    sections["mandate_fit"] = _mandate_fit(db, deal, today)
    return sections


def _line(label: str, value) -> str:
    return f"- **{label}**：{escaped(value) if value not in (None, '') else '—'}"


def _company(deal: Deal) -> str:
    c = deal.company
    lines = [
        _line(_("Company"), c.name),
        _line(_("USCC"), c.uscc),
        _line(_("District"), vocab_label("district", c.district) or c.city),
        _line(_("Founded"), c.founded_on),
        _line(_("Headcount"), c.headcount),
        _line(_("Focus area"), vocab_label("focus_area", c.focus_area)),
        _line(_("Enterprise stage"), vocab_label("enterprise_stage", c.enterprise_stage)),
        _line(_("Application fields"), vocab_labels("application_field", c.application_fields)),
    ]
    if c.description:
        lines += ["", escaped(c.description)]
    return "\n".join(lines)


def _terms(deal: Deal) -> str:
    sub_fund, proposed = _("Sub-fund"), _("Proposed (万元)")
    lines = [
        _line(_("Round"), vocab_label("round", deal.round)),
        _line(_("Pre-money (万元)"), format_wan(deal.pre_money_yuan)),
        _line(_("Financing sought (万元)"), format_wan(deal.ask_yuan)),
        "",
        f"| {sub_fund} | {proposed} |",
        "|---|---:|",
    ]
    for p in deal.participations:
        lines.append(f"| {escaped(p.sub_fund.name)} | {format_wan(p.proposed_yuan)} |")
    return "\n".join(lines)


def _findings(db: Session, deal: Deal) -> str:
    items = [i for i in queries.dd_items(db, deal.id) if i.finding or i.severity != "none"]
    items.sort(key=lambda i: (SEVERITY_ORDER.index(i.severity), i.workstream, i.position))
    if not items:
        return _("No findings recorded in due diligence.")
    return "\n".join(_finding(i) for i in items)


def _finding(item) -> str:
    severity = vocab_label("severity", item.severity)
    workstream = vocab_label("dd_workstream", item.workstream)
    return (
        f"- **{severity}** · {workstream} · {escaped(item.title)}：{escaped(item.finding) or '—'}"
    )


def _mandate_fit(db: Session, deal: Deal, today) -> str:
    company = deal.company
    breaches = stages.mandate_breaches(
        ["ic"], company.enterprise_stage, company.focus_area, moves.mandate_facts(db, deal), today
    )
    mandate, reinvest = _("Mandate check"), _("Re-investment (返投)")
    lines = [f"**{mandate}**", ""]
    for p in deal.participations:
        found = [b for b in breaches if b.sub_fund == moves.fund_label(p.sub_fund)]
        verdict = "；".join(breach_message(b) for b in found) or _("within the mandate")
        lines.append(f"- {escaped(p.sub_fund.name)}：{escaped(verdict)}")
    lines += ["", f"**{reinvest}**", ""]
    commitments = queries.government_commitments(db, [p.sub_fund_id for p in deal.participations])
    for c in commitments:
        inside = in_area(c.reinvest_area, company.district, company.city)
        verdict = {
            True: _("the company lies in its re-investment area"),
            False: _("the company lies outside its re-investment area"),
            None: _("the company's location is not recorded"),
        }[inside]
        area = vocab_labels("reinvest_area", c.reinvest_area)
        lines.append(
            f"- {escaped(c.lp.name)} → {escaped(c.sub_fund.name)}（{escaped(area)}）：{verdict}"
        )
    if not commitments:
        lines.append(_("No government commitment in the participating sub-funds."))
    return "\n".join(lines)
