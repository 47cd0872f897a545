"""Exports: the import's columns, exact amounts, formula-safe cells, the lists' filters, and an
export that re-imports unchanged."""

import csv
import html
import io
import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import func, select
from werkzeug.datastructures import MultiDict

from fundcrm.cli import main
from fundcrm.deals.queries import DEAL_SORTS, DEFAULT_DEAL_SORT, ordered_deals
from fundcrm.imports import sheets
from fundcrm.imports.formats import KINDS
from fundcrm.imports.routes import MIME
from fundcrm.listing import parse_filters
from fundcrm.models import (
    AuditEntry,
    Company,
    CompanyKpi,
    FundExpense,
    Holding,
    LpFlow,
    Milestone,
    PortfolioTransaction,
    ValuationMark,
)
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
    ledger(dbs, staff, company)
    dbs.commit()
    return staff


def ledger(dbs, staff, company) -> None:
    """A holding with an investment (its note a formula) and a dividend, a counted mark, an LP
    call and a management fee."""
    angel = staff["angel"]
    holding = Holding(sub_fund_id=angel.id, company_id=company.id, opened_on=date(2025, 3, 1))
    dbs.add(holding)
    dbs.flush()
    dbs.add_all([
        PortfolioTransaction(holding_id=holding.id, made_on=date(2025, 3, 1), kind="investment",
                             amount_yuan=Decimal("12345678.91"), round="a",
                             equity_pct=Decimal("12.3456"),
                             post_money_yuan=Decimal("99999999.99"), note="=SUM(A1)"),
        PortfolioTransaction(holding_id=holding.id, made_on=date(2025, 9, 1), kind="dividend",
                             amount_yuan=Decimal("1.23")),
        ValuationMark(holding_id=holding.id, marked_on=date(2025, 12, 31), method="dcf",
                      fair_value_yuan=Decimal("20000000.01"), note="+估值", status="counted"),
        LpFlow(lp_id=staff["lp"].id, sub_fund_id=angel.id, flow_on=date(2025, 1, 10),
               kind="call", amount_yuan=Decimal("1000000.01")),
        FundExpense(sub_fund_id=angel.id, spent_on=date(2025, 12, 31), kind="management_fee",
                    amount_yuan=Decimal("600000.00")),
        CompanyKpi(company_id=company.id, period="2025", period_end=date(2025, 12, 31),
                   revenue_yuan=Decimal("12345678.91"), net_profit_yuan=Decimal("-100000.01"),
                   headcount=88),
        Milestone(company_id=company.id, kind="technology", title="=关键技术",
                  achieved_on=date(2025, 6, 1), evidence="-专利证书"),
    ])  # fmt: skip


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
        (["deals", "--stage", "flying"], "Unknown code for Stage: flying"),
        (["deals", "--created-from", "2026-13-01"], "Created from must be a date"),
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
    assert client.get("/exports/budgets.xlsx").status_code == 404
    assert client.get("/exports/deals.pdf").status_code == 404


# -- the company name, exports for reading, bad options ----------------------------------------


def csv_rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_a_deal_export_carries_the_company_name_and_reimports_unchanged(
    app, portfolio, dbs, tmp_path
):
    out = tmp_path / "deals.csv"
    assert run(app, "export", "deals", "--out", out).exit_code == 0
    rows = csv_rows(out.read_bytes())
    names = {r["company_uscc"]: r["company_name"] for r in rows}
    assert names[make_uscc(1)] == "重庆擎天机器人科技有限公司"
    assert names[make_uscc(50)] == "重庆50号机器人有限公司"
    entries = audit_count(dbs)
    result = run(app, "import", "deals", out)
    assert "created 0, updated 0, unchanged 2" in result.output, result.output
    assert "warning" not in result.output and audit_count(dbs) == entries


