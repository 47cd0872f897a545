"""Exports in the import's columns (codes as headers), so an export re-imports unchanged.

Amounts are exact 万元, vocabularies are codes, lists are joined with `;`. A text that a
spreadsheet would run as a formula (=, +, -, @) is a text cell in XLSX and starts with `'` in
CSV; a text that itself starts with `'` gets one more, since the import drops one. CSV is
UTF-8 with a BOM, which Excel in China needs to open it.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select

from fundcrm.deals import queries
from fundcrm.domain.money import wan_text
from fundcrm.domain.text import strip_illegal
from fundcrm.imports import formats
from fundcrm.imports.formats import KINDS, Kind
from fundcrm.imports.importers.base import chunks
from fundcrm.models import Commitment, CompanyField, LimitedPartner, SubFund

FORMULA_STARTS = ("=", "+", "-", "@")
NUMERIC = {formats.WAN, formats.INT, formats.PCT, formats.DECIMAL}
YIELD = 1000  # rows fetched per round trip
FORMATS = ("xlsx", "csv")


class ExportError(ValueError):
    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


# -- rows ---------------------------------------------------------------------------------


def _companies(db: Session, query) -> Iterator[dict]:
    """Companies as plain rows (no ORM objects: an export may hold 100,000 of them), with
    their application fields fetched per chunk of ids."""
    connection = db.connection()
    result = connection.execute(query)
    keys = list(result.keys())
    companies = [dict(zip(keys, row, strict=True)) for row in result]
    table = CompanyField.__table__
    for chunk in chunks(companies, YIELD):
        fields: dict[int, list[str]] = {}
        ids = [c["id"] for c in chunk]
        query = sa.select(table.c.company_id, table.c.field).where(table.c.company_id.in_(ids))
        for company_id, field in connection.execute(query.order_by(table.c.field)):
            fields.setdefault(company_id, []).append(field)
        for company in chunk:
            yield {**company, "application_fields": fields.get(company["id"], [])}


def _deal_rows(deal) -> Iterator[dict]:
    shared = {
        "deal_ref": deal.deal_ref,
        "company_uscc": deal.company.uscc,
        "round": deal.round,
        "stage": deal.stage,
        "source": deal.source,
        "owner_email": deal.owner.email if deal.owner else None,
        "ask_wan": deal.ask_yuan,
        "pre_money_wan": deal.pre_money_yuan,
        "next_step": deal.next_step,
        "next_step_due": deal.next_step_due,
        "pass_reason": deal.pass_reason,
        "created_on": deal.created_on,
    }
    for p in deal.participations or [None]:
        sub_fund = p.sub_fund.code if p else None
        yield {**shared, "sub_fund": sub_fund, "proposed_wan": p.proposed_yuan if p else None}


def _sub_fund_row(f: SubFund) -> dict:
    values = {k: getattr(f, k, None) for k in KINDS["sub_funds"].by_code}
    return {**values, "target_wan": f.target_yuan}


def _commitment_row(c: Commitment) -> dict:
    return {
        "lp_name": c.lp.name,
        "lp_type": c.lp.lp_type,
        "is_government": c.lp.is_government,
        "sub_fund": c.sub_fund.code,
        "committed_wan": c.committed_yuan,
        "reinvest_ratio": c.reinvest_ratio,
        "reinvest_area": c.reinvest_area,
        "reinvest_base": c.reinvest_base,
    }


def _filters(db: Session, args, sorts: dict, default: str):
    filters = queries.parse_filters(args, db, sorts, default)
    if filters.errors:
        raise ExportError(filters.errors)
    return filters


def records(db: Session, kind: str, args) -> Iterator[dict]:
    """The kind's records matching the list filters in `args` (a MultiDict), as column code →
    value; ExportError names each bad filter."""
    if kind == "companies":
        filters = _filters(db, args, queries.COMPANY_SORTS, "created")
        return _companies(db, queries.company_query(filters))
    if kind == "deals":
        filters = _filters(db, args, queries.DEAL_SORTS, "updated")
        query = queries.ordered_deals(filters).execution_options(yield_per=YIELD)
        return (row for deal in db.exec(query) for row in _deal_rows(deal))
    if kind == "sub_funds":
        return (_sub_fund_row(f) for f in db.exec(select(SubFund).order_by(SubFund.code)))
    return _commitments(db, args)


def _commitments(db: Session, args) -> Iterator[dict]:
    query = (
        select(Commitment)
        .join(LimitedPartner)
        .join(SubFund)
        .options(selectinload(Commitment.lp), selectinload(Commitment.sub_fund))
        .order_by(LimitedPartner.name, SubFund.code)
    )
    codes = [c.strip().upper() for c in args.getlist("sub_fund") if c.strip()]
    if codes:
        known = set(db.exec(select(SubFund.code).where(SubFund.code.in_(codes))).all())
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise ExportError([_("Unknown sub-fund: %(code)s", code=", ".join(unknown))])
        query = query.where(SubFund.code.in_(codes))
    return (_commitment_row(c) for c in db.exec(query))


# -- cells ----------------------------------------------------------------------------------


def text_of(column: formats.Column, value) -> str:
    """The cell as the import reads it back ('' for no value)."""
    if value is None:
        return ""
    if column.type == formats.WAN:
        return wan_text(value)
    if column.type == formats.VOCAB_LIST:
        return ";".join(value)
    if column.type == formats.BOOL:
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return strip_illegal(str(value))  # stored before they were refused; XLSX cannot hold them


def csv_cell(text: str) -> str:
    return "'" + text if text.startswith((*FORMULA_STARTS, "'")) else text


def _exact_number(text: str) -> int | float | None:
    """The number a numeric cell can hold exactly, else None (then the cell stays text)."""
    value = Decimal(text)
    if value == value.to_integral_value() and abs(value) < 2**53:
        return int(value)
    as_float = float(value)
    return as_float if Decimal(repr(as_float)) == value else None


def xlsx_cell(sheet, column: formats.Column, value, text: str):
    """A plain value where the spreadsheet reads it back as written, else a styled cell."""
    if not text:
        return None
    if column.type == formats.DATE:
        return value  # a date cell, shown yyyy-mm-dd
    if column.type in NUMERIC:
        number = _exact_number(text)
        if number is not None:
            return number
    if not text.startswith((*FORMULA_STARTS, "'")):
        return text
    cell = WriteOnlyCell(sheet, value="'" + text if text.startswith("'") else text)
    cell.data_type = "s"  # never a formula, whatever the text starts with
    cell.quotePrefix = text.startswith(FORMULA_STARTS)
    return cell


def xlsx_row(sheet, kind: Kind, row: dict) -> list:
    return [xlsx_cell(sheet, c, row.get(c.code), text_of(c, row.get(c.code))) for c in kind.columns]


# -- files ----------------------------------------------------------------------------------


def write_csv(kind: Kind, rows: Iterable[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.code for c in kind.columns])
    for row in rows:
        writer.writerow([csv_cell(text_of(c, row.get(c.code))) for c in kind.columns])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def write_xlsx(kind: Kind, rows: Iterable[dict]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(kind.code)
    sheet.freeze_panes = "A2"
    for index, column in enumerate(kind.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _width(column)
    bold = Font(bold=True)
    header = []
    for column in kind.columns:
        cell = WriteOnlyCell(sheet, value=column.code)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append(
            [
                xlsx_cell(sheet, c, row.get(c.code), text_of(c, row.get(c.code)))
                for c in kind.columns
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _width(column: formats.Column) -> int:
    if column.type in (formats.USCC, formats.EMAIL) or (column.max_length or 0) >= 200:
        return 30
    return 16


def export(db: Session, kind: str, fmt: str, args) -> bytes:
    """The file's bytes; ExportError for bad filters."""
    rows = records(db, kind, args)
    writer = write_xlsx if fmt == "xlsx" else write_csv
    return writer(KINDS[kind], rows)
