"""IC memos (DOMAIN.md section 4): written from a deal in due diligence, saved as versions,
submitted (frozen) for the committee. Every save adds a version; submitting freezes the latest;
an edit after that is the next version, a draft. A save or submission names the version it was
made from, and the unique (memo, number) makes two saves of one version give one new version
and one refusal. On submission the mandate rules run on the version's amounts
(`mandate_breaches`): the submitter is told what the move to 投决 will need overriding.
Services flush; the view commits."""

from dataclasses import replace
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from fundcrm import clock
from fundcrm.deals import moves
from fundcrm.domain import stages
from fundcrm.domain.vocab import MEMO_SECTIONS
from fundcrm.errors import ServiceError
from fundcrm.i18n import current_locale
from fundcrm.ic import prefill, queries
from fundcrm.models import Deal, IcMemo, IcMemoVersion
from fundcrm.safe_markdown import MAX_CHARS

STALE = _l(
    "Someone saved or submitted this memo meanwhile: nothing was saved. Reload it and try again."
)


class MemoError(ServiceError):
    pass


def start_memo(db: Session, deal: Deal, user) -> IcMemo:
    """The deal's memo with its first draft written from the deal; one memo per deal."""
    if deal.stage != "due_diligence":
        raise MemoError(_l("A memo is written for a deal in due diligence."))
    if queries.memo_of_deal(db, deal.id) is not None:
        raise MemoError(_l("This deal has a memo already."))
    memo = IcMemo(deal_id=deal.id, created_by_id=user.id)
    db.add(memo)
    db.flush()
    proposed = {str(p.sub_fund_id): str(p.proposed_yuan or 0) for p in deal.participations}
    first = IcMemoVersion(
        memo_id=memo.id,
        number=1,
        sections=prefill.first_draft(db, deal, clock.today()),
        proposed=proposed,
        created_by_id=user.id,
    )
    db.add(first)
    db.flush()
    return memo


def latest(memo: IcMemo) -> IcMemoVersion:
    return memo.versions[-1]


def check_sections(sections: dict) -> None:
    for code in MEMO_SECTIONS.codes:
        if len(sections.get(code) or "") > MAX_CHARS:
            raise MemoError(
                _l("At most %(n)s characters in a section.", n=format(MAX_CHARS, ",")), code
            )


def check_amounts(memo: IcMemo, proposed: dict[str, Decimal]) -> None:
    """An amount for each participating sub-fund, more than zero."""
    for part in memo.deal.participations:
        amount = proposed.get(str(part.sub_fund_id))
        if amount is None or amount <= 0:
            raise MemoError(
                _l("Each participating sub-fund needs an amount above zero."),
                f"proposed_{part.sub_fund_id}",
            )


def save(db: Session, memo: IcMemo, seen: int, sections: dict, proposed: dict, user):
    """The next version, a draft, made from version `seen` (the latest, or refused)."""
    check_sections(sections)
    check_amounts(memo, proposed)
    _must_be_latest(memo, seen)
    version = IcMemoVersion(
        memo_id=memo.id,
        number=seen + 1,
        sections={code: sections.get(code) or "" for code in MEMO_SECTIONS.codes},
        proposed={key: str(amount) for key, amount in proposed.items()},
        created_by_id=user.id,
    )
    db.add(version)
    _flush_or_stale(db)
    return version


def submit(db: Session, memo: IcMemo, seen: int, user) -> IcMemoVersion:
    """Freeze the latest version for the committee: every section written."""
    version = _must_be_latest(memo, seen)
    if version.status == "submitted":
        raise MemoError(_l("This version was submitted already."))
    empty = [
        MEMO_SECTIONS[c] for c in MEMO_SECTIONS.codes if not version.sections.get(c, "").strip()
    ]
    if empty:
        names = "、".join(term.label(current_locale()) for term in empty)
        raise MemoError(_l("Write every section before submitting; empty: %(names)s", names=names))
    version.status, version.submitted_by_id, version.submitted_at = (
        "submitted",
        user.id,
        clock.now(),
    )
    _flush_or_stale(db)
    return version


def mandate_breaches(db: Session, memo: IcMemo, version: IcMemoVersion, today=None) -> list:
    """What moving the deal to 投决 would break of each participating sub-fund's mandate, with
    this version's proposed amounts (the rules of fundcrm.domain.stages, as the move checks
    them): the move will need an override by risk or an administrator (DOMAIN.md section 3)."""
    deal = memo.deal
    facts = [
        replace(f, proposed_yuan=Decimal(version.proposed.get(str(p.sub_fund_id), f.proposed_yuan)))
        for f, p in zip(moves.mandate_facts(db, deal), deal.participations, strict=True)
    ]
    company = deal.company
    return stages.mandate_breaches(
        ["ic"], company.enterprise_stage, company.focus_area, facts, today or clock.today()
    )


def _must_be_latest(memo: IcMemo, seen: int) -> IcMemoVersion:
    version = latest(memo)
    if version.number != seen:
        raise MemoError(STALE)
    return version


def _flush_or_stale(db: Session) -> None:
    try:
        db.flush()
    except (IntegrityError, StaleDataError):
        db.rollback()
        raise MemoError(STALE) from None
