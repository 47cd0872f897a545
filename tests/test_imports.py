"""`fundcrm import`: every rule of DOMAIN.md section 9, as an operator sees it on the console."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlmodel import func, select

from fundcrm.cli import main
from fundcrm.models import (
    AuditEntry,
    Commitment,
    Company,
    Deal,
    DealSubFund,
    LimitedPartner,
    StageMove,
    SubFund,
)
from tests import factories
from tests.factories import make_uscc

DATA = Path(__file__).parent / "data"
BAD = DATA / "bad"
COMPANY_HEAD = "name,uscc,focus_area,enterprise_stage,application_fields,description\n"


def run(app, *args):
    return app.test_cli_runner().invoke(main, [str(a) for a in args])


def write(tmp_path, name: str, text: str, encoding="utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def companies(dbs) -> dict[str, Company]:
    dbs.expire_all()
    return {c.uscc: c for c in dbs.exec(select(Company)).all()}


def count(dbs, model) -> int:
    dbs.expire_all()
    return dbs.exec(select(func.count()).select_from(model)).one()


def audit_count(dbs) -> int:
    return count(dbs, AuditEntry)


# -- companies ------------------------------------------------------------------------------


def test_gb18030_csv_with_chinese_headers_imports_every_column(app, dbs):
    result = run(app, "import", "companies", DATA / "companies_gb18030.csv")
    assert result.exit_code == 0, result.output
    assert "created 3, updated 0, unchanged 0" in result.output
    found = companies(dbs)
    yunfan = found[make_uscc(101)]
    assert yunfan.name == "重庆云帆具身智能科技有限公司" and yunfan.name_en == "Yunfan Embodied AI"
    assert (yunfan.district, yunfan.zone, yunfan.focus_area) == (
        "渝北区",
        "liangjiang",
        "embodied_ai",
    )
    assert yunfan.application_fields == ["logistics", "medical"]  # labels, split on ；
    assert (yunfan.enterprise_stage, yunfan.specialized_level) == ("growth", "province")
    assert yunfan.founded_on == date(2019, 5, 20) and yunfan.headcount == 230
    assert yunfan.description == "=SUM(1)"  # the protecting ' is dropped
    shenzhen = found[make_uscc(102, "440300")]
    assert shenzhen.city == "深圳" and shenzhen.zone == "outside" and shenzhen.district is None
    assert shenzhen.application_fields == ["cleaning", "home"]
    assert shenzhen.description == "-负面舆情已核实"
    assert found[make_uscc(103)].founded_on is None  # blank: no value


def test_reimporting_the_same_file_changes_nothing(app, dbs):
    assert run(app, "import", "companies", DATA / "companies_gb18030.csv").exit_code == 0
    versions = {c.uscc: c.version for c in companies(dbs).values()}
    entries = audit_count(dbs)
    result = run(app, "import", "companies", DATA / "companies_gb18030.csv")
    assert result.exit_code == 0
    assert "created 0, updated 0, unchanged 3" in result.output
    assert {c.uscc: c.version for c in companies(dbs).values()} == versions
    assert audit_count(dbs) == entries


def test_utf8_with_and_without_bom_read_alike(app, dbs, tmp_path):
    text = COMPANY_HEAD + f"重庆甲机器人有限公司,{make_uscc(11)},embodied_ai,growth,,\n"
    with_bom = tmp_path / "bom.csv"
    with_bom.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert run(app, "import", "companies", with_bom).exit_code == 0
    result = run(app, "import", "companies", write(tmp_path, "plain.csv", text))
    assert "created 0, updated 0, unchanged 1" in result.output
    assert companies(dbs)[make_uscc(11)].name == "重庆甲机器人有限公司"


def test_blank_cell_leaves_an_existing_value_unchanged(app, dbs, tmp_path):
    first = COMPANY_HEAD + f"重庆甲机器人有限公司,{make_uscc(12)},embodied_ai,growth,home,原简介\n"
    run(app, "import", "companies", write(tmp_path, "a.csv", first))
    second = COMPANY_HEAD + f"重庆甲机器人股份有限公司,{make_uscc(12)},,mature,,\n"
    result = run(app, "import", "companies", write(tmp_path, "b.csv", second))
    assert "created 0, updated 1, unchanged 0" in result.output, result.output
    company = companies(dbs)[make_uscc(12)]
    assert company.name == "重庆甲机器人股份有限公司" and company.enterprise_stage == "mature"
    assert company.description == "原简介" and company.application_fields == ["home"]
    assert company.focus_area == "embodied_ai" and company.version == 2


def test_a_new_record_needs_its_required_values(app, dbs, tmp_path):
    text = COMPANY_HEAD + f"重庆甲机器人有限公司,{make_uscc(13)},,growth,,\n"
    result = run(app, "import", "companies", write(tmp_path, "a.csv", text))
    assert result.exit_code == 1
    assert "row 2, column focus_area: A new record needs a value here." in result.output
    assert companies(dbs) == {}


def test_every_invalid_row_is_reported_and_nothing_is_written(app, dbs, tmp_path):
    text = (
        COMPANY_HEAD
        + f"重庆好机器人有限公司,{make_uscc(14)},embodied_ai,growth,,\n"
        + f"重庆坏机器人有限公司,{make_uscc(15)},flying,growth,,\n"
        + "\n"  # a blank row keeps its number
        + f"重庆差机器人有限公司,{make_uscc(16)},large_model,teen,moon;home,\n"
    )
    result = run(app, "import", "companies", write(tmp_path, "a.csv", text))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "row 3, column focus_area: Unknown code: flying" in lines
    assert "row 5, column enterprise_stage: Unknown code: teen" in lines
    assert "row 5, column application_fields: Unknown code: moon" in lines
    assert "3 error(s): nothing was written." in lines
    assert companies(dbs) == {} and audit_count(dbs) == 0


def test_a_loosely_matching_name_is_a_warning_not_an_error(app, staff, dbs, tmp_path):
    text = (
        COMPANY_HEAD + f"擎天机器人科技（重庆）股份有限公司,{make_uscc(17)},embodied_ai,growth,,\n"
    )
    result = run(app, "import", "companies", write(tmp_path, "a.csv", text))
    assert result.exit_code == 0, result.output
    assert (
        "warning: row 2, column name: The name is close to that of 重庆擎天机器人科技有限公司"
        in result.output
    )
    assert make_uscc(17) in companies(dbs)


def test_a_pilot_era_code_is_refused_without_override(app, dbs, tmp_path):
    code = make_uscc(18)
    pilot = code[:17] + ("0" if code[17] != "0" else "1")
    text = COMPANY_HEAD + f"重庆试点机器人有限公司,{pilot.lower()},embodied_ai,growth,,\n"
    result = run(app, "import", "companies", write(tmp_path, "a.csv", text))
    assert result.exit_code == 1
    assert (
        f"row 2, column uscc: The check character (position 18) should be {code[17]}, "
        f"not {pilot[17]}. An early pilot-era code is accepted only in the company form, with "
        "an override reason from risk or an administrator." in result.output
    )


def test_an_existing_company_is_found_by_its_normalised_uscc(app, staff, dbs, tmp_path):
    code = staff["company"].uscc
    spaced = f" {code[:9].lower()} {code[9:]} "
    text = COMPANY_HEAD + f"{staff['company'].name},{spaced},,,,新的简介\n"
    result = run(app, "import", "companies", write(tmp_path, "a.csv", text))
    assert "created 0, updated 1, unchanged 0" in result.output, result.output
    assert companies(dbs)[code].description == "新的简介"


def test_xlsx_sheet_named_after_the_kind_with_typed_cells(app, dbs):
    result = run(app, "import", "companies", DATA / "companies.xlsx")
    assert result.exit_code == 0, result.output
    found = companies(dbs)
    dream = found[make_uscc(201)]
    assert dream.founded_on == date(2020, 1, 15) and dream.headcount == 42
    assert dream.application_fields == ["home", "humanoid"] and dream.description == "@人形机器人"
    assert (
        found[make_uscc(202)].headcount == 310 and found[make_uscc(202)].focus_area == "robot_body"
    )


def test_xlsx_numbers_become_exact_amounts_and_uscc_stays_text(app, dbs, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["code", "name", "target_wan", "project_cap_pct", "first_close"])
    sheet.append(["exact", "精确基金", 12345.678901, 12.5, date(2026, 1, 31)])
    sheet.append(["BIG", "大额基金", 98765432.1, 20, None])
    workbook.save(tmp_path / "funds.xlsx")
    result = run(app, "import", "sub_funds", tmp_path / "funds.xlsx")
    assert result.exit_code == 0, result.output
    funds = {f.code: f for f in dbs.exec(select(SubFund)).all()}
    assert funds["EXACT"].target_yuan == Decimal("123456789.01")
    assert funds["EXACT"].project_cap_pct == Decimal("12.5")
    assert funds["EXACT"].first_close == date(2026, 1, 31)
    assert funds["BIG"].target_yuan == Decimal("987654321000.00")


def test_a_uscc_stored_as_a_number_is_refused_with_the_reason(app, dbs, tmp_path):
    workbook = Workbook()
    workbook.active.append(["name", "uscc", "focus_area", "enterprise_stage"])
    workbook.active.append(["重庆数字机器人有限公司", 9.15001120000002e17, "embodied_ai", "growth"])
    workbook.save(tmp_path / "numeric.xlsx")
    result = run(app, "import", "companies", tmp_path / "numeric.xlsx")
    assert result.exit_code == 1
    assert "format the cell as text" in result.output


def test_columns_by_code_or_label_and_unknown_columns(app, dbs, tmp_path):
    text = "企业名称,USCC,重点方向,enterprise_stage,颜色\n"
    text += f"重庆甲有限公司,{make_uscc(19)},大模型,growth,红\n"
    result = run(app, "import", "companies", write(tmp_path, "a.csv", text))
    assert result.exit_code == 1
    assert "row 1, column 颜色: Unknown column. The columns are: name, uscc," in result.output
    text = "name,name,uscc,focus_area,enterprise_stage\n"
    result = run(app, "import", "companies", write(tmp_path, "b.csv", text + "a,a,b,c,d\n"))
    assert "row 1, column name: This column appears twice." in result.output


def test_bulk_created_companies_are_audited_as_the_form_audits_them(app, dbs, tmp_path):
    import json

    factories.company(dbs, "重庆表单机器人有限公司", make_uscc(70), description="简介")
    dbs.commit()
    text = "name,uscc,focus_area,enterprise_stage,application_fields,zone,district,description\n"
    text += f"重庆导入机器人有限公司,{make_uscc(71)},embodied_ai,growth,logistics,"
    text += "liangjiang,渝北区,简介\n"
    assert run(app, "import", "companies", write(tmp_path, "a.csv", text)).exit_code == 0
    found = companies(dbs)
    by_form, imported = found[make_uscc(70)], found[make_uscc(71)]

    def entry(table, row_id):
        record = dbs.exec(
            select(AuditEntry).where(AuditEntry.table_name == table, AuditEntry.row_id == row_id)
        ).one()
        assert record.action == "create"
        return json.loads(record.changes)

    form = entry("companies", str(by_form.id))
    bulk = entry("companies", str(imported.id))
    assert form.keys() == bulk.keys()
    differ = {"id", "name", "name_key", "uscc", "created_at", "search_tokens"}  # tokens: of name
    assert {k: v for k, v in form.items() if k not in differ} == {
        k: v for k, v in bulk.items() if k not in differ
    }
    assert bulk["created_at"][1].endswith("+00:00") and form["created_at"][1].endswith("+00:00")
    assert entry("company_fields", f"{imported.id}/logistics") == {
        "company_id": [None, imported.id],
        "field": [None, "logistics"],
    }


# -- the bad-input corpus ------------------------------------------------------------------------

CORPUS = [
    (
        "missing_required_column.csv",
        "companies",
        "row 1, column uscc: A required column is missing: uscc (统一社会信用代码).",
    ),
    (
        "unknown_vocabulary_code.csv",
        "companies",
        "row 2, column focus_area: Unknown code: flying_cars",
    ),
    (
        "bad_date.csv",
        "companies",
        "row 2, column founded_on: Write a date as YYYY-MM-DD, e.g. 2026-03-31.",
    ),
    (
        "negative_amount.csv",
        "sub_funds",
        "row 2, column target_wan: Amounts are positive: the type gives the direction.",
    ),
    (
        "too_many_decimals.csv",
        "sub_funds",
        "row 2, column target_wan: At most 6 decimals in 万元 (one fen).",
    ),
    ("invalid_uscc.csv", "companies", "row 2, column uscc: The check character (position 18)"),
    (
        "duplicate_uscc.csv",
        "companies",
        "row 3, column uscc: A company with this USCC already exists: 重庆甲机器人有限公司.",
    ),
    ("undecodable.csv", "companies", "The text cannot be read as UTF-8 or GB18030/GBK."),
    ("empty.csv", "companies", "The file is empty."),
    ("no_data_sheet.xlsx", "companies", "The sheet “Sheet1” has no data"),
    ("png_renamed.csv", "companies", "This file's content is not CSV text (it looks like PNG)."),
    ("unknown_owner.csv", "deals", "row 2, column owner_email: No user has the email nobody@"),
]


@pytest.mark.parametrize(("name", "kind", "message"), CORPUS, ids=[c[0] for c in CORPUS])
def test_bad_input_is_refused_with_a_clear_message(app, staff, dbs, name, kind, message):
    before = {model: count(dbs, model) for model in (Company, SubFund, Deal, AuditEntry)}
    result = run(app, "import", kind, BAD / name)
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "nothing was written" in result.output
    assert {model: count(dbs, model) for model in before} == before


def test_the_corpus_has_a_file_for_every_case():
    expected = {c[0] for c in CORPUS} | {"path_in_name.csv"}
    assert {p.name for p in BAD.iterdir()} == expected


# -- options -------------------------------------------------------------------------------------


def test_dry_run_reports_and_writes_nothing(app, dbs):
    result = run(app, "import", "companies", DATA / "companies_gb18030.csv", "--dry-run")
    assert result.exit_code == 0
    assert "Dry run, nothing written: would be created 3, updated 0, unchanged 0." in result.output
    assert companies(dbs) == {} and audit_count(dbs) == 0


def test_changes_are_audited_as_the_as_user_or_cli(app, make_user, dbs, tmp_path):
    make_user("manager", email="li.xiang@example.com")
    run(app, "import", "companies", DATA / "companies_gb18030.csv", "--as", "Li.Xiang@example.com")
    labels = set(
        dbs.exec(select(AuditEntry.actor_label).where(AuditEntry.table_name == "companies")).all()
    )
    assert labels == {"li.xiang@example.com"}
    text = COMPANY_HEAD + f"重庆甲机器人有限公司,{make_uscc(20)},embodied_ai,growth,,\n"
    run(app, "import", "companies", write(tmp_path, "a.csv", text))
    company = companies(dbs)[make_uscc(20)]
    entry = dbs.exec(
        select(AuditEntry).where(
            AuditEntry.table_name == "companies", AuditEntry.row_id == str(company.id)
        )
    ).one()
    assert entry.actor_label == "cli" and entry.action == "create"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", "budgets", "x.csv"], "Invalid value for 'KIND'"),
        (["import", "companies", "/no/such/file.csv"], "does not exist"),
        (["import", "companies", DATA / "companies.xlsx", "--as", "ghost@example.com"], "ghost"),
        (["import", "companies", DATA / "companies.xlsx", "--as", "off@example.com"], "off@"),
    ],
)
def test_bad_command_lines_are_refused(app, make_user, dbs, args, message):
    make_user("manager", email="off@example.com", active=False)
    result = run(app, *args)
    assert result.exit_code not in (0, None) and message in result.output, result.output
    assert companies(dbs) == {}


def test_a_file_without_data_rows_is_refused(app, dbs, tmp_path):
    result = run(app, "import", "companies", write(tmp_path, "a.csv", COMPANY_HEAD))
    assert result.exit_code == 1 and "a header row but no data rows" in result.output


def test_existing_records_are_fetched_in_bulk(app, staff, dbs, tmp_path):
    """The queries that read do not grow with the rows (inserts are the ORM's business)."""
    from sqlalchemy import event

    engine = app.extensions["fundcrm.engine"]

    def selects(first: int, n: int) -> int:
        rows = "".join(
            f"重庆{i}号机器人有限公司,{make_uscc(first + i)},embodied_ai,growth,home;medical,\n"
            for i in range(n)
        )
        path = write(tmp_path, f"{first}.csv", COMPANY_HEAD + rows)
        found = []

        def keep(_conn, _cursor, statement, *_args):
            found.append(statement.lstrip().upper().startswith("SELECT"))

        event.listen(engine, "before_cursor_execute", keep)
        try:
            assert run(app, "import", "companies", path).exit_code == 0
            assert run(app, "import", "companies", path).exit_code == 0  # all existing now
        finally:
            event.remove(engine, "before_cursor_execute", keep)
        return sum(found)

    assert selects(1000, 300) == selects(5000, 30)


# -- sub-funds and commitments -------------------------------------------------------------------


def test_sub_funds_are_created_with_the_settings_defaults_and_updated(app, dbs, tmp_path):
    text = (
        "代码,子基金名称,目标规模（万元）,可投企业阶段,投资方向,首次交割日,投资期截止日\n"
        "seed,种子基金,20000,初创期；成长期,large_model;embodied_ai,2026-01-01,2030-12-31\n"
    )
    assert run(app, "import", "sub_funds", write(tmp_path, "a.csv", text)).exit_code == 0
    fund = dbs.exec(select(SubFund).where(SubFund.code == "SEED")).one()
    assert fund.target_yuan == Decimal("200000000.00")
    assert fund.allowed_stages == ["startup", "growth"]
    assert fund.project_cap_pct == Decimal(app.config["DEFAULT_PROJECT_CAP_PCT"])
    assert fund.ic_quorum == app.config["DEFAULT_IC_QUORUM"]
    text = "code,name,target_wan,ic_threshold\nSEED,,25000.5,60%\n"
    result = run(app, "import", "sub_funds", write(tmp_path, "b.csv", text))
    assert "created 0, updated 1, unchanged 0" in result.output
    dbs.expire_all()
    fund = dbs.get(SubFund, fund.id)
    assert fund.name == "种子基金" and fund.target_yuan == Decimal("250005000.00")
    assert fund.ic_threshold == "60%"


def test_sub_fund_rules_are_checked_row_by_row(app, dbs, tmp_path):
    text = (
        "code,name,target_wan,first_close,investment_end,ic_quorum\n"
        "A1,甲,100,2026-01-01,2025-01-01,2/3\n"
        "A2,乙,100,,,half\n"
        "a1,丙,100,,,\n"
    )
    result = run(app, "import", "sub_funds", write(tmp_path, "a.csv", text))
    assert result.exit_code == 1
    assert (
        "row 2, column investment_end: Dates must run first close ≤ investment period end ≤ "
        "term end." in result.output
    )
    assert "row 3, column ic_quorum: Write a fraction such as 2/3" in result.output
    assert "row 4, column code: A1 appears twice in the file: rows 2 and 4." in result.output
    assert count(dbs, SubFund) == 0


def test_commitments_create_lps_with_the_reinvestment_defaults(app, staff, dbs, tmp_path):
    text = (
        "出资人,出资人类型,政府出资,子基金,认缴金额(万元),返投比例,返投区域,返投基数\n"
        "渝北区产业引导基金,区级母基金,是,ANGEL,5000.5,1.5,渝北区;江北区,paid_in\n"
        "渝北区产业引导基金,district_fof,yes,INDUSTRY,8000,,,\n"
        "渝创机器人集团,industry_leader,否,ANGEL,3000,1.2,,\n"
    )
    result = run(app, "import", "commitments", write(tmp_path, "a.csv", text))
    assert result.exit_code == 0, result.output
    assert "created 3, updated 0, unchanged 0" in result.output
    assert (
        "warning: row 4, column 返投比例: Ignored: only a government LP's commitment carries a "
        "re-investment requirement." in result.output
    )
    lp = dbs.exec(select(LimitedPartner).where(LimitedPartner.name == "渝北区产业引导基金")).one()
    assert lp.lp_type == "district_fof" and lp.is_government
    pledges = {
        c.sub_fund_id: c for c in dbs.exec(select(Commitment).where(Commitment.lp_id == lp.id))
    }
    angel, industry = pledges[staff["angel"].id], pledges[staff["industry"].id]
    assert angel.committed_yuan == Decimal("50005000.00") and angel.reinvest_ratio == Decimal("1.5")
    assert angel.reinvest_area == ["渝北区", "江北区"] and angel.reinvest_base == "paid_in"
    assert industry.reinvest_ratio == Decimal(app.config["DEFAULT_REINVEST_RATIO"])
    assert industry.reinvest_area == [app.config["DEFAULT_REINVEST_AREA"]]
    leader = dbs.exec(select(LimitedPartner).where(LimitedPartner.name == "渝创机器人集团")).one()
    private = dbs.exec(select(Commitment).where(Commitment.lp_id == leader.id)).one()
    assert private.reinvest_ratio is None and private.reinvest_area == []
    again = run(app, "import", "commitments", write(tmp_path, "a.csv", text))
    assert "created 0, updated 0, unchanged 3" in again.output


def test_commitment_rules_are_checked_row_by_row(app, staff, dbs, tmp_path):
    text = (
        "lp_name,lp_type,is_government,sub_fund,committed_wan,reinvest_area\n"
        "甲基金,city_fof,true,NOPE,100,\n"
        "乙基金,city_fof,true,ANGEL,100,chongqing;渝北区\n"
        "乙基金,institution,false,INDUSTRY,100,\n"
        "丙基金,,maybe,ANGEL,100,\n"
    )
    result = run(app, "import", "commitments", write(tmp_path, "a.csv", text))
    assert result.exit_code == 1
    out = result.output
    assert "row 2, column sub_fund: Unknown sub-fund: NOPE" in out
    assert "row 3, column reinvest_area: Choose the whole city or a list of districts" in out
    assert "row 4, column lp_type: This LP is described differently in row 3." in out
    assert "row 5, column is_government: Write true or false (是/否, 1/0, yes/no)." in out
    assert "row 5, column lp_type: A new record needs a value here." in out
    assert count(dbs, LimitedPartner) == 1  # the pipeline's own LP only


# -- deals -----------------------------------------------------------------------------------


@pytest.fixture
def owner(make_user, dbs):
    from fundcrm.models import User

    return dbs.get(User, make_user("manager", email="li.xiang@example.com")[0])


def test_rows_with_one_deal_make_one_deal_with_two_sub_funds(app, staff, owner, dbs):
    result = run(app, "import", "deals", DATA / "deals_two_sub_funds.csv", "--as", owner.email)
    assert result.exit_code == 0, result.output
    assert "created 1, updated 0, unchanged 0" in result.output
    deal = dbs.exec(select(Deal).where(Deal.round == "b")).one()
    assert deal.deal_ref == "XM2026-0002"  # the pipeline's deal has 0001
    assert deal.stage == "approved" and deal.owner_id == owner.id
    assert deal.created_on == date(2026, 3, 2) and deal.ask_yuan == Decimal("80000000.00")
    amounts = {p.sub_fund_id: p.proposed_yuan for p in deal.participations}
    assert amounts == {
        staff["angel"].id: Decimal("15001234.56"),
        staff["industry"].id: Decimal("25000000.00"),
    }
    assert deal.proposed_total_yuan == Decimal("40001234.56")
    moves = dbs.exec(select(StageMove).where(StageMove.deal_id == deal.id).order_by(StageMove.id))
    assert [(m.kind, m.to_stage, m.by_label) for m in moves] == [
        ("create", "sourcing", owner.email),
        ("import", "approved", owner.email),
    ]


def test_reimporting_deals_without_references_changes_nothing(app, staff, owner, dbs):
    run(app, "import", "deals", DATA / "deals_two_sub_funds.csv")
    entries = audit_count(dbs)
    result = run(app, "import", "deals", DATA / "deals_two_sub_funds.csv")
    assert "created 0, updated 0, unchanged 1" in result.output, result.output
    assert count(dbs, Deal) == 2 and count(dbs, DealSubFund) == 4
    assert audit_count(dbs) == entries


def test_a_deal_reference_updates_the_deal_and_its_stage(app, staff, owner, dbs, tmp_path):
    ref = staff["deal"].deal_ref
    text = (
        "deal_ref,company_uscc,sub_fund,stage,owner_email,proposed_wan,next_step\n"
        f"{ref},,ANGEL,screening,,1200,补充尽调材料\n"
    )
    result = run(app, "import", "deals", write(tmp_path, "a.csv", text))
    assert "created 0, updated 1, unchanged 0" in result.output, result.output
    dbs.expire_all()
    deal = dbs.get(Deal, staff["deal"].id)
    assert deal.stage == "screening" and deal.next_step == "补充尽调材料"
    amounts = {p.sub_fund_id: p.proposed_yuan for p in deal.participations}
    assert amounts[staff["angel"].id] == Decimal("12000000.00")
    assert amounts[staff["industry"].id] == Decimal("20000000.00")  # not in the file: kept
    assert deal.moves[-1].kind == "import" and deal.moves[-1].to_stage == "screening"


def test_mandate_breaches_of_an_imported_stage_are_listed(app, staff, owner, dbs, tmp_path):
    young = factories.company(
        dbs, "重庆初创机器人有限公司", make_uscc(40), enterprise_stage="startup"
    )
    dbs.commit()
    text = (
        "company_uscc,sub_fund,stage,owner_email,proposed_wan\n"
        f"{young.uscc},INDUSTRY,due_diligence,li.xiang@example.com,100\n"
    )
    dry = run(app, "import", "deals", write(tmp_path, "a.csv", text), "--dry-run")
    assert "mandate breach: row 2, column stage:" in dry.output, dry.output
    assert "INDUSTRY" in dry.output and "this company is Start-up" in dry.output
    result = run(app, "import", "deals", write(tmp_path, "a.csv", text))
    assert result.exit_code == 0, result.output
    assert "mandate breach: row 2, column stage: XM2026-0002: INDUSTRY" in result.output
    deal = dbs.exec(select(Deal).where(Deal.company_id == young.id)).one()
    assert deal.stage == "due_diligence" and deal.moves[-1].breaches


def test_deal_rules_are_checked_row_by_row(app, staff, owner, dbs, tmp_path):
    code = staff["company"].uscc
    text = (
        "deal_ref,company_uscc,round,sub_fund,stage,owner_email\n"
        f"NEW-1,{code},c,ANGEL,screening,li.xiang@example.com\n"
        f"NEW-1,{code},c,INDUSTRY,ic,li.xiang@example.com\n"
        f"NEW-2,{code},c,ANGEL,passed,li.xiang@example.com\n"
        f"NEW-3,{make_uscc(999)},c,ANGEL,sourcing,li.xiang@example.com\n"
        f"NEW-4,{code},d_plus,ANGEL,sourcing,\n"
        f"NEW-5,{code},pre_ipo,MOON,sourcing,li.xiang@example.com\n"
        f"NEW-6,{code},pre_ipo,ANGEL,sourcing,li.xiang@example.com\n"
        f"NEW-6,{code},pre_ipo,angel,sourcing,li.xiang@example.com\n"
    )
    result = run(app, "import", "deals", write(tmp_path, "a.csv", text))
    out = result.output
    assert result.exit_code == 1
    assert "row 3, column stage: Rows of one deal differ here: row 2 says screening." in out
    assert "row 4, column pass_reason: A passed deal needs the reason in pass_reason." in out
    assert "row 5, column company_uscc: No company has this USCC." in out
    assert "row 6, column owner_email: A new record needs a value here." in out
    assert "row 7, column sub_fund: Unknown sub-fund: MOON" in out
    assert "row 9, column sub_fund: ANGEL appears twice in the file: rows 8 and 9." in out
    assert count(dbs, Deal) == 1


def test_a_deal_keeps_its_company(app, staff, owner, dbs, tmp_path):
    other = factories.company(dbs, "重庆另一家机器人有限公司", make_uscc(41))
    dbs.commit()
    text = (
        "deal_ref,company_uscc,sub_fund,stage,owner_email\n"
        f"{staff['deal'].deal_ref},{other.uscc},ANGEL,sourcing,\n"
    )
    result = run(app, "import", "deals", write(tmp_path, "a.csv", text))
    assert result.exit_code == 1
    assert "belongs to another company; a deal keeps its company." in result.output


def test_an_exponent_in_a_whole_number_is_refused_not_computed(app, dbs, tmp_path):
    text = (
        "name,uscc,headcount,focus_area,enterprise_stage\n"
        f"甲,{make_uscc(901)},1e999999999,robot_body,growth\n"
    )
    result = run(app, "import", "companies", write(tmp_path, "big.csv", text))
    assert result.exit_code == 1
    assert "row 2, column headcount: Write a whole number, 0 or more." in result.output


def test_a_full_width_uscc_is_folded_not_a_crash(app, dbs, tmp_path):
    code = make_uscc(902)
    wide = code[:2] + "".join(chr(ord(c) + 0xFEE0) for c in code[2:8]) + code[8:]
    text = f"name,uscc,focus_area,enterprise_stage\n乙,{wide},robot_body,growth\n"
    assert run(app, "import", "companies", write(tmp_path, "wide.csv", text)).exit_code == 0
    assert code in companies(dbs)


def test_location_rules_of_the_form_apply_to_imports(app, dbs, tmp_path):
    text = (
        "name,uscc,district,zone,founded_on,focus_area,enterprise_stage\n"
        f"丙,{make_uscc(903)},渝北区,outside,2099-01-01,robot_body,growth\n"
    )
    result = run(app, "import", "companies", write(tmp_path, "loc.csv", text), "--dry-run")
    assert result.exit_code == 1 and "row 2, column district:" in result.output


def test_sub_fund_rules_are_reported_for_every_row_in_the_preview(app, dbs, tmp_path):
    text = "code,name,target_wan,project_cap_pct\nA.B,x,100,20\nNEWX,y,0,0\n"
    result = run(app, "import", "sub_funds", write(tmp_path, "funds.csv", text), "--dry-run")
    assert result.exit_code == 1
    assert "row 2, column code:" in result.output and "row 3, column target_wan:" in result.output


def test_changing_only_a_deals_next_step_due_date_imports(app, staff, dbs, tmp_path):
    deal = staff["deal"]
    deal.next_step, deal.next_step_due = "约见领投方", date(2026, 12, 24)
    dbs.commit()
    text = (
        "deal_ref,company_uscc,sub_fund,stage,owner_email,next_step_due\n"
        f"{deal.deal_ref},{staff['company'].uscc},ANGEL,sourcing,{staff['manager'].email},"
        "2026-12-31\n"
    )
    result = run(app, "import", "deals", write(tmp_path, "due.csv", text))
    assert result.exit_code == 0, result.output
    dbs.expire_all()
    assert dbs.get(type(deal), deal.id).next_step_due == date(2026, 12, 31)


def test_a_new_owner_must_see_the_pipeline_but_a_disabled_one_stays(app, staff, dbs, tmp_path):
    deal = staff["deal"]
    head = "deal_ref,company_uscc,sub_fund,stage,owner_email\n"
    row = f"{deal.deal_ref},{staff['company'].uscc},ANGEL,sourcing,"
    refused = run(
        app,
        "import",
        "deals",
        write(tmp_path, "lp.csv", head + row + staff["viewer"].email + "\n"),
        "--dry-run",
    )
    assert refused.exit_code == 1 and "column owner_email" in refused.output
    staff["manager"].active = False
    dbs.commit()
    kept = run(
        app,
        "import",
        "deals",
        write(tmp_path, "same.csv", head + row + staff["manager"].email + "\n"),
        "--dry-run",
    )
    assert kept.exit_code == 0, kept.output


def test_a_company_with_an_accepted_pilot_code_round_trips(app, staff, dbs, tmp_path):
    code = make_uscc(904)
    pilot = code[:17] + ("0" if code[17] != "0" else "1")
    company = factories.company(dbs, "丁试点公司", code)
    company.uscc, company.uscc_override_reason, company.uscc_override_by = (
        pilot,
        "2015年试点期代码",
        staff["risk"].email,
    )
    dbs.commit()
    out = tmp_path / "companies.csv"
    assert run(app, "export", "companies", "--out", str(out)).exit_code == 0
    again = run(app, "import", "companies", str(out))
    assert again.exit_code == 0, again.output
    assert "created 0, updated 0" in again.output
    text = f"name,uscc,focus_area,enterprise_stage\n新试点,{pilot[:-3]}999,robot_body,growth\n"
    assert run(app, "import", "companies", write(tmp_path, "new.csv", text)).exit_code == 1


def test_changing_an_lps_government_flag_keeps_its_other_commitments_consistent(
    app, staff, dbs, tmp_path
):
    city, industry = staff["lp"], staff["industry"]
    factories.commitment(dbs, city, industry, "500000000.00")
    dbs.commit()
    head = "lp_name,lp_type,is_government,sub_fund,committed_wan\n"
    private = write(tmp_path, "p.csv", head + f"{city.name},city_fof,false,ANGEL,30000\n")
    assert run(app, "import", "commitments", private).exit_code == 0
    dbs.expire_all()
    assert {c.reinvest_ratio for c in dbs.exec(select(Commitment))} == {None}
    public = write(
        tmp_path,
        "g.csv",
        head.rstrip()
        + ",reinvest_ratio,reinvest_area\n"
        + f"{city.name},city_fof,true,ANGEL,30000,1.2,chongqing\n",
    )
    result = run(app, "import", "commitments", public)
    assert result.exit_code == 0, result.output
    assert (
        "warning: row 2, column is_government: The commitments to INDUSTRY take the default "
        "re-investment terms: check them." in result.output
    )
    dbs.expire_all()
    terms = {
        c.sub_fund.code: (c.reinvest_ratio, c.reinvest_area) for c in dbs.exec(select(Commitment))
    }
    assert terms == {
        "ANGEL": (Decimal("1.2"), ["chongqing"]),
        "INDUSTRY": (Decimal(app.config["DEFAULT_REINVEST_RATIO"]), ["chongqing"]),
    }


# -- bounded imports -----------------------------------------------------------------------------

SHEET_PATH = "xl/worksheets/sheet1.xml"
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c></row>'
)
SHEET_TAIL = b"</sheetData></worksheet>"
BOMB_MB = 300