def test_the_deals_import_never_renames_a_company_from_its_name_column(
    app, portfolio, dbs, tmp_path
):
    out = tmp_path / "deals.csv"
    run(app, "export", "deals", "--out", out, "--q", "擎天")
    text = out.read_bytes().decode("utf-8-sig").replace("重庆擎天机器人科技有限公司", "别的名字")
    out.write_text(text, "utf-8")
    result = run(app, "import", "deals", out)
    assert result.exit_code == 0 and "created 0, updated 0, unchanged 1" in result.output
    assert (
        "warning: row 2, column company_name: The company with this USCC is named "
        "重庆擎天机器人科技有限公司; a deals import does not change company names." in result.output
    )
    dbs.expire_all()
    assert dbs.exec(select(Company).where(Company.uscc == make_uscc(1))).one().name == (
        "重庆擎天机器人科技有限公司"
    )


def qingtian(rows: list[dict], sub_fund_header: str, sub_fund: str) -> dict:
    return next(r for r in rows if r[sub_fund_header] == sub_fund)


def test_a_deal_export_for_reading_in_chinese(app, portfolio, tmp_path):
    out = tmp_path / "deals.csv"
    result = run(app, "export", "deals", "--out", out, "--labels", "--q", "擎天")
    assert result.exit_code == 0 and "for reading" in result.output
    rows = csv_rows(out.read_bytes())
    assert list(rows[0]) == [c.label for c in KINDS["deals"].columns]
    row = qingtian(rows, "子基金", "ANGEL 子基金")  # the sub-fund's name, not its code
    assert row["企业名称"] == "重庆擎天机器人科技有限公司"
    assert (row["项目阶段"], row["轮次"], row["项目来源"]) == ("项目储备", "A轮", "自主挖掘")
    assert row["融资金额(万元)"] == "3,000.00" and row["拟投金额(万元)"] == "1,000.00"


def test_a_deal_export_for_reading_in_english_rounds_amounts_to_wan(app, portfolio, tmp_path):
    out = tmp_path / "deals.xlsx"
    result = run(app, "export", "deals", "--out", out, "--labels", "--lang", "en")
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out)["deals"]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["Reference", "Company USCC", "Company name", "Round"]
    assert "Proposed amount (万元)" in header and "Pre-money valuation (万元)" in header
    rows = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]
    row = next(
        r
        for r in rows
        if r["Company USCC"].value == make_uscc(50) and r["Sub-fund"].value == "ANGEL 子基金"
    )
    assert (row["Stage"].value, row["Round"].value, row["Source"].value) == (
        "Sourcing",
        "Series A",
        "Own sourcing",
    )
    assert row["Proposed amount (万元)"].value == pytest.approx(1234.57)
    assert row["Proposed amount (万元)"].number_format == "#,##0.00"
    assert row["Pre-money valuation (万元)"].value == pytest.approx(12345678901.23)
    assert row["Next step"].value == "=HYPERLINK(1)" and row["Next step"].data_type == "s"


def test_commitments_and_companies_for_reading_show_labels_and_yes_no(app, portfolio, tmp_path):
    out = tmp_path / "c.csv"
    run(app, "export", "commitments", "--out", out, "--labels", "--lang", "en")
    rows = {r["LP"]: r for r in csv_rows(out.read_bytes())}
    city = rows["重庆市产业投资母基金"]
    assert (city["LP type"], city["Government LP"], city["Re-investment area"]) == (
        "City fund of funds",
        "Yes",
        "Chongqing (whole city)",
    )
    assert rows["渝创机器人集团"]["Government LP"] == "No"
    assert rows["渝创机器人集团"]["Committed (万元)"] == "1.23"
    run(app, "export", "companies", "--out", out, "--labels", "--lang", "zh")
    row = next(r for r in csv_rows(out.read_bytes()) if r["统一社会信用代码"] == make_uscc(55))
    assert row["应用领域"] == "清洁服务、居家服务" and row["企业阶段"] == "成长期"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["deals", "--labels", "--stage", "flying"], 1, "Unknown code for Stage: flying"),
        (["companies", "--labels", "--stage", "ic"], 2, "--stage does not apply to companies"),
        (["deals", "--labels", "--colour", "red"], 2, "No such option '--colour'"),
        (["deals", "--lang", "en"], 2, "--lang goes with --labels"),
        (["deals", "--labels", "--lang", "fr"], 2, "'fr' is not one of 'zh', 'en'"),
    ],
)
def test_bad_options_for_reading_are_refused(app, portfolio, tmp_path, args, code, message):
    out = tmp_path / "x.csv"
    result = run(app, "export", *args, "--out", out)
    assert result.exit_code == code and message in result.output, result.output
    assert not out.exists()


