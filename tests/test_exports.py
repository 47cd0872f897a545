"""Exports: the import's columns, exact amounts, formula-safe cells, the lists' filters, and an
export that re-imports unchanged."""

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlmodel import func, select

from fundcrm.cli import main
from fundcrm.imports.formats import KINDS
from fundcrm.models import AuditEntry, Company
from tests import factories
from tests.conftest import sign_in
from tests.factories import make_uscc

TRICKY = ["=SUM(1)", "-负面", "+86 023", "@人形", "'引号开头", "普通简介"]


@pytest.fixture
def portfolio(staff, dbs):
    """The pipeline plus companies whose descriptions a spreadsheet would run as formulas, a
    deal amount exact to the fen, and LP commitments with a re-investment requirement."""
    for n, text in enumerate(TRICKY, start=50):
        factories.company(
            dbs,
            f"重庆{n}号机器人有限公司",
            make_uscc(n),
            description=text,
            application_fields=["home", "cleaning"],
            headcount=n,
            focus_area="large_model" if n % 2 else "embodied_ai",
        )
    company = dbs.exec(select(Company).where(Company.uscc == make_uscc(50))).one()
    factories.deal(
        dbs,
        company,
        staff["manager"],
        [(staff["angel"], "12345678.91"), (staff["industry"], None)],
        pre_money_yuan=Decimal("123456789012345.67"),
        next_step="=HYPERLINK(1)",
    )
    private = factories.lp(dbs, "渝创机器人集团", "industry_leader", government=False)
    factories.commitment(dbs, private, staff["industry"], "12345.67")
    dbs.commit()
    return staff


def run(app, *args):
    return app.test_cli_runner().invoke(main, [str(a) for a in args])


def audit_count(dbs) -> int:
    return dbs.exec(select(func.count()).select_from(AuditEntry)).one()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_an_export_reimports_unchanged(app, portfolio, dbs, tmp_path, kind, fmt):
    out = tmp_path / f"{kind}.{fmt}"
    result = run(app, "export", kind, "--out", out)
    assert result.exit_code == 0, result.output
    entries = audit_count(dbs)
    result = run(app, "import", kind, out)
    assert result.exit_code == 0, result.output
    assert "created 0, updated 0, unchanged" in result.output, result.output
    assert audit_count(dbs) == entries


def test_csv_is_utf8_with_bom_codes_and_protected_formulas(app, portfolio, tmp_path):
    out = tmp_path / "companies.csv"
    run(app, "export", "companies", "--out", out)
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert list(rows[0]) == [c.code for c in KINDS["companies"].columns]
    descriptions = {r["uscc"]: r["description"] for r in rows}
    assert descriptions[make_uscc(50)] == "'=SUM(1)"
    assert descriptions[make_uscc(51)] == "'-负面"
    assert descriptions[make_uscc(52)] == "'+86 023"
    assert descriptions[make_uscc(53)] == "'@人形"
    assert descriptions[make_uscc(54)] == "''引号开头"
    assert descriptions[make_uscc(55)] == "普通简介"
    assert {r["application_fields"] for r in rows if r["uscc"] != make_uscc(1)} == {"cleaning;home"}


def test_xlsx_keeps_formulas_as_text_and_amounts_exact(app, portfolio, tmp_path):
    out = tmp_path / "deals.xlsx"
    run(app, "export", "deals", "--out", out)
    sheet = load_workbook(out)["deals"]
    header = [c.value for c in sheet[1]]
    assert header == [c.code for c in KINDS["deals"].columns]
    rows = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]
    mine = [r for r in rows if r["company_uscc"].value == make_uscc(50)]
    assert {r["sub_fund"].value for r in mine} == {"ANGEL", "INDUSTRY"}
    angel = next(r for r in mine if r["sub_fund"].value == "ANGEL")
    assert angel["proposed_wan"].value == pytest.approx(1234.567891)
    assert Decimal(repr(angel["proposed_wan"].value)) == Decimal("1234.567891")
    assert angel["pre_money_wan"].value == "12345678901.234567"  # too many digits for a float
    assert angel["next_step"].value == "=HYPERLINK(1)" and angel["next_step"].data_type == "s"
    assert angel["created_on"].is_date


def test_export_options_are_the_list_filters(app, portfolio, tmp_path):
    out = tmp_path / "c.csv"
    result = run(app, "export", "companies", "--out", out, "--focus-area", "large_model")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert {r["focus_area"] for r in rows} == {"large_model"} and len(rows) == 3
    run(app, "export", "deals", "--out", out, "--sub-fund", "angel", "--q", "擎天")
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert {r["deal_ref"] for r in rows} == {portfolio["deal"].deal_ref}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["deals", "--stage", "flying"], "Unknown code for stage: flying"),
        (["deals", "--created-from", "2026-13-01"], "created_from must be a date"),
        (["commitments", "--sub-fund", "NOPE"], "Unknown sub-fund: NOPE"),
        (["companies", "--stage", "ic"], "--stage does not apply to companies"),
        (["sub_funds", "--out-format", "x"], "No such option"),
    ],
)
def test_bad_export_options_are_refused(app, portfolio, tmp_path, args, message):
    out = tmp_path / "x.xlsx"
    result = run(app, "export", *args, "--out", out)
    assert result.exit_code != 0 and message in result.output, result.output
    assert not out.exists()


def test_out_must_be_xlsx_or_csv(app, portfolio, tmp_path):
    result = run(app, "export", "deals", "--out", tmp_path / "deals.pdf")
    assert result.exit_code == 2 and "--out must end in .xlsx or .csv" in result.output


# -- web -------------------------------------------------------------------------------------


def test_the_export_buttons_carry_the_list_filters(client, portfolio):
    sign_in(client, portfolio["ic_member"].id)
    page = client.get("/deals?stage=sourcing&sub_fund=ANGEL&page=2").get_data(as_text=True)
    assert 'href="/exports/deals.xlsx?stage=sourcing&amp;sub_fund=ANGEL"' in page
    assert 'href="/exports/deals.csv?stage=sourcing&amp;sub_fund=ANGEL"' in page
    page = client.get("/companies?focus_area=large_model").get_data(as_text=True)
    assert 'href="/exports/companies.xlsx?focus_area=large_model"' in page


def test_the_viewer_sees_no_export_button(client, portfolio):
    sign_in(client, portfolio["viewer"].id)
    assert client.get("/exports/companies.csv").status_code == 403


def test_web_export_honours_the_filters(client, portfolio):
    sign_in(client, portfolio["risk"].id)
    response = client.get("/exports/companies.csv?focus_area=large_model&q=号机器人")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment; filename=companies-")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert sorted(r["uscc"] for r in rows) == [make_uscc(51), make_uscc(53), make_uscc(55)]
    response = client.get("/exports/deals.xlsx?stage=sourcing")
    sheet = load_workbook(io.BytesIO(response.data))["deals"]
    assert sheet.max_row == 1 + 2 + 2  # header, then a row per participating sub-fund


def test_a_bad_filter_answers_400_with_the_message(client, portfolio):
    sign_in(client, portfolio["manager"].id)
    response = client.get("/exports/deals.xlsx?round=z")
    assert response.status_code == 400
    assert "z" in response.get_data(as_text=True)
    assert client.get("/exports/kpis.xlsx").status_code == 404
    assert client.get("/exports/deals.pdf").status_code == 404