def _workbook_parts() -> dict[str, bytes]:
    """The parts of a one-sheet workbook as openpyxl writes it."""
    import io
    import zipfile

    buffer = io.BytesIO()
    Workbook().save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def xlsx_with_sheet(sheet_chunks, lie_size: int | None = None) -> bytes:
    """A workbook whose sheet XML is streamed from `sheet_chunks`; `lie_size` rewrites the
    sheet's uncompressed size in the zip's headers, as a crafted bomb does."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in _workbook_parts().items():
            if name != SHEET_PATH:
                archive.writestr(name, data)
        with archive.open(SHEET_PATH, "w") as sheet:
            for chunk in sheet_chunks:
                sheet.write(chunk)
    data = bytearray(buffer.getvalue())
    if lie_size is not None:  # the local header, then the central directory's entry
        _patch_size(data, b"PK\x03\x04", 30, 22, lie_size)
        _patch_size(data, b"PK\x01\x02", 46, 24, lie_size)
    return bytes(data)


def _patch_size(data: bytearray, signature: bytes, name_at: int, size_at: int, size: int):
    import struct

    name = SHEET_PATH.encode()
    start = data.find(signature)
    while data[start + name_at : start + name_at + len(name)] != name:
        start = data.find(signature, start + 1)
    struct.pack_into("<I", data, start + size_at, size)


def _padding(megabytes: int):
    """Whitespace between the sheet's rows: valid XML that deflate shrinks a thousandfold."""
    yield SHEET_HEAD
    block = b" " * 2**20
    for _ in range(megabytes):
        yield block
    yield SHEET_TAIL


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    return xlsx_with_sheet(_padding(BOMB_MB))


