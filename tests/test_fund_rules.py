"""One rule, one function: each fund-setup rule runs through the setup form and through an import
file with the same input, and both refuse (with the same message) or accept alike."""

import html
import re
from decimal import Decimal

import pytest
from sqlmodel import select

from fundcrm.cli import main
from fundcrm.models import Commitment, LimitedPartner, SubFund
from tests import factories
from tests.conftest import post_form, sign_in

SUB_FUND_FORM = {
    "code": "SEED",
    "name": "种子基金",
    "target_wan": "50000",
    "first_close": "2025-01-01",
    "investment_end": "2030-01-01",
    "term_end": "2035-01-01",
    "project_cap_pct": "15",
    "ic_quorum": "3/5",
    "ic_threshold": "60%",
    "ic_min_eligible": "2",
}
SUB_FUND_HEAD = "code,name,target_wan,first_close,investment_end,term_end,project_cap_pct,"
SUB_FUND_HEAD += "ic_quorum,ic_threshold,ic_min_eligible\n"
COMMITMENT_HEAD = "lp_name,lp_type,is_government,sub_fund,committed_wan,"
COMMITMENT_HEAD += "reinvest_ratio,reinvest_area,reinvest_base\n"


@pytest.fixture
def admin(client, staff):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in(client, staff["admin"].id)
    return staff


def form_page(client, url: str, data: dict) -> tuple[int, str]:
    response = post_form(client, url, data, follow_redirects=True)
    return len(response.history), html.unescape(response.get_data(as_text=True))


def import_file(app, tmp_path, kind: str, text: str):
    path = tmp_path / f"{kind}.csv"
    path.write_text(text, "utf-8")
    return app.test_cli_runner().invoke(main, ["import", kind, str(path)])


def sub_fund_row(values: dict) -> str:
    columns = SUB_FUND_HEAD.strip().split(",")
    return SUB_FUND_HEAD + ",".join(values.get(c, "") for c in columns) + "\n"


def prefilled(page: str, name: str) -> str:
    return re.search(rf'name="{name}"[^>]*value="([^"]*)"', page).group(1)


def codes(dbs) -> set[str]:
    dbs.expire_all()
    return {f.code for f in dbs.exec(select(SubFund)).all()}


# -- sub-fund settings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "column", "message"),
    [
        ({"code": "SEED.1"}, "code", "A code has capital letters A–Z, digits, - and _ only."),
        ({"target_wan": "0"}, "target_wan", "The target size must be more than zero."),
        ({"project_cap_pct": "0"}, "project_cap_pct", "The cap must be more than 0 percent."),
        (
            {"ic_quorum": "3/2"},
            "ic_quorum",
            "Write a fraction such as 2/3 or a percentage such as 60%, at most 1 (100%).",
        ),
        ({"ic_min_eligible": "0"}, "ic_min_eligible", "At least 1 and at most 99 members."),
        (
            {"investment_end": "2036-01-01"},
            "investment_end",
            "Dates must run first close ≤ investment period end ≤ term end.",
        ),
    ],
)
def test_a_sub_fund_rule_refuses_alike_in_the_form_and_the_import(
    app, client, admin, dbs, tmp_path, change, column, message
):
    values = {**SUB_FUND_FORM, **change}
    redirects, page = form_page(client, "/funds/sub-funds/new", values)
    assert redirects == 0 and message in page
    result = import_file(app, tmp_path, "sub_funds", sub_fund_row(values))
    assert result.exit_code == 1
    assert f"row 2, column {column}: {message}" in result.output, result.output
    assert codes(dbs) == {"ANGEL", "INDUSTRY"}


