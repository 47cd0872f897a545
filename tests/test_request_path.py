"""The signed-in request path stays lean: one statement for the user and roles, one connection,
a fixed number of statements on the home page, the board and the deal page, and the cached
formatters and labels give exactly what Babel and the vocabularies give."""

import os
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, format_date, format_decimal

from fundcrm.auth import load_user
from fundcrm.domain.vocab import VOCABULARIES
from fundcrm.i18n import format_day, format_number, url_pattern, vocab_label, vocab_labeller
from fundcrm.models import User
from tests import factories
from tests.conftest import sign_in

NUMBERS = [
    Decimal("0"),
    Decimal("1234567.891"),
    Decimal("-98765.4321"),
    Decimal("0.005"),
    Decimal("12345678901234.56"),
    3,
    2.5,
]


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_number_filters_match_babel(app, locale):
    with app.test_request_context(headers={"Accept-Language": locale.replace("_", "-")}):
        for value in NUMBERS:
            for pattern in (None, "#,##0.00", "#,##0.00####"):
                assert format_number(value, pattern) == format_decimal(value, format=pattern)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_wan_filter_gives_grouped_wan(app, locale):
    with app.test_request_context(headers={"Accept-Language": locale.replace("_", "-")}):
        wan = app.jinja_env.filters["wan"]
        assert wan(Decimal("123456789.00")) == "12,345.68"
        assert wan(Decimal("123456789.00"), exact=True) == "12,345.6789"
        assert wan(None) == ""


def test_vocabulary_labels_and_choices_are_each_terms_label():
    for vocabulary in VOCABULARIES.values():
        for locale in ("zh_CN", "en", "zh"):
            assert vocabulary.choices(locale) == [
                (t.code, t.label(locale)) for t in vocabulary.terms
            ]
            for term in vocabulary.terms:
                assert vocabulary.label(term.code, locale) == term.label(locale)
            assert vocabulary.label("not-a-code", locale) == "not-a-code"


def test_choices_are_a_copy_a_form_may_change():
    first = VOCABULARIES["stage"].choices("en")
    first.insert(0, ("", "Choose"))
    assert VOCABULARIES["stage"].choices("en")[0] == ("sourcing", "Sourcing")


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("zh-CN", "大模型、、机器人本体"), ("en", "Large models, , Robot body")],
)
def test_vocab_list_keeps_its_separator_and_blanks(app, locale, expected):
    with app.test_request_context(headers={"Accept-Language": locale}):
        vocab_list = app.jinja_env.filters["vocab_list"]
        assert vocab_list(["large_model", "", "robot_body"], "focus_area") == expected
        assert vocab_list(None, "focus_area") == ""


def test_the_user_and_roles_load_in_one_statement(app, client, staff, count_queries):
    manager = staff["manager"]
    with app.test_request_context():
        with count_queries() as counted:
            user = load_user(manager.get_id())
            assert user.id == manager.id and user.has_role("manager")
        assert counted.n == 1


def test_a_stale_session_token_signs_nobody_in(app, staff):
    user_id = staff["manager"].id
    with app.test_request_context():
        assert load_user(f"{user_id}:not-the-token") is None
        assert load_user("x:1") is None


def test_a_read_request_takes_one_connection(app, client, staff):
    sign_in(client, staff["manager"].id)
    engine = app.extensions["fundcrm.engine"]
    checkouts = []

    def checkout(*_args):
        checkouts.append(1)

    sa.event.listen(engine, "checkout", checkout)
    try:
        assert client.get(f"/deals/{staff['deal'].id}").status_code == 200
    finally:
        sa.event.remove(engine, "checkout", checkout)
    assert len(checkouts) == 1


def test_templates_ask_permissions_of_the_signed_in_user(app, client, staff):
    """`can` in a template decides as user_can does for the user itself."""
    sign_in(client, staff["manager"].id)
    board = client.get("/deals/board").get_data(as_text=True)
    assert f'id="card-{staff["deal"].id}"' in board
    assert 'class="board-card movable' in board  # the owner may move the card
    sign_in(client, staff["ic_member"].id)
    board = client.get("/deals/board").get_data(as_text=True)
    assert f'id="card-{staff["deal"].id}"' in board
    assert "movable" not in board


