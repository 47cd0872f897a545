"""An import with any bad row writes nothing: not its good rows' new records, not their
updates to existing ones, not an audit entry, whether run on the console or confirmed on the
web after the preview listed the error."""

import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from fundcrm.cli import main
from tests.conftest import post_form, sign_in
from tests.factories import make_uscc
from tests.world import snapshot


def tables(app) -> dict:
    state = snapshot(app)
    state.pop("files")
    return state


def files_for(kind: str, staff) -> list[list[str]]:
    """Per kind: a row updating an existing record, a row creating one, then one bad row."""
    company, deal, owner = staff["company"], staff["deal"], staff["manager"]
    return {
        "companies": [
            ["name", "uscc", "focus_area", "enterprise_stage", "description"],
            [company.name, company.uscc, "embodied_ai", "growth", "改过的简介"],
            ["重庆新导入机器人有限公司", make_uscc(801), "robot_body", "startup", ""],
            ["重庆坏行机器人有限公司", make_uscc(802), "flying", "growth", ""],
        ],
        "sub_funds": [
            ["code", "name", "target_wan", "ic_quorum"],
            ["ANGEL", "天使子基金（改名）", "120000", "2/3"],
            ["SEED", "种子子基金", "50000", "2/3"],
            ["BAD", "坏子基金", "50000", "half"],
        ],
        "commitments": [
            ["lp_name", "lp_type", "is_government", "sub_fund", "committed_wan"],
            ["重庆市产业投资母基金", "city_fof", "true", "ANGEL", "40000"],
            ["渝北区产业引导基金", "district_fof", "true", "INDUSTRY", "8000"],
            ["坏出资人", "city_fof", "true", "NOPE", "100"],
        ],
        "deals": [
            ["deal_ref", "company_uscc", "round", "sub_fund", "stage", "owner_email", "next_step"],
            [deal.deal_ref, "", "", "ANGEL", "screening", "", "补充尽调材料"],
            ["NEW-1", company.uscc, "b", "INDUSTRY", "sourcing", owner.email, ""],
            ["NEW-2", company.uscc, "b", "ANGEL", "sourcing", "nobody@example.com", ""],
        ],
    }[kind]


def as_csv(rows) -> bytes:
    return "\n".join(",".join(row) for row in rows).encode() + b"\n"


def as_xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


KINDS = ["companies", "sub_funds", "commitments", "deals"]


def run_import(app, folder, kind: str, fmt: str, rows):
    path = Path(folder) / f"data.{fmt}"
    path.write_bytes(as_csv(rows) if fmt == "csv" else as_xlsx(rows))
    return app.test_cli_runner().invoke(main, ["import", kind, str(path)])


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", KINDS)
def test_one_bad_row_and_the_console_writes_nothing(app, staff, tmp_path, kind, fmt):
    rows = files_for(kind, staff)
    before = tables(app)
    result = run_import(app, tmp_path, kind, fmt, rows)
    assert result.exit_code == 1, result.output
    assert "1 error(s): nothing was written." in result.output.splitlines()
    assert tables(app) == before
    # without the bad row the same file updates one record and creates another
    result = run_import(app, tmp_path, kind, fmt, rows[:-1])
    assert "created 1, updated 1, unchanged 0" in result.output, result.output
    assert tables(app) != before


@pytest.mark.parametrize("kind", KINDS)
def test_one_bad_row_and_a_confirmed_web_import_writes_nothing(app, client, staff, kind):
    sign_in(client, staff["manager"].id)
    before = tables(app)
    upload = {"kind": kind, "file": (io.BytesIO(as_csv(files_for(kind, staff))), "data.csv")}
    response = post_form(client, "/imports", upload, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    preview = response.location
    assert 'id="confirm-import"' not in client.get(preview).get_data(as_text=True)
    post_form(client, f"{preview}/confirm", {}, token_from=preview)  # sent anyway
    assert tables(app) == before
