"""Regional sessions: quorum and majority edges, all-or-nothing closing and forwarding, and
the coordinator's whole path through the browser."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from tests import factories as f
from workflow import bulk, pipeline
from workflow.domain import Role, State
from workflow.extensions import db
from workflow.models import AuditEvent, Nomination, RegionalSession, SessionItem, SessionStatus
from workflow.refusal import Refusal, conflict
from workflow.sessions import services
from workflow.sessions.services import Votes

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


@pytest.fixture(autouse=True)
def english(app):
    """The messages asserted below are the English source strings."""
    from flask_babel import force_locale

    with force_locale("en"):
        yield


@pytest.fixture
def coordinator(app):
    user = f.user(Role.COORDINATOR, "KZ-75")
    db.session.commit()
    return user


def planned(user, n_items: int, members_total: int = 40) -> tuple[RegionalSession, list]:
    """A planned session of 40 members with ``n_items`` submitted nominations on its agenda."""
    session = services.plan_session(user, {"number": "7", "held_on": date(2026, 4, 1),
                                           "place": "Akimat", "members_total": members_total})
    nominations = [f.nomination(State.SUBMITTED) for _ in range(n_items)]
    db.session.commit()
    services.add_to_agenda(user, session.id, [n.id for n in nominations])
    return session, nominations


def items(session) -> list[SessionItem]:
    return list(db.session.scalars(select(SessionItem).where(SessionItem.session_id == session.id)
                                   .order_by(SessionItem.position)))


def test_the_agenda_is_built_through_the_pipeline(coordinator):
    session, nominations = planned(coordinator, 2)
    for n in nominations:
        db.session.refresh(n)
        assert n.status == State.ON_AGENDA
        assert n.events[-1].data == {"session_id": session.id, "session_number": "7",
                                     "held_on": "2026-04-01"}


def test_exactly_half_present_is_no_quorum_with_the_default_rule(coordinator):
    session, _ = planned(coordinator, 1)
    item = items(session)[0]
    with pytest.raises(Refusal, match="No quorum: 20 of 40"):
        services.record(coordinator, session.id, 20, {item.id: Votes(15, 5, 0)})
    db.session.refresh(session)
    assert session.members_present is None and session.status == SessionStatus.PLANNED
    services.record(coordinator, session.id, 21, {item.id: Votes(15, 5, 1)})
    assert items(session)[0].outcome == "support"


def test_votes_above_those_present_are_refused_naming_the_item(coordinator):
    session, nominations = planned(coordinator, 2)
    first, second = items(session)
    with pytest.raises(Refusal, match="Item 2 .*: 32 votes cast but only 30"):
        services.record(coordinator, session.id, 30,
                        {first.id: Votes(20, 5, 5), second.id: Votes(20, 10, 2)})
    assert all(i.outcome is None for i in items(session))


def test_more_present_than_members_is_refused(coordinator):
    session, _ = planned(coordinator, 1)
    with pytest.raises(Refusal, match="more than the 40 members"):
        services.record(coordinator, session.id, 41, {items(session)[0].id: Votes(30, 0, 0)})


@pytest.mark.parametrize(("votes_for", "outcome"), [(15, "decline_regionally"), (16, "support")])
def test_a_tie_is_not_a_majority(coordinator, votes_for, outcome):
    session, _ = planned(coordinator, 1)
    item = items(session)[0]
    services.record(coordinator, session.id, 30, {item.id: Votes(votes_for, 30 - votes_for, 0)})
    assert items(session)[0].outcome == outcome


def test_a_deferred_item_needs_no_votes(coordinator):
    session, _ = planned(coordinator, 1)
    item = items(session)[0]
    services.record(coordinator, session.id, 30, {item.id: Votes(deferred=True)})
    assert items(session)[0].outcome == "defer"


def test_an_item_without_votes_or_deferral_is_refused(coordinator):
    session, _ = planned(coordinator, 1)
    with pytest.raises(Refusal, match="enter the votes or mark it deferred"):
        services.record(coordinator, session.id, 30, {})


def test_a_rule_override_needs_its_reason(coordinator):
    fields = {"number": "8", "held_on": date(2026, 4, 1), "place": "Akimat",
              "members_total": 30, "quorum": ">=2/3"}
    with pytest.raises(Refusal, match="reason"):
        services.plan_session(coordinator, fields)
    session = services.plan_session(coordinator, {**fields, "rule_override_reason": "Charter"})
    assert (session.quorum, session.majority) == (">=2/3", ">1/2")
    assert not services.rule_of(session).has_quorum(19, 30)


def recorded(user, n_items: int) -> tuple[RegionalSession, list[Nomination]]:
    session, nominations = planned(user, n_items)
    outcomes = [Votes(30, 2, 1), Votes(5, 25, 3), Votes(deferred=True), Votes(31, 0, 0)]
    services.record(user, session.id, 33, {
        item.id: outcomes[i % len(outcomes)] for i, item in enumerate(items(session))})
    services.attach_protocol(user, session.id, FileStorage(io.BytesIO(PDF), "protocol.pdf"))
    return session, nominations


def test_closing_applies_every_decision(coordinator):
    session, nominations = recorded(coordinator, 4)
    services.close(coordinator, session.id)
    for n in nominations:
        db.session.refresh(n)
    assert [n.status for n in nominations] == [State.SUPPORTED, State.DECLINED_REGIONALLY,
                                               State.SUBMITTED, State.SUPPORTED]
    assert nominations[0].events[-1].data["votes_for"] == 30
    assert session.status == SessionStatus.CLOSED


def test_closing_without_a_protocol_is_refused(coordinator):
    session, _ = planned(coordinator, 1)
    services.record(coordinator, session.id, 30, {items(session)[0].id: Votes(30, 0, 0)})
    with pytest.raises(Refusal, match="protocol"):
        services.close(coordinator, session.id)


def test_a_close_that_fails_half_way_changes_nothing(coordinator, monkeypatch):
    session, nominations = recorded(coordinator, 4)
    before = ([n.status for n in nominations], [n.version for n in nominations], audit_count())
    real, calls = pipeline.apply, {"n": 0}

    def third_refused(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise Refusal("refused mid-close", code="guard")
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "apply", third_refused)
    with pytest.raises(Refusal):
        services.close(coordinator, session.id)
    assert calls["n"] == 3  # two decisions were applied before the refusal...
    db.session.expire_all()
    after = ([n.status for n in nominations], [n.version for n in nominations], audit_count())
    assert after == before  # ...and rolled back with it
    assert db.session.get(RegionalSession, session.id).status == SessionStatus.RECORDED


def test_bulk_forwarding_is_all_or_nothing(coordinator, monkeypatch):
    session, nominations = recorded(coordinator, 4)
    services.close(coordinator, session.id)
    supported = [n for n in nominations if n.status == State.SUPPORTED]
    assert len(supported) == 2
    events = audit_count()
    real, calls = pipeline.apply, {"n": 0}

    def second_refused(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise conflict()
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "apply", second_refused)
    batch = services.forward_supported(coordinator, session.id)
    assert not batch.applied
    assert [(o.nomination_id, o.result) for o in batch.outcomes] == [
        (supported[0].id, bulk.Result.HELD_BACK), (supported[1].id, bulk.Result.REFUSED)]
    db.session.expire_all()
    assert [n.status for n in supported] == [State.SUPPORTED, State.SUPPORTED]
    assert audit_count() == events
    monkeypatch.setattr(pipeline, "apply", real)
    batch = services.forward_supported(coordinator, session.id)
    assert batch.applied and [o.result for o in batch.outcomes] == [bulk.Result.DONE] * 2
    db.session.expire_all()
    assert [n.status for n in supported] == [State.FORWARDED, State.FORWARDED]
    with pytest.raises(Refusal, match="No supported nomination"):
        services.forward_supported(coordinator, session.id)


def test_schedule_and_decisions_need_a_session(coordinator):
    nomination = f.nomination(State.SUBMITTED)
    with pytest.raises(Refusal, match="regional session") as error:
        pipeline.apply(nomination, "schedule", coordinator, channel=pipeline.Channel.BUTTON)
    assert error.value.code == "wrong_channel"
    with pytest.raises(Refusal) as error:  # through its channel, but naming no session
        pipeline.apply(nomination, "schedule", coordinator,
                       channel=pipeline.Channel.REGIONAL_SESSION)
    assert (error.value.code, error.value.field) == ("missing_data", "session_id")


# --- The whole path, as the browser does it. ------------------------------------------------


def test_create_submit_session_close_forward_in_the_browser(client, auth, coordinator):
    association = f.AssociationFactory(region=f.region("KZ-75"))
    db.session.commit()
    auth.login(coordinator)
    client.post("/language", data={"lang": "en"})
    nomination_form = {
        "surname": "Ким", "given_name": "Виктор", "iin": "900101300811",
        "birth_date": "1990-01-01", "sex": "male", "citizenship": "KZ", "ethnicity": "корей",
        "association_id": str(association.id), "justification": "Leads the Korean centre.",
        "consent_given_on": "2026-02-01", "consent_form": "electronic",
        "consent_scope": "Secretariat, term of membership",
        "decision_file": (io.BytesIO(PDF), "decision.pdf"),
        "consent_file": (io.BytesIO(PDF), "consent.pdf"),
        "cv_file": (io.BytesIO(PDF), "cv.pdf"), "save_submit": "1",
    }
    response = client.post("/nominations/new", data=nomination_form,
                           content_type="multipart/form-data")
    assert response.status_code == 302
    nomination = db.session.scalar(select(Nomination))
    assert nomination.status == State.SUBMITTED

    response = client.post("/sessions/new", data={
        "number": "2026/1", "held_on": "2026-04-10", "place": "Almaty, akimat",
        "members_total": "50", "quorum": ">1/2", "majority": ">1/2"})
    assert response.status_code == 302
    session = db.session.scalar(select(RegionalSession))
    url = f"/sessions/{session.id}"
    assert nomination.candidate.surname in client.get(url).get_data(as_text=True)

    client.post(f"{url}/agenda", data={"nominations": [str(nomination.id)]})
    db.session.expire_all()
    assert nomination.status == State.ON_AGENDA
    item = items(session)[0]

    refused = client.post(f"{url}/record", data={
        "members_present": "25", "items-0-item_id": str(item.id), "items-0-votes_for": "20"})
    assert refused.status_code == 422 and "No quorum" in refused.get_data(as_text=True)
    client.post(f"{url}/record", data={
        "members_present": "40", "items-0-item_id": str(item.id), "items-0-votes_for": "35",
        "items-0-votes_against": "3", "items-0-votes_abstain": "2"})
    client.post(f"{url}/protocol", data={"protocol": (io.BytesIO(PDF), "protocol.pdf")},
                content_type="multipart/form-data")
    page = client.get(url).get_data(as_text=True)
    assert "Supported" in page and "Download the protocol" in page

    client.post(f"{url}/close")
    db.session.expire_all()
    assert nomination.status == State.SUPPORTED
    forwarded = client.post(f"{url}/forward")
    page = forwarded.get_data(as_text=True)
    assert forwarded.status_code == 200 and nomination.reference_code in page and "Done" in page
    db.session.expire_all()
    assert nomination.status == State.FORWARDED
    assert [e.action for e in nomination.events] == [
        "create", "submit", "schedule", "support", "forward"]
    home = client.get("/").get_data(as_text=True)
    assert "Every supported nomination has been forwarded." in home


def test_an_item_withdrawn_before_the_record_is_left_out(coordinator):
    session, nominations = planned(coordinator, 2)
    pipeline.apply(nominations[0].id, "withdraw", coordinator, channel=pipeline.Channel.FORM,
                   comment="Recalled")
    db.session.commit()
    second = items(session)[1]
    services.record(coordinator, session.id, 30, {second.id: Votes(25, 5, 0)})
    services.attach_protocol(coordinator, session.id,
                             FileStorage(io.BytesIO(PDF), "protocol.pdf"))
    services.close(coordinator, session.id)
    db.session.expire_all()
    assert [n.status for n in nominations] == [State.WITHDRAWN, State.SUPPORTED]


def test_votes_are_not_recorded_for_a_session_still_to_come(coordinator):
    from workflow.validators import today

    session, nominations = planned(coordinator, 1)
    session.held_on = today() + timedelta(days=1)
    db.session.commit()
    item = items(session)[0]
    with pytest.raises(Refusal, match="a day still to come"):
        services.record(coordinator, session.id, 30, {item.id: Votes(25, 5, 0)})
    db.session.expire_all()
    assert db.session.get(RegionalSession, session.id).status == SessionStatus.PLANNED
    assert items(session)[0].votes_for is None
    session.held_on = today()  # on the day itself, it is recorded
    db.session.commit()
    services.record(coordinator, session.id, 30, {item.id: Votes(25, 5, 0)})


def test_a_stale_tab_sees_the_stored_record_only(client, auth, coordinator):
    session, nominations = planned(coordinator, 1)
    item = items(session)[0]
    services.record(coordinator, session.id, 30, {item.id: Votes(25, 5, 0)})
    services.attach_protocol(coordinator, session.id,
                             FileStorage(io.BytesIO(PDF), "protocol.pdf", content_type="application/pdf"))
    services.close(coordinator, session.id)
    auth.login(coordinator)
    client.post("/language", data={"lang": "en"})
    stale = client.post(f"/sessions/{session.id}/record", data={
        "members_present": "39", "items-0-item_id": str(item.id), "items-0-votes_for": "11",
        "items-0-votes_against": "17", "items-0-votes_abstain": "2"})
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "This step is not possible while the session is" in page
    for refused in ('value="39"', 'value="11"', 'value="17"'):
        assert refused not in page
    for stored in ('value="30"', 'value="25"', 'value="5"'):
        assert stored in page


def test_an_item_is_taken_off_a_planned_session_from_its_page(client, auth, coordinator):
    session, nominations = planned(coordinator, 2)
    auth.login(coordinator)
    page = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    remove = f"/sessions/{session.id}/items/{nominations[0].id}/remove"
    assert f'action="{remove}"' in page
    assert client.post(remove).status_code == 302
    db.session.expire_all()
    assert db.session.get(Nomination, nominations[0].id).status == State.SUBMITTED
    assert [i.nomination_id for i in items(session)] == [nominations[1].id]
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.nomination_id == nominations[0].id, AuditEvent.action == "unschedule"))
    assert event is not None
