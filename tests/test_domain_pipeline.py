"""The pipeline's figures of a year (DOMAIN.md 8.7) as pure functions: the deals reaching each
stage (a move into or through it), their conversion to the next stage by 31 December, the median
days per stage over the stays completed in the year, pass reasons and sources."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fundcrm.domain import pipeline
from fundcrm.domain.pipeline import Move
from fundcrm.domain.stages import PATH


def walk(deal: int, start: date, *steps: tuple[str, int]) -> list[Move]:
    """A deal created on `start`, then moved to each stage so many days after the move before."""
    moves, stage, on = [Move(deal, None, "sourcing", start)], "sourcing", start
    for target, days in steps:
        on = on + timedelta(days=days)
        moves.append(Move(deal, stage, target, on))
        stage = target
    return moves


# deal 1: created 2025-03-01; 初筛 after 10 days; straight to 尽调 after 10 more (through 立项);
# back to 初筛 after 30; to 立项 after 20 (its second stay in 初筛: 30 days in all).
# deal 2: created 2024-12-01; 初筛 on 2025-01-06 (36 days); passed 26 days later.
# deal 3: created 2025-12-20; 初筛 in 2026 (its stay in 项目储备 ends after the year).
MOVES = [
    *walk(1, date(2025, 3, 1), ("screening", 10), ("due_diligence", 10), ("screening", 30),
          ("approved", 20)),
    *walk(2, date(2024, 12, 1), ("screening", 36), ("passed", 26)),
    *walk(3, date(2025, 12, 20), ("screening", 16)),
]  # fmt: skip


def by_stage(year=2025):
    return {s.stage: s for s in pipeline.year_stages(MOVES, year)}


def test_a_deal_reaches_the_stages_it_passes_through():
    found = pipeline.reached(MOVES, 2025)
    assert found["sourcing"] == {1, 3}  # deal 2 was created in 2024
    assert found["screening"] == {1, 2}
    assert found["approved"] == {1}  # passed through on 2025-03-21, entered again on 05-10
    assert found["due_diligence"] == {1}
    assert "ic" not in found
    assert pipeline.reached(MOVES, 2026) == {"screening": {3}}


def test_conversion_counts_the_next_stage_reached_by_31_december():
    stages = by_stage()
    assert (stages["sourcing"].reached, stages["sourcing"].converted) == (2, 1)  # 3: in 2026
    assert stages["sourcing"].conversion == Decimal("0.5")
    assert (stages["screening"].converted, stages["screening"].conversion) == (1, Decimal("0.5"))
    # 立项 and 尽调 entered by the same move, in the path's order
    assert (stages["approved"].converted, stages["approved"].conversion) == (1, Decimal(1))
    assert (stages["due_diligence"].converted, stages["due_diligence"].conversion) == (0, 0)
    assert (stages["ic"].reached, stages["ic"].converted, stages["ic"].conversion) == (0, 0, None)
    assert (stages["closed"].converted, stages["closed"].conversion) == (None, None)


def test_median_days_sum_re_entries_and_count_a_stage_passed_through_as_nothing():
    stages = by_stage()
    assert pipeline.stay_days(MOVES, 2025)["screening"] == {1: 30, 2: 26}
    assert stages["sourcing"].median_days == Decimal(23)  # 10 and 36; deal 3's ends in 2026
    assert stages["screening"].median_days == Decimal(28)  # 30 (10 + 20) and 26
    assert (stages["approved"].median_days, stages["approved"].stays) == (Decimal(0), 1)
    assert stages["due_diligence"].median_days == Decimal(30)
    assert stages["ic"].median_days is None and stages["ic"].stays == 0
    assert by_stage(2026)["sourcing"].median_days == Decimal(16)


def test_a_move_back_enters_only_its_target():
    assert pipeline.entered(Move(1, "ic", "screening", date(2025, 1, 1))) == ["screening"]
    assert pipeline.entered(Move(1, "screening", "ic", date(2025, 1, 1))) == [
        "approved", "due_diligence", "ic"]  # fmt: skip
    assert pipeline.entered(Move(1, "on_hold", "approved", date(2025, 1, 1))) == ["approved"]


def test_a_conversion_needs_a_move_after_the_one_reaching_the_stage():
    moves = walk(7, date(2024, 12, 1), ("approved", 9), ("screening", 26))  # back on 2025-01-04
    assert pipeline.converted(moves, "screening", "approved", 2025) is False  # 立项 came before
    assert pipeline.converted(moves, "screening", "approved", 2024) is True  # through it


def test_median_whole_days_and_tallies():
    assert pipeline.median([3, 1, 2]) == 2
    assert pipeline.median([1, 2]) == Decimal("1.5")
    assert pipeline.median([]) is None
    assert pipeline.whole_days(Decimal("1.5")) == 2 and pipeline.whole_days(None) is None
    assert pipeline.tally(["own", None, "park", "own"]) == [("own", 2), ("park", 1), (None, 1)]
    reasons = ["估值过高", " 估值过高 ", "团队 不完整", None]
    assert pipeline.pass_reason_counts(reasons) == [("估值过高", 2), ("团队 不完整", 1), (None, 1)]


def test_the_dashboards_funnel_is_unchanged():
    steps = pipeline.funnel({"sourcing": 10, "screening": 4})
    assert [(s.stage, s.count) for s in steps[:3]] == [("sourcing", 10), ("screening", 4),
                                                       ("approved", 0)]  # fmt: skip
    assert steps[0].conversion is None and steps[1].conversion == 0.4


# -- properties over random forward walks within one year --------------------------------------

forward_walk = st.lists(st.tuples(st.integers(1, 3), st.integers(0, 40)), max_size=6)
PROPERTY = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])  # fmt: skip


def forward(deal: int, steps) -> list[Move]:
    moves, at, on = [Move(deal, None, "sourcing", date(2025, 1, 1))], 0, date(2025, 1, 1)
    for jump, days in steps:
        if at + jump >= len(PATH):
            break
        on = min(on + timedelta(days=days), date(2025, 12, 31))
        moves.append(Move(deal, PATH[at], PATH[at + jump], on))
        at += jump
    return moves


@PROPERTY
@given(st.lists(forward_walk, max_size=8))
def test_forward_walks_in_one_year_convert_exactly_into_the_next_stage(walks):
    moves = [m for deal, steps in enumerate(walks) for m in forward(deal, steps)]
    found = pipeline.year_stages(moves, 2025)
    for here, following in zip(found, found[1:], strict=False):
        assert here.converted == following.reached
        assert here.reached >= following.reached
        if here.reached:
            assert Decimal(0) <= here.conversion <= Decimal(1)
    assert found[0].reached == len(walks)


@PROPERTY
@given(st.lists(st.integers(0, 400), min_size=1, max_size=30))
def test_the_median_lies_between_the_extremes(values):
    middle = pipeline.median(values)
    assert min(values) <= middle <= max(values)
    below = sum(1 for v in values if v < middle)
    assert below <= len(values) / 2
