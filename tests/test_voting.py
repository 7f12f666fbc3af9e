import pytest

from workflow.refusal import Refusal
from workflow.voting import ItemRefusals, Threshold, VotingRule, check_item


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


# --- check_item: the rules every decided item is checked by, in a session and in the Council. ---


class Named(ItemRefusals):
    """Says which rule refused: its refusal's code is the method's name."""

    def negative(self, t):
        return Refusal("", code="negative")

    def recused_above_present(self, t):
        return Refusal("", code="recused_above_present")

    def no_quorum(self, t):
        return Refusal("", code="no_quorum")

    def votes_above_counted(self, t):
        return Refusal("", code="votes_above_counted")


def first_fault(quorum: str, members: int, present: int, recused: int, votes) -> str | None:
    """What ``check_item`` must refuse first, worked out in integers, not by the rule's code."""
    strict = not quorum.startswith(">=")
    num, den = (int(x) for x in quorum.lstrip(">=").split("/"))
    count = present - recused
    quorate = count * den > members * num if strict else count * den >= members * num
    if any(v < 0 for v in votes):
        return "negative"
    if recused > present:
        return "recused_above_present"
    if not quorate:
        return "no_quorum"
    if sum(votes) > count:
        return "votes_above_counted"
    return None


# The Council's rule (Law No. 70-IV Art. 10) and a region's default.
@pytest.mark.parametrize(("quorum", "majority"), [(">=2/3", ">=2/3"), (">1/2", ">1/2")])
def test_an_item_is_refused_for_the_first_rule_it_breaks(quorum, majority):
    rule = VotingRule.parse(quorum, majority)
    members, seen = 12, set()
    for present in range(members + 1):
        for recused in range(5):
            n = present - recused
            for votes in {(n, 0, 0), (n - 1, 1, 0), (0, n, 1), (n + 1, 0, 0), (-1, 0, 0),
                          (1, -1, 0), (0, 0, n + 1)}:
                want = first_fault(quorum, members, present, recused, votes)
                seen.add(want)
                if want is None:
                    check_item(rule, members, present, recused, votes, Named())
                    continue
                with pytest.raises(Refusal) as refused:
                    check_item(rule, members, present, recused, votes, Named())
                assert refused.value.code == want, (present, recused, votes)
    assert seen == {None, "negative", "recused_above_present", "no_quorum",
                    "votes_above_counted"}


def test_votes_not_given_count_as_none():
    rule = VotingRule.parse(">1/2", ">1/2")  # of 7 members, a quorum of 4
    check_item(rule, 7, 5, 1, (4, None, None), Named())
    with pytest.raises(Refusal) as refused:
        check_item(rule, 7, 5, 1, (4, None, 1), Named())
    assert refused.value.code == "votes_above_counted"


def session_item(position: int = 2):
    from workflow.models import Candidate, Nomination, RegionalSession, SessionItem

    candidate = Candidate(surname="Serikova", given_name="Aigerim")
    session = RegionalSession(quorum=">=2/3", majority=">=2/3", members_total=40)
    return SessionItem(position=position, nomination=Nomination(candidate=candidate)), session


def council_words():
    from workflow.council.services import _Item

    return _Item("Serikova Aigerim")


def record_words():
    from workflow.sessions.services import _RecordedItem

    return _RecordedItem(session_item()[0])


def step_words():
    from workflow.sessions.services import _StepItem

    return _StepItem(*session_item())


TWO_THIRDS_OF_40 = VotingRule.parse(">=2/3", ">=2/3")  # a quorum of 27


# Each body's refusal, as it was before the checks were written once: the same words, code and
# field, the figures filled in by check_item. 30 present of 40.
@pytest.mark.parametrize(("words", "recused", "votes", "said", "field"), [
    (council_words, 0, (-1, 0, 0), "Votes cannot be negative (Serikova Aigerim).", None),
    (council_words, 31, (1, 0, 0), "Serikova Aigerim: 31 recused but only 30 present.", None),
    (council_words, 4, (1, 0, 0), "Serikova Aigerim: with 4 recused, 26 of 40 members count, "
     "and the quorum needs 27. Mark the item deferred.", None),
    (council_words, 0, (20, 10, 1),
     "Serikova Aigerim: 31 votes recorded but only 30 members present.", None),
    (council_words, 3, (20, 7, 1), "Serikova Aigerim: 28 votes recorded but only 27 members "
     "count (30 present, 3 recused).", None),
    (record_words, 0, (0, -1, 0), "Votes cannot be negative (Item 2 (Serikova Aigerim)).", None),
    (record_words, 31, (1, 0, 0), "Item 2 (Serikova Aigerim): 31 recused but only 30 present.",
     "items-1-recused"),
    (record_words, 4, (1, 0, 0), "Item 2 (Serikova Aigerim): with 4 recused, 26 of 40 members "
     "count, and the quorum needs 27. Mark the item deferred.", "items-1-recused"),
    (record_words, 0, (20, 10, 1),
     "Item 2 (Serikova Aigerim): 31 votes cast but only 30 members present.", None),
    (record_words, 3, (20, 7, 1), "Item 2 (Serikova Aigerim): 28 votes cast but only 27 "
     "members count (30 present, 3 recused).", None),
    (step_words, 0, (0, 0, -1), "Votes cannot be negative (Item 2 (Serikova Aigerim)).", None),
    (step_words, 31, (1, 0, 0), "More recused than present.", "recused"),
    (step_words, 4, (1, 0, 0), "No quorum: 30 of 40 members present, at least 27 needed "
     "(rule >=2/3).", "members_present"),
    (step_words, 0, (20, 10, 1), "Item 2: 31 votes cast but only 30 members present.", None),
    (step_words, 3, (20, 7, 1), "Item 2: 28 votes cast but only 27 members present.", None),
])
def test_each_body_refuses_an_item_in_its_own_words(english, words, recused, votes, said,
                                                      field):
    with pytest.raises(Refusal) as refused:
        check_item(TWO_THIRDS_OF_40, 40, 30, recused, votes, words())
    assert str(refused.value) == said
    assert (refused.value.code, refused.value.field, refused.value.status) == (
        "invalid", field, 422)
