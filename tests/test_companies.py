import json
import re
from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel, func, select

from fundcrm.companies.queries import company_query
from fundcrm.listing import ListFilters
from fundcrm.models import AuditEntry, Company, Contact, Deal, IcConflict
from tests import factories
from tests.conftest import csrf_token, post_form, sign_in

ENGLISH = {"Accept-Language": "en"}  # messages new in this module, before translation
NEW = {
    "name": "重庆灵犀具身智能科技有限公司",
    "uscc": factories.make_uscc(77),
    "focus_area": "embodied_ai",
    "enterprise_stage": "startup",
    "application_fields": ["humanoid", "home"],
    "zone": "science_city",
    "district": "沙坪坝区",
}


def companies(dbs):
    dbs.expire_all()
    return {c.uscc: c for c in dbs.exec(select(Company)).all()}


def create(client, headers=None, **fields):
    return post_form(client, "/companies/new", {**NEW, **fields}, headers=headers)


def test_manager_creates_a_company_with_a_chinese_name(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    response = create(client, uscc=" " + NEW["uscc"].lower()[:9] + " " + NEW["uscc"][9:])
    assert response.status_code == 302
    company = companies(dbs)[NEW["uscc"]]
    assert company.name == NEW["name"] and company.application_fields == ["home", "humanoid"]
    page = client.get(response.location).get_data(as_text=True)
    assert NEW["name"] in page and "沙坪坝区" in page


def test_wrong_check_character_is_refused_naming_the_expected_one(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    code = NEW["uscc"][:17] + ("0" if NEW["uscc"][17] != "0" else "1")
    page = create(client, uscc=code, headers=ENGLISH).get_data(as_text=True)
    assert f"The check character (position 18) should be {NEW['uscc'][17]}" in page
    assert code not in companies(dbs)


def test_pilot_code_needs_risk_or_admin_with_a_reason(client, staff, dbs):
    code = NEW["uscc"][:17] + ("0" if NEW["uscc"][17] != "0" else "1")
    sign_in(client, staff["manager"].id)
    create(client, uscc=code, uscc_override_reason="试点期代码")  # a manager cannot override
    assert code not in companies(dbs)
    sign_in(client, staff["risk"].id)
    assert create(client, uscc=code).status_code == 200  # no reason: refused
    assert (
        create(client, uscc=code, uscc_override_reason="2015年试点期代码，工商档案已核").status_code
        == 302
    )
    company = companies(dbs)[code]
    assert company.uscc_override_by == staff["risk"].email
    assert company.uscc_override_reason.startswith("2015年试点期代码")


def test_duplicate_uscc_links_to_the_existing_company(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    existing = staff["company"]
    page = create(client, uscc=existing.uscc, name="另一家公司").get_data(as_text=True)
    assert "该统一社会信用代码的企业已存在" in page
    assert f'href="/companies/{existing.id}"' in page
    assert len(companies(dbs)) == 1


def test_loosely_matching_name_shows_candidates_before_saving(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    page = create(client, name="擎天机器人科技（重庆）股份有限公司").get_data(as_text=True)
    assert "已存在名称相近的企业" in page and staff["company"].name in page
    assert len(companies(dbs)) == 1
    response = create(client, name="擎天机器人科技（重庆）股份有限公司", confirm_similar="1")
    assert response.status_code == 302 and len(companies(dbs)) == 2


def test_bad_input_is_refused_field_by_field(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    page = create(
        client, focus_area="flying_cars", founded_on="2026-02-30", headcount="-3"
    ).get_data(as_text=True)
    assert "无效的代码：flying_cars" in page and "日期" in page
    assert len(companies(dbs)) == 1


def test_stale_edit_is_refused_showing_the_other_change(app, staff, dbs):
    company = staff["company"]
    first, second = app.test_client(), app.test_client()
    sign_in(first, staff["manager"].id)
    sign_in(second, staff["admin"].id)
    form = {**NEW, "uscc": company.uscc, "name": company.name, "version": str(company.version)}
    assert (
        post_form(
            second, f"/companies/{company.id}/edit", {**form, "description": "管理员先保存的简介"}
        ).status_code
        == 302
    )
    page = post_form(
        first, f"/companies/{company.id}/edit", {**form, "description": "经理后保存的简介"}
    ).get_data(as_text=True)
    assert "其他人已保存了该记录" in page and "管理员先保存的简介" in page
    assert companies(dbs)[company.uscc].description == "管理员先保存的简介"


def test_contacts_are_added_edited_and_deleted(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    company = staff["company"]
    post_form(
        client,
        f"/companies/{company.id}/contacts",
        {"name": "李四", "title": "CTO", "wechat": "lisi_cq", "email": "lisi@example.cn"},
        token_from=f"/companies/{company.id}",
    )
    names = {c.name for c in dbs.exec(select(Contact).where(Contact.company_id == company.id))}
    assert names == {"王经理", "李四"}
    contact_id = staff["contact"].id
    post_form(
        client,
        f"/companies/{company.id}/contacts/{contact_id}/delete",
        {},
        token_from=f"/companies/{company.id}",
    )
    dbs.expire_all()
    assert dbs.get(Contact, contact_id) is None


def test_admin_merges_a_duplicate_moving_deals_and_contacts(client, staff, dbs):
    keep = staff["company"]
    other = factories.company(
        dbs, "擎天机器人科技有限公司", factories.make_uscc(2), application_fields=["medical"]
    )
    factories.contact(dbs, other, "赵六")
    moved = factories.deal(dbs, other, staff["manager"], [(staff["angel"], "5000000")])
    # the IC member's conflict with the duplicate follows it: the recusal does not lapse
    dbs.add(IcConflict(member_id=staff["ic_member"].id, company_id=other.id, reason="持股",
                       declared_on=date(2026, 1, 1)))  # fmt: skip
    dbs.commit()
    other_id, other_uscc, moved_id = other.id, other.uscc, moved.id
    sign_in(client, staff["admin"].id)
    page = client.get(f"/companies/{keep.id}/merge").get_data(as_text=True)
    assert "擎天机器人科技有限公司" in page  # offered as a similar name
    response = post_form(
        client, f"/companies/{keep.id}/merge", {"other_uscc": other_uscc, "confirm": "y"}
    )
    assert response.status_code == 302
    dbs.expunge_all()
    assert dbs.get(Company, other_id) is None
    assert dbs.get(Deal, moved_id).company_id == keep.id
    assert {c.name for c in dbs.exec(select(Contact).where(Contact.company_id == keep.id))} == {
        "王经理",
        "赵六",
    }
    assert dbs.get(Company, keep.id).application_fields == ["logistics", "medical"]
    conflicts = dbs.exec(select(IcConflict)).all()
    assert [(c.member_id, c.company_id) for c in conflicts] == [(staff["ic_member"].id, keep.id)]
    deleted = dbs.exec(
        select(AuditEntry).where(
            AuditEntry.table_name == "companies", AuditEntry.action == "delete"
        )
    ).one()
    assert deleted.actor_label == staff["admin"].email
    assert json.loads(deleted.changes)["uscc"][0] == other_uscc


def test_merge_needs_confirmation(client, staff, dbs):
    other = factories.company(dbs, "另一家", factories.make_uscc(3))
    dbs.commit()
    sign_in(client, staff["admin"].id)
    post_form(client, f"/companies/{staff['company'].id}/merge", {"other_uscc": other.uscc})
    assert dbs.exec(select(func.count()).select_from(Company)).one() == 2


def test_company_list_filters_and_search(client, staff, dbs):
    factories.company(
        dbs,
        "重庆洁宝清洁机器人有限公司",
        factories.make_uscc(4),
        focus_area="robot_body",
        application_fields=["cleaning"],
        zone="central",
        district="渝中区",
        description="商用清洁机器人",
    )
    dbs.commit()
    sign_in(client, staff["ic_member"].id)

    def names(url):
        page = client.get(url).get_data(as_text=True)
        return {n for n in ("擎天", "洁宝") if n in page}

    assert names("/companies") == {"擎天", "洁宝"}
    assert names("/companies?application_fields=cleaning") == {"洁宝"}
    assert names("/companies?focus_area=embodied_ai&zone=liangjiang") == {"擎天"}
    assert names("/companies?q=清洁") == {"洁宝"}
    assert names(f"/companies?q={factories.make_uscc(1).lower()}") == {"擎天"}
    response = client.get("/companies?zone=mars")
    assert response.status_code == 400 and "产业集聚区 的代码无效：mars" in response.get_data(
        as_text=True
    )


def test_an_accepted_pilot_code_stays_accepted_when_a_manager_edits(client, staff, dbs):
    code = NEW["uscc"][:17] + ("0" if NEW["uscc"][17] != "0" else "1")
    sign_in(client, staff["risk"].id)
    assert create(client, uscc=code, uscc_override_reason="   ").status_code == 200  # blank
    create(client, uscc=code, uscc_override_reason="试点期代码，档案已核")
    company = companies(dbs)[code]
    sign_in(client, staff["manager"].id)
    form = {**NEW, "uscc": code, "version": str(company.version), "description": "经理补充简介"}
    assert post_form(client, f"/companies/{company.id}/edit", form).status_code == 302
    company = companies(dbs)[code]
    assert company.description == "经理补充简介"
    assert company.uscc_override_by == staff["risk"].email


def test_a_contact_in_logged_activities_is_kept(client, staff, dbs):
    from fundcrm.models import Activity
    from fundcrm.workspace import services as work

    work.save_activity(
        dbs,
        Activity(company_id=0, kind="", summary=""),
        {
            "company_id": staff["company"].id,
            "deal_id": None,
            "kind": "call",
            "occurred_on": NEW.get("founded_on") or __import__("datetime").date(2026, 1, 2),
            "summary": "电话",
            "user_ids": [],
            "contact_ids": [staff["contact"].id],
        },
        None,
    )
    dbs.commit()
    sign_in(client, staff["manager"].id)
    company_id, contact_id = staff["company"].id, staff["contact"].id
    page = post_form(
        client,
        f"/companies/{company_id}/contacts/{contact_id}/delete",
        {},
        token_from=f"/companies/{company_id}",
        follow_redirects=True,
    )
    assert "该联系人参与过已记录的活动" in page.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(Contact, contact_id) is not None


def test_headcount_and_location_are_checked(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    page = create(client, headcount="99999999999999999999").get_data(as_text=True)
    assert "请输入 0 到 10,000,000 之间的整数" in page
    page = create(client, zone="outside", district="渝北区").get_data(as_text=True)
    assert "重庆市外的企业不应填写重庆区县" in page
    assert len(companies(dbs)) == 1


def test_a_refused_contact_keeps_what_was_typed(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    company_id = staff["company"].id
    response = post_form(
        client,
        f"/companies/{company_id}/contacts",
        {"name": "李四", "title": "CTO", "email": "not-an-email"},
        token_from=f"/companies/{company_id}",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'value="李四"' in page and 'value="CTO"' in page
    assert "无效的 Email 地址" in page
    assert {c.name for c in dbs.exec(select(Contact))} == {"王经理"}


@pytest.mark.parametrize("version", [None, "", "2x"])
def test_an_edit_without_a_valid_version_is_refused(client, staff, dbs, version):
    sign_in(client, staff["manager"].id)
    company = staff["company"]
    url = f"/companies/{company.id}/edit"
    form = {**NEW, "uscc": company.uscc, "name": company.name, "description": "新简介"}
    data = {**form, "version": version, "csrf_token": csrf_token(client, url)}
    if version is None:  # the field left out of the post altogether
        del data["version"]
    page = client.post(url, data=data, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "reload the page and make the change again" in page.get_data(as_text=True)
    assert companies(dbs)[company.uscc].description != "新简介"


# -- the company picker's lookup ------------------------------------------------------------


def lookup(client, q, headers=None):
    return client.get("/companies/lookup", query_string={"q": q}, headers=headers)


def test_lookup_finds_a_company_by_part_of_its_name_or_uscc(client, staff, dbs):
    robot = staff["company"]  # 重庆擎天机器人科技有限公司
    sign_in(client, staff["ic_member"].id)
    middle = robot.uscc[5:12].lower()
    spaced = f" {middle[:3]} {middle[3:]} "
    for q in ("擎天", "机器人科技", spaced, robot.uscc):
        response = lookup(client, q)
        assert response.status_code == 200, q
        assert response.get_json() == {
            "companies": [
                {"id": robot.id, "name": robot.name, "uscc": robot.uscc, "district": "渝北区"}
            ]
        }, q
    assert lookup(client, "洁宝").get_json() == {"companies": []}
    english = lookup(client, "擎天", headers=ENGLISH).get_json()["companies"][0]
    assert english["district"] == "Yubei District"


def test_lookup_lists_the_exact_uscc_then_name_prefixes_then_the_rest(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    # "擎天" inside the name; a name starting with it; a USCC holding the exact code searched
    inside = staff["company"]
    prefix = factories.company(dbs, "擎天智能装备有限公司", factories.make_uscc(2))
    exact = factories.company(dbs, "两江擎天科技有限公司", factories.make_uscc(3))
    dbs.commit()
    names = [c["name"] for c in lookup(client, "擎天").get_json()["companies"]]
    assert names == [prefix.name, exact.name, inside.name]  # prefix, then by name
    found = lookup(client, exact.uscc.lower()).get_json()["companies"]
    assert [c["id"] for c in found] == [exact.id]
    # a part of the USCC all three share: the exact code is none of theirs, names decide
    shared = factories.make_uscc(1)[2:8]
    assert {c["id"] for c in lookup(client, shared).get_json()["companies"]} == {
        inside.id,
        prefix.id,
        exact.id,
    }


def test_lookup_gives_at_most_ten_in_a_fixed_number_of_statements(
    client, staff, dbs, count_queries
):
    sign_in(client, staff["manager"].id)
    with count_queries() as one:
        assert len(lookup(client, "擎天").get_json()["companies"]) == 1
    for i in range(12):
        factories.company(dbs, f"重庆擎天分公司{i:02d}", factories.make_uscc(100 + i))
    dbs.commit()
    with count_queries() as many:
        found = lookup(client, "擎天").get_json()["companies"]
    assert len(found) == 10
    assert one.n == many.n


@pytest.mark.parametrize("q", ["", "擎", "  擎  ", "a", "擎" * 101, "9" * 200])
def test_lookup_refuses_a_search_too_short_or_too_long(client, staff, q):
    sign_in(client, staff["manager"].id)
    response = lookup(client, q, headers=ENGLISH)
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "Type 2 to 100 characters of the company's name or USCC."
    }


def test_lookup_is_for_staff_who_read_the_pipeline(client, staff):
    sign_in(client, staff["viewer"].id)
    assert lookup(client, "擎天").status_code == 403


# -- the company list: partial USCC, sorts ------------------------------------------------


def test_part_of_a_uscc_finds_the_company_in_the_list(client, staff, dbs):
    other = factories.company(dbs, "重庆洁宝清洁机器人有限公司", factories.make_uscc(4, "500103"))
    dbs.commit()
    sign_in(client, staff["ic_member"].id)
    part = other.uscc[2:8]  # the area code only this one has
    spaced = f"{part[:3].lower()} {part[3:]}"
    page = client.get("/companies", query_string={"q": spaced}).get_data(as_text=True)
    assert other.name in page and staff["company"].name not in page


def _list_names(client, sort):
    page = client.get("/companies", query_string={"sort": sort, "q": "排序"})
    assert page.status_code == 200, sort
    text = page.get_data(as_text=True)
    rows = text.split('id="companies-table"')[1].split("</tbody>")[0]
    return [n for n in re.findall(r'/companies/\d+">([^<]+)</a>', rows)]


SORTED = {  # company name → its values in the list's columns (`q=排序` leaves the others out)
    "甲": dict(uscc=3, focus_area="robot_body", enterprise_stage="growth", zone="central",
               district="渝中区", application_fields=["logistics", "medical"]),
    "乙": dict(uscc=1, focus_area="embodied_ai", enterprise_stage="startup", zone=None,
               district=None, city="成都", application_fields=["cleaning"]),
    "丙": dict(uscc=2, focus_area="large_model", enterprise_stage="mature", zone="liangjiang",
               district="渝北区", application_fields=[]),
}  # fmt: skip


@pytest.mark.parametrize(
    ("key", "ascending"),
    [
        ("name", ["丙", "乙", "甲"]),  # by the code points of the names
        ("uscc", ["乙", "丙", "甲"]),
        ("focus_area", ["乙", "丙", "甲"]),  # embodied_ai, large_model, robot_body
        ("enterprise_stage", ["甲", "丙", "乙"]),  # growth, mature, startup
        ("application_fields", ["乙", "甲", "丙"]),  # cleaning, logistics, none last
        ("zone", ["甲", "丙", "乙"]),  # central, liangjiang, none last
        ("district", ["甲", "丙", "乙"]),  # by code, none last
        ("created", ["甲", "乙", "丙"]),
    ],
)
def test_the_list_sorts_by_every_column_both_ways(client, staff, dbs, key, ascending):
    from datetime import timedelta

    from fundcrm.models import utcnow

    now = utcnow()
    for i, (name, values) in enumerate(SORTED.items()):
        values = dict(values)
        code = factories.make_uscc(10 + values.pop("uscc"))
        company = factories.company(dbs, f"排序{name}公司", code, **values)
        company.created_at = now - timedelta(days=10 - i)
    dbs.commit()
    sign_in(client, staff["manager"].id)
    expected = [f"排序{n}公司" for n in ascending]
    assert _list_names(client, key) == expected
    assert _list_names(client, f"-{key}") == expected[::-1]


def test_the_newest_companies_come_first_by_default(client, staff, dbs):
    factories.company(dbs, "重庆新来的科技有限公司", factories.make_uscc(9))
    dbs.commit()
    sign_in(client, staff["manager"].id)
    page = client.get("/companies").get_data(as_text=True)
    assert page.index("重庆新来的科技有限公司") < page.index(staff["company"].name)


def test_an_unknown_sort_is_a_400_with_the_message(client, staff):
    sign_in(client, staff["manager"].id)
    response = client.get("/companies?sort=headcount")
    assert response.status_code == 400
    assert "headcount" in response.get_data(as_text=True)


def test_every_sort_of_the_list_has_its_index():
    from fundcrm.companies.queries import COMPANY_SORTS

    indexed = {tuple(c.name for c in index.columns) for index in Company.__table__.indexes}
    unique = {tuple(c.name for c in u.columns) for u in Company.__table__.constraints}
    for key, order in COMPANY_SORTS.items():
        column = key.removeprefix("-")
        if column == "application_fields":
            # the stored first field, without one last going up (an index on an expression)
            assert "ix_companies_first_field_id" in {i.name for i in Company.__table__.indexes}
            assert len(order) == 3
            continue
        name = "created_at" if column == "created" else column
        assert (name, "id") in indexed or (name,) in unique, key
        assert len(order) == 2  # the column, then the id the same way


FIELD_SETS = {  # company name → its application fields; the list shows the first by code first
    "子": ["medical", "home"],  # home
    "丑": ["humanoid"],
    "寅": [],  # none: last going up
    "卯": ["special", "home"],  # home again: the older company first going up
    "辰": ["general", "cleaning"],  # cleaning
}


def test_the_fields_sort_follows_the_first_field_the_list_shows(client, staff, dbs):
    for i, (name, fields) in enumerate(FIELD_SETS.items()):
        factories.company(
            dbs, f"排序{name}公司", factories.make_uscc(30 + i), application_fields=fields
        )
    dbs.commit()
    sign_in(client, staff["manager"].id)
    ascending = [f"排序{n}公司" for n in ("辰", "子", "卯", "丑", "寅")]
    assert _list_names(client, "application_fields") == ascending
    assert _list_names(client, "-application_fields") == ascending[::-1]
    stored = {c.name: c for c in companies(dbs).values()}
    for name in ascending:
        fields = stored[name].application_fields
        assert stored[name].first_field == (fields[0] if fields else None)


@pytest.mark.parametrize("sort", ["application_fields", "-application_fields"])
def test_the_fields_sort_reads_an_index(sort):
    """On a schema built from the models, SQLite walks an index for the sort: no sort step."""
    engine = sa.create_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    statement = company_query(ListFilters(sort=sort)).limit(50)
    sql = str(statement.compile(engine, compile_kwargs={"literal_binds": True}))
    with Session(engine) as session:
        rows = session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
        plan = " ".join(row[3] for row in rows)
    assert "ix_companies_first_field_id" in plan, plan
    assert "TEMP B-TREE" not in plan, plan
