"""Test data. Nominations reach their state through the pipeline's own actions, never by hand."""

from __future__ import annotations

import itertools
from datetime import date

import factory
from sqlalchemy import select

from workflow import journeys, pipeline
from workflow.auth.services import hash_password
from workflow.domain import AssociationKind, AssociationLevel, ConsentForm, Role, Route, State
from workflow.extensions import db
from workflow.iin import make_iin
from workflow.models import (
    Association,
    Candidate,
    Nomination,
    Region,
    RegionalSession,
    SessionStatus,
    User,
)

PASSWORD = "pw-test-1234"  # noqa: S105
_HASH: list[str] = []
_serial = itertools.count(1)


def password_hash() -> str:
    # argon2 is slow by design; one hash serves every test user.
    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    return _HASH[0]


def region(code: str = "KZ-75") -> Region:
    return db.session.scalar(select(Region).where(Region.iso_code == code))


def next_iin(born: date = date(1985, 3, 15), sex: str = "male") -> str:
    while True:
        iin = make_iin(born, sex, next(_serial))
        if iin:
            return iin


class Base(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class UserFactory(Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@test.kz")
    name = factory.Sequence(lambda n: f"User {n}")
    role = Role.COORDINATOR
    region = factory.LazyAttribute(lambda o: region() if o.role == Role.COORDINATOR else None)
    password_hash = factory.LazyFunction(password_hash)


class AssociationFactory(Base):
    class Meta:
        model = Association

    name = factory.Sequence(lambda n: f"Ethno-cultural centre {n}")
    level = AssociationLevel.REGIONAL
    kind = AssociationKind.ETHNO_CULTURAL
    region = factory.LazyFunction(region)


class CandidateFactory(Base):
    class Meta:
        model = Candidate

    birth_date = date(1985, 3, 15)
    sex = "male"
    iin = factory.LazyAttribute(lambda o: next_iin(o.birth_date, o.sex))
    surname = factory.Sequence(lambda n: f"Surname{n}")
    given_name = "Ерлан"
    patronymic = "Серікұлы"
    citizenship = "KZ"
    ethnicity = "қазақ"
    region = factory.LazyFunction(region)
    occupation = "Teacher"
    position = "Head of the centre"
    email = factory.Sequence(lambda n: f"nominee{n}@test.kz")
    consent_given_on = date(2026, 1, 10)
    consent_form = ConsentForm.WRITTEN
    consent_scope = "Processing by the Assembly's Secretariat for the term of membership"


def user(role: str = Role.COORDINATOR, region_code: str | None = "KZ-75", **kw) -> User:
    reg = region(region_code) if (role == Role.COORDINATOR and region_code) else None
    return UserFactory(role=role, region=reg, **kw)


def actor_for(transition_who, region_code: str):
    """Someone allowed to fire a transition in ``region_code``: coordinator, officer or system."""
    if Role.COORDINATOR in transition_who:
        return user(Role.COORDINATOR, region_code)
    if Role.SECRETARIAT in transition_who:
        return user(Role.SECRETARIAT)
    return pipeline.SYSTEM


_session_number = itertools.count(1)


def regional_session(region_code: str = "KZ-75", *, members_total: int = 40,
                     status: str = SessionStatus.PLANNED, held_on: date = date(2026, 3, 1),
                     **kw) -> RegionalSession:
    """A regional session with the region's voting rule (flushed, not committed)."""
    reg = region(region_code)
    session = RegionalSession(region=reg, number=f"S-{next(_session_number)}", held_on=held_on,
                              place="Akimat, hall 1", members_total=members_total,
                              quorum=reg.session_quorum, majority=reg.session_majority,
                              status=status, **kw)
    db.session.add(session)
    db.session.flush()
    return session


# The Council meeting of the tests' walks sat before every order a test records: an order is
# never dated before the meeting that recommended its nominations (orders.check_order_date).
COUNCIL_MET = date(2025, 12, 1)


def walk_bodies(**kw) -> journeys.Bodies:
    """The deciding bodies of a test's walk (``journeys.Bodies``), the Council's held already."""
    return journeys.Bodies(**{"meeting_date": COUNCIL_MET, **kw})


def inputs_for(action: str, nom: Nomination, bodies: journeys.Bodies | None = None
               ) -> journeys.Inputs:
    """How to fire ``action`` on ``nom`` through its own channel: the channel, a comment where
    the table takes one, the data its deciding body records (the same as the demo's)."""
    return journeys.inputs(nom, pipeline.BY_ACTION[action], bodies or walk_bodies())


def fire(nom: Nomination, action: str, actor, bodies: journeys.Bodies | None = None):
    """Fire ``action`` as its channel would, by ``actor``."""
    given = inputs_for(action, nom, bodies)
    return pipeline.apply(nom, action, actor, channel=given.channel, comment=given.comment,
                          data=given.data)


def nomination(state: State = State.DRAFT, *, region_code: str = "KZ-75",
               route: Route = Route.REGIONAL, candidate: Candidate | None = None,
               documents: bool = True, bodies: journeys.Bodies | None = None) -> Nomination:
    """A nomination brought to ``state`` by the pipeline's own actions, each through its own
    channel with its data (``workflow.journeys``; flushed, not committed)."""
    reg = region(region_code)
    candidate = candidate or CandidateFactory(region=reg)
    entry = pipeline.ENTRIES[route]
    nom = Nomination(candidate=candidate, route=route, region=reg,
                     association=AssociationFactory(region=reg) if route == Route.REGIONAL else None,
                     nominating_body=None if route == Route.REGIONAL else "Council decision No. 1",
                     justification="Long service to inter-ethnic accord.")
    pipeline.enter(nom, actor_for(entry.who, region_code))
    if documents and route == Route.REGIONAL:  # the pipeline wants them before submitting
        for kind in pipeline.REQUIRED_DOCUMENTS:
            document(nom, kind)
    actors: dict[frozenset, object] = {}  # one coordinator and one officer per walk

    def actor(transition, _nomination):
        key = frozenset(transition.who)
        if key not in actors:
            actors[key] = actor_for(transition.who, region_code)
        return actors[key]

    journeys.walk(nom, state, actor, bodies or walk_bodies(), route)
    return nom


# --- The Secretariat's objects: documents, memberships, Council meetings, orders. ---------

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name: str = "document.pdf"):
    """An upload as a form or service receives it."""
    import io

    from werkzeug.datastructures import FileStorage

    return FileStorage(stream=io.BytesIO(PDF), filename=name, content_type="application/pdf")


def document(nomination: Nomination, kind: str):
    from workflow.documents.services import store

    return store(pdf(f"{kind}.pdf"), kind, nomination_id=nomination.id)


def membership(region_code: str = "KZ-75", *, candidate: Candidate | None = None,
               route: Route = Route.REGIONAL, email: str | None = "",
               birth_date: date | None = None):
    """An active member: a nomination taken to ``approved`` and issued, as the system issues it.

    Without ``candidate``: ``email=""`` gives a fresh address (the account and invitation
    follow); ``email=None`` leaves the candidate without one. Flushed, not committed.
    """
    from workflow.members.services import issue_membership_in_transaction

    if candidate is None:
        reg = region(region_code)
        candidate = CandidateFactory(region=reg, birth_date=birth_date or date(1985, 3, 15))
        candidate.email = None if email is None else (email or f"member{next(_serial)}@test.kz")
    nom = nomination(State.APPROVED, region_code=region_code, candidate=candidate, route=route)
    return issue_membership_in_transaction(nom.id)


def council_meeting(members_total: int = 9, **kw):
    from workflow.models import CouncilMeeting

    # Held today: it may be recorded (not in the future) and was planned lawfully (not past).
    meeting = CouncilMeeting(meeting_date=kw.pop("meeting_date", date.today()),
                             members_total=members_total, **kw)
    db.session.add(meeting)
    db.session.flush()
    return meeting
