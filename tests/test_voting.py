import pytest

from workflow.voting import Threshold, VotingRule


def test_council_rule_at_exactly_two_thirds():
    rule = VotingRule.parse(">=2/3", ">=2/3")
    assert rule.has_quorum(20, 30)
    assert not rule.has_quorum(19, 30)
    assert rule.passes(14, 21)
    assert not rule.passes(13, 21)


def test_regional_default_needs_more_than_half():
    rule = VotingRule.parse(">1/2", ">1/2")
    assert not rule.has_quorum(10, 20)  # exactly half is not a quorum
    assert rule.has_quorum(11, 20)
    assert not rule.passes(5, 10)  # a tie does not pass
    assert rule.passes(6, 10)


@pytest.mark.parametrize("text", ["1/2", ">3/2", ">1/0", "=1/2", ">a/b", ""])
def test_malformed_rules_are_refused(text):
    with pytest.raises(ValueError):
        Threshold.parse(text)


def test_minimum_matches_met():
    t = Threshold.parse(">=2/3")
    for members in range(1, 60):
        m = t.minimum(members)
        assert t.met(m, members)
        assert m == 0 or not t.met(m - 1, members)
    assert str(t) == ">=2/3"
