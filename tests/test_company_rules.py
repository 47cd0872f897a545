"""One rule, one function: each company rule runs the same input through the company form and
the companies import, and both refuse (or accept) it alike, with the same message."""

import re

import pytest
from markupsafe import escape
from sqlmodel import select

from fundcrm.cli import main
from fundcrm.models import Company
from tests import factories
from tests.conftest import post_form, sign_in

ENGLISH = {"Accept-Language": "en"}  # the import's messages are in English (FUNDCRM_CLI_LOCALE)
HEAD = "name,uscc,focus_area,enterprise_stage,zone,district\n"
CODE = factories.make_uscc(40)
PILOT = CODE[:17] + ("0" if CODE[17] != "0" else "1")  # fails the checksum
LINE = re.compile(r"^(warning: )?row (\d+), column (\w+): (.*)$", re.MULTILINE)


def web(client, user, **fields):
    """The company form posted by `user`: the response."""
    sign_in(client, user.id)
    form = {
        "name": "重庆规则机器人有限公司",
        "uscc": CODE,
        "focus_area": "embodied_ai",
        "enterprise_stage": "growth",
        "zone": "liangjiang",
        "district": "渝北区",
        **fields,
    }
    return post_form(client, "/companies/new", form, headers=ENGLISH)


def imported(app, tmp_path, *rows: str):
    """The companies import of a CSV with these rows: (exit code, {(row, column): message},
    {(row, column): warning})."""
    path = tmp_path / "companies.csv"
    path.write_text(HEAD + "".join(f"{r}\n" for r in rows), encoding="utf-8")
    result = app.test_cli_runner().invoke(main, ["import", "companies", str(path)])
    errors, warnings = {}, {}
    for warning, row, column, message in LINE.findall(result.output):
        (warnings if warning else errors)[(int(row), column)] = message
    return result.exit_code, errors, warnings


def row(name="重庆规则机器人有限公司", code=CODE, zone="liangjiang", district="渝北区"):
    return f"{name},{code},embodied_ai,growth,{zone},{district}"


def stored(dbs) -> dict[str, Company]:
    dbs.expire_all()
    return {c.uscc: c for c in dbs.exec(select(Company)).all()}


def refused_on_the_web(response, message: str) -> bool:
    return response.status_code == 200 and str(escape(message)) in response.get_data(as_text=True)


def test_normalisation_stores_the_same_code_on_both_paths(app, client, staff, dbs, tmp_path):
    typed = f" {CODE[:6].lower()} {CODE[6:12]} {CODE[12:].lower()} "
    assert web(client, staff["manager"], uscc=typed).status_code == 302
    created_on_the_web = stored(dbs)[CODE]
    assert created_on_the_web.name == "重庆规则机器人有限公司"
    dbs.delete(created_on_the_web)
    dbs.commit()
    assert imported(app, tmp_path, row(code=typed)) == (0, {}, {})
    assert CODE in stored(dbs)


@pytest.mark.parametrize(
    "code",
    [CODE[:17], CODE[:17] + "I", PILOT],
    ids=["17 characters", "a letter no USCC has", "wrong check character"],
)
def test_a_bad_code_is_refused_alike(app, client, staff, dbs, tmp_path, code):
    status, errors, _warnings = imported(app, tmp_path, row(code=code))
    assert status == 1 and list(errors) == [(2, "uscc")]
    assert refused_on_the_web(web(client, staff["manager"], uscc=code), errors[(2, "uscc")])
    assert set(stored(dbs)) == {staff["company"].uscc}


def test_a_pilot_era_code_needs_an_override_the_import_cannot_give(
    app, client, staff, dbs, tmp_path
):
    status, errors, _warnings = imported(app, tmp_path, row(code=PILOT))
    message = errors[(2, "uscc")]
    assert status == 1
    assert message.startswith(f"The check character (position 18) should be {CODE[17]}")
    reason = {"uscc": PILOT, "uscc_override_reason": "2015年试点期代码，档案已核"}
    assert refused_on_the_web(web(client, staff["manager"], **reason), message)  # no ability
    assert refused_on_the_web(web(client, staff["risk"], uscc=PILOT), message)  # no reason
    assert PILOT not in stored(dbs)
    assert web(client, staff["risk"], **reason).status_code == 302
    assert stored(dbs)[PILOT].uscc_override_by == staff["risk"].email
    # accepted once, with its reason: the import may name the company again
    assert imported(app, tmp_path, row(code=PILOT, district="江北区"))[:2] == (0, {})
    assert stored(dbs)[PILOT].district == "江北区"


