"""Sessions as they really go (issue 12 item 3): a planned session edited, rescheduled or
cancelled (its agenda back through the pipeline), a session held without quorum, and the
refusals: a recorded session stays as recorded, another region's coordinator reaches nothing."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from tests import factories as f
from workflow.domain import Role, State
from workflow.extensions import db
from workflow.models import AuditEvent, Nomination, RegionalSession, SessionItem, SessionStatus
from workflow.refusal import Refusal
from workflow.sessions import services
from workflow.sessions.services import Votes
from workflow.validators import today

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def english(app):
    from flask_babel import force_locale

    with force_locale("en"):
        yield


@pytest.fixture
def coordinator(app):
    user = f.user(Role.COORDINATOR, "KZ-75")
    db.session.commit()
    return user


def planned(user, n_items: int, *, held_on: date = date(2026, 4, 1),
            members_total: int = 40) -> tuple[RegionalSession, list[Nomination]]:
    session = services.plan_session(user, {"number": "7", "held_on": held_on, "place": "Akimat",
                                           "members_total": members_total})
    nominations = [f.nomination(State.SUBMITTED) for _ in range(n_items)]
    db.session.commit()
    if nominations:
        services.add_to_agenda(user, session.id, [n.id for n in nominations])
    return session, nominations


def items(session) -> list[SessionItem]:
    return list(db.session.scalars(select(SessionItem).where(SessionItem.session_id == session.id)
                                   .order_by(SessionItem.position)))


def session_events(session, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "session", AuditEvent.entity_id == session.id,
        AuditEvent.action == action)))


# --- Edit, reschedule, cancel. ------------------------------------------------------------------


def test_a_planned_session_is_edited_and_the_change_audited(coordinator):
    session, _ = planned(coordinator, 1)
    services.edit_session(coordinator, session.id,
                          {"number": "7a", "place": "Congress hall", "members_total": 45})
    db.session.expire_all()
    session = db.session.get(RegionalSession, session.id)
    assert (session.number, session.place, session.members_total) == ("7a", "Congress hall", 45)
    [event] = session_events(session, "edit")
    assert set(event.changes) == {"number", "place", "members_total"}
    assert event.actor_id == coordinator.id
    # The agenda item still answers to the session under its new number.
    item = items(session)[0]
    services.record(coordinator, session.id, 30, {item.id: Votes(20, 5, 5)})
    assert items(session)[0].outcome == "support"


def test_an_edit_to_another_sessions_number_is_refused(coordinator):
    services.plan_session(coordinator, {"number": "6", "held_on": date(2026, 3, 1),
                                        "place": "Akimat", "members_total": 40})
    session, _ = planned(coordinator, 0)
    with pytest.raises(Refusal, match="already has a session with this number") as refused:
        services.edit_session(coordinator, session.id,
                              {"number": "6", "place": "Akimat", "members_total": 40})
    assert refused.value.field == "number"


def test_rescheduling_moves_the_date_and_refuses_the_past(coordinator):
    session, nominations = planned(coordinator, 1)
    with pytest.raises(Refusal, match="in the past") as refused:
        services.reschedule(coordinator, session.id, today() - timedelta(days=1))
    assert refused.value.field == "held_on"
    later = today() + timedelta(days=10)
    services.reschedule(coordinator, session.id, later)
    db.session.expire_all()
    assert db.session.get(RegionalSession, session.id).held_on == later
    [event] = session_events(session, "reschedule")
    assert event.data == {"from": "2026-04-01", "to": later.isoformat()}
    # What the agenda's steps record of the session follows the new date.
    services.remove_from_agenda(coordinator, session.id, nominations[0].id)
    db.session.refresh(nominations[0])
    assert nominations[0].events[-1].data["held_on"] == later.isoformat()


def test_cancelling_puts_the_agenda_back_through_the_pipeline(coordinator):
    session, nominations = planned(coordinator, 3)
    assert services.cancel_session(coordinator, session.id, "The akim's schedule changed") == 3
    db.session.expire_all()
    session = db.session.get(RegionalSession, session.id)
    assert session.status == SessionStatus.CANCELLED
    assert session.cancel_reason == "The akim's schedule changed"
    assert items(session) == []
    for n in nominations:
        db.session.refresh(n)
        assert n.status == State.SUBMITTED
        last = n.events[-1]
        assert last.action == "unschedule" and last.data["cancelled"] is True
        assert last.data["session_id"] == session.id
    [event] = session_events(session, "cancel")
    assert event.comment == "The akim's schedule changed" and event.data == {"returned": 3}
    # Each nomination can go on another session's agenda.
    other = services.plan_session(coordinator, {"number": "8", "held_on": date(2026, 5, 1),
                                                "place": "Akimat", "members_total": 40})
    assert services.add_to_agenda(coordinator, other.id, [n.id for n in nominations]) == 3


def test_a_cancellation_needs_its_reason(coordinator):
    session, nominations = planned(coordinator, 1)
    with pytest.raises(Refusal, match="reason") as refused:
        services.cancel_session(coordinator, session.id, "  ")
    assert refused.value.field == "reason"
    db.session.refresh(nominations[0])
    assert nominations[0].status == State.ON_AGENDA


@pytest.mark.parametrize("step", ["edit", "reschedule", "cancel"])
def test_a_recorded_session_cannot_be_changed(coordinator, step):
    session, _ = planned(coordinator, 1)
    services.record(coordinator, session.id, 30, {items(session)[0].id: Votes(20, 5, 5)})
    call = {
        "edit": lambda: services.edit_session(
            coordinator, session.id, {"number": "9", "place": "x", "members_total": 40}),
        "reschedule": lambda: services.reschedule(coordinator, session.id,
                                                  today() + timedelta(days=3)),
        "cancel": lambda: services.cancel_session(coordinator, session.id, "late"),
    }[step]
    with pytest.raises(Refusal, match="is recorded") as refused:
        call()
    assert (refused.value.code, refused.value.status) == ("wrong_state", 409)
    db.session.expire_all()
    assert db.session.get(RegionalSession, session.id).status == SessionStatus.RECORDED
    assert session_events(session, step) == []


def test_a_cancelled_session_stays_cancelled(coordinator):
    session, _ = planned(coordinator, 0)
    services.cancel_session(coordinator, session.id, "Postponed indefinitely")
    with pytest.raises(Refusal, match="cancelled"):
        services.reschedule(coordinator, session.id, today() + timedelta(days=3))
    with pytest.raises(Refusal):
        services.record(coordinator, session.id, 30, {})


@pytest.mark.parametrize("step", ["edit", "reschedule", "cancel"])
def test_another_regions_coordinator_reaches_nothing(coordinator, step):
    session, nominations = planned(coordinator, 1)
    stranger = f.user(Role.COORDINATOR, "KZ-71")
    db.session.commit()
    call = {
        "edit": lambda: services.edit_session(
            stranger, session.id, {"number": "9", "place": "x", "members_total": 40}),
        "reschedule": lambda: services.reschedule(stranger, session.id,
                                                  today() + timedelta(days=3)),
        "cancel": lambda: services.cancel_session(stranger, session.id, "not mine"),
    }[step]
    with pytest.raises(Refusal, match="not in your area of work") as refused:
        call()
    assert refused.value.status == 404
    db.session.expire_all()
    assert db.session.get(RegionalSession, session.id).status == SessionStatus.PLANNED
    assert db.session.get(Nomination, nominations[0].id).status == State.ON_AGENDA


# --- Held without quorum. ---------------------------------------------------------------------


def test_votes_below_quorum_are_refused_pointing_to_the_no_quorum_record(coordinator):
    session, _ = planned(coordinator, 1)
    with pytest.raises(Refusal, match="No quorum: 20 of 40.*held without quorum") as refused:
        services.record(coordinator, session.id, 20, {items(session)[0].id: Votes(15, 5, 0)})
    assert refused.value.code == "no_quorum" and refused.value.field == "members_present"


def test_a_session_without_quorum_defers_every_item_through_the_pipeline(coordinator):
    session, nominations = planned(coordinator, 2)
    services.record_no_quorum(coordinator, session.id, 18)
    db.session.expire_all()
    session = db.session.get(RegionalSession, session.id)
    assert session.no_quorum and session.members_present == 18
    assert session.status == SessionStatus.RECORDED
    assert [(i.outcome, i.deferred, i.votes_for) for i in items(session)] == [
        ("defer", True, None), ("defer", True, None)]
    [event] = session_events(session, "no_quorum")
    assert event.data == {"present": 18, "members_total": 40, "needed": 21}
    services.attach_protocol(coordinator, session.id,
                             FileStorage(io.BytesIO(PDF), "protocol.pdf"))
    services.close(coordinator, session.id)
    for n in nominations:
        db.session.refresh(n)
        assert n.status == State.SUBMITTED
        assert n.events[-1].action == "defer" and n.events[-1].data["no_quorum"] is True


def test_a_quorum_present_is_not_recorded_as_none(coordinator):
    session, _ = planned(coordinator, 1)
    with pytest.raises(Refusal, match="make a quorum: record the votes"):
        services.record_no_quorum(coordinator, session.id, 21)
    db.session.expire_all()
    assert not db.session.get(RegionalSession, session.id).no_quorum


def test_votes_recorded_after_a_no_quorum_record_replace_it(coordinator):
    """A coordinator who ticked "no quorum" by mistake records the votes before closing."""
    session, _ = planned(coordinator, 1)
    services.record_no_quorum(coordinator, session.id, 10)
    services.record(coordinator, session.id, 30, {items(session)[0].id: Votes(20, 5, 5)})
    db.session.expire_all()
    assert not db.session.get(RegionalSession, session.id).no_quorum
    assert items(session)[0].outcome == "support"


# --- The pages. ---------------------------------------------------------------------------------


def test_the_page_edits_reschedules_and_cancels(client, auth, coordinator):
    session, nominations = planned(coordinator, 1)
    auth.login(coordinator)
    client.post("/language", data={"lang": "en"})
    url = f"/sessions/{session.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Change or cancel the session" in page
    refused = client.post(f"{url}/reschedule", data={"held_on": "2020-01-01"})
    assert refused.status_code == 422 and "in the past" in refused.get_data(as_text=True)
    refused = client.post(f"{url}/cancel", data={"reason": ""})
    assert refused.status_code == 422 and "Give the reason" in refused.get_data(as_text=True)
    assert client.post(f"{url}/edit", data={"number": "7/2", "place": "Hall",
                                            "members_total": "41"}).status_code == 302
    assert client.post(f"{url}/cancel", data={"reason": "No hall"}).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Reason: No hall" in page and "Change or cancel the session" not in page
    db.session.expire_all()
    assert db.session.get(Nomination, nominations[0].id).status == State.SUBMITTED
    again = client.post(f"{url}/edit", data={"number": "7/3", "place": "Hall",
                                             "members_total": "41"})
    assert again.status_code == 409 and "cancelled" in again.get_data(as_text=True)


def test_the_page_records_a_session_without_quorum(client, auth, coordinator):
    session, _ = planned(coordinator, 1)
    item = items(session)[0]
    auth.login(coordinator)
    client.post("/language", data={"lang": "en"})
    url = f"/sessions/{session.id}"
    refused = client.post(f"{url}/record", data={
        "members_present": "12", "items-0-item_id": str(item.id), "items-0-votes_for": "10"})
    assert refused.status_code == 422 and "held without quorum" in refused.get_data(as_text=True)
    done = client.post(f"{url}/record", data={
        "members_present": "12", "no_quorum": "y", "items-0-item_id": str(item.id)})
    assert done.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Held without quorum." in page and "12 of 40 members present" in page


def test_a_cancelled_session_is_no_longer_coming_and_the_list_says_so(client, auth, coordinator):
    session, _ = planned(coordinator, 1, held_on=today() + timedelta(days=5))
    assert [s.id for s in services.upcoming(coordinator)] == [session.id]
    services.cancel_session(coordinator, session.id, "No hall")
    assert services.upcoming(coordinator) == []
    auth.login(coordinator)
    client.post("/language", data={"lang": "en"})
    page = client.get("/sessions/").get_data(as_text=True)
    assert 'text-bg-dark">Cancelled<' in page