@pytest.fixture(scope="module")
def lying_zip_bomb() -> bytes:
    return xlsx_with_sheet(_padding(BOMB_MB), lie_size=50_000)


def test_a_zip_bomb_is_refused_from_its_directory(app, dbs, tmp_path, zip_bomb):
    from fundcrm.imports import reader

    assert len(zip_bomb) < 0.5 * 2**20
    inflated = reader.Inflated(200 * 2**20)
    with pytest.raises(reader.FileRefused, match="unpacks to more than 200 MB"):
        reader.read(zip_bomb, "xlsx", "companies", reader.Limits(), inflated)
    assert inflated.bytes == 0  # refused before any member was inflated
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(zip_bomb)
    result = run(app, "import", "companies", path)
    assert result.exit_code == 1
    assert "The workbook unpacks to more than 200 MB" in result.output
    assert companies(dbs) == {} and audit_count(dbs) == 0


def test_a_zip_bomb_whose_directory_lies_inflates_no_more_than_it_declares(
    app, dbs, tmp_path, lying_zip_bomb
):
    from fundcrm.imports import reader

    assert len(lying_zip_bomb) < 0.5 * 2**20
    inflated = reader.Inflated(200 * 2**20)
    with pytest.raises(reader.FileRefused, match="cannot be opened"):
        reader.read(lying_zip_bomb, "xlsx", "companies", reader.Limits(), inflated)
    assert inflated.bytes < 2**20  # the declared 50 KB and the small parts, not 300 MB
    path = tmp_path / "lying.xlsx"
    path.write_bytes(lying_zip_bomb)
    result = run(app, "import", "companies", path)
    assert result.exit_code == 1 and "The workbook cannot be opened" in result.output
    assert companies(dbs) == {} and audit_count(dbs) == 0


