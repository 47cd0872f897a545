"""Small helpers the section builders share: columns in the report's language, IRRs as the
report shows them, a total row that is the exact sum of its rows."""

from datetime import date
from decimal import Decimal

from fundcrm.funds.statement_notes import NOT_MEANINGFUL_DAYS  # one GIPS rule for every paper
from fundcrm.reports.model import Column, Rate, Table, money_total


def rate(value: float | None, first_flow: date | None, as_of: date) -> Rate:
    """An IRR: "n.m." when its first flow is less than a year before the date."""
    short = first_flow is not None and (as_of - first_flow).days < NOT_MEANINGFUL_DAYS
    return Rate(value, annualised=not short)


def total_row(table: Table, label: str, keep: dict | None = None) -> list:
    """The row under a table: the label first, each money and int column's exact sum, the
    values given in `keep` (column key → value), None elsewhere."""
    keep = keep or {}
    row = []
    for i, column in enumerate(table.columns):
        if column.key in keep:
            row.append(keep[column.key])
        elif i == 0:
            row.append(label)
        elif column.kind == "money":
            row.append(money_total(r[i] for r in table.rows))
        elif column.kind == "int":
            row.append(sum(r[i] or 0 for r in table.rows))
        else:
            row.append(None)
    return row


def money(key: str, label: str, width: float = 1.0) -> Column:
    return Column(key, label, "money", width)


def share_of(part: Decimal, whole: Decimal) -> Decimal | None:
    return part / whole if whole else None
