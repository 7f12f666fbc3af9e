"""The Council: its rule at the edges, records applied all or nothing, the pages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests import factories as f
from workflow import pipeline
from workflow.council import services
from workflow.council.models import CouncilAgendaItem, CouncilMeeting
from workflow.council.services import CouncilError, Votes
from workflow.domain import Role, Route, State
from workflow.extensions import db
from workflow.models import AuditEvent, Nomination
from workflow.voting import VotingRule

RULE = VotingRule.parse(">=2/3", ">=2/3")


@pytest.mark.parametrize(("members", "present", "quorate"), [
    (9, 6, True),   # exactly two thirds
    (9, 5, False),  # one short
    (10, 7, True),  # 6.67 needed: seven
    (10, 6, False),
    (3, 2, True),
])
def test_quorum_is_two_thirds_of_all_members(members, present, quorate):
    votes = {"A": Votes(present)}
    if quorate:
        services.check_record(RULE, members, present, votes)
    else:
        with pytest.raises(CouncilError, match="quorum"):
            services.check_record(RULE, members, present, votes)


@pytest.mark.parametrize(("votes_for", "present", "action"), [
    (4, 6, "recommend"),           # exactly two thirds of those present
    (3, 6, "decline_by_council"),
    (5, 7, "recommend"),           # 4.67 needed: five
    (4, 7, "decline_by_council"),
    (7, 7, "recommend"),
])
def test_decision_is_two_thirds_of_those_present(votes_for, present, action):
    assert services.outcome(RULE, Votes(votes_for, present - votes_for), present) == action


def test_the_rule_comes_from_configuration(app):
    app.config["COUNCIL_QUORUM"], app.config["COUNCIL_MAJORITY"] = ">1/2", ">1/2"
    try:
        rule = services.council_rule()
        assert rule.has_quorum(5, 9) and not rule.passes(3, 6)
    finally:
        app.config["COUNCIL_QUORUM"], app.config["COUNCIL_MAJORITY"] = ">=2/3", ">=2/3"


def agenda(n: int, members_total: int = 9):
    officer = f.user(Role.SECRETARIAT)
    meeting = f.council_meeting(members_total)
    noms = [f.nomination(State.UNDER_REVIEW, route=Route.COUNCIL) for _ in range(n)]
    db.session.commit()
    services.add_to_agenda(officer, meeting.id, [x.id for x in noms])
    items = list(db.session.scalars(select(CouncilAgendaItem).order_by(CouncilAgendaItem.id)))
    return officer, meeting, noms, items


def test_a_record_applies_every_outcome(app):
    officer, meeting, noms, items = agenda(2)
    assert {x.status for x in noms} == {State.COUNCIL_AGENDA}
    tally = services.record_meeting(officer, meeting.id, present=6, votes={
        items[0].id: Votes(4, 2), items[1].id: Votes(3, 2, 1)})
    assert tally == {"recommend": 1, "decline_by_council": 1}
    db.session.expire_all()
    assert db.session.get(Nomination, noms[0].id).status == State.RECOMMENDED
    assert db.session.get(Nomination, noms[1].id).status == State.COUNCIL_DECLINED
    assert db.session.get(CouncilMeeting, meeting.id).present == 6
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.nomination_id == noms[0].id,
                                                       AuditEvent.action == "recommend"))
    assert event.data["votes_for"] == 4 and event.data["present"] == 6


@pytest.mark.parametrize(("present", "votes", "says"), [
    (5, (4, 0, 0), "quorum"),          # below quorum: 5 of 9
    (6, (5, 2, 0), "only 6 members"),  # 7 votes, 6 present
])
def test_a_wrong_record_is_refused_and_changes_nothing(app, english, present, votes, says):
    officer, meeting, noms, items = agenda(2)
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(CouncilError, match=says) as raised:
        services.record_meeting(officer, meeting.id, present=present, votes={
            items[0].id: Votes(4), items[1].id: Votes(*votes)})
    if "only" in says:
        assert noms[1].candidate.full_name in str(raised.value)  # it says which item
    db.session.expire_all()
    assert {db.session.get(Nomination, x.id).status for x in noms} == {State.COUNCIL_AGENDA}
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before
    assert db.session.get(CouncilMeeting, meeting.id).recorded_at is None


def test_a_failing_transition_rolls_back_the_whole_record(app, monkeypatch):
    officer, meeting, noms, items = agenda(3)
    real, calls = pipeline.apply, []

    def apply_failing_on_the_third(*args, **kw):
        calls.append(1)
        if len(calls) == 3:
            raise pipeline.TransitionError("boom", "test")
        return real(*args, **kw)

    monkeypatch.setattr(pipeline, "apply", apply_failing_on_the_third)
    with pytest.raises(pipeline.TransitionError):
        services.record_meeting(officer, meeting.id, present=9,
                                votes={i.id: Votes(9) for i in items})
    db.session.expire_all()
    assert {db.session.get(Nomination, x.id).status for x in noms} == {State.COUNCIL_AGENDA}


def test_the_pages_plan_build_and_record_a_meeting(app, english, client, auth):
    officer = f.user(Role.SECRETARIAT)
    nom = f.nomination(State.UNDER_REVIEW, route=Route.COUNCIL)
    auth.login(officer)
    response = client.post("/council/meetings", data={"meeting_date": "2026-12-10",
                                                      "members_total": "12"})
    assert response.status_code == 302
    meeting_id = db.session.scalar(select(CouncilMeeting.id))
    page = client.get(f"/council/meetings/{meeting_id}").get_data(as_text=True)
    assert nom.candidate.full_name in page
    client.post(f"/council/meetings/{meeting_id}/agenda", data={"nomination_ids": [nom.id]})
    item_id = db.session.scalar(select(CouncilAgendaItem.id))
    response = client.post(f"/council/meetings/{meeting_id}/record", data={
        "present": "8", "items-0-item_id": item_id, "items-0-votes_for": "6",
        "items-0-votes_against": "2", "items-0-votes_abstained": "0"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Nomination, nom.id).status == State.RECOMMENDED
    # Recorded once: a second record is refused.
    again = client.post(f"/council/meetings/{meeting_id}/record", data={"present": "8"},
                        follow_redirects=True)
    assert "already recorded" in again.get_data(as_text=True)
