"""The Chairman's order: all decisions in one transaction, rotations end the replaced
membership in it, memberships issued with the order as their basis and unique numbers."""

from __future__ import annotations

import multiprocessing as mp
from datetime import date

import pytest
from sqlalchemy import func, select

from tests import factories as f
from tests.conftest import postgres_database
from workflow import create_app, pipeline
from workflow.domain import EndGround, MembershipStatus, Role, Route, State
from workflow.extensions import db
from workflow.models import AuditEvent, Candidate, ChairmanOrder, Membership, Nomination
from workflow.orders import services
from workflow.refusal import Refusal


def recommended(n: int, officer, region_code: str = "KZ-75") -> list[int]:
    """``n`` nominations recommended by the Council, quickly: the Council route, one officer."""
    region = f.region(region_code)
    ids = []
    bodies = f.walk_bodies()
    for _ in range(n):
        nom = Nomination(candidate=f.CandidateFactory(region=region), route=Route.COUNCIL,
                         region=region, nominating_body="Council decision No. 1")
        pipeline.enter(nom, officer)
        f.fire(nom, "put_on_council_agenda", officer, bodies)
        f.fire(nom, "recommend", officer, bodies)
        ids.append(nom.id)
    db.session.commit()
    return ids


def test_an_order_of_200_is_applied_in_one_transaction_and_issues_200_members(app):
    officer = f.user(Role.SECRETARIAT)
    ids = recommended(200, officer)
    decisions = {i: "approve" for i in ids[:190]} | {i: "reject" for i in ids[190:]}
    order = services.record_order(officer, number="17", order_date=date(2026, 12, 20),
                                  document=f.pdf("order.pdf"), decisions=decisions)
    statuses = dict(db.session.execute(
        select(Nomination._status, func.count()).group_by(Nomination._status)).all())
    # Applied in one transaction; the issuing batch it started ran once that committed
    # (Celery runs eagerly in tests; the live tests run it in a real worker).
    assert statuses == {"member": 190, "rejected": 10}

    issued = services.memberships_of_order(order.id)
    assert len(issued) == 190
    rows = list(db.session.scalars(select(Membership)))
    assert len(rows) == 190 and len({m.member_number for m in rows}) == 190
    assert {m.order_id for m in rows} == {order.id}
    assert {m.started_on for m in rows} == {date(2026, 12, 20)}
    # The batch's task delivered again (a redelivery after a lost ack) issues nothing twice.
    from workflow.issuing.services import issue_items
    from workflow.models import IssuingBatch, IssuingItem

    item_ids = list(db.session.scalars(select(IssuingItem.id).join(IssuingBatch)
                                       .where(IssuingBatch.order_id == order.id)))
    assert len(item_ids) == 190
    issue_items(item_ids)
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 190
    assert {m.id for m in services.memberships_of_order(order.id).values()} == {
        m.id for m in rows}


def test_a_failure_at_item_150_changes_nothing(app):
    officer = f.user(Role.SECRETARIAT)
    ids = recommended(200, officer)
    # Item 150 was withdrawn meanwhile: it can no longer be approved.
    pipeline.apply(ids[149], "withdraw", officer, channel=pipeline.Channel.FORM, comment="The association withdrew it.")
    db.session.commit()
    events_before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(Refusal):
        services.record_order(officer, number="18", order_date=date(2026, 12, 20),
                              document=f.pdf(), decisions={i: "approve" for i in ids})
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(ChairmanOrder)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events_before
    statuses = dict(db.session.execute(
        select(Nomination._status, func.count()).group_by(Nomination._status)).all())
    assert statuses == {"recommended": 199, "withdrawn": 1}


def rotation_replacing(officer, membership) -> Nomination:
    region = f.region("KZ-75")
    nom = Nomination(candidate=f.CandidateFactory(region=region), route=Route.ROTATION,
                     region=region, nominating_body="Council decision No. 7",
                     replaces_membership_id=membership.id)
    pipeline.enter(nom, officer)
    f.fire(nom, "put_on_council_agenda", officer)
    f.fire(nom, "recommend", officer)
    return nom


