"""New deals of a deals import are written in bulk (fundcrm.imports.importers.new_deals): the
records equal those the deal services write one deal at a time, every row is audited, and the
references are numbered as the services number them."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine
from sqlmodel import select

from fundcrm.audit import set_actor
from fundcrm.deals import moves, services
from fundcrm.imports import table
from fundcrm.imports.formats import KINDS
from fundcrm.imports.importers.base import make_context
from fundcrm.imports.reader import Limits, read
from fundcrm.imports.report import ImportReport
from fundcrm.imports.service import IMPORTERS
from fundcrm.models import (
    AuditEntry,
    DDItem,
    Deal,
    DealMember,
    DealRefCounter,
    DealSubFund,
    StageMove,
    Task,
)
from tests import factories
from tests.factories import make_uscc
from tests.test_imports import run, write

HEAD = (
    "deal_ref,company_uscc,round,sub_fund,stage,source,owner_email,ask_wan,proposed_wan,"
    "pre_money_wan,next_step,next_step_due,pass_reason,created_on\n"
)
# a deal at 尽调 (its checklist), one passed with a next step (its task closed), one on hold,
# one with two sub-funds and a reference of its own, one of last year (numbered in 2025), one
# breaching a mandate, one left in sourcing; the pipeline's company has a deal in round a
ROWS = [
    f",{make_uscc(1)},b,ANGEL,due_diligence,referral,{{owner}},8000,1500,40000,"
    "约创始人二次访谈,2026-12-15,,2026-03-02",
    f",{make_uscc(2)},a,INDUSTRY,passed,competition,{{owner}},3000,800,,跟进,2026-12-20,"
    "估值过高,2026-04-01",
    f",{make_uscc(3)},pre_a,ANGEL,on_hold,,{{owner}},,,,,,,2026-05-06",
    f"XM2024-0077,{make_uscc(3)},b,ANGEL,screening,,{{owner}},5000,1000,,,,,2024-09-01",
    f"XM2024-0077,{make_uscc(3)},b,INDUSTRY,,,,,2000,,,,,",
    f",{make_uscc(2)},b,ANGEL,approved,,{{owner}},,,,,,,2025-11-30",
    f",{make_uscc(3)},c,ANGEL,due_diligence,,{{owner}},,,,,,,2026-07-01",
    f",{make_uscc(1)},c,INDUSTRY,sourcing,,{{owner}},,,,,,,",
]
# what is not the same between two writes of the same deal: ids, the version (see the module)
IGNORED = {"id", "deal_id", "version"}
PARTS = (DealSubFund, DealMember, StageMove, Task, DDItem)


@pytest.fixture
def owner(make_user, dbs):
    from fundcrm.models import User

    return dbs.get(User, make_user("manager", email="chen.chen@example.com")[0])


@pytest.fixture
def companies(staff, dbs):
    factories.company(dbs, "重庆测试2号科技有限公司", make_uscc(2))
    # a mature company: ANGEL (startup, growth) breaches its mandate taking it to 立项
    factories.company(dbs, "重庆测试3号科技有限公司", make_uscc(3), enterprise_stage="mature")
    dbs.commit()


def file_text(owner) -> str:
    return HEAD + "\n".join(r.replace("{owner}", owner.email) for r in ROWS) + "\n"


def snapshot(dbs, known: set[int]) -> dict:
    """The deals not in `known` and their parts, keyed by reference, without ids."""
    dbs.expire_all()
    deals = dbs.exec(select(Deal).where(Deal.id.not_in(known))).all()
    refs = {d.id: d.deal_ref for d in deals}
    found = {"deals": sorted(_plain(d) for d in deals)}
    for model in PARTS:
        rows = dbs.exec(select(model).where(model.deal_id.in_(list(refs)))).all()
        found[model.__tablename__] = sorted((refs[r.deal_id], _plain(r)) for r in rows)
    return found


def _plain(record) -> tuple:
    return tuple((k, repr(v)) for k, v in sorted(record.model_dump().items()) if k not in IGNORED)


def one_by_one(app, data: bytes, user) -> None:
    """The deals of the file written as before the bulk writer: create_deal, then
    record_import_move, one deal at a time (the plan of the importer, its writes replaced)."""
    with app.app_context():
        from fundcrm import db

        session = db.session()
        set_actor(session, user.id, user.email)
        report = ImportReport("deals", "deals.csv", "", False, "")
        sheet = read(data, "csv", "deals", Limits.from_settings(app.config))
        parsed = table.parse(KINDS["deals"], sheet, report)
        importer = IMPORTERS["deals"](make_context(session, report, app.config, user), parsed)
        importer.plan()
        assert not report.errors
        for group in sorted(importer.groups, key=lambda g: g.key[0] != "ref"):
            at = importer.move_at(group)
            values = {
                **group.changed,
                "company_id": group.company.id,
                "deal_ref": group.key[1] if group.key[0] == "ref" else None,
                "participations": group.participations,
                "created_on": group.values.get("created_on") or importer.ctx.today,
                "team_ids": [],
            }
            deal = services.create_deal(session, values, user, prefix="XM", at=at)
            if group.to_stage:
                reason = group.values.get("pass_reason")
                passed = group.to_stage == "passed"
                moves.record_import_move(
                    session, deal, group.to_stage, at, user, reason if passed else None
                )
        session.commit()


@time_machine.travel("2026-11-20T17:30:00Z", tick=False)  # 01:30 on the 21st in Beijing
def test_bulk_written_deals_equal_those_of_the_deal_services(
    app, staff, owner, companies, dbs, tmp_path
):
    known = set(dbs.exec(select(Deal.id)))
    counters = [c.model_dump() for c in dbs.exec(select(DealRefCounter))]
    path = write(tmp_path, "bulk_deals.csv", file_text(owner))
    result = run(app, "import", "deals", path, "--as", owner.email)
    assert result.exit_code == 0, result.output
    assert "created 7, updated 0, unchanged 0" in result.output
    bulk = snapshot(dbs, known)

    # every row written has its `create` entry, in the form the flush hook writes it
    for model in (Deal, *PARTS):
        new_ids = {str(r) for r in _new_ids(dbs, model, known)}
        audited = set(
            dbs.exec(
                select(AuditEntry.row_id).where(
                    AuditEntry.table_name == model.__tablename__, AuditEntry.action == "create"
                )
            )
        )
        assert new_ids and new_ids <= audited, model.__tablename__

    # the same file through the services, one deal at a time, after undoing the import
    _undo(dbs, known, counters)
    one_by_one(app, path.read_bytes(), owner)
    services_wrote = snapshot(dbs, known)
    for name, rows in bulk.items():
        only = set(rows) ^ set(services_wrote[name])
        assert services_wrote[name] == rows, (name, sorted(only))

    # the given reference kept; the others numbered in file order within their year
    by_ref = {dict(d)["deal_ref"]: dict(d) for d in bulk["deals"]}
    assert sorted(by_ref) == [
        repr(r)
        for r in (
            "XM2024-0077",
            "XM2025-0001",
            "XM2026-0002",
            "XM2026-0003",
            "XM2026-0004",
            "XM2026-0005",
            "XM2026-0006",
        )
    ]
    assert by_ref["'XM2024-0077'"]["proposed_total_yuan"] == repr(Decimal("30000000.00"))
    assert by_ref["'XM2026-0003'"]["stage"] == "'passed'"
    tasks = dict(bulk["tasks"])
    assert dict(tasks["XM2026-0003"])["status"] == "'done'"  # the passed deal's next step
    assert dict(tasks["XM2026-0002"])["status"] == "'open'"
    checklists = {ref for ref, _item in bulk["dd_items"]}
    assert checklists == {"XM2026-0002", "XM2025-0001", "XM2026-0005"}  # 尽调 and 立项
    breaches = [dict(m)["breaches"] for ref, m in bulk["stage_moves"] if ref == "XM2026-0005"]
    assert any("ANGEL" in b for b in breaches), breaches


def _new_ids(dbs, model, known):
    if model is Deal:
        return list(dbs.exec(select(Deal.id).where(Deal.id.not_in(known))))
    if model is DealMember:
        return [
            f"{m.deal_id}/{m.user_id}"
            for m in dbs.exec(select(DealMember).where(DealMember.deal_id.not_in(known)))
        ]
    return list(dbs.exec(select(model.id).where(model.deal_id.not_in(known))))


def _undo(dbs, known, counters) -> None:
    connection = dbs.connection()
    new = sa.select(Deal.id).where(Deal.id.not_in(known))
    for model in reversed(PARTS):
        connection.execute(sa.delete(model.__table__).where(model.deal_id.in_(new)))
    connection.execute(sa.delete(Deal.__table__).where(Deal.id.not_in(known)))
    connection.execute(sa.delete(DealRefCounter.__table__))
    if counters:
        connection.execute(sa.insert(DealRefCounter.__table__), counters)
    dbs.commit()


def test_assigned_references_skip_numbers_typed_in_by_hand(
    app, staff, owner, companies, dbs, tmp_path
):
    """The counter of 2026 stands at 0001 (the pipeline's deal); a deal typed in by hand as
    XM2026-0003 without the counter hearing of it: the import's new deals get 0002 and 0004."""
    factories.deal(dbs, dbs.get(Deal, staff["deal"].id).company, owner, [(staff["angel"], "1")])
    hand = dbs.exec(select(Deal).order_by(Deal.id.desc())).first()
    hand.deal_ref = "XM2026-0003"
    dbs.commit()
    counter = dbs.exec(select(DealRefCounter)).one()
    counter.last_number = 1
    dbs.commit()
    text = HEAD + "\n".join(
        f",{make_uscc(n)},a,ANGEL,sourcing,,{owner.email},,,,,,,2026-06-0{n}" for n in (2, 3)
    )
    path = write(tmp_path, "two.csv", text + "\n")
    result = run(app, "import", "deals", path, "--as", owner.email)
    assert result.exit_code == 0, result.output
    dbs.expire_all()
    refs = {
        d.company.uscc: d.deal_ref
        for d in dbs.exec(select(Deal).where(Deal.created_on >= date(2026, 6, 1)))
    }
    assert refs == {make_uscc(2): "XM2026-0002", make_uscc(3): "XM2026-0004"}
    assert dbs.exec(select(DealRefCounter.last_number)).one() == 4
