"""The Council: its rule at the edges, records applied all or nothing, the pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests import factories as f
from workflow import pipeline
from workflow.council import services
from workflow.council.services import Votes
from workflow.domain import Role, Route, State
from workflow.extensions import db
from workflow.models import AuditEvent, CouncilAgendaItem, CouncilMeeting, Nomination
from workflow.refusal import Refusal
from workflow.validators import today
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
        with pytest.raises(Refusal, match="quorum"):
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
    assert tally == {"recommend": 1, "decline_by_council": 1, "defer": 0}
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
    with pytest.raises(Refusal, match=says) as raised:
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
            raise Refusal("boom", code="test")
        return real(*args, **kw)

    monkeypatch.setattr(pipeline, "apply", apply_failing_on_the_third)
    with pytest.raises(Refusal):
        services.record_meeting(officer, meeting.id, present=9,
                                votes={i.id: Votes(9) for i in items})
    db.session.expire_all()
    assert {db.session.get(Nomination, x.id).status for x in noms} == {State.COUNCIL_AGENDA}


def test_the_pages_plan_build_and_record_a_meeting(app, english, client, auth):
    officer = f.user(Role.SECRETARIAT)
    nom = f.nomination(State.UNDER_REVIEW, route=Route.COUNCIL)
    auth.login(officer)
    response = client.post("/council/meetings", data={"meeting_date": today().isoformat(),
                                                      "members_total": "12"})
    assert response.status_code == 302
    meeting_id = db.session.scalar(select(CouncilMeeting.id))
    page = client.get(f"/council/meetings/{meeting_id}").get_data(as_text=True)
    assert nom.candidate.full_name in page
    client.post(f"/council/meetings/{meeting_id}/agenda", data={"nomination_ids": [nom.id]})
    item_id = db.session.scalar(select(CouncilAgendaItem.id))
    response = client.post(f"/council/meetings/{meeting_id}/record", data={
        "present": "8", "items-0-item_id": item_id, "items-0-votes_for": "6",
        "items-0-votes_against": "2", "items-0-votes_abstained": "0", "confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Nomination, nom.id).status == State.RECOMMENDED
    # Recorded once: a second record is refused.
    again = client.post(f"/council/meetings/{meeting_id}/record", data={"present": "8"},
                        follow_redirects=True)
    assert "already recorded" in again.get_data(as_text=True)


def record_data(items, rows, present="8", confirm=True) -> dict:
    """The vote form as a browser sends it: ``rows`` are (for, against, abstained, deferred)."""
    data = {"present": present, **({"confirm": "y"} if confirm else {})}
    for n, (item, row) in enumerate(zip(items, rows, strict=True)):
        data[f"items-{n}-item_id"] = item.id
        for name, value in zip(("votes_for", "votes_against", "votes_abstained"), row[:3],
                               strict=True):
            data[f"items-{n}-{name}"] = value
        if row[3]:
            data[f"items-{n}-deferred"] = "y"
    return data


def test_an_empty_cell_keeps_every_typed_vote_and_names_its_row(app, english, client, auth):
    officer, meeting, noms, items = agenda(3)
    auth.login(officer)
    response = client.post(f"/council/meetings/{meeting.id}/record", data=record_data(
        items, [("7", "1", "0", False), ("6", "", "1", False), ("5", "2", "1", False)]))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    # Which row: its number and candidate.
    assert f"Row 2 ({noms[1].candidate.full_name}): enter the votes" in page
    assert f"Row 1 ({noms[0].candidate.full_name})" not in page
    # Every figure typed is still in its cell.
    for n, (value_for, value_abstained) in enumerate([("7", "0"), ("6", "1"), ("5", "1")]):
        assert f'name="items-{n}-votes_for" type="number" value="{value_for}"' in page
        assert f'name="items-{n}-votes_abstained" type="number" value="{value_abstained}"' in page
    assert 'value="8"' in page  # those present
    db.session.expire_all()
    assert {db.session.get(Nomination, x.id).status for x in noms} == {State.COUNCIL_AGENDA}


def test_recording_needs_the_confirmation_on_the_server(app, english, client, auth):
    officer, meeting, noms, items = agenda(1)
    auth.login(officer)
    response = client.post(f"/council/meetings/{meeting.id}/record", data=record_data(
        items, [("7", "1", "0", False)], confirm=False))
    assert response.status_code == 422
    assert "Tick the confirmation" in response.get_data(as_text=True)
    assert 'value="7"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(CouncilMeeting, meeting.id).recorded_at is None
    page = client.get(f"/council/meetings/{meeting.id}").get_data(as_text=True)
    assert 'name="confirm"' in page and "I confirm these figures are final" in page


def test_an_item_deferred_on_the_vote_form_returns_to_review(app, english, client, auth):
    officer, meeting, noms, items = agenda(2)
    auth.login(officer)
    response = client.post(f"/council/meetings/{meeting.id}/record", data=record_data(
        items, [("7", "1", "0", False), ("", "", "", True)]))
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Nomination, noms[0].id).status == State.RECOMMENDED
    assert db.session.get(Nomination, noms[1].id).status == State.UNDER_REVIEW
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.nomination_id == noms[1].id, AuditEvent.action == "take_off_council_agenda"))
    assert event.data["deferred"] is True and event.actor_id == officer.id
    page = client.get(f"/council/meetings/{meeting.id}").get_data(as_text=True)
    assert "Deferred" in page


def test_an_item_is_taken_off_a_planned_agenda_from_the_meeting_page(app, english, client, auth):
    officer, meeting, noms, items = agenda(2)
    auth.login(officer)
    page = client.get(f"/council/meetings/{meeting.id}").get_data(as_text=True)
    remove = f"/council/meetings/{meeting.id}/items/{noms[0].id}/remove"
    assert f'action="{remove}"' in page
    assert client.post(remove).status_code == 302
    db.session.expire_all()
    assert db.session.get(Nomination, noms[0].id).status == State.UNDER_REVIEW
    assert [i.nomination_id for i in db.session.get(CouncilMeeting, meeting.id).items] == [
        noms[1].id]


def test_a_stale_tab_sees_the_stored_record_not_its_refused_figures(app, english, client, auth):
    officer, meeting, noms, items = agenda(1)
    auth.login(officer)
    client.post(f"/council/meetings/{meeting.id}/record",
                data=record_data(items, [("7", "1", "0", False)]))
    stale = client.post(f"/council/meetings/{meeting.id}/record",
                        data=record_data(items, [("2", "5", "1", False)]))
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "already recorded" in page
    assert 'value="2"' not in page and 'value="5"' not in page
    assert ">7<" in page


def test_a_meeting_in_the_future_cannot_be_recorded(app, english, client, auth):
    officer, meeting, noms, items = agenda(1)
    meeting.meeting_date = today() + timedelta(days=1)
    db.session.commit()
    auth.login(officer)
    response = client.post(f"/council/meetings/{meeting.id}/record",
                           data=record_data(items, [("7", "1", "0", False)]))
    assert response.status_code == 409
    assert "a day still to come" in response.get_data(as_text=True)
    assert 'value="7"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(CouncilMeeting, meeting.id).recorded_at is None


def test_a_meeting_cannot_be_planned_in_the_past(app, english, client, auth):
    auth.login(f.user(Role.SECRETARIAT))
    response = client.post("/council/meetings", data={
        "meeting_date": (today() - timedelta(days=1)).isoformat(), "members_total": "12"})
    assert response.status_code == 422
    assert "This date is in the past" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CouncilMeeting)) == 0
    with pytest.raises(Refusal, match="in the past"):
        services.plan_meeting(f.user(Role.SECRETARIAT), meeting_date=today() - timedelta(days=1),
                              members_total=12)