def test_an_approved_rotation_ends_the_replaced_membership_in_the_same_transaction(app):
    officer = f.user(Role.SECRETARIAT)
    outgoing = f.membership()
    successor = rotation_replacing(officer, outgoing)
    db.session.commit()
    order = services.record_order(officer, number="19", order_date=date(2026, 12, 21),
                                  document=f.pdf(), decisions={successor.id: "approve"})
    db.session.expire_all()
    ended = db.session.get(Membership, outgoing.id)
    assert ended.status == MembershipStatus.ENDED
    assert ended.end_ground == EndGround.ROTATION
    assert ended.ended_on == date(2026, 12, 21)
    assert ended.end_document_id == order.document_id
    end = db.session.scalar(select(AuditEvent).where(
        AuditEvent.entity_type == "membership", AuditEvent.entity_id == ended.id,
        AuditEvent.action == "end"))
    assert (end.data["ground"], end.data["order_number"]) == ("rotation", "19")
    assert end.data["successor_nomination_id"] == successor.id


def test_a_rotation_whose_member_already_left_still_approves_the_successor(app):
    from workflow.register.services import end_membership_in_transaction

    officer = f.user(Role.SECRETARIAT)
    outgoing = f.membership()
    successor = rotation_replacing(officer, outgoing)
    end_membership_in_transaction(outgoing, ground=EndGround.DEATH, ended_on=date(2026, 12, 2),
                                  document_id=f.document(successor, "other").id)
    db.session.commit()
    services.record_order(officer, number="23", order_date=date(2026, 12, 21),
                          document=f.pdf(), decisions={successor.id: "approve"})
    db.session.expire_all()
    assert db.session.get(Nomination, successor.id).status == State.MEMBER
    kept = db.session.get(Membership, outgoing.id)
    assert kept.end_ground == EndGround.DEATH and kept.ended_on == date(2026, 12, 2)


def test_a_failed_order_leaves_the_replaced_membership_active(app):
    officer = f.user(Role.SECRETARIAT)
    outgoing = f.membership()
    successor = rotation_replacing(officer, outgoing)
    later = recommended(1, officer)[0]
    pipeline.apply(later, "withdraw", officer, channel=pipeline.Channel.FORM, comment="Withdrawn.")
    db.session.commit()
    with pytest.raises(Refusal):
        services.record_order(officer, number="20", order_date=date(2026, 12, 21),
                              document=f.pdf(), decisions={successor.id: "approve", later: "approve"})
    db.session.expire_all()
    assert db.session.get(Membership, outgoing.id).status == MembershipStatus.ACTIVE
    assert db.session.get(Nomination, successor.id).status == State.RECOMMENDED


def test_an_order_number_is_used_once(app):
    officer = f.user(Role.SECRETARIAT)
    ids = recommended(2, officer)
    services.record_order(officer, number="21", order_date=date(2026, 12, 1), document=f.pdf(),
                          decisions={ids[0]: "approve"})
    with pytest.raises(Refusal):
        services.record_order(officer, number="21", order_date=date(2026, 12, 2),
                              document=f.pdf(), decisions={ids[1]: "approve"})