def test_the_lists_offer_an_export_for_reading_with_their_filters(client, portfolio):
    sign_in(client, portfolio["manager"].id)
    page = client.get("/deals?stage=sourcing&labels=1").get_data(as_text=True)
    assert 'id="export-deals-labels" href="/exports/deals.xlsx?labels=1&amp;stage=sourcing"' in page
    page = client.get("/companies?zone=liangjiang").get_data(as_text=True)
    assert (
        'id="export-companies-labels" href="/exports/companies.xlsx?labels=1&amp;zone=liangjiang"'
        in page
    )


@pytest.mark.parametrize(("language", "header"), [("zh-CN", "企业名称"), ("en", "Company name")])
def test_the_web_export_for_reading_follows_the_users_language(client, portfolio, language, header):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    sign_in(client, portfolio["ic_member"].id)
    response = client.get("/exports/companies.csv?labels=1&focus_area=large_model")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(f"-{language[:2]}.csv")
    rows = csv_rows(response.data)
    assert len(rows) == 3 and list(rows[0])[0] == header


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("deals.xlsx?labels=1&stage=flying", "Unknown code for Stage: flying"),
        ("deals.xlsx?labels=1&colour=red", "Unknown filter for deals: colour."),
        ("companies.csv?labels=1&stage=ic", "Unknown filter for companies: stage."),
        ("sub_funds.csv?sub_fund=ANGEL", "Unknown filter for sub_funds: sub_fund."),
        ("deals.csv?labels=yes", "labels takes the value 1"),
        ("deals.csv?labels=1&sort=sideways", "Unknown sort: sideways"),
    ],
)
def test_an_export_option_with_a_bad_filter_answers_400(client, portfolio, query, message):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in(client, portfolio["manager"].id)
    response = client.get(f"/exports/{query}")
    assert response.status_code == 400
    assert message in html.unescape(response.get_data(as_text=True))


def test_every_column_has_an_english_header_for_reading():
    missing = [f"{k.code}.{c.code}" for k in KINDS.values() for c in k.columns if not c.en]
    assert missing == []


# -- streamed, in bounded memory, in the lists' order -------------------------------------------


def _export_files(app) -> list:
    folder = Path(app.instance_path) / "exports"
    return sorted(folder.iterdir()) if folder.is_dir() else []


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_web_export_is_streamed_and_leaves_no_file(app, client, portfolio, fmt):
    sign_in(client, portfolio["manager"].id)
    response = client.get(f"/exports/deals.{fmt}?stage=sourcing")
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Type"] == MIME[fmt]
    assert response.headers["Content-Disposition"].startswith("attachment; filename=deals-")
    if fmt == "csv":
        refs = [
            r["deal_ref"] for r in csv.DictReader(io.StringIO(response.data.decode("utf-8-sig")))
        ]
    else:
        sheet = load_workbook(io.BytesIO(response.data))["deals"]
        refs = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(refs) == 4  # two deals in sourcing, a row per participating sub-fund
    assert _export_files(app) == []


def test_a_csv_export_is_sent_as_it_is_written(client, portfolio, monkeypatch):
    monkeypatch.setattr(sheets, "CHUNK_ROWS", 1)
    sign_in(client, portfolio["manager"].id)
    response = client.get("/exports/deals.csv?stage=sourcing", buffered=False)
    assert "Content-Length" not in response.headers  # not known before the end
    chunks = list(response.response)
    assert len(chunks) >= 5  # the header, then each of the four rows as it is written
    assert b"".join(chunks).decode("utf-8-sig").startswith("deal_ref,")


