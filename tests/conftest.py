"""Fixtures: an app on SQLite (default) or PostgreSQL (FUNDCRM_TEST_DATABASE_URL), migrated to
head once per run and emptied after every test; clients signed in as any role."""

import os
import re

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel
from werkzeug.security import generate_password_hash

import config as fundcrm_config
from fundcrm import create_app, db, migrate
from fundcrm.models import DDTemplateItem, User, UserRole
from fundcrm.workspace.defaults import template_rows
from tests.api_fixtures import api_as  # noqa: F401 - a fixture for every API test

PASSWORD = "correct-horse-battery"
TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("FUNDCRM_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def settings_for_tests(tmp_path_factory, **overrides) -> fundcrm_config.Config:
    os.environ.setdefault("FUNDCRM_INSTANCE_PATH", str(tmp_path_factory.mktemp("instance")))
    settings = fundcrm_config.TestConfig()
    settings.DATABASE_URL = _database_url(tmp_path_factory)
    for key, value in overrides.items():
        setattr(settings, key, value)
    return settings


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = create_app(settings_for_tests(tmp_path_factory))
    engine = app.extensions["fundcrm.engine"]
    try:
        migrate.drop_everything(engine)
    except sa.exc.OperationalError as error:
        pytest.exit(f"Test database unreachable ({app.config['DATABASE_URL']}): {error}", 2)
    migrate.upgrade(engine)
    return app


@pytest.fixture(autouse=True)
def _empty_tables(request):
    """Every test starts from empty tables (the schema stays)."""
    yield
    if "app" not in request.fixturenames:
        return
    engine = request.getfixturevalue("app").extensions["fundcrm.engine"]
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(sa.text(f"DELETE FROM {table}"))
        # what the migrations seed, as a freshly migrated database has it
        connection.execute(sa.insert(DDTemplateItem.__table__), template_rows())


@pytest.fixture
def dbs(app):
    """A session of its own, for arranging data and checking what requests wrote.

    It holds no app context: requests made meanwhile get theirs, as in production.
    """
    with Session(app.extensions["fundcrm.engine"], expire_on_commit=False) as session:
        yield session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    """Create a user directly (no audit actor needed) and return its id and email."""

    def make(*roles: str, email: str | None = None, password: str = PASSWORD, active=True):
        email = email or f"{'-'.join(roles) or 'nobody'}-{os.urandom(3).hex()}@example.com"
        with app.app_context():
            session = db.session()
            user = User(
                email=email,
                name=email.split("@")[0],
                active=active,
                password_hash=generate_password_hash(password, app.config["PASSWORD_HASH_METHOD"]),
                roles=[UserRole(role=r) for r in roles],
            )
            session.add(user)
            session.commit()
            return user.id, email

    return make


def sign_in(client, user_id: int) -> None:
    """Sign a test client in without the form (the form itself is tested in test_auth)."""
    with Session(client.application.extensions["fundcrm.engine"]) as db_session:
        alternative_id = db_session.get(User, user_id).get_id()  # id and session token
    with client.session_transaction() as session:
        session["_user_id"] = alternative_id
        session["_fresh"] = True


@pytest.fixture
def login_as(client, make_user):
    def login(*roles: str):
        user_id, email = make_user(*roles)
        sign_in(client, user_id)
        return user_id, email

    return login


def csrf_token(client, url: str = "/login") -> str:
    """The token a user's browser would send: read from the page's form."""
    page = client.get(url).get_data(as_text=True)
    match = TOKEN_RE.search(page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def post_form(client, url: str, data: dict, token_from: str | None = None, **kwargs):
    data = {**data, "csrf_token": csrf_token(client, token_from or url)}
    return client.post(url, data=data, **kwargs)


@pytest.fixture
def count_queries(app):
    """`with count_queries() as counted:` … `counted.n` SQL statements ran meanwhile, and
    `counted.statements` are their texts."""
    from contextlib import contextmanager

    engine = app.extensions["fundcrm.engine"]

    class Counter:
        def __init__(self):
            self.statements = []

        @property
        def n(self) -> int:
            return len(self.statements)

    @contextmanager
    def counting():
        counter = Counter()

        def count(_conn, _cursor, statement, *_args):
            counter.statements.append(statement)

        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            yield counter
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)

    return counting


@pytest.fixture
def staff(make_user, dbs):
    """Users of each role (as ORM objects in `dbs`) and the small pipeline of tests.factories."""
    from tests import factories

    users = {
        role: dbs.get(User, make_user(role)[0])
        for role in ("admin", "manager", "risk", "ic_member", "viewer")
    }
    return {**users, **factories.pipeline(dbs, users["manager"])}


@pytest.fixture
def committee(staff, dbs, make_user):
    """Three IC members (the first chairs), the pipeline's deal (天使基金 1,000 万元 +
    产业基金 2,000 万元) at 投决 with a submitted memo, and a meeting with it on its agenda."""
    from datetime import date

    from tests import factories

    members = [dbs.get(User, make_user("ic_member")[0]) for _ in range(3)]
    deal = staff["deal"]
    deal.stage = "ic"
    dbs.commit()
    memo, version = factories.memo(dbs, deal, staff["manager"].id)
    meeting = factories.meeting(
        dbs, members[0].id, [m.id for m in members], date(2026, 12, 10), [version]
    )
    return {**staff, "members": members, "memo": memo, "version": version,
            "meeting": meeting, "item": meeting.items[0]}  # fmt: skip


@pytest.fixture
def held(app, dbs, committee):
    """The committee's deal closed: 天使基金 1,000 万元 and 产业基金 2,000 万元 on 2026-11-20,
    10% each."""
    from sqlmodel import select

    from fundcrm.models import Holding
    from tests.test_closing import at_signing, close, form_for

    deal = at_signing(dbs, committee)
    assert close(app, committee["manager"], deal.id, form_for(committee)).status_code == 302
    angel = dbs.exec(select(Holding).where(Holding.sub_fund_id == committee["angel"].id)).one()
    return {**committee, "holding": angel}


def page_text(html: str, start: str = "") -> str:
    """A page (from the element marked `start` on) as a reader sees it: no tags, single spaces."""
    part = html[html.index(start) :] if start else html
    return " ".join(re.sub(r"<[^>]+>", " ", part).split())
