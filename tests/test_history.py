"""History people can read: every audited column has a label in both languages, and the audit
trail, the deal timeline, the company history and a refused stale edit show names, vocabulary
labels, 万元 and Beijing time instead of ids, codes, yuan and UTC."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from flask_babel import force_locale
from sqlmodel import SQLModel, select

from fundcrm import db, history
from fundcrm.domain import stages
from fundcrm.domain.vocab import VOCABULARIES
from fundcrm.history import columns, labels
from fundcrm.history.names import NAMES
from fundcrm.imports.formats import KINDS
from fundcrm.models import AuditEntry, Task, User
from fundcrm.workspace import services as work
from tests import factories, world
from tests.conftest import page_text, post_form, sign_in
from tests.test_companies import NEW
from tests.test_deals import deal_form, move

ENGLISH = {"Accept-Language": "en"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def audited_models() -> list:
    """Every table model the audit hook records (see fundcrm.audit._audited)."""
    models = [mapper.class_ for mapper in SQLModel._sa_registry.mappers]
    return sorted(
        (m for m in models if hasattr(m, "__table__") and getattr(m, "__audit__", True)),
        key=lambda m: m.__tablename__,
    )


def audited_columns():
    for model in audited_models():
        mapper = sa.inspect(model)
        for attr in mapper.column_attrs:
            yield model.__tablename__, attr.key, attr.columns[0]


def in_both_languages(app, text) -> tuple[str, str]:
    with app.test_request_context():
        with force_locale("zh_CN"):
            chinese = str(text)
        with force_locale("en"):
            english = str(text)
    return chinese, english


def test_every_audited_table_and_column_has_a_label_in_chinese_and_english(app):
    assert {m.__tablename__ for m in audited_models()} == set(labels.LABELS)
    for table, spec in labels.LABELS.items():
        chinese, english = in_both_languages(app, spec.label)
        assert CJK.search(chinese) and english and not CJK.search(english), table
    missing, untranslated = [], []
    for table, key, _column in audited_columns():
        spec = labels.LABELS[table].columns.get(key)
        if spec is None:
            missing.append(f"{table}.{key}")
            continue
        chinese, english = in_both_languages(app, spec.label)
        if not CJK.search(chinese) or not english or CJK.search(english):
            untranslated.append(f"{table}.{key}: {chinese} / {english}")
    assert missing == [] and untranslated == []


def test_a_row_id_reads_part_by_part_as_its_primary_key(app):
    for model in audited_models():
        spec = labels.LABELS[model.__tablename__]
        assert len(spec.key) == len(sa.inspect(model).primary_key), model.__tablename__


def test_column_kinds_follow_the_schema(app):
    """Ids of other records read as names, yuan as 万元, dates, instants and flags as such."""
    for table, key, column in audited_columns():
        spec = history.column(table, key)
        where = f"{table}.{key}"
        if column.foreign_keys:
            (foreign_key,) = column.foreign_keys
            assert spec.kind == columns.REF, where
            assert spec.target == foreign_key.column.table.name and spec.target in NAMES, where
        elif key.endswith("_yuan"):
            assert spec.kind == columns.MONEY, where
        elif isinstance(column.type, sa.Boolean):
            assert spec.kind == columns.FLAG, where
        elif isinstance(column.type, sa.DateTime):
            assert spec.kind == columns.INSTANT, where
        elif isinstance(column.type, sa.Date):
            assert spec.kind == columns.DAY, where
        elif key in ("password_hash", "session_token"):
            assert spec.kind == columns.MASKED, where
    for spec in (s for t in labels.LABELS.values() for s in (*t.key, *t.columns.values())):
        if spec.kind in (columns.REF, columns.REFS):
            assert spec.target in NAMES


def test_vocabulary_coded_columns_map_to_their_vocabulary(app):
    for table, key, _column in audited_columns():
        spec = history.column(table, key)
        if key in VOCABULARIES or key.removesuffix("_stage") in ("stage", "return", "from", "to"):
            assert spec.kind in (columns.CODE, columns.CODES), f"{table}.{key}"
            assert spec.vocabulary in VOCABULARIES, f"{table}.{key}"
    # the import formats say which columns hold codes of which vocabulary: the same here
    tables = {"sub_funds": ["sub_funds"], "companies": ["companies"], "deals": ["deals"]}
    tables["commitments"] = ["commitments", "lps"]
    for kind, names in tables.items():
        for column in KINDS[kind].columns:
            for table in names:
                spec = labels.LABELS[table].columns.get(column.code)
                if column.vocabulary is not None and spec is not None:
                    assert spec.vocabulary == column.vocabulary.name, f"{table}.{column.code}"
    for spec in (s for t in labels.LABELS.values() for s in t.columns.values()):
        if spec.kind in (columns.CODE, columns.CODES) and spec.vocabulary:
            assert spec.vocabulary in VOCABULARIES
    gates = labels.LABELS["stage_gates"].columns
    assert set(gates["required_fields"].choices) == set(stages.GATE_FIELDS)
    assert set(gates["conditions"].choices) == set(stages.GATE_CONDITIONS)


def test_every_entry_of_a_busy_fund_reads_with_labels_and_names(app, make_user, dbs):
    """All the pipeline's tables written through their services: not one column shown by its
    code, not one record by its id, in either language."""
    world.build(app, make_user, dbs)
    entries = dbs.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert {e.table_name for e in entries} >= {"deals", "companies", "dd_items", "documents"}
    for locale in ("zh_CN", "en"):
        with app.test_request_context(), force_locale(locale):
            events = history.readable(db.session(), entries, bookkeeping=True)
        for event in events:
            assert "#" not in event.record, (event.table, event.row_id, event.record)
            for change in event.changes:
                assert change.label != change.column, (event.table, change.column)
                refers = history.column(event.table, change.column).kind == columns.REF
                assert not (refers and change.new.startswith("#")), (event.table, change)


# --- what people see ---------------------------------------------------------------------------


def text(html: str) -> str:
    """A page as a reader sees it: no tags (words split by markup join up), single spaces."""
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def _section(html: str, marker: str) -> str:
    return html[html.index(marker) :]


def _timeline(client, deal_id, **kwargs) -> str:
    page = client.get(f"/deals/{deal_id}", **kwargs).get_data(as_text=True)
    return text(_section(page, 'id="timeline"'))


@pytest.fixture
def edited_deal(client, staff, dbs, make_user):
    """The deal moved to screening by the administrator, who then gives it another owner and
    a new amount sought."""
    other_id, _email = make_user("manager")
    other = dbs.get(User, other_id)
    other.name = "李娜"
    dbs.commit()
    deal = staff["deal"]
    sign_in(client, staff["admin"].id)
    assert move(client, deal.id, "screening").get_json()["ok"]
    dbs.expire_all()
    form = deal_form(
        staff,
        owner_email=other.email,
        ask_wan="8000.5",
        proposed_wan_ANGEL="1000",
        version=str(dbs.get(type(deal), deal.id).version),
    )
    assert post_form(client, f"/deals/{deal.id}/edit", form).status_code == 302
    return deal


def test_the_deal_timeline_shows_names_labels_and_wan(client, staff, edited_deal):
    manager, admin = staff["manager"].name, staff["admin"].name
    chinese = _timeline(client, edited_deal.id)
    assert f"{admin} · 编辑 轮次: A轮 → B轮 项目来源: 自主挖掘 → 政府推荐" in chinese
    assert f"负责人: {manager} → 李娜 融资金额: 3,000.00 万元 → 8,000.50 万元" in chinese
    assert f"{admin} · 项目储备 → 初筛" in chinese
    assert "owner_id" not in chinese and "ask_yuan" not in chinese and "version" not in chinese
    english = _timeline(client, edited_deal.id, headers=ENGLISH)
    assert "Round: Series A → Series B" in english
    assert f"Owner: {manager} → 李娜 Amount sought: 3,000.00 万元 → 8,000.50 万元" in english
    assert f"{admin} · Sourcing → Screening" in english


def test_the_company_history_shows_district_and_field_labels(client, staff, dbs):
    company = staff["company"]
    sign_in(client, staff["manager"].id)
    form = {
        **NEW,
        "uscc": company.uscc,
        "name": company.name,
        "district": "江北区",
        "application_fields": ["logistics", "medical"],
        "version": str(company.version),
    }
    assert post_form(client, f"/companies/{company.id}/edit", form).status_code == 302
    url = f"/companies/{company.id}"
    chinese = text(_section(client.get(url).get_data(as_text=True), 'id="company-history"'))
    manager = staff["manager"].name
    assert f"{manager} · 新建 应用领域: 医疗服务" in chinese
    assert "所在区县: 渝北区 → 江北区" in chinese
    english = text(
        _section(client.get(url, headers=ENGLISH).get_data(as_text=True), 'id="company-history"')
    )
    assert "District: Yubei District → Jiangbei District" in english
    assert "Application field: Medical" in english


def test_the_audit_trail_shows_names_not_ids(client, staff, edited_deal, dbs):
    sign_in(client, staff["risk"].id)
    page = client.get("/admin/audit?table=deals").get_data(as_text=True)
    deal, company = edited_deal, staff["company"]
    shown = text(page)
    assert f"项目 {deal.deal_ref} {company.name}" in shown  # the record: reference and company
    assert f"{staff['admin'].name} 修改 项目 {deal.deal_ref}" in shown
    assert f"负责人: {staff['manager'].name} → 李娜" in shown
    assert f"项目编号: {deal.deal_ref} 企业: {company.name} 轮次: A轮 项目阶段: 项目储备" in shown
    assert "8,000.50 万元" in shown and not re.search(r"#\d", shown)
    english = text(client.get("/admin/audit?table=deals", headers=ENGLISH).get_data(as_text=True))
    assert f"Company: {company.name}" in english and "Stage: Sourcing → Screening" in english
    row = staff["manager"].id
    users = text(client.get(f"/admin/audit?table=users&row={row}").get_data(as_text=True))
    assert "密码: ***" in users and "scrypt" not in users and "pbkdf2" not in users


def test_a_refused_stale_edit_shows_the_other_change_readably(app, staff, dbs, make_user):
    deal = staff["deal"]
    first, second = app.test_client(), app.test_client()
    sign_in(first, staff["manager"].id)
    sign_in(second, staff["admin"].id)
    form = deal_form(staff, version=str(deal.version))
    saved = post_form(second, f"/deals/{deal.id}/edit", {**form, "ask_wan": "12000"})
    assert saved.status_code == 302
    page = post_form(first, f"/deals/{deal.id}/edit", {**form, "ask_wan": "9000"})
    notice = _section(page.get_data(as_text=True), 'id="stale-edit"')
    notice = text(notice[: notice.index("请刷新页面")])
    assert f"{staff['admin'].name} · 修改" in notice
    assert "融资金额: 3,000.00 万元 → 12,000.00 万元" in notice
    assert "轮次: A轮 → B轮" in notice
    assert "ask_yuan" not in notice and "版本" not in notice and "version" not in notice


NEW_YEAR_IN_BEIJING = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # 00:30 on 1 January +08


def test_times_are_shown_in_beijing_time(client, staff, dbs):
    """A task ticked off at 00:30 on New Year's night in Beijing (still 31 December in UTC):
    the trail shows the Beijing date and time, for the change and for the moment it records."""
    ids = factories.workspace(dbs, staff, Path(client.application.instance_path) / "documents")
    with time_machine.travel(NEW_YEAR_IN_BEIJING, tick=False):
        work.set_task_done(dbs, dbs.get(Task, ids["task_id"]), True)
        dbs.commit()
        sign_in(client, staff["admin"].id)
        trail = text(client.get("/admin/audit?table=tasks").get_data(as_text=True))
        english = client.get("/admin/audit?table=tasks", headers=ENGLISH).get_data(as_text=True)
    assert "2027年1月1日 00:30" in trail  # when the change was made
    assert "完成时间: — → 2027年1月1日 00:30" in trail  # the instant it recorded
    assert "2026年12月31日" not in trail
    assert "Jan 1, 2027, 00:30" in text(english) and "Dec 31, 2026" not in english
    assert "1/1/27" not in english  # as the rest of the pages write a date, not 2-digit years


def test_a_page_of_history_costs_a_fixed_number_of_statements(client, staff, dbs, count_queries):
    def trail_statements() -> int:
        with count_queries() as counted:
            assert client.get("/admin/audit?table=contacts").status_code == 200
        return counted.n

    sign_in(client, staff["admin"].id)
    factories.contact(dbs, staff["company"], name="第二位联系人")
    dbs.commit()
    few = trail_statements()
    for n in range(30):
        factories.contact(dbs, staff["company"], name=f"联系人{n}")
    dbs.commit()
    assert trail_statements() == few


def test_unknown_tables_and_columns_still_read(app, dbs):
    """An entry written before a table or column existed shows its own names, never fails."""
    dbs.add(
        AuditEntry(
            actor_label="cli",
            action="update",
            table_name="retired_table",
            row_id="x/1",
            changes='{"colour": ["red", "blue"], "odd": 5}',
        )
    )
    dbs.commit()
    with app.test_request_context(), force_locale("en"):
        (event,) = history.readable(db.session(), dbs.exec(select(AuditEntry)).all())
    assert (event.actor, event.table_label, event.record) == (
        "command line",
        "retired_table",
        "x/1",
    )
    assert [(c.label, c.old, c.new) for c in event.changes] == [
        ("colour", "red", "blue"),
        ("odd", "—", "5"),
    ]


def test_only_the_audit_module_and_the_trail_page_read_audit_entries():
    root = Path(__file__).parent.parent / "fundcrm"
    readers = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if re.search(r"select\(\s*AuditEntry", path.read_text(encoding="utf-8"))
    )
    assert readers == ["admin/queries.py", "audit.py"]


def test_a_move_made_by_the_command_line_reads_as_such_on_the_timeline(client, staff, dbs):
    from fundcrm import audit
    from fundcrm.deals import moves

    audit.set_actor(dbs, None, "cli")
    moves.record_import_move(dbs, staff["deal"], "screening", datetime(2026, 2, 1, tzinfo=UTC))
    dbs.commit()
    sign_in(client, staff["admin"].id)
    page = client.get(f"/deals/{staff['deal'].id}").get_data(as_text=True)
    timeline = page_text(page, 'id="timeline"')
    assert "命令行 · 项目储备 → 初筛" in timeline


def _edit_amount_and_team(client, staff, dbs, make_user) -> str:
    """The administrator raises ANGEL's proposed amount from 1,000 to 1,234 万元 and adds 李娜
    to the team on the edit form; returns the new member's name."""
    member_id, _email = make_user("manager")
    dbs.get(User, member_id).name = "李娜"
    dbs.commit()
    deal = staff["deal"]
    sign_in(client, staff["admin"].id)
    form = deal_form(
        staff,
        round="a",
        source="own",
        ask_wan="3000",
        sub_fund=["ANGEL", "INDUSTRY"],
        proposed_wan_ANGEL="1234",
        proposed_wan_INDUSTRY="2000",
        team=[str(member_id)],
        version=str(deal.version),
    )
    assert post_form(client, f"/deals/{deal.id}/edit", form).status_code == 302
    return "李娜"