@pytest.mark.parametrize("path", ["form", "import"])
def test_a_new_sub_fund_starts_from_the_same_defaults(app, client, admin, dbs, tmp_path, path):
    defaulted = ("project_cap_pct", "ic_quorum", "ic_min_eligible")
    values = {k: v for k, v in SUB_FUND_FORM.items() if k not in defaulted}
    if path == "form":  # the form shows the defaults filled in, and the user keeps them
        page = client.get("/funds/sub-funds/new").get_data(as_text=True)
        shown = {name: prefilled(page, name) for name in defaulted}
        assert form_page(client, "/funds/sub-funds/new", {**values, **shown})[0] == 1
    else:
        assert import_file(app, tmp_path, "sub_funds", sub_fund_row(values)).exit_code == 0
    fund = dbs.exec(select(SubFund).where(SubFund.code == "SEED")).one()
    assert fund.project_cap_pct == Decimal(app.config["DEFAULT_PROJECT_CAP_PCT"])
    assert fund.ic_quorum == app.config["DEFAULT_IC_QUORUM"] and fund.ic_threshold == "60%"
    assert fund.ic_min_eligible == app.config["DEFAULT_IC_MIN_ELIGIBLE"] == 2


# -- commitments ---------------------------------------------------------------------------------


def commitment_form(lp, fund, **values) -> dict:
    return {"lp_id": str(lp.id), "sub_fund_id": str(fund.id), "committed_wan": "2000", **values}


def commitment_row(lp, fund, government: bool, **values) -> str:
    cells = [
        lp.name,
        lp.lp_type,
        "true" if government else "false",
        fund.code,
        values.get("committed_wan", "2000"),
        values.get("reinvest_ratio", ""),
        ";".join(values.get("reinvest_area", [])),
        values.get("reinvest_base", ""),
    ]
    return ",".join(cells) + "\n"


def pledges(dbs, lp) -> dict[str, Commitment]:
    dbs.expire_all()
    found = dbs.exec(select(Commitment).where(Commitment.lp_id == lp.id)).all()
    return {c.sub_fund.code: c for c in found}


@pytest.mark.parametrize(
    ("values", "column", "message"),
    [
        ({"committed_wan": "0"}, "committed_wan", "The committed amount must be more than zero."),
        (
            {"reinvest_ratio": "1.2", "reinvest_area": ["chongqing", "渝北区"]},
            "reinvest_area",
            "Choose the whole city or a list of districts, not both.",
        ),
    ],
)
def test_a_commitment_rule_refuses_alike_in_the_form_and_the_import(
    app, client, admin, dbs, tmp_path, values, column, message
):
    lp, fund = admin["lp"], admin["industry"]
    redirects, page = form_page(
        client, "/funds/commitments/new", commitment_form(lp, fund, **values)
    )
    assert redirects == 0 and message in page
    text = COMMITMENT_HEAD + commitment_row(lp, fund, True, **values)
    result = import_file(app, tmp_path, "commitments", text)
    assert result.exit_code == 1
    assert f"row 2, column {column}: {message}" in result.output, result.output
    assert set(pledges(dbs, lp)) == {"ANGEL"}


def test_a_second_commitment_to_one_sub_fund_is_refused_alike(app, client, admin, dbs, tmp_path):
    lp, fund = admin["lp"], admin["angel"]  # the pipeline's LP has committed to ANGEL
    message = "This LP already has a commitment to this sub-fund."
    redirects, page = form_page(client, "/funds/commitments/new", commitment_form(lp, fund))
    assert redirects == 0 and message in page
    other = factories.lp(dbs, "两江新区产业基金", "district_fof")
    dbs.commit()
    row = commitment_row(other, admin["industry"], True)
    result = import_file(app, tmp_path, "commitments", COMMITMENT_HEAD + row + row)
    assert result.exit_code == 1
    assert f"row 3, column sub_fund: {message} (rows 2 and 3)" in result.output, result.output
    assert pledges(dbs, other) == {}


@pytest.mark.parametrize("path", ["form", "import"])
def test_a_government_commitment_takes_the_same_default_terms(
    app, client, admin, dbs, tmp_path, path
):
    lp, fund = admin["lp"], admin["industry"]
    if path == "form":
        assert form_page(client, "/funds/commitments/new", commitment_form(lp, fund))[0] == 1
    else:
        text = COMMITMENT_HEAD + commitment_row(lp, fund, True)
        assert import_file(app, tmp_path, "commitments", text).exit_code == 0
    pledge = pledges(dbs, lp)["INDUSTRY"]
    assert (pledge.reinvest_ratio, pledge.reinvest_area, pledge.reinvest_base) == (
        Decimal(app.config["DEFAULT_REINVEST_RATIO"]),
        [app.config["DEFAULT_REINVEST_AREA"]],
        app.config["DEFAULT_REINVEST_BASE"],
    )


