"""Sign-in, sign-out, own password, and the user accounts behind them."""

from flask_login import LoginManager

from fundcrm import db
from fundcrm.models import User

login_manager = LoginManager()
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    user = db.session().get(User, int(user_id))
    return user if user is not None and user.active else None
