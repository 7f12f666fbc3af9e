"""Demo data: regions, associations, users of every role, nominations in every state.

Every nomination reaches its state through the pipeline's own actions, so every history
shown is one the pipeline allows.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from workflow import pipeline
from workflow.auth.services import create_user
from workflow.database import transaction
from workflow.documents.services import store
from workflow.domain import AssociationKind, AssociationLevel, ConsentForm, Role, Route, State
from workflow.extensions import db
from workflow.iin import make_iin
from workflow.members.services import issue_membership_in_transaction
from workflow.models import Association, Candidate, Nomination, Region, User
from workflow.regions import load_regions
from workflow.sessions.models import Outcome, RegionalSession, SessionItem, SessionStatus

# The smallest valid PDF: demo nominations carry their three documents as placeholders.
DEMO_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

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

COMMENTS = {
    "return": "Не приложено письменное согласие на обработку персональных данных.",
    "withdraw": "Ассоциация отозвала кандидатуру.",
}


def demo_protocol(session: RegionalSession):
    """A one-page PDF standing for the signed protocol of a demo session."""
    from fpdf import FPDF

    from workflow.domain import DocumentKind

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=14)
    pdf.cell(0, 10, f"Protocol of regional session {session.number} (demo)")
    data = bytes(pdf.output())
    return store(FileStorage(io.BytesIO(data), f"protocol-{session.id}.pdf"),
                 DocumentKind.PROTOCOL, region_id=session.region_id)


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

        sessions: dict[tuple[int, bool], RegionalSession] = {}

        def session_for(region, closed: bool) -> RegionalSession:
            """One past, closed session per region for decided nominations; one upcoming."""
            key = (region.id, closed)
            if key not in sessions:
                held = date.today() + timedelta(days=-30 if closed else 21)
                sessions[key] = RegionalSession(
                    region=region, number=f"{held.year}/{1 if closed else 2}", held_on=held,
                    place="Үкімет үйі, мәжіліс залы", members_total=45,
                    quorum=region.session_quorum, majority=region.session_majority,
                    members_present=38 if closed else None,
                    status=SessionStatus.CLOSED if closed else SessionStatus.PLANNED,
                )
                db.session.add(sessions[key])
                db.session.flush()
                if closed:
                    sessions[key].protocol_document_id = demo_protocol(sessions[key]).id
            return sessions[key]

        associations = list(db.session.scalars(select(Association)))
        serial = 1000
        n = 0
        by_state: dict[State, list[Nomination]] = {}
        for state, count in SPREAD.items():
            for _ in range(count):
                region = regions[n % len(regions)]
                person = PEOPLE[n % len(PEOPLE)]
                n += 1
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
                    email=f"nominee{n}@example.kz", consent_given_on=date.today(),
                    consent_form=ConsentForm.WRITTEN,
                    consent_scope="Сбор, хранение и передача в Секретариат АНК на срок членства",
                )
                eligible = [a for a in associations
                            if a.region_id == region.id or a.level == AssociationLevel.REPUBLICAN]
                nomination = Nomination(
                    candidate=candidate, route=Route.REGIONAL, region=region,
                    association=rng.choice(eligible),
                    justification="Многолетняя работа по укреплению межэтнического согласия.",
                )
                if state == State.MEMBER and not any(x.role == Role.MEMBER for x in logins):
                    # An account made beforehand is linked when the membership is issued.
                    candidate.email = DEMO_MEMBER_EMAIL
                    create_user(email=DEMO_MEMBER_EMAIL, name=candidate.full_name,
                                role=Role.MEMBER, password=DEMO_PASSWORD)
                    logins.append(Login(Role.MEMBER, DEMO_MEMBER_EMAIL, region.iso_code))
                pipeline.enter(nomination, coordinators[region.id])
                path = pipeline.path_to(state)
                if "submit" in path:
                    for kind in pipeline.REQUIRED_DOCUMENTS:
                        store(FileStorage(io.BytesIO(DEMO_PDF), filename=f"{kind}.pdf"), kind,
                              nomination_id=nomination.id, region_id=region.id)
                session = (session_for(region, closed=state != State.ON_AGENDA)
                           if "schedule" in path else None)
                for action in path:
                    if action in ("approve", "issue_membership"):
                        break  # the Chairman's order below approves them
                    data = {}
                    if action == "schedule":
                        data = {"session_id": session.id}
                        item = SessionItem(session=session, nomination=nomination,
                                           position=len(session.items) + 1)
                        db.session.add(item)
                    elif action in {o.value for o in Outcome}:
                        data = {"session_id": session.id}
                        item.outcome = action
                        item.votes_for, item.votes_against, item.votes_abstain = (
                            (30, 5, 3) if action == Outcome.SUPPORT else (10, 25, 3))
                    who = pipeline.BY_ACTION[action].who
                    actor = coordinators[region.id] if Role.COORDINATOR in who else secretariat
                    pipeline.apply(nomination, action, actor, comment=COMMENTS.get(action, ""),
                                   data=data)
                by_state.setdefault(state, []).append(nomination)
                # Some have waited a while, so the Secretariat's home shows ages and overdue;
                # the whole history moves back, so it still reads in order.
                if state not in (State.APPROVED, State.MEMBER):
                    age = timedelta(days=rng.choice((0, 1, 3, 6, 10, 16, 25)))
                    nomination.status_changed_at -= age
                    for event in nomination.events:
                        event.created_at -= age
        secretariat_work(secretariat, by_state)
    return logins


def secretariat_work(secretariat: User, by_state: dict[State, list[Nomination]]) -> None:
    """A planned Council meeting holding the agenda, and an applied Chairman's order as the
    basis of the demo members."""
    from workflow.council.models import CouncilAgendaItem, CouncilMeeting
    from workflow.orders.models import ChairmanOrder, ChairmanOrderItem, OrderDecision
    from workflow.orders.services import apply_order_in_transaction

    today = date.today()
    meeting = CouncilMeeting(meeting_date=today + timedelta(days=12), members_total=45,
                             title="Заседание Совета АНК", created_by_id=secretariat.id)
    meeting.items = [CouncilAgendaItem(nomination_id=n.id)
                     for n in by_state.get(State.COUNCIL_AGENDA, [])]
    db.session.add(meeting)

    def upload(name: str) -> FileStorage:
        return FileStorage(io.BytesIO(DEMO_PDF), filename=name)

    document = store(upload("order-demo.pdf"), "order", uploaded_by_id=secretariat.id)
    order = ChairmanOrder(number=f"{today.year}-15", order_date=today - timedelta(days=3),
                          document_id=document.id, created_by_id=secretariat.id)
    approved = by_state.get(State.MEMBER, []) + by_state.get(State.APPROVED, [])
    order.items = [ChairmanOrderItem(nomination_id=n.id, decision=OrderDecision.APPROVE)
                   for n in approved]
    db.session.add(order)
    db.session.flush()
    apply_order_in_transaction(order, secretariat)
    for nomination in by_state.get(State.MEMBER, []):
        issue_membership_in_transaction(nomination.id)