def _grow(dbs, staff, make_user, n: int, offset: int) -> None:
    """n more deals, each owned by a different manager with a team member, and more history on
    the test deal: what the pages show grows, their statement counts must not."""
    from fundcrm.deals import services

    dbs.commit()  # the users are written by another session, before this one writes
    grown = [make_user("manager")[0] for _ in range(n)]
    for i, user_id in enumerate(grown):
        owner = dbs.get(User, user_id)
        company = factories.company(
            dbs, f"增长企业{offset + i}号", factories.make_uscc(7000 + offset + i)
        )
        factories.deal(
            dbs,
            company,
            staff["manager"] if i % 2 else owner,
            [(staff["angel"], "100"), (staff["industry"], "200")],
            next_step="电话沟通",
            next_step_due=date(2026, 1, 1),
        )
    deal = staff["deal"]
    team = [m.user_id for m in deal.team]
    for i, user_id in enumerate(grown):
        team.append(user_id)
        services.update_deal(dbs, deal, {"notes": f"第{offset + i}次更新", "team_ids": team})
    dbs.commit()


@pytest.mark.parametrize("url", ["/", "/deals/board", "deal"])
def test_pages_run_a_fixed_number_of_statements(client, staff, dbs, make_user, count_queries, url):
    url = f"/deals/{staff['deal'].id}" if url == "deal" else url
    sign_in(client, staff["manager"].id)
    client.get(url)  # templates, the user: what any later view finds ready
    counted = []
    for n, offset in ((3, 0), (25, 100)):
        _grow(dbs, staff, make_user, n, offset)
        # the first view after the data changed (the home dashboard recounts what it keeps),
        # then a repeat view
        with count_queries() as first:
            assert client.get(url).status_code == 200
        with count_queries() as repeat:
            assert client.get(url).status_code == 200
        counted.append((first.n, repeat.n))
    assert counted[0] == counted[1]


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_a_days_text_is_babels_and_a_moment_is_its_day_in_beijing(app, locale):
    """format_day keeps each day's text once per language; it gives what Babel gives, and a
    moment is the day it is in the fund's time zone (16:30 UTC is the next day in Beijing)."""
    moment = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
    with app.test_request_context(), force_locale(locale):
        for day in (date(2026, 1, 5), date(2026, 12, 1), date(1999, 7, 31)):
            for fmt in ("medium", "short", "long"):
                assert format_day(day, fmt) == format_date(day, fmt)
                assert format_day(day, fmt) == format_day(day, fmt)  # the kept text again
        assert format_day(moment) == format_date(date(2026, 12, 1))
        assert format_day(None) == "" and format_day(date(2026, 12, 1)) != ""


def test_the_app_starts_without_the_pdf_machinery(tmp_path):
    """reportlab and the CJK font (about 50 MB and half a second in every worker and command)
    load with the first paper a process makes, not with the app."""
    probe = (
        "import sys, fundcrm; fundcrm.create_app(); "
        "print(sorted(m for m in ('reportlab', 'fundcrm.pdf', 'pandas') if m in sys.modules))"
    )
    env = {
        **os.environ,
        "FUNDCRM_INSTANCE_PATH": str(tmp_path),
        "FUNDCRM_DATABASE_URL": f"sqlite:///{tmp_path / 'probe.db'}",
    }
    run = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().splitlines()[-1] == "[]", run.stdout


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_a_rows_links_and_labels_are_those_of_url_for_and_the_vocab_filter(app, locale):
    """The list and the board build a link and look up a label once for all their rows."""
    from flask import url_for

    with app.test_request_context(), force_locale(locale):
        for endpoint in ("deals.show", "deals.edit", "deals.move"):
            link = url_pattern(endpoint, "deal_id")
            for deal_id in (1, 42, 98765):
                assert link(deal_id) == url_for(endpoint, deal_id=deal_id)
        for vocabulary in ("stage", "round", "focus_area"):
            label = vocab_labeller(vocabulary)
            for code in [*VOCABULARIES[vocabulary].codes, "no_such_code", "", None]:
                assert label(code) == vocab_label(vocabulary, code), code
        assert vocab_labeller("stage")("due_diligence") == (
            "尽职调查" if locale == "zh_CN" else "Due diligence"
        )