def test_a_client_that_stops_reading_leaves_nothing_behind(app, client, portfolio):
    sign_in(client, portfolio["manager"].id)
    response = client.get("/exports/deals.xlsx", buffered=False)
    chunks = iter(response.response)
    assert next(chunks).startswith(b"PK")  # the workbook (a zip) has begun to arrive
    assert len(_export_files(app)) == 1  # written to the instance folder, being sent
    response.close()  # the client goes away mid-download
    assert _export_files(app) == []


def test_a_leftover_export_file_is_purged(app, client, portfolio):
    """A worker killed mid-export cannot clean up: the next XLSX export removes its file."""
    folder = Path(app.instance_path) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    leftover = folder / "export-killed.xlsx"
    leftover.write_bytes(b"PK")
    os.utime(leftover, (0, 0))
    sign_in(client, portfolio["manager"].id)
    assert client.get("/exports/deals.xlsx").status_code == 200
    assert _export_files(app) == []


def test_the_command_writes_through_a_temporary_name(app, portfolio, tmp_path):
    out = tmp_path / "deals.csv"
    out.write_bytes(b"the previous export")
    result = run(app, "export", "deals", "--out", out, "--round", "z")
    assert result.exit_code != 0 and out.read_bytes() == b"the previous export"
    assert run(app, "export", "deals", "--out", out).exit_code == 0
    assert out.read_bytes().startswith("\ufeffdeal_ref,".encode())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deals.csv"]  # no part file left


@pytest.mark.parametrize("sort", ["-updated", "company", "-company", "owner", "stage", "-due"])
def test_deals_are_exported_in_the_lists_order(app, dbs, portfolio, tmp_path, sort):
    for n, name in enumerate(["乙", "甲", "丙"]):
        company = factories.company(dbs, f"{name}序科技有限公司", make_uscc(300 + n))
        funds = [(portfolio["industry"], "50"), (portfolio["angel"], None)][: n + 1]
        factories.deal(dbs, company, portfolio["admin" if n % 2 else "manager"], funds)
    dbs.commit()
    filters = parse_filters(MultiDict({"sort": sort}), dbs, DEAL_SORTS, DEFAULT_DEAL_SORT)
    listed = [d.deal_ref for d in dbs.exec(ordered_deals(filters)).all()]
    out = tmp_path / "d.csv"
    assert run(app, "export", "deals", "--out", out, "--sort", sort).exit_code == 0
    refs = [r["deal_ref"] for r in csv.DictReader(io.StringIO(out.read_text("utf-8-sig")))]
    assert list(dict.fromkeys(refs)) == listed and len(listed) == 5


def test_the_statements_of_an_export_do_not_grow_with_the_deals(
    app, client, dbs, portfolio, count_queries
):
    def add_deals(start: int, stop: int) -> None:
        for n in range(start, stop):
            company = factories.company(dbs, f"流式{n}号科技有限公司", make_uscc(200 + n))
            factories.deal(dbs, company, portfolio["manager"], [(portfolio["angel"], "100")])
        dbs.commit()

    def statements(url: str) -> tuple[int, int]:
        with count_queries() as counted:
            response = client.get(url)
            size = len(response.data)
        return counted.n, size

    sign_in(client, portfolio["manager"].id)
    urls = ["/exports/deals.csv", "/exports/deals.xlsx?labels=1", "/exports/companies.csv"]
    add_deals(0, 10)
    at_10 = [statements(url) for url in urls]
    add_deals(10, 60)
    at_60 = [statements(url) for url in urls]
    assert [n for n, _size in at_60] == [n for n, _size in at_10]
    assert all(big > small for (_n, big), (_m, small) in zip(at_60, at_10, strict=True))
