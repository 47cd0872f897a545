"""Sign-in, sign-out, own password, and the user accounts behind them."""

import hmac

from flask_login import LoginManager
from sqlalchemy.orm import joinedload

from fundcrm import db
from fundcrm.domain.text import ascii_number
from fundcrm.models import User

login_manager = LoginManager()
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(alternative_id: str) -> User | None:
    """The active user whose current session token the session carries (see `User.get_id`)."""
    user_id, _, token = alternative_id.partition(":")
    if not (ascii_number(user_id) and len(user_id) < 10 and token):
        return None
    # one statement for the user and its roles, on every signed-in request
    user = db.session().get(User, int(user_id), options=[joinedload(User.roles)])
    if user is None or not user.active:
        return None
    return user if hmac.compare_digest(user.session_token.encode(), token.encode()) else None
