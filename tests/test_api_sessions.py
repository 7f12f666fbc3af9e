"""A regional session's record through the JSON API: an item's recusal, and a session held
without quorum — the same services as the session page (tests/test_recusal.py,
tests/test_session_changes.py), reached through ``POST /api/v1/sessions/{id}/decisions`` and
``…/no-quorum``."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from tests import factories as f
from workflow.account import tokens
from workflow.domain import Role, State
from workflow.extensions import db
from workflow.models import AuditEvent, Nomination, RegionalSession, SessionItem, SessionStatus
from workflow.sessions import services as sessions

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def bearer(user) -> dict:
    db.session.commit()
    _row, plain = tokens.create(user, "the akimat's system", 30)
    return {"Authorization": f"Bearer {plain}", "Accept-Language": "en"}


@pytest.fixture
def coordinator(app):
    user = f.user(Role.COORDINATOR, "KZ-75")
    db.session.commit()
    return user


def planned(client, user, headers, *, n_items: int = 1, members_total: int = 9,
            majority: str = ">=2/3") -> tuple[dict, list[Nomination]]:
    """A session planned through the API (a quorum of more than half, decisions by at least
    two thirds of those who count), with submitted nominations on its agenda."""
    answer = client.post("/api/v1/sessions", headers=headers, json={
        "number": "API-9", "held_on": "2026-04-01", "place": "Akimat",
        "members_total": members_total, "quorum": ">1/2", "majority": majority,
        "rule_override_reason": "The region's charter"})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    session = answer.get_json()
    nominations = [f.nomination(State.SUBMITTED) for _ in range(n_items)]
    db.session.commit()
    sessions.add_to_agenda(user, session["id"], [n.id for n in nominations])
    listed = client.get("/api/v1/sessions", headers=headers).get_json()["items"]
    return next(s for s in listed if s["id"] == session["id"]), nominations


RELATIVES = {"count": 3, "names": "A. Serikov, B. Serikova, C. Serikov", "reason": "relative"}


@pytest.mark.parametrize(("votes_for", "outcome"), [(4, "support"), (3, "decline_regionally")])
def test_an_item_is_recorded_with_its_recusal_and_counted_without_the_recused(
        client, coordinator, votes_for, outcome):
    headers = bearer(coordinator)
    session, _ = planned(client, coordinator, headers)
    item_id = session["items"][0]["item_id"]
    # 9 present, 3 recused: 6 count, and two thirds of 6 is 4 (over all 9 present, 6 would be
    # needed: 4 passes only because the recused are not counted).
    answer = client.post(f"/api/v1/sessions/{session['id']}/decisions", headers=headers, json={
        "members_present": 9, "items": [{"item_id": item_id, "votes_for": votes_for,
                                         "votes_against": 6 - votes_for, "votes_abstain": 0,
                                         "recusal": RELATIVES}]})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    [returned] = answer.get_json()["items"]
    assert returned["outcome"] == outcome
    assert returned["recusal"] == {**RELATIVES, "note": None}
    db.session.expire_all()
    item = db.session.get(SessionItem, item_id)
    assert (item.outcome, item.recused, item.recusal_names, item.recusal_reason) == (
        outcome, 3, RELATIVES["names"], "relative")
    # The list reads the recusal as recorded.
    listed = next(s for s in client.get("/api/v1/sessions", headers=headers).get_json()["items"]
                  if s["id"] == session["id"])
    assert listed["items"][0]["recusal"]["count"] == 3


def test_an_item_without_a_recusal_reads_null(client, coordinator):
    headers = bearer(coordinator)
    session, _ = planned(client, coordinator, headers, majority=">1/2")
    item_id = session["items"][0]["item_id"]
    answer = client.post(f"/api/v1/sessions/{session['id']}/decisions", headers=headers, json={
        "members_present": 9, "items": [{"item_id": item_id, "votes_for": 5,
                                         "votes_against": 4}]})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["items"][0]["recusal"] is None
    assert answer.get_json()["items"][0]["outcome"] == "support"


def test_more_recused_than_present_is_refused_and_nothing_is_stored(client, coordinator):
    headers = bearer(coordinator)
    session, _ = planned(client, coordinator, headers)
    item_id = session["items"][0]["item_id"]
    answer = client.post(f"/api/v1/sessions/{session['id']}/decisions",
                         headers={**headers, "Accept-Language": "ru"}, json={
        "members_present": 6, "items": [{"item_id": item_id, "votes_for": 0,
                                         "recusal": {**RELATIVES, "count": 7}}]})
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert answer.mimetype == "application/problem+json"
    problem = answer.get_json()
    # The service's refusal (Recusal.checked), naming the row's field, in the caller's language.
    assert problem["code"] == "invalid" and problem["field"] == "items-0-recused"
    assert "7" in problem["detail"] and "6" in problem["detail"]
    assert "recused but only" not in problem["detail"]  # said in Russian, not English
    db.session.expire_all()
    item = db.session.get(SessionItem, item_id)
    assert (item.outcome, item.recused, item.votes_for) == (None, None, None)
    stored = db.session.get(RegionalSession, session["id"])
    assert (stored.status, stored.members_present) == (SessionStatus.PLANNED, None)


def test_a_reason_outside_the_fixed_list_is_refused_by_the_schema(client, coordinator):
    headers = bearer(coordinator)
    session, _ = planned(client, coordinator, headers)
    answer = client.post(f"/api/v1/sessions/{session['id']}/decisions", headers=headers, json={
        "members_present": 9, "items": [{"item_id": session["items"][0]["item_id"],
                                         "votes_for": 4, "recusal": {**RELATIVES,
                                                                     "reason": "friend"}}]})
    assert answer.status_code == 422
    assert answer.get_json()["field"] == "items.0.recusal.reason"


def test_a_session_without_quorum_is_recorded_and_defers_every_item(client, coordinator):
    headers = bearer(coordinator)
    session, nominations = planned(client, coordinator, headers, n_items=2, members_total=40)
    url = f"/api/v1/sessions/{session['id']}/no-quorum"
    # 21 of 40 make a quorum: the votes are recorded instead.
    refused = client.post(url, headers=headers, json={"members_present": 21})
    assert refused.status_code == 422, refused.get_data(as_text=True)
    assert refused.get_json()["field"] == "members_present"
    assert "make a quorum" in refused.get_json()["detail"]

    answer = client.post(url, headers=headers, json={"members_present": 18})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert (body["no_quorum"], body["members_present"], body["status"]) == (True, 18, "recorded")
    assert [(i["outcome"], i["deferred"]) for i in body["items"]] == [("defer", True)] * 2
    db.session.expire_all()
    stored = db.session.get(RegionalSession, session["id"])
    assert stored.no_quorum and stored.status == SessionStatus.RECORDED
    [event] = db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "session", AuditEvent.entity_id == stored.id,
        AuditEvent.action == "no_quorum"))
    assert event.data == {"present": 18, "members_total": 40, "needed": 21}
    assert event.actor_id == coordinator.id and event.via == "api"
    # Closing applies the deferrals through the pipeline: back to wait for a session.
    sessions.attach_protocol(coordinator, stored.id, FileStorage(io.BytesIO(PDF), "p.pdf"))
    sessions.close(coordinator, stored.id)
    for n in nominations:
        db.session.refresh(n)
        assert n.status == State.SUBMITTED
        assert n.events[-1].action == "defer" and n.events[-1].data["no_quorum"] is True


def test_another_regions_coordinator_gets_404_for_both(client, coordinator):
    session, _ = planned(client, coordinator, bearer(coordinator))
    outsider = bearer(f.user(Role.COORDINATOR, "KZ-71"))
    item_id = session["items"][0]["item_id"]
    for path, body in (
            ("decisions", {"members_present": 9, "items": [
                {"item_id": item_id, "votes_for": 4, "votes_against": 2,
                 "recusal": RELATIVES}]}),
            ("no-quorum", {"members_present": 1})):
        answer = client.post(f"/api/v1/sessions/{session['id']}/{path}", headers=outsider,
                             json=body)
        assert answer.status_code == 404, (path, answer.get_data(as_text=True))
        assert answer.get_json()["code"] == "not_found"
    db.session.expire_all()
    stored = db.session.get(RegionalSession, session["id"])
    assert (stored.status, stored.members_present, stored.no_quorum) == (
        SessionStatus.PLANNED, None, False)
    assert db.session.get(SessionItem, item_id).recused is None


def test_the_document_describes_the_recusal_and_the_no_quorum_call(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/sessions/{session_id}/no-quorum"]["post"]
    assert operation["tags"] == ["sessions"] and "404" in operation["responses"]
    schemas = document["components"]["schemas"]
    recusal = next(v for k, v in schemas.items() if k.endswith(".RecusalIn"))
    assert recusal["properties"]["reason"]["anyOf"][0]["enum"] == [
        "candidate", "relative", "association_head", "other"]


@pytest.mark.parametrize("n_sessions", [1, 3])
def test_the_sessions_list_reads_every_agenda_in_a_fixed_number_of_statements(
        client, coordinator, n_sessions):
    """Each listed session carries its agenda: read with the list, not one query per session."""
    from sqlalchemy import event

    from workflow.api import services as api

    for _ in range(n_sessions):
        session = f.regional_session()
        nomination = f.nomination(State.SUBMITTED)
        db.session.add(SessionItem(session=session, nomination=nomination, position=1))
    db.session.commit()
    db.session.expire_all()
    assert coordinator.region_id
    seen = []

    def record(*args):
        seen.append(args[2])

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        listed = api.sessions(coordinator)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len(listed) == n_sessions
    assert all(s["items"][0]["reference_code"] for s in listed)
    assert len(seen) == 2, seen  # the sessions (with their regions), their agendas
