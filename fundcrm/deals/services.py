"""Deal rules: creating and editing deals, their references and teams (flush only).

Moving deals through the pipeline is fundcrm.deals.moves."""

import re
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from fundcrm import audit, clock
from fundcrm.auth import services as accounts
from fundcrm.db import upsert
from fundcrm.domain.text import ascii_number
from fundcrm.errors import ServiceError
from fundcrm.models import (
    Deal,
    DealMember,
    DealRefCounter,
    DealSubFund,
    StageMove,
    SubFund,
    User,
    utcnow,
)
from fundcrm.models.records import orm
from fundcrm.versioning import check_version, unless_changed_meanwhile
from fundcrm.workspace import services as workspace

DEAL_FIELDS = (
    "company_id",
    "round",
    "source",
    "owner_id",
    "ask_yuan",
    "pre_money_yuan",
    "next_step",
    "next_step_due",
    "notes",
)

NEXT_STEP_NEEDED = _l("A due date needs the next step it is for.")


class DealError(ServiceError):
    """A refused change of this feature."""


def actor_label(db: Session, user: User | None) -> str:
    """Who a recorded move names: the user, else the session's actor (`cli`, `demo`)."""
    return user.email if user else audit.actor(db)[1]


# prefix (as long as a counter's), year, number: XM2026-0001
REF_PATTERN = re.compile(r"(\D{0,20})(\d{4})-(\d{1,9})", re.ASCII)


def next_deal_ref(db: Session, prefix: str, year: int) -> str:
    """The next free reference `<prefix><year>-NNNN` (see take_refs)."""
    return take_refs(db, prefix, year, 1)[0]


def take_refs(db: Session, prefix: str, year: int, count: int) -> list[str]:
    """The next `count` free references `<prefix><year>-NNNN`. The numbers come from the
    (prefix, year) counter row, which stays locked until the transaction ends, so no two deals
    share one; a number a reference typed in by hand already holds is skipped."""
    refs: list[str] = []
    while len(refs) < count:
        need = count - len(refs)
        last = _take_numbers(db, prefix, year, need)
        wanted = [f"{prefix}{year}-{n:04d}" for n in range(last - need + 1, last + 1)]
        taken = set()
        for start in range(0, need, 1000):
            part = wanted[start : start + 1000]
            taken.update(db.exec(select(Deal.deal_ref).where(Deal.deal_ref.in_(part))))
        refs += [ref for ref in wanted if ref not in taken]
    return refs


def note_used_ref(db: Session, ref: str) -> None:
    """Advance the counter past a reference given explicitly (imports), so later numbers
    never collide with it."""
    match = REF_PATTERN.fullmatch(ref)
    if not match:
        return
    prefix, year, number = match[1], int(match[2]), int(match[3])
    table = DealRefCounter.__table__
    _seed_counter(db, prefix, year)
    db.connection().execute(
        sa.update(table)
        .where(table.c.prefix == prefix, table.c.year == year, table.c.last_number < number)
        .values(last_number=number)
    )


def note_used_refs(db: Session, refs) -> None:
    """note_used_ref for many references: only the highest number of each counter matters."""
    highest: dict[tuple, tuple[int, str]] = {}
    for ref in refs:
        if match := REF_PATTERN.fullmatch(ref):
            key, number = (match[1], match[2]), int(match[3])
            if number > highest.get(key, (-1, ""))[0]:
                highest[key] = (number, ref)
    for _number, ref in highest.values():
        note_used_ref(db, ref)


def _take_numbers(db: Session, prefix: str, year: int, count: int) -> int:
    """Take `count` numbers of the counter; the last of them."""
    table = DealRefCounter.__table__
    _seed_counter(db, prefix, year)
    return (
        db.connection()
        .execute(
            sa.update(table)
            .where(table.c.prefix == prefix, table.c.year == year)
            .values(last_number=table.c.last_number + count)
            .returning(table.c.last_number)
        )
        .scalar_one()
    )


def _seed_counter(db: Session, prefix: str, year: int) -> None:
    """Start a (prefix, year) counter at the highest number its deals already use."""
    table = DealRefCounter.__table__
    found = table.c.prefix == prefix, table.c.year == year
    if db.connection().execute(sa.select(table.c.year).where(*found)).first():
        return
    stem = f"{prefix}{year}-"
    refs = db.exec(select(Deal.deal_ref).where(Deal.deal_ref.startswith(stem, autoescape=True)))
    numbers = [int(n) for r in refs if ascii_number(n := r[len(stem) :])]
    row = {"prefix": prefix, "year": year, "last_number": max(numbers, default=0)}
    # a simultaneous first deal of the year may create the row first: then it is already right
    db.connection().execute(upsert(db, table).values(**row).on_conflict_do_nothing())


def due_without_step(values: dict, deal: Deal | None) -> bool:
    """A due date with no next step, after the values (possibly partial) meet the deal."""

    def current(name):
        return values[name] if name in values else getattr(deal, name, None)

    return bool(current("next_step_due")) and not current("next_step")