def test_the_order_page_records_applies_and_issues(app, client, auth):
    officer = f.user(Role.SECRETARIAT)
    ids = recommended(2, officer)
    auth.login(officer)
    page = client.get("/orders/new")
    assert page.status_code == 200
    response = client.post("/orders/new", data={
        "number": "22", "order_date": "2026-11-22", "document": f.pdf("order.pdf"),
        "items-0-nomination_id": ids[0], "items-0-decision": "approve",
        "items-1-nomination_id": ids[1], "items-1-decision": "reject"},
        content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    member = db.session.scalar(select(Membership))
    assert member.nomination_id == ids[0] and member.order_id is not None
    assert db.session.get(Nomination, ids[1]).status == State.REJECTED
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert member.member_number in detail


def test_an_order_dated_before_the_recommending_meeting_is_refused(app):
    from flask_babel import force_locale

    officer = f.user(Role.SECRETARIAT)
    early = recommended(1, officer)[0]  # the Council of 1 December 2025
    nom = Nomination(candidate=f.CandidateFactory(region=f.region("KZ-75")), route=Route.COUNCIL,
                     region=f.region("KZ-75"), nominating_body="Council decision No. 2")
    pipeline.enter(nom, officer)
    march = f.walk_bodies(meeting_date=date(2026, 3, 10))
    f.fire(nom, "put_on_council_agenda", officer, march)
    f.fire(nom, "recommend", officer, march)
    db.session.commit()
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    with force_locale("en"), pytest.raises(Refusal, match="March 10, 2026") as refused:
        services.record_order(officer, number="30", order_date=date(2026, 3, 9),
                              document=f.pdf(), decisions={early: "approve", nom.id: "approve"})
    assert (refused.value.field, refused.value.code) == ("order_date", "too_early")
    db.session.expire_all()
    assert db.session.get(Nomination, nom.id).status == State.RECOMMENDED
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events
    # On the meeting's own day the order holds.
    services.record_order(officer, number="30", order_date=date(2026, 3, 10), document=f.pdf(),
                          decisions={early: "approve", nom.id: "reject"})
    assert db.session.get(Nomination, nom.id).status == State.REJECTED


@pytest.mark.parametrize(("lang", "words"), [("kk", "ж. 10 наурыз отырысынан"), ("ru", "заседания Совета 10 марта 2026")])
def test_the_order_form_names_the_meeting_date(app, client, auth, lang, words):
    officer = f.user(Role.SECRETARIAT)
    nom = Nomination(candidate=f.CandidateFactory(region=f.region("KZ-75")), route=Route.COUNCIL,
                     region=f.region("KZ-75"), nominating_body="Council decision No. 2")
    pipeline.enter(nom, officer)
    march = f.walk_bodies(meeting_date=date(2026, 3, 10))
    f.fire(nom, "put_on_council_agenda", officer, march)
    f.fire(nom, "recommend", officer, march)
    auth.login(officer)
    client.post("/language", data={"lang": lang})
    response = client.post("/orders/new", data={
        "number": "31", "order_date": "2026-03-01", "document": f.pdf("order.pdf"),
        "items-0-nomination_id": nom.id, "items-0-decision": "approve"},
        content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "invalid-feedback" in page
    assert words in page
    db.session.expire_all()
    assert db.session.get(Nomination, nom.id).status == State.RECOMMENDED


# --- Two orders applied at once on PostgreSQL: member numbers stay unique. ------------------


def _apply_order(url, uploads, officer_id, nomination_ids, number, barrier, results):
    app = create_app({"TIZIM_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": url,
                      "UPLOAD_DIR": uploads})
    with app.app_context():
        from workflow.models import User

        officer = db.session.get(User, officer_id)
        barrier.wait(timeout=30)
        try:
            order = services.record_order(officer, number=number, order_date=date(2026, 12, 30),
                                          document=f.pdf(), decisions={i: "approve"
                                                                       for i in nomination_ids})
            results.put(len(services.memberships_of_order(order.id)))
        except Exception as error:  # reported to the parent, which fails the test
            results.put(repr(error))


@pytest.mark.postgres
def test_two_orders_applied_at_once_issue_unique_member_numbers(tmp_path):
    with postgres_database() as url:
        app = create_app({"TIZIM_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": url,
                          "UPLOAD_DIR": str(tmp_path)})
        with app.app_context():
            db.create_all()
            from workflow.regions import load_regions

            load_regions()
            officer = f.user(Role.SECRETARIAT)
            ids = recommended(40, officer)
            officer_id = officer.id
            db.engine.dispose()

        ctx = mp.get_context("spawn")
        barrier, results = ctx.Barrier(2), ctx.Queue()
        procs = [ctx.Process(target=_apply_order,
                             args=(url, str(tmp_path), officer_id, part, number, barrier,
                                   results))
                 for part, number in ((ids[:20], "A-1"), (ids[20:], "A-2"))]
        for p in procs:
            p.start()
        outcomes = [results.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(timeout=30)
        assert outcomes == [20, 20]
        with app.app_context():
            numbers = list(db.session.scalars(select(Membership.member_number)))
            assert len(numbers) == 40 and len(set(numbers)) == 40
            assert db.session.scalar(select(func.count()).select_from(Candidate)) == 40
            db.session.remove()
            db.engine.dispose()
