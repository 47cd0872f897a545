"""A populated fund for the access and form tests: a user of each role, the pipeline with its
workspace, every id a URL or form needs, and a way to see that nothing changed."""

import io
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import SQLModel

from fundcrm import clock
from fundcrm.models import Company, Deal, DealMember, IcMemo, IcMemoVersion, Job, User
from tests import factories
from tests.conftest import csrf_token, sign_in
from tests.factories import make_uscc

ROLES = ["admin", "manager", "ic_member", "risk", "viewer"]
NO_IMPORT = "AAAAAAAAAAAAAAAAAAAAAA"  # the shape of an import token that matches none


def build(app, make_user, dbs) -> dict:
    users = {role: make_user(role)[0] for role in ROLES}
    owner_id, owner_email = make_user("manager")
    records = factories.pipeline(dbs, dbs.get(User, owner_id))
    other = factories.company(dbs, "重庆另一家机器人有限公司", make_uscc(2), zone="science_city")
    spare = factories.contact(dbs, records["company"], name="赵助理")
    # The manager of the role matrix is on the deal's team: tests/test_record_permissions.py
    # covers the deals, tasks and activities of someone else.
    dbs.add(DealMember(deal_id=records["deal"].id, user_id=users["manager"]))
    dbs.commit()
    ids = factories.workspace(dbs, records, Path(app.instance_path) / "documents")
    dbs.expire_all()
    return {
        "users": users,
        "user_id": owner_id,
        "owner_email": owner_email,
        **{f"{n}_id": records[n].id for n in ("company", "contact", "deal", "lp", "commitment")},
        "sub_fund_id": records["angel"].id,
        "industry_id": records["industry"].id,
        "spare_contact_id": spare.id,
        "other_company_id": other.id,
        "other_uscc": other.uscc,
        "company_uscc": records["company"].uscc,
        "company_version": dbs.get(Company, records["company"].id).version,
        "deal_version": dbs.get(Deal, records["deal"].id).version,
        "import_token": NO_IMPORT,
        "job_id": _finished_job(app, dbs, users["admin"]),
        "memo_id": _memo(dbs, records["deal"], owner_id),
        "dd_deal_id": _deal_in_dd(dbs, other, records, users["manager"]),
        **ids,
    }


MEMO_SECTIONS = {
    code: f"{code}：正文" for code in ("summary", "company_team", "technology", "market",
                                      "financials", "valuation_terms", "dd_findings", "risks",
                                      "mandate_fit", "recommendation")
}  # fmt: skip


def _memo(dbs, deal, author_id: int) -> int:
    """The deal's IC memo: version 1, a draft with every section written."""
    memo = IcMemo(deal_id=deal.id, created_by_id=author_id)
    dbs.add(memo)
    dbs.flush()
    proposed = {str(p.sub_fund_id): str(p.proposed_yuan) for p in deal.participations}
    dbs.add(IcMemoVersion(memo_id=memo.id, sections=MEMO_SECTIONS, proposed=proposed))
    dbs.commit()
    return memo.id


def _deal_in_dd(dbs, company, records, member_id: int) -> int:
    """A second deal, in due diligence and without a memo, the matrix's manager on its team."""
    deal = factories.deal(dbs, company, dbs.get(User, member_id), [(records["angel"], "5000000")])
    deal.stage = "due_diligence"
    dbs.commit()
    return deal.id


def _finished_job(app, dbs, user_id: int) -> int:
    """An export job the administrator ran, done, with its file."""
    folder = Path(app.instance_path) / "jobs"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "world-export.csv").write_text("name\n", "utf-8")
    job = Job(
        kind="export",
        user_id=user_id,
        title="Export",
        state="done",
        result_file="world-export.csv",
        result_name="companies.csv",
        expires_at=clock.now() + timedelta(days=7),
        params={"export_kind": "companies", "format": "csv", "args": [], "locale": "en"},
    )
    dbs.add(job)
    dbs.commit()
    return job.id


def snapshot(app) -> dict:
    """Every row of every table and every stored file: what 'nothing changed' compares."""
    engine = app.extensions["fundcrm.engine"]
    with engine.connect() as connection:
        state = {
            table.name: sorted(map(tuple, connection.execute(sa.select(table))), key=repr)
            for table in SQLModel.metadata.sorted_tables
        }
    folder = Path(app.instance_path)
    state["files"] = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    return state


def client_as(app, user_id: int | None):
    client = app.test_client()
    if user_id is not None:
        sign_in(client, user_id)
    return client


def import_csv() -> dict:
    """The upload form's fields for a one-company CSV that passes every check."""
    text = "name,uscc,focus_area,enterprise_stage\n"
    text += f"重庆导入机器人有限公司,{make_uscc(700)},embodied_ai,growth\n"
    return {"kind": "companies", "file": (io.BytesIO(text.encode()), "new.csv")}


def pending_import(app, user_id: int) -> str:
    """A checked upload waiting for its uploader's confirmation: its token."""
    client = client_as(app, user_id)
    data = {**import_csv(), "csrf_token": csrf_token(client, "/imports")}
    response = client.post("/imports", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.location.rsplit("/", 1)[-1]