@pytest.mark.parametrize("path", ["form", "import"])
def test_a_private_lps_commitment_keeps_no_terms_either_way(
    app, client, admin, dbs, tmp_path, path
):
    private = factories.lp(dbs, "渝创机器人集团", "industry_leader", government=False)
    dbs.commit()
    terms = {"reinvest_ratio": "1.5", "reinvest_area": ["渝北区"], "reinvest_base": "paid_in"}
    fund = admin["industry"]
    if path == "form":
        form = commitment_form(private, fund, **terms)
        assert form_page(client, "/funds/commitments/new", form)[0] == 1
    else:
        text = COMMITMENT_HEAD + commitment_row(private, fund, False, **terms)
        result = import_file(app, tmp_path, "commitments", text)
        assert result.exit_code == 0 and "Ignored: only a government LP's" in result.output
    pledge = pledges(dbs, private)["INDUSTRY"]
    assert (pledge.reinvest_ratio, pledge.reinvest_area, pledge.reinvest_base) == (None, [], None)


# -- an LP's government flag -------------------------------------------------------------------


@pytest.fixture
def private_lp(admin, dbs):
    """A private LP committed to INDUSTRY, without re-investment terms."""
    lp = factories.lp(dbs, "渝创机器人集团", "industry_leader", government=False)
    factories.commitment(dbs, lp, admin["industry"], "100000000.00")
    dbs.commit()
    return lp


NOTICE_DEFAULTS = "The commitments to INDUSTRY take the default re-investment terms: check them."
NOTICE_CLEARED = "The commitments to ANGEL no longer carry a re-investment requirement."


@pytest.mark.parametrize("path", ["form", "import"])
def test_an_lp_becoming_government_gives_its_commitments_the_default_terms_alike(
    app, client, admin, dbs, tmp_path, private_lp, path
):
    if path == "form":
        form = {"name": private_lp.name, "lp_type": "industry_leader", "is_government": "y"}
        redirects, page = form_page(client, f"/funds/lps/{private_lp.id}/edit", form)
        assert redirects == 1 and NOTICE_DEFAULTS in page
    else:
        row = commitment_row(private_lp, admin["angel"], True, reinvest_ratio="1.5")
        result = import_file(app, tmp_path, "commitments", COMMITMENT_HEAD + row)
        assert result.exit_code == 0, result.output
        assert f"row 2, column is_government: {NOTICE_DEFAULTS}" in result.output
    industry = pledges(dbs, private_lp)["INDUSTRY"]
    assert industry.reinvest_ratio == Decimal(app.config["DEFAULT_REINVEST_RATIO"])
    assert industry.reinvest_area == [app.config["DEFAULT_REINVEST_AREA"]]
    assert dbs.get(LimitedPartner, private_lp.id).is_government


@pytest.mark.parametrize("path", ["form", "import"])
def test_an_lp_no_longer_government_drops_its_commitments_terms_alike(
    app, client, admin, dbs, tmp_path, path
):
    lp = admin["lp"]  # a government LP committed to ANGEL with terms
    if path == "form":
        form = {"name": lp.name, "lp_type": lp.lp_type}
        redirects, page = form_page(client, f"/funds/lps/{lp.id}/edit", form)
        assert redirects == 1 and NOTICE_CLEARED in page
    else:
        row = commitment_row(lp, admin["industry"], False)
        result = import_file(app, tmp_path, "commitments", COMMITMENT_HEAD + row)
        assert result.exit_code == 0, result.output
        assert f"row 2, column is_government: {NOTICE_CLEARED}" in result.output
    assert pledges(dbs, lp)["ANGEL"].reinvest_ratio is None
    assert not dbs.get(LimitedPartner, lp.id).is_government
