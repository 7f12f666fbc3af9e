"""Demo data: regions, associations, users of every role, nominations in every state.

Every nomination reaches its state through the pipeline's own actions, each fired through
its own channel with its data (``workflow.journeys``), so every history shown is one the
pipeline allows and every agenda, decision, order and membership is written by the pipeline.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from workflow import pipeline
from workflow.auth.services import create_user
from workflow.database import transaction
from workflow.documents.services import store
from workflow.domain import (
    AssociationKind,
    AssociationLevel,
    ConsentForm,
    DocumentKind,
    Role,
    Route,
    State,
)
from workflow.extensions import db
from workflow.iin import make_iin
from workflow.journeys import Bodies, upload, walk
from workflow.models import (
    Association,
    Candidate,
    Document,
    Nomination,
    Region,
    SessionStatus,
    User,
    utcnow,
)
from workflow.regions import load_regions

DEMO_PASSWORD = "tizim-demo-2026"  # noqa: S105 - printed for the demo, never used in production
# The one demo member who can log in; the other demo members get an invitation e-mail.
DEMO_MEMBER_EMAIL = "member@tizim.kz"

PEOPLE = [
    # (surname, given name, patronymic, sex, ethnicity)
    ("Ахметов", "Ерлан", "Серікұлы", "male", "қазақ"),
    ("Иванова", "Ольга", "Петровна", "female", "орыс"),
    ("Ким", "Виктор", "Николаевич", "male", "корей"),
    ("Хасанова", "Дильназ", "Ильхамовна", "female", "ұйғыр"),
    ("Шмидт", "Андрей", "Иванович", "male", "неміс"),
    ("Мирзаев", "Рустам", "Алишерович", "male", "өзбек"),
    ("Коваленко", "Наталья", "Сергеевна", "female", "украин"),
    ("Галиев", "Тимур", "Рашидович", "male", "татар"),
    ("Пак", "Светлана", "Ёнгировна", "female", "корей"),
    ("Нұрланқызы", "Әсел", None, "female", "қазақ"),
    ("Алиев", "Эльдар", "Гасанович", "male", "әзербайжан"),
    ("Дюсенбаева", "Гүлнар", "Қайратқызы", "female", "қазақ"),
    ("Оганесян", "Арам", "Суренович", "male", "армян"),
    ("Бойко", "Ирина", "Владимировна", "female", "беларусь"),
    ("Юсупов", "Ильяс", "Маратович", "male", "дүнген"),
]

ASSOCIATIONS = [
    ("Ассоциация корейцев Казахстана", AssociationLevel.REPUBLICAN, "KZ-75"),
    ("Республиканский славянский центр", AssociationLevel.REPUBLICAN, "KZ-71"),
    ("Республиканское уйгурское этнокультурное объединение", AssociationLevel.REPUBLICAN, "KZ-75"),
    ("Ассоциация немцев Казахстана «Возрождение»", AssociationLevel.REPUBLICAN, "KZ-71"),
]
REGIONAL_KINDS = ("Татаро-башкирский культурный центр", "Украинский культурный центр",
                  "Узбекский этнокультурный центр")

# How many demo nominations end in each state: every state is present, ~60 in all.
SPREAD = {
    State.DRAFT: 6, State.SUBMITTED: 5, State.ON_AGENDA: 4, State.SUPPORTED: 4,
    State.DECLINED_REGIONALLY: 3, State.FORWARDED: 5, State.RETURNED: 3, State.UNDER_REVIEW: 5,
    State.COUNCIL_AGENDA: 4, State.RECOMMENDED: 4, State.COUNCIL_DECLINED: 2, State.APPROVED: 3,
    State.REJECTED: 2, State.WITHDRAWN: 3, State.MEMBER: 8,
}


# A few nominations on the routes the Secretariat enters (Law No. 70-IV Art. 15.2).
OTHER_ROUTES = [
    (State.UNDER_REVIEW, Route.ASSOCIATION), (State.RECOMMENDED, Route.ASSOCIATION),
    (State.MEMBER, Route.ASSOCIATION), (State.COUNCIL_AGENDA, Route.COUNCIL),
    (State.MEMBER, Route.COUNCIL),
]
NOMINATING_BODIES = {
    Route.ASSOCIATION: "Решение съезда (высшего органа) республиканского объединения",
    Route.COUNCIL: "Решение Совета Ассамблеи народа Казахстана",
}


@dataclass
class Login:
    role: str
    email: str
    region: str | None


def is_empty() -> bool:
    return not db.session.scalar(select(func.count()).select_from(User))


def load(seed: int = 2026) -> list[Login]:
    """Create the demo data in one transaction and return the logins to print."""
    rng = random.Random(seed)
    logins: list[Login] = []
    with transaction():
        load_regions()
        regions = list(db.session.scalars(select(Region).order_by(Region.sort_order)))
        by_code = {r.iso_code: r for r in regions}
        for name, level, code in ASSOCIATIONS:
            db.session.add(Association(name=name, level=level, kind=AssociationKind.ETHNO_CULTURAL,
                                       region=by_code[code]))
        for region in regions:
            for kind in REGIONAL_KINDS[: 2 + region.sort_order % 2]:
                db.session.add(Association(name=f"{kind} ({region.name_ru})",
                                           level=AssociationLevel.REGIONAL,
                                           kind=AssociationKind.ETHNO_CULTURAL, region=region))
        db.session.flush()

        def user(role, email, name, region=None):
            create_user(email=email, name=name, role=role, password=DEMO_PASSWORD,
                        region_code=region.iso_code if region else None)
            logins.append(Login(role, email, region.iso_code if region else None))

        user(Role.ADMIN, "admin@tizim.kz", "Әкімші Демо")
        user(Role.SECRETARIAT, "secretariat@tizim.kz", "Жанар Секретариат")
        coordinators = {}
        for region in regions:
            email = f"coordinator.{region.iso_code.lower()}@tizim.kz"
            user(Role.COORDINATOR, email, f"Координатор {region.name_ru}", region)
            coordinators[region.id] = db.session.scalar(select(User).where(User.email == email))
        secretariat = db.session.scalar(select(User).where(User.role == Role.SECRETARIAT))

        today = date.today()
        # What was decided was decided at past sittings; what waits, waits for coming ones.
        past = Bodies(session_date=today - timedelta(days=30),
                      meeting_date=today - timedelta(days=10),
                      order_date=today - timedelta(days=3), order_number=f"{today.year}-15")
        coming = Bodies(session_date=today + timedelta(days=21),
                        meeting_date=today + timedelta(days=12))

        def actors(transition, nomination):
            if Role.COORDINATOR in transition.who:
                return coordinators[nomination.region_id]
            if Role.SECRETARIAT in transition.who:
                return secretariat
            return pipeline.SYSTEM

        associations = list(db.session.scalars(select(Association)))
        serial = 1000
        plan = [(state, Route.REGIONAL) for state, count in SPREAD.items()
                for _ in range(count)] + OTHER_ROUTES
        for index, (state, route) in enumerate(plan):
            region = regions[index % len(regions)]
            # The next round of regions starts one person on, so no region has two namesakes.
            person = PEOPLE[(index + index // len(regions)) % len(PEOPLE)]
            n = index + 1
            born = date(1955, 1, 1) + timedelta(days=rng.randrange(0, 365 * 45))
            iin = None
            while iin is None:
                serial += 1
                iin = make_iin(born, person[3], serial)
            candidate = Candidate(
                iin=iin, surname=person[0], given_name=person[1], patronymic=person[2],
                birth_date=born, sex=person[3], citizenship="KZ", ethnicity=person[4],
                region=region, occupation="Председатель этнокультурного центра",
                position="Председатель", phone="+7 701 000 00 00",
                email=f"nominee{n}@example.kz",
                # Given to the association before it proposed the person: before any step.
                consent_given_on=today - timedelta(days=120),
                consent_form=ConsentForm.WRITTEN,
                consent_scope="Сбор, хранение и передача в Секретариат АНК на срок членства",
            )
            eligible = [a for a in associations
                        if a.region_id == region.id or a.level == AssociationLevel.REPUBLICAN]
            republican = [a for a in associations if a.level == AssociationLevel.REPUBLICAN]
            # The other routes come as the Secretariat enters them: the nominating body's
            # decision named, the association's when it is the association's route.
            nomination = Nomination(
                candidate=candidate, route=route, region=region,
                association=(rng.choice(eligible) if route == Route.REGIONAL
                             else rng.choice(republican) if route == Route.ASSOCIATION
                             else None),
                nominating_body=NOMINATING_BODIES.get(route),
                justification="Многолетняя работа по укреплению межэтнического согласия.",
            )
            if state == State.MEMBER and not any(x.role == Role.MEMBER for x in logins):
                # An account made beforehand is linked when the membership is issued.
                candidate.email = DEMO_MEMBER_EMAIL
                create_user(email=DEMO_MEMBER_EMAIL, name=candidate.full_name,
                            role=Role.MEMBER, password=DEMO_PASSWORD)
                logins.append(Login(Role.MEMBER, DEMO_MEMBER_EMAIL, region.iso_code))
            if route == Route.REGIONAL:
                pipeline.enter(nomination, coordinators[region.id])
            else:
                pipeline.enter(nomination, secretariat)
                for kind in (DocumentKind.DECISION, DocumentKind.CONSENT, DocumentKind.CV):
                    store(upload(f"{kind}.pdf"), kind, nomination_id=nomination.id)
            if "submit" in pipeline.path_to(state, route):
                for kind in pipeline.REQUIRED_DOCUMENTS:
                    store(upload(f"{kind}.pdf"), kind, nomination_id=nomination.id)
            waiting = state in (State.ON_AGENDA, State.COUNCIL_AGENDA)
            walk(nomination, state, actors, coming if waiting else past, route)
            # A history that took its time: some have waited a while in their stage (the
            # Secretariat's home shows ages and overdue), and each step came some days
            # after the one before, on the day of the sitting that decided it.
            age = timedelta(days=rng.choice((0, 1, 3, 6, 10, 16, 25)))
            spread_history(nomination, past, age, rng)
        sittings_held(past, secretariat)
    return logins


# The steps recorded on the day of a sitting or an order (the past ones: what waits for a
# coming sitting is only on its agenda).
SITTING_DAY = {"support": "session_date", "decline_regionally": "session_date",
               "recommend": "meeting_date", "decline_by_council": "meeting_date",
               "approve": "order_date", "reject": "order_date", "issue_membership": "order_date"}


def spread_history(nomination: Nomination, past: Bodies, age: timedelta, rng) -> None:
    """Date the nomination's events as a real history would be: the last step ``age`` ago
    (or on its sitting's day), each earlier one some days before the next, a sitting's
    decision on the sitting's day; never out of order. Done before the commit seals them."""
    events = sorted(nomination.events, key=lambda e: (e.created_at, e.id or 0))
    if not events:
        return
    now = utcnow()

    def day_of(action: str):
        day = getattr(past, SITTING_DAY[action], None) if action in SITTING_DAY else None
        if day is None:
            return None
        # 11:00 where the Assembly sits (UTC+5), give or take an hour.
        return datetime.combine(day, time(6), UTC) + timedelta(minutes=rng.randrange(-60, 60))

    days = [day_of(e.action) for e in events]
    at = days[-1] or now - age - timedelta(minutes=rng.randrange(5, 240))
    at = min(at, now)
    for index in range(len(events) - 1, -1, -1):
        if index < len(events) - 1:
            sitting = days[index]
            # The sitting before this step, if any: the steps between stay after it.
            before = next((d for d in reversed(days[:index]) if d is not None and d < at), None)
            if sitting is not None and sitting <= at:
                at = sitting
            elif before is not None:
                at = before + (at - before) * rng.uniform(0.4, 0.9)
            else:
                at -= timedelta(hours=rng.randrange(6, 24 * 6))
        events[index].created_at = at
        at -= timedelta(minutes=rng.randrange(1, 30))  # two steps are never the same moment
    nomination.created_at = events[0].created_at
    # The documents came with the entry, not at the moment of loading.
    for document in db.session.scalars(select(Document).where(
            Document.nomination_id == nomination.id)):
        document.created_at = events[0].created_at
    changes = [e for e in events if e.to_status is not None]
    if changes:
        nomination.status_changed_at = changes[-1].created_at


def sittings_held(past: Bodies, secretariat: User) -> None:
    """The past sittings took place: each session's attendance, protocol and closing; the
    Council meeting's attendance and record."""
    for session in past.sessions.values():
        session.members_present = session.members_total
        session.status = SessionStatus.CLOSED
        session.closed_at = utcnow()
        session.protocol_document_id = store(upload(f"protocol-{session.id}.pdf"),
                                             DocumentKind.PROTOCOL,
                                             region_id=session.region_id).id
    if past.meeting is not None:
        past.meeting.present = past.meeting.members_total
        past.meeting.recorded_at = utcnow()
        past.meeting.recorded_by_id = secretariat.id
