"""The pipeline table, tested exhaustively from the table itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests import factories as f
from workflow import journeys, pipeline
from workflow.domain import Role, Route, State
from workflow.extensions import db
from workflow.members.services import issue_membership_in_transaction
from workflow.models import AuditEvent, Nomination, StatusWithoutAuditEvent
from workflow.refusal import Refusal

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


CHANNELS = list(pipeline.Channel)


@pytest.mark.parametrize("state", list(State), ids=str)
def test_every_action_through_every_channel_by_every_role(app, state):
    """Generated from the table: in each state, every action is fired by every role through
    every channel, with the data its own channel would give. Exactly the table's (role,
    channel) in its source states succeed, with one audit event; everything else is refused,
    changes nothing, and says why with its code."""
    bodies = journeys.Bodies()
    actors = {role: actor(role) for role in ROLES}
    nomination = given = None
    tried = 0
    for action, transition in pipeline.BY_ACTION.items():
        given = None  # each action's data, made once for its nomination (its channel's own)
        for role in ROLES:
            for channel in CHANNELS:
                if nomination is None:  # refused attempts leave it as it was: it is reused
                    nomination = f.nomination(state, bodies=bodies)
                    db.session.commit()
                    trail = events(nomination)
                    given = None
                if given is None:
                    given = f.inputs_for(action, nomination, bodies)
                    db.session.commit()  # the deciding bodies it made stay for the next tries
                version = nomination.version
                allowed = (role in transition.who and state in transition.sources
                           and channel == transition.channel)
                tried += 1
                if allowed:
                    # Every refused attempt on this nomination before left no event behind.
                    assert events(nomination) == trail
                    event = pipeline.apply(nomination, action, actors[role], channel=channel,
                                           comment=given.comment, data=given.data)
                    db.session.commit()
                    assert nomination.status == transition.target
                    assert events(nomination) == trail + 1
                    assert (event.from_status, event.to_status) == (
                        state.value, transition.target.value)
                    assert nomination.version == version + 1
                    nomination = None
                    continue
                with pytest.raises(Refusal) as error:
                    pipeline.apply(nomination, action, actors[role], channel=channel,
                                   comment=given.comment, data=given.data)
                db.session.rollback()
                # Reloaded from the database: neither the state nor the version moved.
                assert (nomination.status, nomination.version) == (state, version)
                expected = ("not_allowed" if role not in transition.who
                            else "wrong_channel" if channel != transition.channel
                            else "wrong_state")
                assert error.value.code == expected, (action, role, channel)
                assert str(error.value.message)
    if nomination is not None:
        assert events(nomination) == trail
    assert tried == len(pipeline.BY_ACTION) * len(ROLES) * len(CHANNELS)


@pytest.mark.parametrize("action", [t.action for t in pipeline.TRANSITIONS if t.data], ids=str)
def test_an_action_without_its_data_is_refused_naming_what_is_missing(app, action):
    transition = pipeline.BY_ACTION[action]
    state = sorted(transition.sources)[0]
    nomination = f.nomination(state)
    db.session.commit()
    required = [d.name for d in transition.data if d.required]
    given = f.inputs_for(action, nomination)
    who = f.actor_for(transition.who, "KZ-75")
    for name in required:
        data = {k: v for k, v in given.data.items() if k != name}
        with pytest.raises(Refusal) as error:
            pipeline.apply(nomination, action, who, channel=transition.channel,
                           comment=given.comment, data=data)
        db.session.rollback()
        assert (error.value.code, error.value.field) == ("missing_data", name)
    with pytest.raises(Refusal) as error:
        pipeline.apply(nomination, action, who, channel=transition.channel,
                       comment=given.comment, data={**given.data, "surprise": 1})
    db.session.rollback()
    assert (error.value.code, error.value.field) == ("invalid", "surprise")
    assert db.session.get(Nomination, nomination.id).status == state


@pytest.mark.parametrize("action", [t.action for t in pipeline.TRANSITIONS
                                    if t.comment == pipeline.Need.REQUIRED], ids=str)
def test_an_action_that_needs_a_comment_is_refused_without_one(app, action):
    transition = pipeline.BY_ACTION[action]
    nomination = f.nomination(sorted(transition.sources)[0])
    db.session.commit()
    with pytest.raises(Refusal) as error:
        pipeline.apply(nomination, action, f.actor_for(transition.who, "KZ-75"),
                       channel=transition.channel, comment="   ")
    assert (error.value.code, error.value.field) == ("missing_data", "comment")


def test_every_effect_the_table_names_is_implemented(app):
    assert set(pipeline.EFFECTS) == pipeline.DECLARED_EFFECTS
    assert all(callable(pipeline.EFFECTS[name]) for name in pipeline.DECLARED_EFFECTS)


@pytest.mark.parametrize(
    "action", [t.action for t in pipeline.TRANSITIONS if Role.COORDINATOR in t.who], ids=str
)
def test_coordinator_cannot_act_on_another_region(app, action):
    transition = pipeline.BY_ACTION[action]
    state = sorted(transition.sources)[0]
    nomination = f.nomination(state, region_code="KZ-75")
    outsider = f.user(Role.COORDINATOR, "KZ-71")
    db.session.commit()
    given = f.inputs_for(action, nomination)
    with pytest.raises(Refusal) as error:
        pipeline.apply(nomination, action, outsider, channel=given.channel,
                       comment=given.comment, data=given.data)
    assert (error.value.code, error.value.status) == ("out_of_scope", 404)
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
    with pytest.raises(Refusal):
        pipeline.enter(
            Nomination(candidate=f.CandidateFactory(), route=route, region=f.region()),
            coordinator,
        )


def test_rotation_names_the_member_replaced(app):
    officer = f.user(Role.SECRETARIAT)
    nomination = Nomination(candidate=f.CandidateFactory(), route=Route.ROTATION,
                            region=f.region(), nominating_body="Council decision No. 7")
    with pytest.raises(Refusal) as error:
        pipeline.enter(nomination, officer)
    assert (error.value.code, error.value.field) == ("missing_data", "replaces_membership_id")

    member = f.nomination(State.APPROVED)
    membership = issue_membership_in_transaction(member.id)
    nomination.replaces_membership_id = membership.id
    pipeline.enter(nomination, officer)
    assert nomination.status == State.UNDER_REVIEW


def test_coordinator_enters_only_in_own_region(app):
    coordinator = f.user(Role.COORDINATOR, "KZ-71")
    nomination = Nomination(candidate=f.CandidateFactory(), route=Route.REGIONAL,
                            region=f.region("KZ-75"))
    with pytest.raises(Refusal) as error:
        pipeline.enter(nomination, coordinator)
    assert error.value.code == "out_of_scope"


BUTTON, FORM = pipeline.Channel.BUTTON, pipeline.Channel.FORM


def test_guards_give_reasons(app):
    nomination = f.nomination(State.FORWARDED)
    officer = f.user(Role.SECRETARIAT)
    with pytest.raises(Refusal) as error:  # "Other" needs its explanation
        pipeline.apply(nomination, "return", officer, channel=FORM, comment="   ",
                       data={"reasons": ["other"]})
    assert error.value.code == "guard"
    no_consent = f.CandidateFactory(consent_given_on=None, consent_form=None)
    draft = f.nomination(State.DRAFT, candidate=no_consent)
    with pytest.raises(Refusal, match="consent"):
        pipeline.apply(draft, "submit", f.user(Role.COORDINATOR), channel=BUTTON)


def test_return_reasons_come_from_the_fixed_list(app):
    nomination = f.nomination(State.FORWARDED)
    officer = f.user(Role.SECRETARIAT)
    db.session.commit()
    for reasons in ([], ["made-up"], "cv_document"):
        with pytest.raises(Refusal) as error:
            pipeline.apply(nomination, "return", officer, channel=FORM,
                           data={"reasons": reasons})
        db.session.rollback()
        assert error.value.field == "reasons"
    event = pipeline.apply(nomination, "return", officer, channel=FORM,
                           data={"reasons": ["cv_document", "cv_document", "iin"]})
    assert event.data == {"reasons": ["cv_document", "iin"]}


def test_one_open_nomination_per_person(app):
    first = f.nomination(State.SUBMITTED)
    second = f.nomination(State.DRAFT, candidate=first.candidate)
    with pytest.raises(Refusal, match="another nomination"):
        pipeline.apply(second, "submit", f.user(Role.COORDINATOR), channel=BUTTON)


def test_stale_version_is_a_conflict(app):
    nomination = f.nomination(State.FORWARDED)
    seen = nomination.version
    pipeline.apply(nomination, "accept", f.user(Role.SECRETARIAT), channel=BUTTON)
    db.session.commit()
    with pytest.raises(Refusal) as error:
        pipeline.apply(nomination, "return", f.user(Role.SECRETARIAT), channel=FORM,
                       data={"reasons": ["iin"]}, expected_version=seen)
    assert error.value.is_conflict and error.value.status == 409
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
                "workflow/models/core.py", "workflow/models/lists.py", "workflow/pipeline.py",
                # reads it: a flush that changes it without its event is refused
                "workflow/audit.py",
            }:
                offenders.append(f"{rel}:{node.lineno} ._status")
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "update"
                    and node.args and getattr(node.args[0], "id", None) == "Nomination"):
                offenders.append(f"{rel}:{node.lineno} update(Nomination)")
    assert offenders == []


# --- The defects the table closes, through the pages. ------------------------------------


def test_no_button_puts_a_nomination_on_a_council_agenda_without_a_meeting(app, client, auth):
    nomination = f.nomination(State.UNDER_REVIEW)
    auth.login(f.user(Role.SECRETARIAT))
    page = client.get(f"/nominations/{nomination.id}").get_data(as_text=True)
    assert "/actions/put_on_council_agenda" not in page
    response = client.post(f"/nominations/{nomination.id}/actions/put_on_council_agenda",
                           data={"version": nomination.version})
    assert response.status_code == 422
    assert "is done through a Council meeting" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Nomination, nomination.id).status == State.UNDER_REVIEW


def test_a_return_through_the_nomination_page_needs_its_reasons(app, client, auth):
    nomination = f.nomination(State.FORWARDED)
    auth.login(f.user(Role.SECRETARIAT))
    url = f"/nominations/{nomination.id}/actions/return"
    refused = client.post(url, data={"version": nomination.version, "comment": "Fix it"})
    assert refused.status_code == 422
    assert "Choose at least one reason." in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Nomination, nomination.id).status == State.FORWARDED
    done = client.post(url, data={"version": nomination.version, "reasons": ["cv_document"]})
    assert done.status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "return"))
    assert event.data == {"reasons": ["cv_document"]}


def test_one_refusal_type_for_every_capability():
    """The capabilities refuse with workflow.refusal.Refusal only; the other exception classes
    are not refusals of what a person asked: a parse result of the IIN check, a programming
    error, and a seal missing from the server's configuration (an operator's matter)."""
    defined = []
    for path in python_sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                    getattr(base, "id", "").endswith(("Error", "Exception", "Refused",
                                                      "Rejected", "Refusal"))
                    for base in node.bases):
                defined.append(node.name)
    assert sorted(defined) == ["InvalidIIN", "Refusal", "SealUnavailable",
                               "StatusWithoutAuditEvent"]