def test_a_second_company_with_a_uscc_is_refused_alike(app, client, staff, dbs, tmp_path):
    """An import matches companies by USCC, so a second company with one USCC can only come in
    as a second row of the file: refused as the form refuses the second company."""
    first, second = row(name="重庆甲机器人有限公司"), row(name="重庆乙智能科技有限公司")
    status, errors, _warnings = imported(app, tmp_path, first, second)
    assert status == 1 and list(errors) == [(3, "uscc")]
    assert errors[(3, "uscc")] == "A company with this USCC already exists: 重庆甲机器人有限公司."
    assert CODE not in stored(dbs)
    assert web(client, staff["manager"], name="重庆甲机器人有限公司").status_code == 302
    response = web(client, staff["manager"], name="重庆乙智能科技有限公司")
    assert refused_on_the_web(response, errors[(3, "uscc")])
    assert [c.name for c in stored(dbs).values() if c.uscc == CODE] == ["重庆甲机器人有限公司"]


def test_a_loosely_matching_name_gets_the_same_message(app, client, staff, dbs, tmp_path):
    """The form asks to confirm and the import warns; both with the same words, and both save
    a different company once confirmed (an import confirms as it goes)."""
    similar = "擎天机器人科技（重庆）股份有限公司"  # 重庆擎天机器人科技有限公司, loosely
    asked = web(client, staff["manager"], name=similar)  # before the import adds a third name
    assert CODE not in stored(dbs)
    other = factories.make_uscc(41)
    status, errors, warnings = imported(app, tmp_path, row(name=similar, code=other))
    assert (status, errors) == (0, {})
    message = warnings[(2, "name")]
    assert staff["company"].name in message and staff["company"].uscc in message
    assert refused_on_the_web(asked, message)
    confirmed = web(client, staff["manager"], name=similar, confirm_similar="1")
    assert confirmed.status_code == 302 and {CODE, other} <= set(stored(dbs))


def test_a_district_outside_chongqing_is_refused_alike(app, client, staff, dbs, tmp_path):
    status, errors, _warnings = imported(app, tmp_path, row(zone="outside"))
    assert status == 1 and list(errors) == [(2, "district")]
    response = web(client, staff["manager"], zone="outside")
    assert refused_on_the_web(response, errors[(2, "district")])
    assert CODE not in stored(dbs)


def test_the_stored_first_field_follows_the_fields_on_every_path(app, client, staff, dbs, tmp_path):
    """The list sorts its fields column by the stored first field: the form (new and edited),
    the import (new and updated companies) and a merge keep it as the field the list shows
    first."""
    assert web(client, staff["manager"], application_fields=["medical", "home"]).status_code == 302
    company = stored(dbs)[CODE]
    assert company.application_fields == ["home", "medical"] and company.first_field == "home"
    edit = {
        "name": company.name,
        "uscc": CODE,
        "focus_area": "embodied_ai",
        "enterprise_stage": "growth",
        "zone": "liangjiang",
        "district": "渝北区",
        "application_fields": ["special", "medical"],
        "version": str(company.version),
    }
    assert post_form(client, f"/companies/{company.id}/edit", edit).status_code == 302
    assert stored(dbs)[CODE].first_field == "medical"
    edit = {**edit, "application_fields": [], "version": str(stored(dbs)[CODE].version)}
    assert post_form(client, f"/companies/{company.id}/edit", edit).status_code == 302
    assert stored(dbs)[CODE].first_field is None

    new = factories.make_uscc(42)
    path = tmp_path / "fields.csv"
    path.write_text(
        "name,uscc,focus_area,enterprise_stage,application_fields\n"
        f"重庆规则机器人有限公司,{CODE},embodied_ai,growth,humanoid;general\n"
        f"重庆导入清洁科技有限公司,{new},embodied_ai,growth,logistics;cleaning\n",
        encoding="utf-8",
    )
    result = app.test_cli_runner().invoke(main, ["import", "companies", str(path)])
    assert result.exit_code == 0, result.output
    assert stored(dbs)[CODE].first_field == "general"  # updated
    assert stored(dbs)[new].first_field == "cleaning"  # inserted in bulk

    sign_in(client, staff["admin"].id)
    merge = {"other_uscc": new, "confirm": "y"}
    assert post_form(client, f"/companies/{company.id}/merge", merge).status_code == 302
    merged = stored(dbs)[CODE]
    assert merged.application_fields == ["cleaning", "general", "humanoid", "logistics"]
    assert merged.first_field == "cleaning"