def test_inflated_bytes_are_capped_while_streaming(monkeypatch, zip_bomb):
    """Were the directory not believed at all, reading stops at the limit."""
    from fundcrm.imports import reader

    monkeypatch.setattr(reader, "_check_declared_size", lambda data, limit: None)
    limit = 5 * 2**20
    inflated = reader.Inflated(limit)
    with pytest.raises(reader.FileRefused, match="unpacks to more than 5 MB"):
        reader.read(zip_bomb, "xlsx", "companies", reader.Limits(limit), inflated)
    assert limit < inflated.bytes <= limit + reader._CountedMember.CHUNK


def test_rows_are_capped_while_streaming(app, dbs, tmp_path):
    head = "name,uscc,focus_area,enterprise_stage\n"
    rows = "".join(f"公司{n},{make_uscc(n)},embodied_ai,growth\n" for n in range(1, 12))
    app.config["MAX_IMPORT_ROWS"] = 10
    try:
        result = run(app, "import", "companies", write(tmp_path, "a.csv", head + rows))
    finally:
        app.config["MAX_IMPORT_ROWS"] = 200_000
    assert result.exit_code == 1
    assert "The file has more than 10 rows: split it into several files." in result.output
    assert companies(dbs) == {} and audit_count(dbs) == 0


def test_a_sheet_jumping_to_its_last_row_is_refused(app, dbs, tmp_path):
    """One row numbered 1,048,576 would make the reader yield a million blank rows."""
    last = b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    path = tmp_path / "far.xlsx"
    path.write_bytes(xlsx_with_sheet([SHEET_HEAD, last, SHEET_TAIL]))
    result = run(app, "import", "companies", path)
    assert result.exit_code == 1
    assert "The file has more than 200000 rows" in result.output