def test_the_deal_timeline_shows_who_changed_a_sub_funds_amount_and_the_team(
    client, staff, dbs, make_user
):
    member = _edit_amount_and_team(client, staff, dbs, make_user)
    deal, admin = staff["deal"], staff["admin"].name
    angel = staff["angel"].name
    chinese = _timeline(client, deal.id)
    assert f"{admin} · 编辑 子基金拟投份额 {deal.deal_ref} · {angel}" in chinese
    assert "拟投金额: 1,000.00 万元 → 1,234.00 万元" in chinese
    assert f"项目组成员: {member}" in chinese
    english = _timeline(client, deal.id, headers=ENGLISH)
    assert f"{admin} · edited Sub-fund share {deal.deal_ref} · {angel}" in english
    assert "Proposed amount: 1,000.00 万元 → 1,234.00 万元" in english
    assert f"{admin} · added Team member: {member}" in english
    assert not re.search(r"#\d", chinese) and "deal_id" not in chinese


def test_the_deal_timeline_shows_a_sub_fund_and_a_member_taken_off(client, staff, dbs, make_user):
    """Removals too: the sub-fund share and the team member deleted with the edit (an orphan
    the delete cascade removes) are audited and shown by name."""
    member = _edit_amount_and_team(client, staff, dbs, make_user)
    deal, admin, industry = staff["deal"], staff["admin"].name, staff["industry"].name
    form = deal_form(
        staff,
        round="a",
        source="own",
        ask_wan="3000",
        sub_fund=["ANGEL"],
        proposed_wan_ANGEL="1234",
        version=str(_version(dbs, deal.id)),
    )
    assert post_form(client, f"/deals/{deal.id}/edit", form).status_code == 302
    english = _timeline(client, deal.id, headers=ENGLISH)
    assert f"{admin} · removed Team member: {member}" in english
    assert f"{admin} · removed Sub-fund: {industry} Proposed amount: 2,000.00 万元" in english
    removed = dbs.exec(select(AuditEntry).where(AuditEntry.action == "delete")).all()
    assert {(e.table_name, e.parent_id) for e in removed} == {
        ("deal_team", str(deal.id)),
        ("deal_sub_funds", str(deal.id)),
    }


