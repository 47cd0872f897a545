from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from fundcrm.domain import stages, uscc
from fundcrm.domain.money import MoneyError, parse_wan, rounded_wan, wan_text
from fundcrm.domain.ratios import parse_ratio


@pytest.mark.parametrize("code", ["914403001922038216", "91310110666007217T"])
def test_domain_examples_are_valid(code):
    assert uscc.check(code).valid


def test_uscc_is_normalised_before_checking():
    result = uscc.check(" 9131 0110 666007217t ")
    assert result.valid and result.code == "91310110666007217T"


def test_wrong_check_character_names_the_expected_one():
    result = uscc.check("914403001922038217")
    assert not result.valid and result.checksum_only and result.expected == "6"


@pytest.mark.parametrize("code", ["91440300192203821", "9144030019220382I6", "914A03001922038216"])
def test_bad_shapes_are_refused(code):
    result = uscc.check(code)
    assert not result.shape_ok and not result.valid


def test_check_character_31_becomes_zero():
    # Σ ≡ 0 (mod 31) gives C = 31, written 0: all zeros is such a code.
    assert uscc.check_character("0" * 17) == "0"


def test_loose_name_key_drops_place_form_and_brackets():
    keys = {
        uscc.name_key(n)
        for n in (
            "重庆市智元机器人（重庆）有限公司",
            "智元机器人(重庆)股份有限公司",
            "重庆 智元机器人有限责任公司",
        )
    }
    assert keys == {"智元机器人"}


def test_wan_amounts_are_exact_to_the_fen():
    assert parse_wan("1234.567891") == Decimal("12345678.91")
    assert parse_wan("0.000001") == Decimal("0.01")
    assert wan_text(Decimal("12345000.00")) == "1234.5"
    assert rounded_wan(Decimal("12345678.91")) == Decimal("1234.57")


@pytest.mark.parametrize(
    "text,code",
    [
        ("-1", "negative"),
        ("abc", "not_a_number"),
        ("1.1234567", "too_precise"),
        ("NaN", "not_a_number"),
    ],
)
def test_bad_wan_amounts(text, code):
    with pytest.raises(MoneyError) as error:
        parse_wan(text)
    assert error.value.code == code


def test_ratios_compare_exactly():
    assert parse_ratio("2/3") == Fraction(2, 3)
    assert parse_ratio("66.67%") != Fraction(2, 3)
    for bad in ("abc", "0", "3/2", "1/0", "120%"):
        with pytest.raises(ValueError):
            parse_ratio(bad)


def test_moves_from_each_stage():
    assert stages.targets("closed", None) == []
    assert stages.targets("on_hold", "screening") == ["screening", "passed"]
    assert stages.targets("passed", "screening") == ["screening"]
    assert "approved" in stages.targets("sourcing", None) and "passed" in stages.targets("ic", None)
    assert stages.traversed("approved", "ic") == ["due_diligence", "ic"]


def test_gates_on_the_way_are_all_applied():
    gates = [stages.Gate(["focus_area"], []), stages.Gate(["focus_area"], ["memo_submitted"])]
    assert stages.combined(gates) == stages.Gate(["focus_area"], ["memo_submitted"])


def test_the_suggested_move_is_never_backward():
    assert stages.suggested_target("sourcing", None) == "screening"
    assert stages.suggested_target("ic", None) == "signing"
    assert stages.suggested_target("signing", None) is None  # only the closing form closes
    assert stages.suggested_target("on_hold", "approved") == "approved"
    assert stages.suggested_target("passed", "screening") == "screening"
    assert "closed" not in stages.menu_targets("signing", None)


def _facts(**overrides):
    base = dict(
        sub_fund="ANGEL",
        allowed_stages=["startup"],
        focus_areas=[],
        cap_pct=Decimal(20),
        size_yuan=Decimal(1000),
        invested_yuan=Decimal(0),
        proposed_yuan=Decimal(200),
        investment_end=date(2029, 1, 1),
        new_company=True,
    )
    return stages.MandateFacts(**{**base, **overrides})


def test_mandate_breaches():
    today = date(2026, 1, 1)
    assert [
        b.code
        for b in stages.mandate_breaches(["approved"], "growth", "large_model", [_facts()], today)
    ] == ["stage"]
    # the cap is checked at IC: 200 of 1000 at 20% is exactly the cap, boundary included
    assert stages.mandate_breaches(["ic"], "startup", "x", [_facts()], today) == []
    over = stages.mandate_breaches(
        ["ic"], "startup", "x", [_facts(proposed_yuan=Decimal("200.01"))], today
    )
    assert [b.code for b in over] == ["cap"]
    late = stages.mandate_breaches(
        ["approved"], "startup", "x", [_facts(investment_end=date(2025, 12, 31))], today
    )
    assert [b.code for b in late] == ["period"]
    assert stages.mandate_breaches(["screening"], "mature", "x", [_facts()], today) == []
