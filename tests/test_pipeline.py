"""The pipeline table, tested exhaustively from the table itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests import factories as f
from workflow import pipeline
from workflow.domain import Role, Route, State
from workflow.extensions import db
from workflow.members.services import issue_membership_in_transaction
from workflow.models import AuditEvent, Nomination, StatusWithoutAuditEvent

ROOT = Path(__file__).resolve().parents[1]
ROLES = list(Role)


def events(nomination) -> int:
    return db.session.scalar(
        select(func.count()).where(AuditEvent.nomination_id == nomination.id)
    )


def actor(role: Role, region_code: str = "KZ-75"):
    if role == Role.SYSTEM:
        return pipeline.SYSTEM
    return f.user(role, region_code)


@pytest.mark.parametrize("state", list(State), ids=str)
@pytest.mark.parametrize("action", list(pipeline.BY_ACTION), ids=str)
def test_every_state_action_role(app, state, action):
    """Allowed triples succeed with exactly one audit event; the rest raise and change nothing."""
    transition = pipeline.BY_ACTION[action]
    nomination = None
    for role in ROLES:
        if nomination is None:  # refused attempts leave it as it was, so it is reused
            nomination = f.nomination(state)
            db.session.commit()
        before = events(nomination)
        version = nomination.version
        allowed = role in transition.who and state in transition.sources
        if allowed:
            event = pipeline.apply(nomination, action, actor(role), comment="reason given",
                                   data=f.data_for(action, nomination))
            db.session.commit()
            assert nomination.status == transition.target
            assert events(nomination) == before + 1
            assert (event.from_status, event.to_status) == (state.value, transition.target.value)
            assert nomination.version == version + 1
            nomination = None
        else:
            with pytest.raises(pipeline.TransitionError) as error:
                pipeline.apply(nomination, action, actor(role), comment="reason given",
                               data={"session_id": 1})
            db.session.rollback()
            db.session.refresh(nomination)
            assert nomination.status == state
            assert events(nomination) == before
            expected = "not_allowed" if role not in transition.who else "wrong_state"
            assert error.value.code == expected
            assert str(error.value.message)


@pytest.mark.parametrize(
    "action", [t.action for t in pipeline.TRANSITIONS if Role.COORDINATOR in t.who], ids=str
)
def test_coordinator_cannot_act_on_another_region(app, action):
    transition = pipeline.BY_ACTION[action]
    state = sorted(transition.sources)[0]
    nomination = f.nomination(state, region_code="KZ-75")
    outsider = f.user(Role.COORDINATOR, "KZ-71")
    db.session.commit()
    with pytest.raises(pipeline.TransitionError) as error:
        pipeline.apply(nomination, action, outsider, comment="reason")
    assert error.value.code == "out_of_scope"
    db.session.rollback()
    db.session.refresh(nomination)
    assert nomination.status == state


def test_every_state_is_reachable_and_final_states_have_no_exit():
    for state in State:  # following the path's targets from the entry state ends at ``state``
        reached = pipeline.ENTRIES[Route.REGIONAL].initial
        for action in pipeline.path_to(state):
            transition = pipeline.BY_ACTION[action]
            assert reached in transition.sources
            reached = transition.target
        assert reached == state
    for step in pipeline.table():
        assert bool(step.actions) != (step.state in pipeline.FINAL_STATES), step.state


@pytest.mark.parametrize("route", [Route.ASSOCIATION, Route.COUNCIL])
def test_other_routes_enter_under_review_by_the_secretariat(app, route):
    nomination = f.nomination(State.UNDER_REVIEW, route=route)
    assert nomination.status == State.UNDER_REVIEW
    assert [e.action for e in nomination.events] == ["create"]
    coordinator = f.user(Role.COORDINATOR)
    with pytest.raises(pipeline.TransitionError):
        pipeline.enter(
            Nomination(candidate=f.CandidateFactory(), route=route, region=f.region()),
            coordinator,
        )


def test_rotation_names_the_member_replaced(app):
    officer = f.user(Role.SECRETARIAT)
    nomination = Nomination(candidate=f.CandidateFactory(), route=Route.ROTATION,
                            region=f.region(), nominating_body="Council decision No. 7")
    with pytest.raises(pipeline.TransitionError) as error:
        pipeline.enter(nomination, officer)
    assert error.value.code == "guard"

    member = f.nomination(State.APPROVED)
    membership = issue_membership_in_transaction(member.id)
    nomination.replaces_membership_id = membership.id
    pipeline.enter(nomination, officer)
    assert nomination.status == State.UNDER_REVIEW


def test_coordinator_enters_only_in_own_region(app):
    coordinator = f.user(Role.COORDINATOR, "KZ-71")
    nomination = Nomination(candidate=f.CandidateFactory(), route=Route.REGIONAL,
                            region=f.region("KZ-75"))
    with pytest.raises(pipeline.TransitionError) as error:
        pipeline.enter(nomination, coordinator)
    assert error.value.code == "out_of_scope"


def test_guards_give_reasons(app):
    nomination = f.nomination(State.FORWARDED)
    officer = f.user(Role.SECRETARIAT)
    with pytest.raises(pipeline.TransitionError) as error:
        pipeline.apply(nomination, "return", officer, comment="   ")
    assert error.value.code == "guard"
    no_consent = f.CandidateFactory(consent_given_on=None, consent_form=None)
    draft = f.nomination(State.DRAFT, candidate=no_consent)
    with pytest.raises(pipeline.TransitionError, match="consent"):
        pipeline.apply(draft, "submit", f.user(Role.COORDINATOR))


def test_one_open_nomination_per_person(app):
    first = f.nomination(State.SUBMITTED)
    second = f.nomination(State.DRAFT, candidate=first.candidate)
    with pytest.raises(pipeline.TransitionError, match="another nomination"):
        pipeline.apply(second, "submit", f.user(Role.COORDINATOR))


def test_stale_version_is_a_conflict(app):
    nomination = f.nomination(State.FORWARDED)
    seen = nomination.version
    pipeline.apply(nomination, "accept", f.user(Role.SECRETARIAT))
    db.session.commit()
    with pytest.raises(pipeline.ConflictError):
        pipeline.apply(nomination, "return", f.user(Role.SECRETARIAT), comment="x",
                       expected_version=seen)
    db.session.rollback()
    assert events(nomination) == len(pipeline.path_to(State.FORWARDED)) + 2


# --- No other code writes the status: by construction, and proved. -----------------------------


def test_status_has_no_setter(app):
    nomination = f.nomination(State.DRAFT)
    with pytest.raises(AttributeError):
        nomination.status = State.APPROVED


def test_a_status_change_without_its_audit_event_cannot_be_flushed(app):
    nomination = f.nomination(State.DRAFT)
    db.session.commit()
    nomination._status = State.APPROVED.value
    with pytest.raises(StatusWithoutAuditEvent):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(Nomination, nomination.id).status == State.DRAFT


def test_a_nomination_cannot_be_created_without_its_creation_event(app):
    nomination = Nomination(candidate=f.CandidateFactory(), route=Route.REGIONAL,
                            region=f.region())
    nomination._status = State.APPROVED.value
    db.session.add(nomination)
    with pytest.raises(StatusWithoutAuditEvent):
        db.session.flush()
    db.session.rollback()


def python_sources():
    for folder in ("workflow", "tasks"):
        yield from (ROOT / folder).rglob("*.py")
    yield ROOT / "wsgi.py"


def test_only_the_pipeline_touches_the_stored_status():
    """No module but models.py (the column) and pipeline.py (the writer) names ``_status``,
    and nothing issues a bulk UPDATE on nominations."""
    offenders = []
    for path in python_sources():
        rel = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "_status" and rel not in {
                "workflow/models.py", "workflow/pipeline.py"
            }:
                offenders.append(f"{rel}:{node.lineno} ._status")
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "update"
                    and node.args and getattr(node.args[0], "id", None) == "Nomination"):
                offenders.append(f"{rel}:{node.lineno} update(Nomination)")
    assert offenders == []
