"""Seat quotas: counted from the record, forecast before a body decides, a ceiling refused
unless the officer overrides it with a reason (audited), and the People's Council run through."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests import factories as f
from workflow import bodies, journeys, pipeline, quotas
from workflow.council import services as council
from workflow.council.services import Votes
from workflow.domain import EndGround, Role, Route, State
from workflow.extensions import db
from workflow.models import AuditEvent, CouncilAgendaItem, Nomination
from workflow.orders import services as orders
from workflow.refusal import Refusal


def with_ceiling(app, monkeypatch, **ceilings) -> bodies.Body:
    """The People's Council, with the ceilings given (by quota key) lowered for the test."""
    body = bodies.load("peoples_council")
    body = body.model_copy(update={"quotas": tuple(
        q.model_copy(update={"ceiling": ceilings.get(q.key, q.ceiling)}) for q in body.quotas)})
    monkeypatch.setitem(app.config, "BODY_CONFIG", body)
    return body


def standing(key: str, rows=None) -> tuple[int, int, int]:
    row = next(r for r in (rows if rows is not None else quotas.forecast()) if r.quota.key == key)
    return row.now, row.before, row.after


def under_review(n: int, route: Route = Route.COUNCIL, region_code: str = "KZ-75"):
    return [f.nomination(State.UNDER_REVIEW, route=route, region_code=region_code)
            for _ in range(n)]


def on_agenda(officer, noms, members_total: int = 9):
    meeting = f.council_meeting(members_total)
    db.session.commit()
    council.add_to_agenda(officer, meeting.id, [n.id for n in noms])
    items = list(db.session.scalars(select(CouncilAgendaItem).where(
        CouncilAgendaItem.meeting_id == meeting.id).order_by(CouncilAgendaItem.id)))
    return meeting, items


def test_the_assembly_counts_no_quota_and_refuses_nothing(app):
    officer = f.user(Role.SECRETARIAT)
    meeting, items = on_agenda(officer, under_review(2))
    assert quotas.forecast([i.nomination_id for i in items]) == []
    assert quotas.exceeded([i.nomination_id for i in items], "recommend") == []
    tally = council.record_meeting(officer, meeting.id, present=9,
                                   votes={i.id: Votes(9) for i in items})
    assert tally["recommend"] == 2


def test_members_and_approved_nominations_hold_seats_in_their_routes_quota(app, monkeypatch):
    with_ceiling(app, monkeypatch)
    f.membership(route=Route.COUNCIL)
    f.membership(route=Route.REGIONAL)
    f.nomination(State.APPROVED, route=Route.COUNCIL)  # its membership is being issued
    waiting = f.nomination(State.RECOMMENDED, route=Route.COUNCIL)
    ended = f.membership(route=Route.COUNCIL)
    from workflow.register.services import end_membership

    db.session.commit()
    end_membership(f.user(Role.SECRETARIAT), ended.id, ground=EndGround.DEATH,
                   ended_on=ended.started_on, document=f.pdf())
    assert standing("council") == (2, 2, 2)
    assert standing("regional") == (1, 1, 1)
    assert standing("associations") == (0, 0, 0)
    rows = quotas.forecast([], pending=quotas.PENDING["recommend"])
    assert standing("council", rows) == (2, 3, 3)  # the recommendation awaiting the Chairman
    candidate = under_review(1)[0]
    rows = quotas.forecast([candidate.id], pending=quotas.PENDING["recommend"])
    assert standing("council", rows) == (2, 3, 4)
    assert waiting.status == State.RECOMMENDED


