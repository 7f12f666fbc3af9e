"""Test data. Nominations reach their state through the pipeline's own actions, never by hand."""

from __future__ import annotations

import itertools
from datetime import date

import factory
from sqlalchemy import select

from workflow import pipeline
from workflow.auth.services import hash_password
from workflow.domain import AssociationKind, AssociationLevel, ConsentForm, Role, Route, State
from workflow.extensions import db
from workflow.iin import make_iin
from workflow.models import Association, Candidate, Nomination, Region, User
from workflow.sessions.models import RegionalSession, SessionItem, SessionStatus

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


SESSION_ACTIONS = frozenset({"schedule", "support", "decline_regionally", "defer"})
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


def data_for(action: str, nom: Nomination, session: RegionalSession | None = None) -> dict:
    """What the pipeline needs to fire ``action``: a session actions names a real session."""
    if action not in SESSION_ACTIONS:
        return {}
    if session is None:
        item = db.session.scalar(select(SessionItem).where(SessionItem.nomination_id == nom.id)
                                 .order_by(SessionItem.id.desc()))
        reusable = item is not None and item.session.status != SessionStatus.CLOSED
        session = item.session if reusable else regional_session(
            db.session.get(Region, nom.region_id).iso_code)
    if action == "schedule":
        position = len(session.items) + 1
        db.session.add(SessionItem(session=session, nomination=nom, position=position))
    else:
        item = db.session.scalar(select(SessionItem).where(
            SessionItem.session_id == session.id, SessionItem.nomination_id == nom.id))
        if item is not None:
            item.outcome = action
            item.deferred = action == "defer"
    db.session.flush()
    return {"session_id": session.id}


def nomination(state: State = State.DRAFT, *, region_code: str = "KZ-75",
               route: Route = Route.REGIONAL, candidate: Candidate | None = None,
               documents: bool = True) -> Nomination:
    """A nomination brought to ``state`` by the pipeline's own actions (flushed, not committed)."""
    reg = region(region_code)
    candidate = candidate or CandidateFactory(region=reg)
    entry = pipeline.ENTRIES[route]
    nom = Nomination(candidate=candidate, route=route, region=reg,
                     association=AssociationFactory(region=reg) if route == Route.REGIONAL else None,
                     nominating_body=None if route == Route.REGIONAL else "Council decision No. 1",
                     justification="Long service to inter-ethnic accord.")
    pipeline.enter(nom, actor_for(entry.who, region_code))
    path = pipeline.path_to(state, route)
    if documents and route == Route.REGIONAL:  # the pipeline wants them before submitting
        for kind in pipeline.REQUIRED_DOCUMENTS:
            document(nom, kind)
    for action in path:
        t = pipeline.BY_ACTION[action]
        pipeline.apply(nom, action, actor_for(t.who, region_code), comment="reason",
                       data=data_for(action, nom))
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
    from workflow.council.models import CouncilMeeting

    meeting = CouncilMeeting(meeting_date=kw.pop("meeting_date", date(2026, 12, 1)),
                             members_total=members_total, **kw)
    db.session.add(meeting)
    db.session.flush()
    return meeting