def test_a_cell_with_a_control_character_is_reported_and_nothing_written(app, dbs, tmp_path):
    text = (
        "name,uscc,focus_area,enterprise_stage,description\n"
        f"重庆好机器人有限公司,{make_uscc(14)},embodied_ai,growth,正常\n"
        f"重庆坏\x07机器人有限公司,{make_uscc(15)},embodied_ai,growth,含\x1b转义\n"
    )
    result = run(app, "import", "companies", write(tmp_path, "a.csv", text))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    message = "The cell holds an invisible control character (U+{code}): remove it."
    assert f"row 3, column name: {message.format(code='0007')}" in lines
    assert f"row 3, column description: {message.format(code='001B')}" in lines
    assert companies(dbs) == {} and audit_count(dbs) == 0


def test_a_commitment_carries_its_date_and_exports_it_back(app, staff, dbs, tmp_path):
    """`committed_on` (认缴日期): imported, blank meaning the sub-fund's first close, never after
    today, and exported so the file re-imports unchanged."""
    text = (
        "出资人,出资人类型,政府出资,子基金,认缴金额(万元),认缴日期\n"
        "渝北区产业引导基金,district_fof,是,ANGEL,5000,2024-07-15\n"
        "渝创机器人集团,industry_leader,否,ANGEL,3000,\n"
    )
    result = run(app, "import", "commitments", write(tmp_path, "a.csv", text))
    assert result.exit_code == 0, result.output
    dated = {c.lp.name: c.committed_on for c in dbs.exec(select(Commitment)).all()}
    assert dated["渝北区产业引导基金"] == date(2024, 7, 15) and dated["渝创机器人集团"] is None
    future = text.replace("2024-07-15", "2099-01-01")
    refused = run(app, "import", "commitments", write(tmp_path, "b.csv", future))
    assert refused.exit_code == 1 and "dated today or earlier" in refused.output
    out = tmp_path / "out.csv"
    assert run(app, "export", "commitments", "--out", str(out)).exit_code == 0
    assert "2024-07-15" in out.read_text("utf-8-sig")
    again = run(app, "import", "commitments", str(out))
    assert "created 0, updated 0" in again.output
