"""Exports in the import's columns (codes as headers), so an export re-imports unchanged.

Amounts are exact 万元, vocabularies are codes, lists are joined with `;`. A text that a
spreadsheet would run as a formula (=, +, -, @) is a text cell in XLSX and starts with `'` in
CSV; a text that itself starts with `'` gets one more, since the import drops one. CSV is
UTF-8 with a BOM, which Excel in China needs to open it.

An export *for reading* (labels in a language) writes the same rows for people to hand over:
headers and vocabularies as labels in that language, yes/no, amounts in 万元 rounded to two
decimals as the screens show them. It is not meant to be imported again.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlmodel import Session

from fundcrm import listing
from fundcrm.companies import queries as company_queries
from fundcrm.deals import queries
from fundcrm.domain.money import rounded_wan, wan_text
from fundcrm.domain.text import strip_illegal
from fundcrm.imports import formats
from fundcrm.imports import queries as import_queries
from fundcrm.imports.formats import KINDS, Kind
from fundcrm.models import Commitment, SubFund

FORMULA_STARTS = ("=", "+", "-", "@")
NUMERIC = {formats.WAN, formats.INT, formats.PCT, formats.DECIMAL}
YIELD = 1000  # rows fetched per round trip
FORMATS = ("xlsx", "csv")
LANGUAGES = ("zh", "en")
YES_NO = {"zh": ("是", "否"), "en": ("Yes", "No")}
LIST_JOIN = {"zh": "、", "en": ", "}
AMOUNT_FORMAT = "#,##0.00"  # how a spreadsheet shows 万元 for reading

# list filter (query parameter, `--option` of the command) → the kinds it applies to
LIST_FILTERS = {
    "sub_fund": ("deals", "commitments"),
    "stage": ("deals",),
    "round": ("deals",),
    "source": ("deals",),
    "owner_email": ("deals",),
    "focus_area": ("deals", "companies"),
    "enterprise_stage": ("deals", "companies"),
    "application_fields": ("deals", "companies"),
    "zone": ("deals", "companies"),
    "district": ("deals", "companies"),
    "created_from": ("deals", "companies"),
    "created_to": ("deals", "companies"),
    "q": ("deals", "companies"),
    "sort": ("deals", "companies"),
}


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
    for chunk in import_queries.chunks(companies, YIELD):
        fields = import_queries.application_fields(connection, [c["id"] for c in chunk])
        for company in chunk:
            yield {**company, "application_fields": fields.get(company["id"], [])}


def _deal_rows(deal) -> Iterator[dict]:
    shared = {
        "deal_ref": deal.deal_ref,
        "company_uscc": deal.company.uscc,
        "company_name": deal.company.name,
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
        sub_fund = p.sub_fund if p else None
        yield {
            **shared,
            "sub_fund": sub_fund.code if sub_fund else None,
            "sub_fund_name": sub_fund.name if sub_fund else None,
            "sub_fund_name_en": (sub_fund.name_en or sub_fund.name) if sub_fund else None,
            "proposed_wan": p.proposed_yuan if p else None,
        }


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


def check_filters(kind: str, args) -> None:
    """Every query parameter must be a list filter of the kind: an export never silently
    ignores one (it would hand over more than the list showed)."""
    wrong = [name for name in args if kind not in LIST_FILTERS.get(name, ())]
    if wrong:
        known = ", ".join(n for n, kinds in LIST_FILTERS.items() if kind in kinds) or "—"
        raise ExportError(
            [
                _(
                    "Unknown filter for %(kind)s: %(names)s. The filters are: %(known)s.",
                    kind=kind,
                    names=", ".join(wrong),
                    known=known,
                )
            ]
        )


def reading_language(values: list[str], locale: str) -> str | None:
    """The `labels` query parameter: absent for the interchange format, `1` for reading in
    the user's language (`locale`)."""
    if not values:
        return None
    if values != ["1"]:
        raise ExportError([_("labels takes the value 1 (an export for reading).")])
    return "zh" if locale.startswith("zh") else "en"


def _filters(db: Session, args, sorts: dict, default: str):
    filters = listing.parse_filters(args, db, sorts, default)
    if filters.errors:
        raise ExportError(filters.errors)
    return filters