def _check_deal_values(db: Session, values: dict, deal: Deal | None = None) -> None:
    """The rules a deal's values follow; for an update, `values` may hold only what changes."""
    participations = values.get("participations")
    if participations is not None and not participations:
        raise DealError(_l("Choose at least one participating sub-fund."), "sub_fund")
    ids = [sub_fund_id for sub_fund_id, _ in participations or []]
    if len(set(ids)) != len(ids):
        raise DealError(_l("Each sub-fund takes part once."), "sub_fund")
    if ids and len(db.exec(select(SubFund.id).where(SubFund.id.in_(ids))).all()) != len(ids):
        raise DealError(_l("Unknown sub-fund."), "sub_fund")
    new_owner = "owner_id" in values and (deal is None or values["owner_id"] != deal.owner_id)
    if new_owner and not accounts.all_may(db, [values["owner_id"]], "read_pipeline"):
        raise DealError(_l("Choose an active user as owner."), "owner_email")
    team = values.get("team_ids") or []
    if not accounts.all_may(db, team, "read_pipeline"):
        raise DealError(_l("The deal team takes users who may see the pipeline."), "team")
    if due_without_step(values, deal):
        raise DealError(NEXT_STEP_NEEDED, "next_step")


def create_deal(
    db: Session, values: dict, user: User | None, *, prefix: str, at: datetime | None = None
) -> Deal:
    """A new deal in `sourcing` (or the stage an import sets afterwards)."""
    at = at or utcnow()
    _check_deal_values(db, values)
    created_on = values.get("created_on") or clock.local_date(at)
    ref = _deal_ref(db, values.get("deal_ref"), prefix, created_on.year)
    deal = build_deal(values, ref, at, user, actor_label(db, user))
    db.add(deal)
    db.flush()
    workspace.sync_next_step(db, deal)
    return deal


def build_deal(
    values: dict, ref: str, at: datetime, user: User | None, label: str, new=orm
) -> Deal:
    """The new deal of checked `values`, not yet in any session: its sub-funds, its team (the
    owner and `team_ids`) and the move that created it. create_deal adds it; an import's bulk
    writer (fundcrm.imports.importers.new_deals) makes it with `new=row` (models.records)."""
    deal = new(
        Deal,
        proposed_total_yuan=Decimal(0),
        deal_ref=ref,
        stage="sourcing",
        stage_entered_at=at,
        created_on=values.get("created_on") or clock.local_date(at),
        **{k: values.get(k) for k in DEAL_FIELDS},
    )
    _sync_participations(deal, values["participations"], new)
    _sync_team(deal, values.get("team_ids") or [], new)
    deal.moves.append(
        new(
            StageMove,
            to_stage="sourcing",
            at=at,
            kind="create",
            by_id=user.id if user else None,
            by_label=label,
        )
    )
    return deal


def _deal_ref(db: Session, given: str | None, prefix: str, year: int) -> str:
    if not given:
        return next_deal_ref(db, prefix, year)
    if db.exec(select(Deal.id).where(Deal.deal_ref == given)).first() is not None:
        raise DealError(_l("Deal reference %(ref)s is already taken.", ref=given), "deal_ref")
    note_used_ref(db, given)
    return given


def update_deal(db: Session, deal: Deal, values: dict, expected_version: int | None = None) -> Deal:
    check_version(db, deal, "deals", expected_version)
    _check_deal_values(db, values, deal)
    with unless_changed_meanwhile(db, deal, "deals"):
        with db.no_autoflush:  # one flush, so the audit trail keeps the edit as one entry
            for key in DEAL_FIELDS:
                if key in values:
                    setattr(deal, key, values[key])
            if "participations" in values:
                _sync_participations(deal, values["participations"])
            if "team_ids" in values:
                _sync_team(deal, values["team_ids"])
            # every save is a new version, also one that changes only the team or sub-funds
            deal.updated_at = utcnow()
        db.flush()
    workspace.sync_next_step(db, deal)
    return deal


def _sync_participations(deal: Deal, wanted: list[tuple[int, Decimal | None]], new=orm) -> None:
    amounts = dict(wanted)
    for p in list(deal.participations):
        if p.sub_fund_id not in amounts:
            deal.participations.remove(p)
        elif p.proposed_yuan != amounts[p.sub_fund_id]:
            p.proposed_yuan = amounts[p.sub_fund_id]
    have = {p.sub_fund_id for p in deal.participations}
    deal.participations.extend(
        new(DealSubFund, sub_fund_id=i, proposed_yuan=a) for i, a in wanted if i not in have
    )
    deal.proposed_total_yuan = sum((a or Decimal(0) for _i, a in wanted), Decimal(0))


def _sync_team(deal: Deal, user_ids: list[int], new=orm) -> None:
    wanted = set(user_ids) | {deal.owner_id}
    for member in list(deal.team):
        if member.user_id not in wanted:
            deal.team.remove(member)
    have = {m.user_id for m in deal.team}
    deal.team.extend(new(DealMember, user_id=i) for i in sorted(wanted - have))
