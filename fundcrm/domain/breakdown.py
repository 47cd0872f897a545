"""Amounts grouped by a vocabulary, with each group's share: the annual report's allocation
tables and charts (DOMAIN.md section 8.5) and the home dashboard's charts call this one function,
so a dashboard chart and a report table of the same records agree.

A record may fall under several keys (a company under each of its application fields): it
counts in full under each, so the groups' shares may add up to more than 100%; the shares are
always of the total of the records, not of the groups."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

NOT_SET = None  # the key of records with no value for the vocabulary


@dataclass(frozen=True)
class Slice:
    key: str | None  # a vocabulary code, or NOT_SET
    amounts: tuple[Decimal, ...]  # one per measure (cost, fair value; or a count)
    shares: tuple[Decimal | None, ...]  # amount ÷ the measure's total of the records (None: 0)


def breakdown(
    items: Iterable[tuple[Iterable[str | None], Sequence[Decimal]]],
    order: Sequence[str],
    measures: int = 1,
) -> tuple[list[Slice], tuple[Decimal, ...]]:
    """(the groups in the vocabulary's order, then NOT_SET; the totals of the records).

    `items`: (the record's keys — none or None counts under NOT_SET —, its amounts). Groups
    with no record are left out."""
    totals = [Decimal(0)] * measures
    grouped: dict[str | None, list[Decimal]] = {}
    for keys, amounts in items:
        amounts = [Decimal(a) for a in amounts]
        for i, amount in enumerate(amounts):
            totals[i] += amount
        unique = list(dict.fromkeys(k for k in keys if k)) or [NOT_SET]
        for key in unique:
            sums = grouped.setdefault(key, [Decimal(0)] * measures)
            for i, amount in enumerate(amounts):
                sums[i] += amount
    rank = {code: i for i, code in enumerate(order)}
    keys = sorted(grouped, key=lambda k: (k is NOT_SET, rank.get(k, len(rank)), k or ""))
    slices = [
        Slice(
            key,
            tuple(grouped[key]),
            tuple(a / t if t else None for a, t in zip(grouped[key], totals, strict=True)),
        )
        for key in keys
    ]
    return slices, tuple(totals)