def records(db: Session, kind: str, args) -> Iterator[dict]:
    """The kind's records matching the list filters in `args` (a MultiDict), as column code →
    value; ExportError names each bad filter."""
    check_filters(kind, args)
    if kind == "companies":
        filters = _filters(db, args, company_queries.COMPANY_SORTS, company_queries.DEFAULT_SORT)
        return _companies(db, company_queries.company_query(filters))
    if kind == "deals":
        filters = _filters(db, args, queries.DEAL_SORTS, queries.DEFAULT_DEAL_SORT)
        query = queries.ordered_deals(filters).execution_options(yield_per=YIELD)
        return (row for deal in db.exec(query) for row in _deal_rows(deal))
    if kind == "sub_funds":
        return (_sub_fund_row(f) for f in import_queries.sub_funds_by_code(db))
    return _commitments(db, args)


def _commitments(db: Session, args) -> Iterator[dict]:
    codes = [c.strip().upper() for c in args.getlist("sub_fund") if c.strip()]
    if unknown := import_queries.unknown_sub_funds(db, codes):
        raise ExportError([_("Unknown sub-fund: %(code)s", code=", ".join(unknown))])
    return (_commitment_row(c) for c in import_queries.commitments_to_export(db, codes))


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


def reading_text(column: formats.Column, value, language: str) -> str:
    """The cell as a person reads it in that language ('' for no value)."""
    if value is None:
        return ""
    if column.type == formats.VOCAB:
        return column.vocabulary.label(value, language)
    if column.type == formats.VOCAB_LIST:
        return LIST_JOIN[language].join(column.vocabulary.label(v, language) for v in value)
    if column.type == formats.BOOL:
        return YES_NO[language][0 if value else 1]
    if column.type == formats.WAN:
        return format(rounded_wan(value), "f")
    return text_of(column, value)


def _header(column: formats.Column, language: str | None) -> str:
    return column.title(language) if language else column.code


# Columns whose code a reader does not know: the row also carries the name to show instead
# (`<key>_en` in English where there is one).
READING_NAMES = {"sub_fund": "sub_fund_name"}


def _reading_name(row: dict, code: str, language: str) -> str | None:
    key = READING_NAMES.get(code)
    return key and (language == "en" and row.get(f"{key}_en") or row.get(key))


def _texts(kind: Kind, row: dict, language: str | None) -> list[tuple]:
    """(column, value, text) of each cell: the import's text, or the reader's."""
    cells = [(c, row.get(c.code)) for c in kind.columns]
    if language is None:
        return [(c, value, text_of(c, value)) for c, value in cells]
    return [
        (c, value, _reading_name(row, c.code, language) or reading_text(c, value, language))
        for c, value in cells
    ]


def write_csv(kind: Kind, rows: Iterable[dict], language: str | None = None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_header(c, language) for c in kind.columns])
    for row in rows:
        cells = _texts(kind, row, language)
        if language:  # amounts for reading carry thousands separators, as the XLSX shows them
            cells = [(c, v, _grouped(c, v, text)) for c, v, text in cells]
        writer.writerow([csv_cell(text) for _c, _v, text in cells])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def _grouped(column: formats.Column, value, text: str) -> str:
    return (
        f"{rounded_wan(value):,.2f}" if column.type == formats.WAN and value is not None else text
    )


def _reading_cell(sheet, column: formats.Column, value, text: str):
    """An amount for reading is a number shown with two decimals and thousands separators."""
    cell = xlsx_cell(sheet, column, value, text)
    if column.type != formats.WAN or not isinstance(cell, int | float):
        return cell
    styled = WriteOnlyCell(sheet, value=cell)
    styled.number_format = AMOUNT_FORMAT
    return styled


def write_xlsx(kind: Kind, rows: Iterable[dict], language: str | None = None) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(kind.code)
    sheet.freeze_panes = "A2"
    for index, column in enumerate(kind.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _width(column)
    bold = Font(bold=True)
    header = []
    for column in kind.columns:
        cell = WriteOnlyCell(sheet, value=_header(column, language))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    write_cell = _reading_cell if language else xlsx_cell
    for row in rows:
        sheet.append([write_cell(sheet, *cell) for cell in _texts(kind, row, language)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _width(column: formats.Column) -> int:
    if column.type in (formats.USCC, formats.EMAIL) or (column.max_length or 0) >= 200:
        return 30
    return 16


def export(db: Session, kind: str, fmt: str, args, language: str | None = None) -> bytes:
    """The file's bytes: the interchange format, or for reading in `language` (zh, en);
    ExportError for bad filters."""
    rows = records(db, kind, args)
    writer = write_xlsx if fmt == "xlsx" else write_csv
    return writer(KINDS[kind], rows, language)
