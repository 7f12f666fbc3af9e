from datetime import timedelta

from sqlalchemy import func, select

from workflow import demo, pipeline
from workflow.domain import Role, Route, State
from workflow.extensions import db
from workflow.models import (
    Association,
    AuditEvent,
    Candidate,
    Membership,
    Nomination,
    Region,
    User,
)


def test_demo_has_every_state_and_role_and_lawful_histories(app, runner):
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "secretariat@tizim.kz" in result.output and demo.DEMO_PASSWORD in result.output

    states = set(db.session.scalars(select(Nomination._status).distinct()))
    assert states == {s.value for s in State}
    roles = set(db.session.scalars(select(User.role).distinct()))
    assert {Role.COORDINATOR, Role.SECRETARIAT, Role.ADMIN} <= roles
    regions_with_associations = db.session.scalar(
        select(func.count(func.distinct(Association.region_id)))
    )
    assert regions_with_associations == db.session.scalar(select(func.count(Region.id))) == 20
    assert db.session.scalar(select(func.count(Membership.id))) == demo.SPREAD[State.MEMBER] + \
        sum(1 for state, _ in demo.OTHER_ROUTES if state == State.MEMBER)
    routes = set(db.session.scalars(select(Nomination.route).distinct()))
    assert routes == {Route.REGIONAL, Route.ASSOCIATION, Route.COUNCIL}

    # Every history is a walk the pipeline allows: each event starts where the last one ended.
    spans = []
    for nomination in db.session.scalars(select(Nomination)):
        events = list(db.session.scalars(
            select(AuditEvent).where(AuditEvent.nomination_id == nomination.id)
            .order_by(AuditEvent.id)))
        assert events[0].action == "create"
        for previous, event in zip(events, events[1:], strict=False):
            transition = pipeline.BY_ACTION[event.action]
            assert State(previous.to_status) in transition.sources
            assert event.to_status == transition.target
        assert events[-1].to_status == nomination.status
        # … and a history in time: each step after the one before, some days apart in all.
        moments = [e.created_at for e in events]
        assert moments == sorted(moments) and len(set(moments)) == len(moments)
        spans.append(moments[-1] - moments[0])
        assert nomination.status_changed_at == events[-1].created_at
        # The consent was given by the entry, not on the day the demo was loaded.
        assert nomination.candidate.consent_given_on <= moments[0].date()
    assert max(spans) > timedelta(days=20)  # the charts of time in each stage have something

    again = runner.invoke(args=["demo", "load", "--if-empty"])
    assert "already loaded" in again.output


def test_regions_load_command_is_idempotent(app, runner):
    from workflow.models import Region

    result = runner.invoke(args=["regions", "load"])
    assert result.exit_code == 0 and "0 added" in result.output  # the app fixture loaded them
    assert db.session.scalar(select(func.count(Region.id))) == 20


def test_no_region_has_two_demo_namesakes(app, runner):
    """Two people of one name in one region's list read as a duplicate entry."""
    runner.invoke(args=["demo", "load", "--if-empty"])
    rows = db.session.execute(select(Nomination.region_id, Candidate.surname, Candidate.given_name)
                              .join(Candidate, Candidate.id == Nomination.candidate_id)).all()
    assert len(rows) == len(set(rows)) > 60
