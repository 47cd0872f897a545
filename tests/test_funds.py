import json
from decimal import Decimal

from sqlmodel import select

from fundcrm.models import AuditEntry, Commitment, FundSettings, LimitedPartner, SubFund
from tests.conftest import post_form, sign_in

SUB_FUND = {
    "code": "SEED",
    "name": "种子基金",
    "target_wan": "50000",
    "first_close": "2025-01-01",
    "investment_end": "2030-01-01",
    "term_end": "2035-01-01",
    "allowed_stages": ["startup"],
    "focus_areas": ["large_model", "embodied_ai"],
    "project_cap_pct": "15",
    "ic_quorum": "3/5",
    "ic_threshold": "60%",
    "ic_min_eligible": "2",
}


def test_everyone_reads_the_fund_setup(client, staff):
    """The sub-funds and their totals for everyone; the LPs and their commitments only for
    those who read LP accounts (read_lp_accounts)."""
    sign_in(client, staff["viewer"].id)
    page = client.get("/funds").get_data(as_text=True)
    assert "ANGEL" in page and "30,000.00" in page
    assert "重庆市产业投资母基金" not in page and "1.2×" not in page
    assert "/funds/sub-funds/" not in page  # no edit links for a viewer
    sign_in(client, staff["manager"].id)
    page = client.get("/funds").get_data(as_text=True)
    assert "重庆市产业投资母基金" in page and "1.2×" in page


def test_admin_sets_the_fund_name_target_and_phases(client, staff, dbs):
    sign_in(client, staff["admin"].id)
    response = post_form(
        client,
        "/funds/settings",
        {
            "name": "重庆AI及服务机器人基金",
            "target_wan": "1000000",
            "phases": "一期：50亿元\n二期：50亿元",
        },
    )
    assert response.status_code == 302
    settings = dbs.exec(select(FundSettings)).one()
    assert settings.target_yuan == Decimal("10000000000.00")
    page = client.get("/funds").get_data(as_text=True)
    assert "100.00 亿元" in page and "<li>二期：50亿元</li>" in page


def test_admin_creates_a_sub_fund_with_every_lpa_setting(client, staff, dbs):
    sign_in(client, staff["admin"].id)
    response = post_form(
        client,
        "/funds/sub-funds/new",
        {**SUB_FUND, "veto_holder_ids": [str(staff["ic_member"].id)]},
    )
    assert response.status_code == 302
    fund = dbs.exec(select(SubFund).where(SubFund.code == "SEED")).one()
    assert (fund.target_yuan, fund.project_cap_pct, fund.ic_quorum, fund.ic_threshold) == (
        Decimal("500000000.00"),
        Decimal("15"),
        "3/5",
        "60%",
    )
    assert fund.allowed_stages == ["startup"] and fund.veto_holder_ids == [staff["ic_member"].id]
    entry = dbs.exec(
        select(AuditEntry).where(
            AuditEntry.table_name == "sub_funds", AuditEntry.row_id == str(fund.id)
        )
    ).one()
    assert entry.actor_label == staff["admin"].email


def test_bad_sub_fund_settings_are_refused(client, staff, dbs):
    sign_in(client, staff["admin"].id)
    cases = [
        ({"code": "angel"}, "该代码已被其他子基金使用"),
        ({"ic_quorum": "two thirds"}, "请写成不超过 1（100%）的分数"),
        ({"project_cap_pct": "120"}, "请输入 0 到 100 之间的百分比"),
        ({"investment_end": "2036-01-01"}, "首次交割日 ≤ 投资期截止日 ≤ 存续期截止日"),
        ({"target_wan": "-1"}, "金额须为正数"),
        ({"allowed_stages": ["teen"]}, "无效的代码：teen"),
    ]
    for fields, message in cases:
        page = post_form(client, "/funds/sub-funds/new", {**SUB_FUND, **fields}).get_data(
            as_text=True
        )
        assert message in page, fields
    assert {f.code for f in dbs.exec(select(SubFund)).all()} == {"ANGEL", "INDUSTRY"}


def test_editing_a_sub_fund_is_audited_old_to_new(client, staff, dbs):
    sign_in(client, staff["admin"].id)
    fund = staff["angel"]
    post_form(
        client,
        f"/funds/sub-funds/{fund.id}",
        {**SUB_FUND, "code": "ANGEL", "name": fund.name, "project_cap_pct": "25"},
    )
    entry = dbs.exec(
        select(AuditEntry).where(
            AuditEntry.table_name == "sub_funds", AuditEntry.action == "update"
        )
    ).one()
    assert json.loads(entry.changes)["project_cap_pct"] == ["20.0000", "25"]


def test_government_commitment_carries_its_reinvestment_requirement(client, staff, dbs):
    sign_in(client, staff["admin"].id)
    district = LimitedPartner(
        name="两江新区产业发展投资基金", lp_type="district_fof", is_government=True
    )
    dbs.add(district)
    dbs.commit()
    form = {
        "lp_id": str(district.id),
        "sub_fund_id": str(staff["industry"].id),
        "committed_wan": "20000",
        "reinvest_ratio": "1.5",
        "reinvest_area": ["渝北区", "江北区"],
        "reinvest_base": "paid_in",
    }
    assert "返投区域请选择全市或若干区县" in post_form(
        client, "/funds/commitments/new", {**form, "reinvest_area": ["chongqing", "渝北区"]}
    ).get_data(as_text=True)
    assert post_form(client, "/funds/commitments/new", form).status_code == 302
    pledge = dbs.exec(select(Commitment).where(Commitment.lp_id == district.id)).one()
    assert (pledge.reinvest_ratio, pledge.reinvest_area, pledge.reinvest_base) == (
        Decimal("1.5"),
        ["渝北区", "江北区"],
        "paid_in",
    )
    assert "该出资人已认缴此子基金" in post_form(client, "/funds/commitments/new", form).get_data(
        as_text=True
    )


def test_a_private_lp_has_no_reinvestment_requirement(client, staff, dbs):
    sign_in(client, staff["admin"].id)
    post_form(
        client, "/funds/lps/new", {"name": "渝创机器人产业集团", "lp_type": "industry_leader"}
    )
    leader = dbs.exec(
        select(LimitedPartner).where(LimitedPartner.name == "渝创机器人产业集团")
    ).one()
    assert not leader.is_government
    post_form(
        client,
        "/funds/commitments/new",
        {
            "lp_id": str(leader.id),
            "sub_fund_id": str(staff["industry"].id),
            "committed_wan": "150000",
            "reinvest_ratio": "1.2",
            "reinvest_area": ["chongqing"],
        },
    )
    pledge = dbs.exec(select(Commitment).where(Commitment.lp_id == leader.id)).one()
    assert pledge.reinvest_ratio is None and pledge.reinvest_area == []
