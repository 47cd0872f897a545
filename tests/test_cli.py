from sqlmodel import func, select

from fundcrm.cli import main
from fundcrm.demo import DEMO_ACCOUNTS
from fundcrm.models import AuditEntry, User


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(main, list(args), input=input)


def test_users_create_with_password_from_stdin(app, dbs):
    result = run(
        app,
        "users",
        "create",
        "cfo@example.com",
        "--role",
        "risk",
        "--role",
        "viewer",
        "--name",
        "财务总监",
        "--password-stdin",
        input="a-strong-password\n",
    )
    assert result.exit_code == 0, result.output
    user = dbs.exec(select(User).where(User.email == "cfo@example.com")).one()
    assert user.role_codes == {"risk", "viewer"}
    labels = set(dbs.exec(select(AuditEntry.actor_label)).all())
    assert labels == {"cli"}


def test_users_create_prompts_for_the_password(app, dbs):
    result = run(
        app,
        "users",
        "create",
        "ic9@example.com",
        "--role",
        "ic_member",
        "--name",
        "委员",
        input="a-strong-password\na-strong-password\n",
    )
    assert result.exit_code == 0, result.output
    assert dbs.exec(select(User).where(User.email == "ic9@example.com")).one()


def test_users_create_refuses_bad_input_and_writes_nothing(app, make_user, dbs):
    make_user("manager", email="dup@example.com")
    cases = [
        (["dup@example.com", "--role", "manager", "--name", "x"], "already exists"),
        (["new@example.com", "--role", "boss", "--name", "x"], "boss"),
        (["new@example.com", "--role", "manager", "--name", "x"], "at least 10"),
    ]
    for args, message in cases:
        result = run(app, "users", "create", *args, "--password-stdin", input="short\n")
        assert result.exit_code != 0 and message in result.output, result.output
    assert dbs.exec(select(func.count()).select_from(User)).one() == 1


def test_db_current_reports_head(app):
    result = run(app, "db", "current")
    assert result.exit_code == 0 and "(head)" in result.output


def test_demo_seed_runs_once(app, dbs):
    from fundcrm import db, demo

    with app.app_context():
        assert demo.seed(db.session(), app.config) > len(DEMO_ACCOUNTS)
    counts = _counts(dbs)
    with app.app_context():
        assert demo.seed(db.session(), app.config) == 0
    assert _counts(dbs) == counts
    users = {u.email: u.role_codes for u in dbs.exec(select(User)).all()}
    assert users["manager2@example.com"] == {"manager"} and users["lp@example.com"] == {"viewer"}
    assert len(users) == 8


def _counts(dbs) -> dict:
    from fundcrm.models import Commitment, Company, Deal, StageMove, SubFund

    return {
        m.__name__: dbs.exec(select(func.count()).select_from(m)).one()
        for m in (User, SubFund, Commitment, Company, Deal, StageMove, AuditEntry)
    }
