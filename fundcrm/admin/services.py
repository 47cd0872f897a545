"""What an administrator sets on an account besides the account rules (fundcrm.auth.services):
the LP a representative's account is tied to (DOMAIN.md section 2). Flush only; the change is
audited with the account's other changes."""

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from fundcrm.auth.services import AccountError
from fundcrm.models import LimitedPartner, User

REPRESENTATIVE_ROLES = {"viewer"}
ONLY_VIEWERS = _l(
    "Only an account whose one role is viewer (LP representative) may be tied to an LP: "
    "choose — or make viewer its only role."
)


def tie_to_lp(db: Session, user: User, lp_id: int | None, roles: list[str]) -> None:
    """Tie the account to the LP it represents (None: to none). Refused for an account with any
    role but viewer: the staff see every LP already, and a tie would narrow nothing."""
    if lp_id is not None and set(roles) != REPRESENTATIVE_ROLES:
        raise AccountError(ONLY_VIEWERS, "lp_id")
    if lp_id is not None and db.get(LimitedPartner, lp_id) is None:
        raise AccountError(_l("Choose an existing LP."), "lp_id")
    if user.lp_id != lp_id:
        user.lp_id = lp_id
        db.flush()