def test_a_rotation_takes_the_seat_of_the_member_it_replaces(app, monkeypatch):
    with_ceiling(app, monkeypatch, council=1)
    leaving = f.membership(route=Route.COUNCIL)
    region = f.region("KZ-75")
    rotation = Nomination(candidate=f.CandidateFactory(region=region), route=Route.ROTATION,
                          region=region, nominating_body="Council decision No. 2",
                          replaces_membership_id=leaving.id)
    officer = f.user(Role.SECRETARIAT)
    pipeline.enter(rotation, officer)
    journeys.walk(rotation, State.RECOMMENDED, lambda t, n: officer, journeys.Bodies(),
                  Route.ROTATION)
    rows = quotas.forecast([rotation.id])
    assert standing("council", rows) == (1, 1, 1)  # in the council quota, in the same seat
    assert not any(r.exceeded for r in rows)


def test_a_council_record_past_a_ceiling_is_refused_and_changes_nothing(app, monkeypatch):
    with_ceiling(app, monkeypatch, council=2)
    f.membership(route=Route.COUNCIL)
    officer = f.user(Role.SECRETARIAT)
    noms = under_review(2)
    meeting, items = on_agenda(officer, noms)
    with pytest.raises(Refusal) as refused:
        council.record_meeting(officer, meeting.id, present=9,
                               votes={i.id: Votes(9) for i in items})
    assert refused.value.code == "guard"
    message = str(refused.value)
    assert "Decision of the Council" in message and "3 seats" in message and "2" in message
    assert noms[1].candidate.full_name in message  # the second one is past the ceiling
    db.session.expire_all()
    assert {db.session.get(Nomination, n.id).status for n in noms} == {State.COUNCIL_AGENDA}
    # One declined is within the ceiling: that record goes through.
    tally = council.record_meeting(officer, meeting.id, present=9,
                                   votes={items[0].id: Votes(9), items[1].id: Votes(1, 8)})
    assert tally == {"recommend": 1, "decline_by_council": 1, "defer": 0}


def test_the_officer_may_exceed_a_ceiling_with_a_reason_which_is_audited(app, monkeypatch):
    with_ceiling(app, monkeypatch, council=1)
    officer = f.user(Role.SECRETARIAT)
    noms = under_review(2)
    meeting, items = on_agenda(officer, noms)
    votes = {i.id: Votes(9) for i in items}
    with pytest.raises(Refusal, match="Give the reason") as refused:
        council.record_meeting(officer, meeting.id, present=9, votes=votes, quota_override=" ")
    assert refused.value.field == "quota-reason"
    council.record_meeting(officer, meeting.id, present=9, votes=votes,
                           quota_override="The Chairman asked for both candidates.")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "quota_override"))
    assert (event.entity_type, event.entity_id, event.actor_id) == (
        "council_meeting", meeting.id, officer.id)
    assert event.comment == "The Chairman asked for both candidates."
    assert event.data["standing"] == {"council": [2, 1]}
    steps = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "recommend")))
    assert {e.data.get("quota_override") for e in steps} == {
        "The Chairman asked for both candidates."}
    from workflow import events

    said = events.describe(event)
    assert "ceiling" in said.title and "Decision of the Council (2/1)" in said.lines[-1]
    assert "The Chairman asked" in events.describe(steps[0]).lines[-1]


def test_an_override_no_ceiling_needs_is_not_recorded(app, monkeypatch):
    with_ceiling(app, monkeypatch)
    officer = f.user(Role.SECRETARIAT)
    meeting, items = on_agenda(officer, under_review(1))
    council.record_meeting(officer, meeting.id, present=9, votes={items[0].id: Votes(9)},
                           quota_override="just in case")
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "quota_override")) is None


def recommended(n: int, route: Route = Route.COUNCIL) -> list[int]:
    return [f.nomination(State.RECOMMENDED, route=route).id for _ in range(n)]