def test_parts_created_with_the_deal_are_not_shown_as_edits(client, staff, dbs):
    """The deal's sub-fund shares and owner, written with the deal, are its creation (the
    "created in" move), not edits of it."""
    sign_in(client, staff["admin"].id)
    chinese = _timeline(client, staff["deal"].id)
    assert "创建于项目储备" in chinese
    assert "编辑" not in chinese and "拟投金额" not in chinese and "项目组成员" not in chinese


def test_a_deals_history_reads_its_parts_by_their_parent_without_like(
    app, client, staff, dbs, make_user, count_queries
):
    from fundcrm import audit

    _edit_amount_and_team(client, staff, dbs, make_user)
    deal = staff["deal"]
    with count_queries() as counted, app.app_context():
        entries = audit.history(
            db.session(), "deals", deal.id, children=("deal_sub_funds", "deal_team")
        )
    statements = counted.statements
    assert {e.table_name for e in entries} == {"deals", "deal_sub_funds", "deal_team"}
    assert all(
        e.table_name == "deals" or (e.parent_table, e.parent_id) == ("deals", str(deal.id))
        for e in entries
    )
    (read,) = [s for s in statements if "audit_log" in s]
    assert "LIKE" not in read.upper() and "parent_id" in read


def test_a_deal_timeline_costs_a_fixed_number_of_statements(
    client, staff, dbs, make_user, count_queries
):
    def timeline_statements() -> int:
        with count_queries() as counted:
            assert client.get(f"/deals/{staff['deal'].id}").status_code == 200
        return counted.n

    _edit_amount_and_team(client, staff, dbs, make_user)
    few = timeline_statements()
    deal_id = staff["deal"].id
    for n in range(5):
        form = deal_form(
            staff,
            round="a",
            source="own",
            ask_wan="3000",
            sub_fund=["ANGEL", "INDUSTRY"],
            proposed_wan_ANGEL=str(1300 + n),
            proposed_wan_INDUSTRY=str(2100 + n),
            version=str(_version(dbs, deal_id)),
        )
        assert post_form(client, f"/deals/{deal_id}/edit", form).status_code == 302
    assert timeline_statements() == few


