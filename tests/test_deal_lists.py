"""The deal lists: every column sorts both ways (stage and round in their own order), each sort
on an index, My deals for every role, search by any part of a USCC, edit links by record."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from fundcrm import listing, migrate
from fundcrm.deals import queries
from fundcrm.models import Deal, DealMember, StageMove, Task, User
from tests import factories
from tests.conftest import post_form, sign_in

ROW_RE = re.compile(r'<td class="text-nowrap"><a href="/deals/\d+">([^<]+)</a>')


def listed(client, url: str) -> list[str]:
    """The references a list page shows, in its order."""
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return ROW_RE.findall(response.get_data(as_text=True))


@pytest.fixture
def varied(staff, dbs, make_user):
    """Five deals that differ in every column the list shows: reference → values."""
    second_owner = dbs.get(User, make_user("manager")[0])
    second_owner.name = "Aardvark 经理"
    rows = [
        # company, stage, round, proposed 万元, owner, due, updated day, created day
        ("丁企业", "ic", "b", "500", second_owner, date(2026, 3, 1), 4, 9),
        ("甲企业", "sourcing", "angel", "20", staff["manager"], None, 2, 5),
        ("丙企业", "passed", "pre_a", "3000", second_owner, date(2026, 2, 1), 5, 7),
        ("乙企业", "approved", "a", "1", staff["manager"], date(2026, 4, 1), 1, 8),
        ("戊企业", "screening", "angel", "20", staff["manager"], date(2026, 2, 1), 3, 6),
    ]
    made = {}
    for n, (name, stage, round_, wan, owner, due, updated, created) in enumerate(rows):
        company = factories.company(dbs, name, factories.make_uscc(700 + n))
        deal = factories.deal(
            dbs,
            company,
            owner,
            [(staff["angel"], str(Decimal(wan) * 10000))],
            round=round_,
            next_step="约谈" if due else None,
            next_step_due=due,
            at=datetime(2026, 1, created, 2, 0, tzinfo=UTC),
        )
        deal.stage = stage
        made[deal.deal_ref] = {
            "company": name,
            "stage": stage,
            "round": round_,
            "proposed": Decimal(wan),
            "owner": owner.name,
            "due": due,
            "updated": datetime(2026, 2, updated, tzinfo=UTC),
            "created": date(2026, 1, created),
        }
    # the fixture's own deal leaves the list: its company and values are shared elsewhere
    dbs.delete(staff["deal"])
    dbs.commit()
    for ref, values in made.items():
        dbs.execute(
            sa.update(Deal).where(Deal.deal_ref == ref).values(updated_at=values["updated"])
        )
    dbs.commit()
    return made


ORDERS = {
    "stage": ["sourcing", "screening", "approved", "ic", "passed"],
    "round": ["angel", "pre_a", "a", "b"],
}


def expected(made: dict, key: str) -> list[str]:
    """The references in ascending order of `key`, ties by creation (the id)."""
    ids = list(made)  # references were numbered in creation order

    def value(ref):
        v = made[ref].get(key, ref)
        if key in ORDERS:
            v = ORDERS[key].index(v)
        return v

    def placed(ref):  # no value (a deal without a due date): last going up, on both databases
        v = value(ref)
        return (v is None, v if v is not None else 0, ids.index(ref))

    return sorted(ids, key=placed)


@pytest.mark.parametrize(
    "key", ["ref", "company", "stage", "round", "proposed", "owner", "due", "updated", "created"]
)
def test_every_column_sorts_both_ways(client, staff, varied, key):
    sign_in(client, staff["ic_member"].id)
    ascending = [r for r in listed(client, f"/deals?sort={key}") if r in expected(varied, key)]
    descending = [r for r in listed(client, f"/deals?sort=-{key}") if r in ascending]
    assert ascending == expected(varied, key)
    assert descending == list(reversed(ascending))


def test_stage_sorts_in_pipeline_order_and_round_in_financing_order(client, staff, varied):
    sign_in(client, staff["manager"].id)
    stages = [varied[r]["stage"] for r in listed(client, "/deals?sort=stage")]
    assert stages == ["sourcing", "screening", "approved", "ic", "passed"]
    rounds = [varied[r]["round"] for r in listed(client, "/deals?sort=-round")]
    assert rounds == ["b", "a", "pre_a", "angel", "angel"]


def test_headers_toggle_the_direction_and_show_it(client, staff, varied):
    sign_in(client, staff["manager"].id)
    page = client.get("/deals?sort=-proposed&stage=ic&stage=passed").get_data(as_text=True)
    head = page.split("<thead>")[1].split("</thead>")[0]
    proposed = head.split('data-sort="proposed"')[0].rsplit("<th", 1)[1]
    assert 'aria-sort="descending"' in proposed and "sort=proposed" in proposed
    assert "▼" in head.split('data-sort="proposed"')[1].split("</a>")[0]
    # the other headers keep the filters and start in their natural direction
    assert re.search(r'href="[^"]*stage=ic&amp;stage=passed[^"]*sort=-updated', head) or re.search(
        r'href="[^"]*sort=-updated[^"]*stage=ic&amp;stage=passed', head
    )
    assert 'sort=company"' in head or "sort=company&amp;" in head
    default = client.get("/deals").get_data(as_text=True).split("</thead>")[0]
    updated = default.split('data-sort="updated"')[0].rsplit("<th", 1)[1]
    assert 'aria-sort="descending"' in updated and "sort=updated" in updated


@pytest.mark.parametrize("sort", ["price", "-price", "--ref", "stage;drop", "x" * 300])
def test_unknown_sorts_are_a_400_with_the_message(client, staff, sort):
    sign_in(client, staff["manager"].id)
    for url in ("/deals", "/deals/mine"):
        response = client.get(url, query_string={"sort": sort})
        assert response.status_code == 400
        assert "无效的排序方式" in response.get_data(as_text=True)


def test_an_empty_sort_is_the_default_order(client, staff, varied):
    sign_in(client, staff["manager"].id)
    assert listed(client, "/deals?sort=") == listed(client, "/deals?sort=-updated")


def _more_deals(dbs, staff, start: int, n: int) -> None:
    for i in range(n):
        company = factories.company(
            dbs, f"排序企业{start + i}", factories.make_uscc(9000 + start + i)
        )
        factories.deal(dbs, company, staff["manager"], [(staff["angel"], str(i + 1))])
    dbs.commit()


SORTED_URLS = [f"/deals?sort={s}" for s in queries.DEAL_SORTS] + [
    "/deals/mine?sort=-proposed&q=排序",
    "/deals?sort=owner&sub_fund=ANGEL&stage=sourcing",
]


def test_sorted_lists_run_a_fixed_number_of_statements(client, staff, dbs, count_queries):
    sign_in(client, staff["manager"].id)
    _more_deals(dbs, staff, 0, 10)
    small = {}
    for url in SORTED_URLS:
        with count_queries() as counted:
            assert client.get(url).status_code == 200
        small[url] = counted.n
    _more_deals(dbs, staff, 10, 190)
    for url in SORTED_URLS:
        with count_queries() as counted:
            assert client.get(url).status_code == 200
        assert counted.n == small[url], url


@pytest.mark.parametrize("key", ["ref", "stage", "round", "proposed", "due", "updated", "created"])
@pytest.mark.parametrize("descending", [False, True])
def test_each_sort_of_the_deals_own_columns_reads_an_index(key, descending):
    """On a schema built from the models, SQLite walks an index for the sort: no sort step."""
    engine = sa.create_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    filters = listing.ListFilters(sort=f"-{key}" if descending else key)
    statement = queries.ordered_deals(filters).limit(50)
    sql = str(statement.compile(engine, compile_kwargs={"literal_binds": True}))
    with Session(engine) as session:
        plan = " ".join(
            row[3] for row in session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
        )
    assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


def test_a_part_of_a_uscc_finds_the_companys_deals(client, staff, dbs):
    other = factories.company(dbs, "重庆别的科技有限公司", factories.make_uscc(888, area="310110"))
    factories.deal(dbs, other, staff["manager"], [(staff["angel"], "1")])
    dbs.commit()
    sign_in(client, staff["manager"].id)
    code = staff["company"].uscc
    for part in (code[6:12], code[-5:].lower(), f" {code[:4]} {code[4:9]} "):
        assert listed(client, f"/deals?q={part}") == [staff["deal"].deal_ref], part


def in_english(dbs, user: User) -> None:
    """Pages in English for the user (the messages this change adds)."""
    dbs.get(User, user.id).locale = "en"
    dbs.commit()


def test_one_character_searches_and_overlong_ones_are_refused(client, staff, dbs):
    in_english(dbs, staff["manager"])
    sign_in(client, staff["manager"].id)
    assert listed(client, "/deals?q=擎") == [staff["deal"].deal_ref]
    assert listed(client, "/deals?q=9") == [staff["deal"].deal_ref]  # every USCC here has a 9
    for url in ("/deals", "/deals/mine", "/deals/board"):
        response = client.get(url, query_string={"q": "擎" * 600})
        page = response.get_data(as_text=True)
        assert response.status_code == 400, url
        assert "Search for at most 500 characters (600 given)." in page, url
        assert staff["deal"].deal_ref not in page


def _flag(dbs, deal, **move) -> None:
    dbs.add(
        StageMove(
            deal_id=deal.id,
            from_stage="screening",
            to_stage="approved",
            by_label="risk@example.com",
            **move,
        )
    )


@pytest.fixture
def owners(staff, dbs, make_user):
    """Deals of a second manager: one with the first manager on its team, one overridden, one
    imported with a breach, one plain."""
    other = dbs.get(User, make_user("manager")[0])
    deals = {}
    for n, name in enumerate(["team", "override", "breach", "plain"]):
        company = factories.company(dbs, f"{name}公司", factories.make_uscc(600 + n))
        deals[name] = factories.deal(dbs, company, other, [(staff["angel"], "1")])
    dbs.add(DealMember(deal_id=deals["team"].id, user_id=staff["manager"].id))
    dbs.add(DealMember(deal_id=deals["team"].id, user_id=staff["ic_member"].id))
    _flag(dbs, deals["override"], override_reason="战略项目", breaches=["超出投资期"])
    _flag(dbs, deals["breach"], kind="import", breaches=["企业阶段不符"])
    _flag(dbs, deals["plain"], breaches=[])
    dbs.commit()
    return {name: deal.deal_ref for name, deal in deals.items()}


def test_my_deals_are_owned_or_team_deals(client, staff, owners):
    sign_in(client, staff["manager"].id)
    mine = listed(client, "/deals/mine")
    assert sorted(mine) == sorted([staff["deal"].deal_ref, owners["team"]])
    sign_in(client, staff["ic_member"].id)
    assert listed(client, "/deals/mine") == [owners["team"]]
    sign_in(client, staff["admin"].id)
    assert listed(client, "/deals/mine") == []


def test_risks_my_deals_are_the_breached_and_overridden_ones(client, staff, dbs, owners):
    in_english(dbs, staff["risk"])
    sign_in(client, staff["risk"].id)
    page = client.get("/deals/mine").get_data(as_text=True)
    assert sorted(ROW_RE.findall(page)) == sorted([owners["override"], owners["breach"]])
    assert "deals with a mandate breach or an override on a move" in page


def test_my_deals_take_the_lists_filters_and_sorts(client, staff, dbs, owners):
    sign_in(client, staff["manager"].id)
    dbs.get(Deal, staff["deal"].id).stage = "screening"
    dbs.commit()
    assert listed(client, "/deals/mine?stage=screening") == [staff["deal"].deal_ref]
    assert listed(client, "/deals/mine?sort=ref") == sorted(
        [staff["deal"].deal_ref, owners["team"]]
    )
    assert listed(client, "/deals/mine?sort=-ref") == sorted(
        [staff["deal"].deal_ref, owners["team"]], reverse=True
    )
    page = client.get("/deals/mine?sort=ref").get_data(as_text=True)
    assert 'href="/deals/mine?sort=-ref' in page  # the headers stay on My deals


def test_edit_shows_only_where_the_record_rule_allows(client, staff, dbs, owners):
    foreign = dbs.exec(sa.select(Deal).where(Deal.deal_ref == owners["plain"])).scalar_one()
    sign_in(client, staff["manager"].id)
    page = client.get(f"/deals/{foreign.id}").get_data(as_text=True)
    assert f"/deals/{foreign.id}/edit" not in page
    own = client.get(f"/deals/{staff['deal'].id}").get_data(as_text=True)
    assert f"/deals/{staff['deal'].id}/edit" in own
    listing = client.get("/deals").get_data(as_text=True)
    assert f"/deals/{staff['deal'].id}/edit" in listing
    assert f"/deals/{foreign.id}/edit" not in listing
    assert client.get(f"/deals/{foreign.id}/edit").status_code == 403
    before = foreign.version
    response = post_form(
        client,
        f"/deals/{foreign.id}/edit",
        {"company_uscc": staff["company"].uscc, "owner_email": staff["manager"].email},
        token_from="/deals/new",
    )
    assert response.status_code == 403
    dbs.expire_all()
    assert dbs.get(Deal, foreign.id).version == before
    sign_in(client, staff["admin"].id)
    assert f"/deals/{foreign.id}/edit" in client.get(f"/deals/{foreign.id}").get_data(as_text=True)


def test_home_tasks_show_the_company_beside_the_reference(client, staff, dbs):
    deal = staff["deal"]
    dbs.add(
        Task(
            title="准备投决材料",
            due_on=date(2026, 12, 1),
            assignee_id=staff["manager"].id,
            created_by_id=staff["manager"].id,
            deal_id=deal.id,
        )
    )
    dbs.commit()
    sign_in(client, staff["manager"].id)
    page = client.get("/").get_data(as_text=True)
    row = page.split('id="home-tasks"')[1].split("</table>")[0]
    assert deal.deal_ref in row and staff["company"].name in row
    assert "task-assignee" not in row  # the user's own tasks: no column repeating their name


def test_new_deal_form_offers_the_company_picker_without_inline_script(client, staff):
    sign_in(client, staff["manager"].id)
    page = client.get("/deals/new").get_data(as_text=True)
    assert 'id="company-picker" hidden' in page
    assert 'data-lookup-url="/companies/lookup"' in page
    assert '<script src="/static/js/company-picker.js' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)


def test_page_links_keep_every_value_of_a_repeated_filter(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    _more_deals(dbs, staff, 0, 25)  # more than a page of the test settings' 20
    page = client.get("/deals?sub_fund=ANGEL&sub_fund=INDUSTRY&sort=ref").get_data(as_text=True)
    next_link = re.search(r'href="(/deals\?[^"]*page=2[^"]*)"', page).group(1)
    assert "sub_fund=ANGEL" in next_link and "sub_fund=INDUSTRY" in next_link


def test_filter_refusals_name_the_field_as_the_filter_bar_does(client, staff):
    sign_in(client, staff["manager"].id)
    response = client.get("/deals?stage=nope&created_from=2026-13-01&sort=bogus")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "项目阶段 的代码无效：nope" in page and "stage 的" not in page
    assert "创建日期起 必须是 YYYY-MM-DD" in page and "created_from 必须是" not in page
    assert "无效的排序方式：bogus（可按 ref, company, stage" in page
    assert "共 0 条记录" not in page  # the refused list is not an empty one


def test_a_page_past_the_end_shows_the_last_page(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    _more_deals(dbs, staff, 0, 25)
    page = client.get("/deals?page=999").get_data(as_text=True)
    assert "第 2 页，共 2 页" in page and len(listed(client, "/deals?page=999")) == 26 - 20


@pytest.mark.parametrize(("sort", "joined"), [("company", "companies"), ("-owner", "users")])
def test_a_sort_by_a_joined_name_counts_the_deals_without_the_join(
    client, staff, varied, count_queries, sort, joined
):
    """The join is only for the order: counting through it scanned every deal at 100,000."""
    sign_in(client, staff["ic_member"].id)
    with count_queries() as counted:
        assert len(listed(client, f"/deals?sort={sort}")) == len(varied)
    statements = counted.statements
    counts = [s for s in statements if "count(" in s.lower() and "deals" in s]
    assert counts and not any(f"JOIN {joined}" in s for s in counts)
    assert any(f"JOIN {joined}" in s for s in statements)  # the page itself is ordered by it


def test_sqlite_keeps_statistics_of_the_lists_tables_for_its_planner(app, staff, dbs):
    """ANALYZE after upgrades and imports: without statistics SQLite sorted 100,000 deals by
    company through a scan of every deal (bench/pages.py measures the difference)."""
    if dbs.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite plans from ANALYZE's statistics; PostgreSQL keeps its own")
    _more_deals(dbs, staff, 0, 30)
    dbs.close()
    migrate.refresh_statistics(app.extensions["fundcrm.engine"])
    rows = dbs.connection().exec_driver_sql("SELECT tbl, idx, stat FROM sqlite_stat1").all()
    counted = {(tbl, idx): int(stat.split()[0]) for tbl, idx, stat in rows}
    assert counted[("deals", "ix_deals_company_id_id")] == 31
    assert counted[("companies", "ix_companies_name_id")] >= 31


def test_a_narrow_search_counts_with_its_page_in_one_statement(client, staff, dbs, count_queries):
    """Its matches are gathered from the index and sorted for any page, so the count comes
    with the page (count(*) OVER ()) instead of gathering them a second time."""
    sign_in(client, staff["manager"].id)
    _more_deals(dbs, staff, 0, 25)  # 排序企业0 … 排序企业24, 20 to a page in the tests
    with count_queries() as counted:
        first = client.get("/deals?q=排序企业").get_data(as_text=True)
    assert "共 25 条记录" in first and "第 1 页，共 2 页" in first
    on_deals = [s for s in counted.statements if "FROM deals" in s]
    gathering = [s for s in on_deals if "deals_fts" in s or "to_tsvector" in s]
    assert len(gathering) == 1 and "OVER ()" in gathering[0], gathering
    second = listed(client, "/deals?q=排序企业&page=2")
    assert len(second) == 5 and not set(second) & set(ROW_RE.findall(first))
    past_the_end = client.get("/deals?q=排序企业&page=9").get_data(as_text=True)
    assert "第 2 页，共 2 页" in past_the_end and ROW_RE.findall(past_the_end) == second
    nothing = client.get("/deals?q=没有这家企业").get_data(as_text=True)
    assert "共 0 条记录" in nothing and not ROW_RE.findall(nothing)


def test_a_company_filter_joins_the_company_and_finds_what_the_in_form_finds(
    client, staff, varied, dbs, count_queries
):
    """The list says a company filter of the joined company (so SQLite may walk a stage's
    deals in the page's order); the rows and the count are those of `company_id IN (…)`."""
    sign_in(client, staff["ic_member"].id)
    other = dbs.scalars(sa.select(Deal).where(Deal.deal_ref == next(iter(varied)))).one()
    other.company.focus_area = "large_model"
    dbs.commit()
    url = "/deals?focus_area=robot_body&focus_area=embodied_ai&sort=company"
    focus = ["robot_body", "embodied_ai"]
    filters = listing.ListFilters(values={"focus_area": focus}, sort="company")
    in_form = sa.select(Deal.deal_ref).where(*queries.deal_conditions(filters))
    expected_refs = set(dbs.scalars(in_form).all())
    assert other.deal_ref not in expected_refs
    with count_queries() as counted:
        shown = listed(client, url)
    assert set(shown) == expected_refs and expected_refs
    page = client.get(url).get_data(as_text=True)
    assert f"共 {len(expected_refs)} 条记录" in page
    counts = [s for s in counted.statements if "count(" in s.lower() and "deals" in s]
    assert len(counts) == 1 and "JOIN companies" in counts[0]
    assert not any("company_id IN (SELECT" in s for s in counted.statements)