def test_an_order_past_a_ceiling_is_refused_unless_overridden(app, monkeypatch):
    officer = f.user(Role.SECRETARIAT)
    ids = recommended(3)  # by a Council that counted no quota
    db.session.commit()
    with_ceiling(app, monkeypatch, council=2)
    with pytest.raises(Refusal, match="over its ceiling of 2") as refused:
        orders.record_order(officer, number="1", order_date=date(2026, 3, 1),
                            document=f.pdf(), decisions={i: "approve" for i in ids})
    assert refused.value.code == "guard"
    db.session.expire_all()
    assert {db.session.get(Nomination, i).status for i in ids} == {State.RECOMMENDED}
    order = orders.record_order(officer, number="1", order_date=date(2026, 3, 1),
                                document=f.pdf(), decisions={i: "approve" for i in ids},
                                quota_override="Order of the Chairman as signed.")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "quota_override"))
    assert (event.entity_type, event.entity_id) == ("order", order.id)
    assert event.data["standing"] == {"council": [3, 2]}
    assert standing("council") == (3, 3, 3)


def test_the_council_page_shows_the_forecast_and_takes_the_override(app, english, client, auth,
                                                                      monkeypatch):
    with_ceiling(app, monkeypatch, council=1)
    officer = f.user(Role.SECRETARIAT)
    noms = under_review(2)
    meeting, items = on_agenda(officer, noms)
    auth.login(officer)
    page = client.get(f"/council/meetings/{meeting.id}").get_data(as_text=True)
    assert "Seat quotas of People&#39;s Council" in page
    assert "Decision of the Council" in page and "over the ceiling by 1" in page
    assert 'name="quota-override"' in page and 'form="record-form"' in page
    data = {"present": "9", "confirm": "y"}
    for n, item in enumerate(items):
        data |= {f"items-{n}-item_id": item.id, f"items-{n}-votes_for": "9",
                 f"items-{n}-votes_against": "0", f"items-{n}-votes_abstained": "0"}
    refused = client.post(f"/council/meetings/{meeting.id}/record", data=data)
    assert refused.status_code == 409
    assert "over its ceiling of 1" in refused.get_data(as_text=True)
    done = client.post(f"/council/meetings/{meeting.id}/record", data={
        **data, "quota-override": "y", "quota-reason": "Both were named by the Chairman."})
    assert done.status_code == 302
    db.session.expire_all()
    assert {db.session.get(Nomination, n.id).status for n in noms} == {State.RECOMMENDED}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "quota_override"))
    assert event.comment == "Both were named by the Chairman."


def test_the_order_page_shows_the_forecast(app, english, client, auth, monkeypatch):
    officer = f.user(Role.SECRETARIAT)
    recommended(2)
    db.session.commit()
    with_ceiling(app, monkeypatch, council=1)
    auth.login(officer)
    page = client.get("/orders/new").get_data(as_text=True)
    assert "Decision of the Council" in page and "over the ceiling by 1" in page
    assert "if every nomination listed here is approved" in page
    assert 'name="quota-reason"' in page


def test_the_assembly_pages_show_no_forecast(app, english, client, auth):
    officer = f.user(Role.SECRETARIAT)
    meeting, _ = on_agenda(officer, under_review(1))
    auth.login(officer)
    page = client.get(f"/council/meetings/{meeting.id}").get_data(as_text=True)
    assert "Seat quotas" not in page and "quota-override" not in page


def test_the_peoples_council_takes_a_regional_nomination_to_membership_in_its_quota(
        app, monkeypatch):
    """The People's Council as shipped: a nomination goes from the coordinator's draft through
    the regional session, the Secretariat, the Council and the Chairman's order to a member, and
    the member holds a seat of the regional assemblies' quota."""
    monkeypatch.setitem(app.config, "BODY_CONFIG", bodies.load("peoples_council"))
    nom = f.nomination(State.MEMBER, route=Route.REGIONAL)
    assert nom.status == State.MEMBER
    from workflow.models import Membership

    membership = db.session.scalar(select(Membership).where(Membership.nomination_id == nom.id))
    assert [q.key for q in quotas.membership_quotas(membership)] == ["regional"]
    assert {r.quota.key: (r.now, r.ceiling) for r in quotas.forecast()} == {
        "regional": (1, 42), "associations": (0, 42), "council": (0, 42)}
