"""Closing an IC vote (DOMAIN.md section 4): the rule, the tally, the outcome. Pure, exact.

Eligible = the meeting's IC members not recused on the item. The outcome is `no_quorum` when
nobody is eligible, when fewer are eligible than the rule's minimum, or when the votes cast
(abstentions included) are fewer than quorum × eligible; `reject` when the approvals (approve
and approve with conditions) are fewer than threshold × eligible, or when an eligible veto
holder voted reject; otherwise `approve_conditions` if an approving vote attached a condition,
else `approve`. Every comparison is between Fractions, boundary included: 2 of 3 meets 2/3,
and 66.67% is not 2/3. A memo covering several sub-funds is decided under the strictest of
their rules (`strictest`).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from fundcrm.domain.ratios import parse_ratio

APPROVE, APPROVE_CONDITIONS, REJECT, ABSTAIN = "approve", "approve_conditions", "reject", "abstain"
VOTE_CHOICES = (APPROVE, APPROVE_CONDITIONS, REJECT, ABSTAIN)
APPROVING = frozenset({APPROVE, APPROVE_CONDITIONS})
NO_QUORUM = "no_quorum"
DEFAULT_MIN_ELIGIBLE = 2  # one person never decides alone


@dataclass(frozen=True)
class VoteRule:
    quorum: Fraction
    threshold: Fraction
    min_eligible: int = DEFAULT_MIN_ELIGIBLE
    veto_holders: frozenset[int] = frozenset()

    @classmethod
    def of(
        cls,
        quorum: str,
        threshold: str,
        min_eligible: int = DEFAULT_MIN_ELIGIBLE,
        veto_holders: Iterable[int] = (),
    ) -> "VoteRule":
        """From a sub-fund's settings as written ('2/3', '66.67%'); ValueError if not ratios."""
        if min_eligible < 1:
            raise ValueError(min_eligible)
        return cls(
            parse_ratio(quorum), parse_ratio(threshold), min_eligible, frozenset(veto_holders)
        )


def strictest(rules: Iterable[VoteRule]) -> VoteRule:
    """The rule of a memo covering several sub-funds: the highest quorum, threshold and
    minimum, and every sub-fund's veto holders."""
    rules = list(rules)
    if not rules:
        raise ValueError("no sub-fund's rule to apply")
    return VoteRule(
        quorum=max(r.quorum for r in rules),
        threshold=max(r.threshold for r in rules),
        min_eligible=max(r.min_eligible for r in rules),
        veto_holders=frozenset().union(*(r.veto_holders for r in rules)),
    )


@dataclass(frozen=True)
class Vote:
    choice: str
    condition: str = ""  # an approving vote's condition, if any


@dataclass(frozen=True)
class Tally:
    """What the decision records: the counts the rule was applied to, and the outcome."""

    rule: VoteRule
    eligible: tuple[int, ...]
    recused: tuple[int, ...]
    cast: int
    approving: int
    rejecting: int
    abstaining: int
    vetoed_by: tuple[int, ...]
    quorum_met: bool
    threshold_met: bool
    outcome: str
    conditions: tuple[tuple[int, str], ...] = field(default=())  # (voter, condition)


def tally(
    rule: VoteRule,
    members: Iterable[int],
    recused: Iterable[int],
    votes: Mapping[int, Vote],
) -> Tally:
    """Apply the rule to the votes of the eligible members (any other vote is not counted)."""
    recused_set = frozenset(recused)
    eligible = tuple(sorted(m for m in set(members) if m not in recused_set))
    counted = {m: votes[m] for m in eligible if m in votes}
    for vote in counted.values():
        if vote.choice not in VOTE_CHOICES:
            raise ValueError(vote.choice)
    approving = [m for m, v in counted.items() if v.choice in APPROVING]
    rejecting = [m for m, v in counted.items() if v.choice == REJECT]
    vetoed_by = tuple(sorted(m for m in rejecting if m in rule.veto_holders))
    n = len(eligible)
    quorum_met = n > 0 and n >= rule.min_eligible and len(counted) >= rule.quorum * n
    threshold_met = n > 0 and len(approving) >= rule.threshold * n
    conditions = tuple(
        (m, counted[m].condition.strip()) for m in sorted(approving) if counted[m].condition.strip()
    )
    return Tally(
        rule=rule,
        eligible=eligible,
        recused=tuple(sorted(recused_set.intersection(members))),
        cast=len(counted),
        approving=len(approving),
        rejecting=len(rejecting),
        abstaining=sum(v.choice == ABSTAIN for v in counted.values()),
        vetoed_by=vetoed_by,
        quorum_met=quorum_met,
        threshold_met=threshold_met,
        outcome=_outcome(quorum_met, threshold_met, vetoed_by, conditions),
        conditions=conditions,
    )


def _outcome(quorum_met: bool, threshold_met: bool, vetoed_by, conditions) -> str:
    if not quorum_met:
        return NO_QUORUM
    if not threshold_met or vetoed_by:
        return REJECT
    return APPROVE_CONDITIONS if conditions else APPROVE
