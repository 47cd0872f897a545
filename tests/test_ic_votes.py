"""The IC vote rule of DOMAIN.md section 4, table-driven: every outcome and its boundaries."""

from fractions import Fraction

import pytest

from fundcrm.domain.ic_votes import (
    ABSTAIN,
    APPROVE,
    APPROVE_CONDITIONS,
    NO_QUORUM,
    REJECT,
    Vote,
    VoteRule,
    strictest,
    tally,
)

TWO_THIRDS = VoteRule.of("2/3", "2/3")
A, C, R, X = (
    Vote(APPROVE),
    Vote(APPROVE_CONDITIONS, "交割前完成股权结构调整"),
    Vote(REJECT),
    Vote(ABSTAIN),
)


def votes(*choices):
    """Members 1, 2, 3, … voting in order; None: did not vote."""
    return {m: v for m, v in enumerate(choices, start=1) if v is not None}


CASES = [
    # (why, rule, members, recused, votes, outcome, eligible, cast, approving)
    ("2 of 3 meets 2/3", TWO_THIRDS, 3, (), votes(A, A, R), APPROVE, 3, 3, 2),
    ("1 of 3 does not", TWO_THIRDS, 3, (), votes(A, R, R), REJECT, 3, 3, 1),
    (
        "66.67% is not 2/3: 2 of 3 fails it",
        VoteRule.of("2/3", "66.67%"),
        3,
        (),
        votes(A, A, R),
        REJECT,
        3,
        3,
        2,
    ),
    (
        "66.67% quorum: 2 of 3 cast is short",
        VoteRule.of("66.67%", "1/2"),
        3,
        (),
        votes(A, A, None),
        NO_QUORUM,
        3,
        2,
        2,
    ),
    (
        "2 of 3 cast meets a 2/3 quorum",
        VoteRule.of("2/3", "1/2"),
        3,
        (),
        votes(A, A, None),
        APPROVE,
        3,
        2,
        2,
    ),
    ("no quorum: 1 of 3 cast", TWO_THIRDS, 3, (), votes(A, None, None), NO_QUORUM, 3, 1, 1),
    (
        "abstentions count for the quorum, not as approvals",
        TWO_THIRDS,
        3,
        (),
        votes(A, X, X),
        REJECT,
        3,
        3,
        1,
    ),
    (
        "abstentions complete a quorum that approves",
        VoteRule.of("2/3", "1/2"),
        4,
        (),
        votes(A, A, X, None),
        APPROVE,
        4,
        3,
        2,
    ),
    ("eligible below the minimum", TWO_THIRDS, 3, (2, 3), votes(A, None, None), NO_QUORUM, 1, 1, 1),
    ("everyone recused", TWO_THIRDS, 3, (1, 2, 3), {}, NO_QUORUM, 0, 0, 0),
    (
        "a minimum of 3 with 3 eligible decides",
        VoteRule.of("2/3", "2/3", 3),
        3,
        (),
        votes(A, A, A),
        APPROVE,
        3,
        3,
        3,
    ),
    (
        "a minimum of 4 with 3 eligible does not",
        VoteRule.of("2/3", "2/3", 4),
        3,
        (),
        votes(A, A, A),
        NO_QUORUM,
        3,
        3,
        3,
    ),
    (
        "a recusal shrinks the eligible count: 2 of 2",
        TWO_THIRDS,
        3,
        (3,),
        votes(A, A, None),
        APPROVE,
        2,
        2,
        2,
    ),
    (
        "a recused member's vote is not counted",
        TWO_THIRDS,
        3,
        (3,),
        votes(A, R, R),
        REJECT,
        2,
        2,
        1,
    ),
    (
        "a veto holder's reject rejects",
        VoteRule.of("1/2", "1/2", 2, [3]),
        4,
        (),
        votes(A, A, R, A),
        REJECT,
        4,
        4,
        3,
    ),
    (
        "a veto holder's abstention does not",
        VoteRule.of("1/2", "1/2", 2, [3]),
        4,
        (),
        votes(A, A, X, A),
        APPROVE,
        4,
        4,
        3,
    ),
    (
        "a recused veto holder has no veto",
        VoteRule.of("1/2", "1/2", 2, [3]),
        4,
        (3,),
        votes(A, A, R, A),
        APPROVE,
        3,
        3,
        3,
    ),
    (
        "a veto holder who is not a member has none",
        VoteRule.of("1/2", "1/2", 2, [9]),
        3,
        (),
        votes(A, A, R) | {9: R},
        APPROVE,
        3,
        3,
        2,
    ),
    (
        "a condition makes it approve with conditions",
        TWO_THIRDS,
        3,
        (),
        votes(A, C, R),
        APPROVE_CONDITIONS,
        3,
        3,
        2,
    ),
    (
        "a rejected item keeps no conditions' outcome",
        TWO_THIRDS,
        3,
        (),
        votes(C, R, R),
        REJECT,
        3,
        3,
        1,
    ),
    (
        "a non-member's vote is not counted",
        TWO_THIRDS,
        3,
        (),
        votes(A, R, None) | {7: A},
        REJECT,
        3,
        2,
        1,
    ),
]


