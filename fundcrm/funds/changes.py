"""Dated changes of a commitment (DOMAIN.md section 1): an increase (增资), a decrease (减资) or
a transfer (转让) of part of it to another LP in the same sub-fund. Flush only; the view commits.

A transfer moves committed capital that is not paid in yet: the calls an LP has paid stay
with it, so a decrease or a transfer may take only what leaves the commitment in force, on
its date and on every later date, at least the LP's calls paid by then (and never below zero).
A receiving LP without a commitment to the sub-fund gets one: committed 0 on the transfer's
date (a government LP's with the default re-investment terms), so all it holds in force comes
from the transfers it receives.

Refused, with the reason on the form's field, and nothing written: a date after today (the
fund's clock) or before the commitment's start (or the receiving commitment's), an amount of
zero or less, a transfer to the same LP or to none, a receiving LP named for an increase or a
decrease, and a decrease or transfer that would leave too little in force as above, whatever
its date among the commitment's other changes. The commitment rows are locked, so two
simultaneous changes cannot both pass the check.
"""

from datetime import date
from decimal import Decimal

from flask import current_app
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from fundcrm import clock
from fundcrm.db import lock_for_edit, refused_if_taken
from fundcrm.domain.commitments import INCREASE, TRANSFER, Schedule, signed
from fundcrm.domain.vocab import COMMITMENT_CHANGE_KINDS
from fundcrm.funds import queries
from fundcrm.funds.services import NO_TERMS, SetupError, check_in_force, reinvestment_terms
from fundcrm.models import Commitment, CommitmentChange, LimitedPartner

RECEIVER_MEANWHILE = _l(
    "Another change has just given the receiving LP a commitment to this sub-fund: try again."
)


def record_change(
    db: Session, commitment: Commitment, values: dict, user_id: int | None = None
) -> CommitmentChange:
    """values: changed_on, kind, amount_yuan, to_lp_id (the receiving LP of a transfer), note."""
    _check_values(values)
    receiving_lp = _receiving_lp(db, commitment, values)
    receiver = receiving_lp and queries.commitment_of(db, receiving_lp.id, commitment.sub_fund_id)
    # both commitments of a transfer, always in the same order: two opposite transfers at once
    # wait for each other in turn instead of for ever
    for record in sorted(filter(None, (commitment, receiver)), key=lambda c: c.id):
        lock_for_edit(db, record)
    on = values["changed_on"]
    amounts = _check_started(db, commitment, receiver, on)
    if values["kind"] != INCREASE:
        later = amounts.with_step(on, signed(values["kind"], values["amount_yuan"]))
        check_in_force(db, commitment, later, on, "amount")
    if receiving_lp is not None and receiver is None:
        receiver = _open_receiving(db, receiving_lp, commitment.sub_fund_id, on)
    change = CommitmentChange(
        commitment_id=commitment.id,
        changed_on=on,
        kind=values["kind"],
        amount_yuan=values["amount_yuan"],
        to_commitment_id=receiver.id if receiver is not None else None,
        note=(values.get("note") or "").strip(),
        created_by_id=user_id,
    )
    db.add(change)
    db.flush()
    return change


def _check_started(db: Session, commitment: Commitment, receiver, on: date) -> Schedule:
    """The commitment's schedule, once it and the receiving commitment (if any) have started by
    the change's date."""
    amounts = queries.schedule_of(db, commitment)
    if not amounts.started(on):
        raise SetupError(_l("The commitment starts on %(date)s: a change is dated on or after it.",
                            date=format_date(amounts.start)), "changed_on")  # fmt: skip
    receiving = queries.schedule_of(db, receiver) if receiver is not None else None
    if receiving is not None and not receiving.started(on):
        raise SetupError(_l("The receiving LP's commitment starts on %(date)s, after the transfer.",
                            date=format_date(receiving.start)), "changed_on")  # fmt: skip
    return amounts


def _check_values(values: dict) -> None:
    """What is wrong with the change whatever the commitment's other changes."""
    on, amount = values.get("changed_on"), values.get("amount_yuan")
    if on is None:
        raise SetupError(_l("Give the date."), "changed_on")
    if on > clock.today():
        raise SetupError(_l("A change is dated today or earlier."), "changed_on")
    if values.get("kind") not in COMMITMENT_CHANGE_KINDS:
        raise SetupError(_l("An increase, a decrease or a transfer."), "kind")
    if amount is None or amount <= 0:
        raise SetupError(_l("The amount must be more than zero."), "amount")


def _receiving_lp(db: Session, commitment: Commitment, values: dict) -> LimitedPartner | None:
    """A transfer's receiving LP: another existing LP; none for an increase or a decrease."""
    lp_id = values.get("to_lp_id")
    if values["kind"] != TRANSFER:
        if lp_id is not None:
            raise SetupError(_l("Only a transfer has a receiving LP."), "to_lp_id")
        return None
    lp = db.get(LimitedPartner, lp_id) if lp_id is not None else None
    if lp is None:
        raise SetupError(_l("Choose the LP receiving the transfer."), "to_lp_id")
    if lp.id == commitment.lp_id:
        raise SetupError(_l("A transfer goes to another LP."), "to_lp_id")
    return lp


def _open_receiving(db: Session, lp: LimitedPartner, sub_fund_id: int, on: date) -> Commitment:
    """The receiving LP's new commitment: 0 from the transfer's date (see the module's note)."""
    terms = reinvestment_terms(lp.is_government, NO_TERMS, True, current_app.config)
    receiver = Commitment(lp_id=lp.id, sub_fund_id=sub_fund_id, committed_yuan=Decimal(0),
                          committed_on=on, **terms)  # fmt: skip
    with refused_if_taken(db, SetupError(RECEIVER_MEANWHILE, "to_lp_id")):
        db.add(receiver)
        db.flush()
    return receiver