def _version(dbs, deal_id) -> int:
    from fundcrm.models import Deal

    dbs.expire_all()
    return dbs.get(Deal, deal_id).version


def test_the_deal_timeline_writes_times_as_the_rest_of_the_page(client, staff):
    """Moves and edits alike: the date as the page writes dates, then hours and minutes, on
    the fund's clock (the deal was created at 02:00 UTC, 10:00 in Beijing)."""
    sign_in(client, staff["admin"].id)
    deal = staff["deal"]
    assert "2026年1月5日 10:00 · " in _timeline(client, deal.id)
    english = _timeline(client, deal.id, headers=ENGLISH)
    assert "Jan 5, 2026, 10:00 · " in english and "1/5/26" not in english


def test_every_table_reads_under_a_label_of_its_own(app):
    """The audit trail's table filter lists each table once, told apart by its label."""
    for language in ("zh_CN", "en"):
        with app.test_request_context(), force_locale(language):
            shown = [label for _table, label in history.table_choices(labels.LABELS)]
        assert len(shown) == len(set(shown)), language


def test_a_move_names_its_account_only_when_the_name_does_not_say_it(app, client, staff, dbs):
    from fundcrm import audit
    from fundcrm.deals import moves

    sign_in(client, staff["admin"].id)
    assert move(client, staff["deal"].id, "screening").get_json()["ok"]
    dbs.refresh(staff["deal"])
    audit.set_actor(dbs, None, "cli")
    moves.record_import_move(dbs, staff["deal"], "approved", datetime(2026, 2, 1, tzinfo=UTC))
    dbs.commit()
    trail = text(
        client.get("/admin/audit?table=stage_moves", headers=ENGLISH).get_data(as_text=True)
    )
    assert f"Moved by: {staff['admin'].name}" in trail
    assert f"Moved by: {staff['manager'].name}" in trail  # the creation
    # the account shows for the command line's move only: the others read as the mover's name
    assert trail.count("Moved by (account)") == 1
    assert "Moved by (account): command line" in trail