@pytest.mark.parametrize(
    "rule,members,recused,cast_votes,outcome,eligible,cast,approving",
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_the_outcome(rule, members, recused, cast_votes, outcome, eligible, cast, approving):
    result = tally(rule, range(1, members + 1), recused, cast_votes)
    assert result.outcome == outcome
    assert (len(result.eligible), result.cast, result.approving) == (eligible, cast, approving)


def test_two_sub_funds_are_decided_under_the_strictest_of_their_rules():
    angel = VoteRule.of("1/2", "2/3", 2, [1])
    industry = VoteRule.of("3/4", "1/2", 3, [2])
    rule = strictest([angel, industry])
    assert rule == VoteRule(Fraction(3, 4), Fraction(2, 3), 3, frozenset({1, 2}))
    # 3 of 4 approve: enough for either threshold, but member 2 (INDUSTRY's veto) rejects
    assert tally(rule, [1, 2, 3, 4], [], votes(A, R, A, A)).outcome == REJECT
    assert tally(angel, [1, 2, 3, 4], [], votes(A, R, A, A)).outcome == APPROVE
    # 2 of 4 cast, both approving: a quorum of 1/2 is met, the stricter 3/4 is not
    half = VoteRule.of("1/2", "1/2")
    assert tally(half, [1, 2, 3, 4], [], votes(A, A)).outcome == APPROVE
    both = strictest([half, VoteRule.of("3/4", "1/2")])
    assert tally(both, [1, 2, 3, 4], [], votes(A, A)).outcome == NO_QUORUM


def test_the_tally_records_the_conditions_recusals_and_veto():
    rule = VoteRule.of("2/3", "2/3", 2, [4])
    result = tally(rule, [1, 2, 3, 4], [2], {1: C, 3: Vote(APPROVE_CONDITIONS, " 补充专利 "), 4: A})
    assert result.outcome == APPROVE_CONDITIONS
    assert result.recused == (2,) and result.eligible == (1, 3, 4)
    assert result.conditions == ((1, "交割前完成股权结构调整"), (3, "补充专利"))
    vetoed = tally(rule, [1, 2, 3, 4], [], votes(A, A, A, R))
    assert vetoed.outcome == REJECT and vetoed.vetoed_by == (4,) and vetoed.threshold_met


@pytest.mark.parametrize("bad", [("0", "2/3"), ("2/3", "150%"), ("two thirds", "2/3")])
def test_a_rule_is_made_of_ratios_only(bad):
    with pytest.raises(ValueError):
        VoteRule.of(*bad)
    with pytest.raises(ValueError):
        VoteRule.of("2/3", "2/3", 0)


def test_an_unknown_choice_is_refused():
    with pytest.raises(ValueError):
        tally(TWO_THIRDS, [1, 2], [], {1: Vote("maybe")})
