"""`/api/v1/companies` under the API's conventions: a body's values have their JSON types, a
date is YYYY-MM-DD, an update cannot empty what a company requires, the list's codes are
enums and a path beyond any id is a 404 whatever the method."""

import pytest
from sqlmodel import select

from fundcrm.models import Company

COMPANY = {
    "name": "重庆智元机器人有限公司",
    "uscc": "914403001922038216",
    "focus_area": "embodied_ai",
    "enterprise_stage": "growth",
}


@pytest.mark.parametrize(
    "change, field",
    [
        ({"headcount": "5"}, "headcount"),  # a string, not a number
        ({"headcount": 5.5}, "headcount"),
        ({"headcount": True}, "headcount"),
        ({"founded_on": 0}, "founded_on"),
        ({"founded_on": "2026-13-45"}, "founded_on"),
        ({"founded_on": "20260105"}, "founded_on"),
        ({"confirm_similar": 1}, "confirm_similar"),
        ({"name": 5}, "name"),
    ],
)
def test_a_value_of_the_wrong_json_type_is_400(api_as, dbs, change, field):
    api, _user = api_as("manager")
    refused = api.post("/companies", json={**COMPANY, **change})
    assert refused.status_code == 400, refused.json
    assert refused.json["error"]["code"] == "validation_failed"
    assert field in refused.json["error"]["fields"], refused.json
    assert dbs.exec(select(Company)).all() == []


def test_a_whole_number_may_be_written_with_a_point(api_as, dbs):
    api, _user = api_as("manager")
    created = api.post(
        "/companies", json={**COMPANY, "headcount": 157.0, "founded_on": "2019-03-01"}
    )
    assert created.status_code == 201, created.json
    assert (created.json["headcount"], created.json["founded_on"]) == (157, "2019-03-01")
    assert dbs.exec(select(Company.headcount)).all() == [157]


@pytest.mark.parametrize(
    "change", [{"name": None}, {"uscc": None}, {"focus_area": None}, {"version": "1"}]
)
def test_an_update_cannot_empty_what_a_company_requires(api_as, dbs, change):
    api, _user = api_as("manager")
    company = api.post("/companies", json=COMPANY).json
    refused = api.patch(f"/companies/{company['id']}", json={"version": 1, **change})
    assert refused.status_code == 400, refused.json
    assert refused.json["error"]["fields"].keys() == change.keys()
    dbs.expire_all()
    kept = dbs.exec(select(Company)).one()
    assert (kept.name, kept.version) == (COMPANY["name"], 1)


def test_the_lists_codes_are_enums_and_a_path_beyond_any_id_is_404(api_as):
    api, _user = api_as("manager")
    api.post("/companies", json={**COMPANY, "district": "渝北区"})
    assert [c["district"] for c in api.get("/companies?district=渝北区").json["items"]] == [
        "渝北区"
    ]
    assert api.get("/companies?district=none").json["items"] == []
    assert api.get("/companies?district=%1C").status_code == 400  # a control character
    for query, field in [
        ("focus_area=nope", "focus_area.0"),
        ("sort=nope", "sort"),
        ("created_to=0", "created_to"),
    ]:
        refused = api.get(f"/companies?{query}")
        assert refused.status_code == 400, (query, refused.json)
        assert field in refused.json["error"]["fields"], (query, refused.json)
    beyond = api.patch(f"/companies/{2**31}", json={"version": 1, "headcount": 3})
    assert beyond.status_code == 404 and beyond.json["error"]["code"] == "not_found"
    put = api.call("PUT", "/companies/1")  # no such method, whatever the body
    assert put.status_code == 405 and "PATCH" in put.headers["Allow"]
