"""Every change to the record is an audit event, and the trail proves itself: an edited,
deleted or moved event is found by ``flask audit verify``, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from tests import factories as f
from workflow import audit
from workflow.associations import services as associations
from workflow.candidates import services as candidates
from workflow.database import transaction
from workflow.domain import Role, State
from workflow.extensions import db
from workflow.models import AuditEvent, User
from workflow.register import services as register


def events_of(entity_type: str, entity_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id)
        .order_by(AuditEvent.id)))


def test_changing_a_person_is_an_event_naming_the_fields_never_their_values(app):
    officer = f.user(Role.SECRETARIAT)
    nomination = f.nomination(State.DRAFT)
    person = nomination.candidate
    db.session.commit()
    with transaction(actor=officer):
        changed = candidates.update(officer, person, {"surname": "Иванова-Петрова",
                                                      "phone": "+7 777 123 45 67"},
                                    nomination=nomination)
    assert changed == ["phone", "surname"]
    event = events_of("candidate", person.id)[-1]
    assert (event.action, event.changes, event.actor_id, event.nomination_id) == (
        "update", ["phone", "surname"], officer.id, nomination.id)
    stored = str((event.data, event.changes, event.comment))
    assert "Иванова" not in stored and "777" not in stored and person.iin not in stored


@pytest.mark.parametrize("active", [False, True], ids=["deactivate", "reactivate"])
def test_deactivating_an_association_is_an_event(app, active):
    coordinator = f.user(Role.COORDINATOR, "KZ-75")
    association = f.AssociationFactory(region=f.region("KZ-75"), active=not active)
    db.session.commit()
    associations.set_active(coordinator, association.id, active)
    event = events_of("association", association.id)[-1]
    assert (event.action, event.changes, event.actor_id) == (
        "reactivate" if active else "deactivate", ["active"], coordinator.id)


def test_ending_a_membership_is_an_event_with_its_ground(app):
    officer = f.user(Role.SECRETARIAT)
    membership = f.membership()
    db.session.commit()
    register.end_membership(officer, membership.id, ground="own_initiative",
                            ended_on=membership.started_on, document=f.pdf())
    event = events_of("membership", membership.id)[-1]
    assert event.action == "end" and event.actor_id == officer.id
    assert event.data["ground"] == "own_initiative" and "status" in event.changes
    assert event.nomination_id == membership.nomination_id  # in the member's history too


def test_a_users_role_and_region_change_is_an_event(app):
    admin = f.user(Role.ADMIN)
    user = f.user(Role.COORDINATOR, "KZ-75")
    db.session.commit()
    with transaction(actor=admin):
        user.region_id = f.region("KZ-71").id
    with transaction(actor=admin):
        user.role = Role.SECRETARIAT
        user.region_id = None
    changes = [e.changes for e in events_of("user", user.id)]
    assert changes[-2:] == [["region_id"], ["region_id", "role"]]
    assert {e.actor_id for e in events_of("user", user.id)[1:]} == {admin.id}


def test_every_event_is_sealed_into_one_chain(app):
    f.nomination(State.FORWARDED)
    db.session.commit()
    rows = db.session.execute(select(AuditEvent.seq, AuditEvent.prev_hash, AuditEvent.hash)
                              .order_by(AuditEvent.seq)).all()
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False))
    assert audit.verify() == (len(rows), None)


def tampered_chain(app) -> list[AuditEvent]:
    """A committed history of a few dozen events to tamper with."""
    f.nomination(State.UNDER_REVIEW)
    f.nomination(State.SUBMITTED)
    db.session.commit()
    assert audit.verify()[1] is None
    return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def raw(sql: str, **params) -> None:
    """Change the table behind Tizim's back, as someone with database access could."""
    db.session.remove()
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)


def test_an_edited_event_is_named(app, runner):
    events = tampered_chain(app)
    target = events[len(events) // 2]
    raw("UPDATE audit_events SET comment = 'nothing to see here' WHERE id = :id", id=target.id)
    checked, broken = audit.verify()
    assert (broken.problem, broken.event_id, checked) == ("changed", target.id, target.seq - 1)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"event {target.id}" in result.output
    assert "changed after it was written" in result.output


def test_a_deleted_event_is_named(app):
    events = tampered_chain(app)
    gone, after = events[5], events[6]
    raw("DELETE FROM audit_events WHERE id = :id", id=gone.id)
    _, broken = audit.verify()
    assert (broken.problem, broken.event_id) == ("missing", after.id)


def test_a_deleted_event_renumbered_to_hide_the_gap_is_named(app):
    events = tampered_chain(app)
    raw("DELETE FROM audit_events WHERE id = :id", id=events[5].id)
    # In two steps: PostgreSQL checks the unique seq row by row.
    raw("UPDATE audit_events SET seq = -seq WHERE seq > :seq", seq=events[5].seq)
    raw("UPDATE audit_events SET seq = -seq - 1 WHERE seq < 0")
    _, broken = audit.verify()
    assert (broken.problem, broken.event_id) == ("broken_link", events[6].id)


def test_reordered_events_are_named(app):
    events = tampered_chain(app)
    first, second = events[3], events[4]
    raw("UPDATE audit_events SET seq = -1 WHERE id = :id", id=first.id)
    raw("UPDATE audit_events SET seq = :seq WHERE id = :id", seq=first.seq, id=second.id)
    raw("UPDATE audit_events SET seq = :seq WHERE id = :id", seq=second.seq, id=first.id)
    _, broken = audit.verify()
    assert (broken.problem, broken.event_id) == ("out_of_order", second.id)


def test_the_last_events_deleted_are_found_by_the_head(app):
    events = tampered_chain(app)
    # Whoever deletes events around Tizim also unhooks the e-mails that name them.
    raw("UPDATE email_deliveries SET event_id = NULL WHERE event_id IN "
        "(SELECT id FROM audit_events WHERE seq > :seq)", seq=events[-3].seq)
    raw("DELETE FROM audit_events WHERE seq > :seq", seq=events[-3].seq)
    checked, broken = audit.verify()
    assert broken.problem == "head" and checked == len(events) - 2


def test_an_event_written_around_tizim_is_named(app):
    tampered_chain(app)
    raw("INSERT INTO audit_events (entity_type, entity_id, actor_role, via, action, comment, "
        "data, changes, created_at) VALUES ('user', 1, 'admin', 'web', 'update', '', '{}', "
        "'[]', '2026-01-01 00:00:00')")
    _, broken = audit.verify()
    assert broken.problem == "unsealed"


def test_verify_says_the_chain_holds(app, runner):
    tampered_chain(app)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "audit chain holds" in result.output


def test_a_rolled_back_change_leaves_no_event_and_no_gap(app):
    officer = f.user(Role.SECRETARIAT)
    db.session.commit()
    with pytest.raises(RuntimeError), transaction(actor=officer):
        db.session.add(User(email="x@test.kz", name="X", role=Role.MEMBER))
        db.session.flush()
        raise RuntimeError("the form was refused after all")
    f.user(Role.MEMBER)
    db.session.commit()
    assert audit.verify()[1] is None
