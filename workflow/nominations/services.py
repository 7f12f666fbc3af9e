"""Reading nominations within the actor's scope, entering and editing them, firing actions."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, or_, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload
from werkzeug.datastructures import FileStorage

from workflow import pipeline
from workflow.candidates import services as candidates
from workflow.database import DB_INT_MAX, is_postgres, transaction
from workflow.documents import services as documents
from workflow.domain import Role, Route, State, body_text
from workflow.extensions import db
from workflow.iin import normalize
from workflow.models import (
    LIST_ROW,
    Association,
    AuditEvent,
    Candidate,
    Document,
    ListRow,
    Membership,
    Nomination,
    Outcome,
    RegionalSession,
    SessionItem,
    list_rows,
)
from workflow.permissions import scoped, visible
from workflow.refusal import Refusal, conflict, not_found

PAGE_SIZE = 50
EDITABLE_STATES = frozenset({State.DRAFT, State.RETURNED})
OPEN_STATES = [s.value for s in State if s not in pipeline.FINAL_STATES]


def count_by_state(user) -> dict[State, int]:
    stmt = scoped(select(Nomination.status, func.count()).group_by(Nomination.status), user,
                  Nomination)
    found = {State(status): n for status, n in db.session.execute(stmt)}
    return {state: found.get(state, 0) for state in State}


# --- Lists: filters, sorts, keyset pagination. -------------------------------------------------

# sort name -> (columns of the key, descending?)
SORTS = {
    "newest": ((Nomination.created_at, Nomination.id), True),
    "oldest": ((Nomination.created_at, Nomination.id), False),
    # The candidate's id before the nomination's: (surname, candidate id) is one index.
    "surname": ((Candidate.surname, Candidate.id, Nomination.id), False),
    "state": ((Nomination.status, Nomination.id), False),
}
SORT_LABELS = {
    "newest": _l("Newest first"),
    "oldest": _l("Oldest first"),
    "surname": _l("Surname, A to Z"),
    "state": _l("State"),
}


@dataclass
class Page:
    items: list[Nomination] | list[ListRow]
    next_after: str | None


def _key_of(nomination: Nomination | ListRow, sort: str) -> list:
    if sort == "surname":
        return [nomination.candidate.surname, nomination.candidate_id, nomination.id]
    if sort == "state":
        return [nomination.status.value, nomination.id]
    return [nomination.created_at.isoformat(), nomination.id]


def _encode(key: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def _decode(cursor: str | None, sort: str) -> tuple | None:
    """The sort key a page continues after; None for a cursor that is missing or forged."""
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        value, *ids = key
        if (not isinstance(value, str) or len(ids) != len(SORTS[sort][0]) - 1
                or not all(isinstance(i, int) and abs(i) <= DB_INT_MAX for i in ids)
                or not value.isprintable()):
            return None
        value.encode("utf-8")  # a lone surrogate cannot be sent to the database
        if sort in ("newest", "oldest"):
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:  # the column holds aware times: a forged cursor
                return None
        return value, *ids
    except (ValueError, TypeError, UnicodeError):
        return None


REFERENCE_CODE = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$")
# After every character: a surname prefix becomes a range the (surname, id) index can serve.
LAST_CHARACTER = "\U0010ffff"


def text_condition(text: str):
    """A reference code is looked up exactly; anything else is a surname prefix: on PostgreSQL
    in any case (ILIKE, through the trigram index), elsewhere as ranges on the (surname, id)
    index, as typed and capitalised the way surnames are written."""
    text = text.strip()
    if REFERENCE_CODE.match(text.upper()):
        return Nomination.reference_code == text.upper()
    if is_postgres():
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return Candidate.surname.ilike(escaped + "%", escape="\\")
    variants = {text, text[:1].upper() + text[1:], text[:1].upper() + text[1:].lower()}
    return or_(*(and_(Candidate.surname >= v, Candidate.surname < v + LAST_CHARACTER)
                 for v in sorted(variants)))


def row_statement(user) -> Select:
    """The columns a list row shows (``models.LIST_ROW``: the list page, the API's list items,
    the Secretariat's queues) of the nominations ``user`` may see, in one statement; read its
    rows with ``models.list_rows``. An export reads whole records instead."""
    return (scoped(select(*LIST_ROW).select_from(Nomination), user, Nomination)
            .join(Nomination.candidate).join(Nomination.region)
            .outerjoin(Nomination.association))


def record_statement(user) -> Select:
    """Whole nominations ``user`` may see, with their candidate, region and association."""
    return (scoped(select(Nomination), user, Nomination).join(Nomination.candidate)
            .options(contains_eager(Nomination.candidate), joinedload(Nomination.region),
                     joinedload(Nomination.association)))


def list_statement(user, *, state: str | None = None, text: str | None = None,
                   association_id: int | None = None, session_id: int | None = None,
                   region_id: int | None = None, route: str | None = None,
                   updated_since: datetime | None = None,
                   sort: str = "newest", after: str | None = None,
                   limit: int = PAGE_SIZE, rows_only: bool = False) -> Select:
    """The query behind one list page: filters, then the keyset after ``after``, then the order.

    Each sort order is (key, id) with an index of that shape, so a page reads about ``limit``
    index entries wherever it starts. ``rows_only``: the columns a list row shows
    (``row_statement``), not whole records (an export wants those).
    """
    sort = sort if sort in SORTS else "newest"
    columns, descending = SORTS[sort]
    stmt = row_statement(user) if rows_only else record_statement(user)
    if state in State.__members__.values():
        stmt = stmt.where(Nomination.status == state)
    if association_id:
        stmt = stmt.where(Nomination.association_id == association_id)
    if region_id:
        stmt = stmt.where(Nomination.region_id == region_id)
    if route:
        stmt = stmt.where(Nomination.route == route)
    if updated_since is not None:
        stmt = stmt.where(Nomination.updated_at >= updated_since)
    if session_id:
        # A join, not IN (subquery): the plan starts from the session's few agenda items
        # instead of reading the whole region (uq_session_items_session_nomination: one item
        # per nomination and session, so no row comes twice).
        stmt = stmt.join(SessionItem, and_(SessionItem.nomination_id == Nomination.id,
                                           SessionItem.session_id == session_id))
    if text and text.strip():
        stmt = stmt.where(text_condition(text))
    key = _decode(after, sort)
    if key is not None:
        cursor = tuple_(*columns)
        stmt = stmt.where(cursor < tuple_(*key) if descending else cursor > tuple_(*key))
        if sort == "surname":
            # Redundant, but within one index: the scan starts at the cursor, not before it.
            stmt = stmt.where(tuple_(*columns[:2]) >= tuple_(*key[:2]))
    order = [c.desc() if descending else c.asc() for c in columns]
    return stmt.order_by(*order).limit(limit + 1)


def list_nominations(user, *, sort: str = "newest", limit: int = PAGE_SIZE,
                     rows_only: bool = False, **filters) -> Page:
    """One page of the nominations ``user`` may see, keyset-paginated: page 2,000 costs what
    page 1 does. Candidate, region and association come in the same query (no N+1).
    ``rows_only``: ``ListRow``s, what a list row shows; otherwise whole records."""
    sort = sort if sort in SORTS else "newest"
    stmt = list_statement(user, sort=sort, limit=limit, rows_only=rows_only, **filters)
    found = db.session.execute(stmt)
    rows = list_rows(found) if rows_only else list(found.scalars().unique())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, _encode(_key_of(rows[-1], sort)) if more and rows else None)


def get_nomination(user, nomination_id: int) -> Nomination | None:
    """The nomination, if ``user`` may see it; None otherwise (the view answers 404).

    Its candidate (with their region of residence), region and association come in the same
    query: every page that shows a nomination reads them."""
    return visible(user, Nomination, nomination_id,
                   joinedload(Nomination.candidate).joinedload(Candidate.region),
                   joinedload(Nomination.region), joinedload(Nomination.association))


def check_filters(user, *, association_id: int | None, session_id: int | None) -> None:
    """An association or a session named in a list's filter must be one ``user`` may see.

    :raise Refusal: not found (404), as the object's own page would answer.
    """
    if association_id is not None and visible(user, Association, association_id) is None:
        raise not_found()
    if session_id is not None and visible(user, RegionalSession, session_id) is None:
        raise not_found()


def timeline(nomination: Nomination) -> list[AuditEvent]:
    stmt = (select(AuditEvent).where(AuditEvent.nomination_id == nomination.id)
            .options(joinedload(AuditEvent.actor)).order_by(AuditEvent.id))
    return list(db.session.scalars(stmt))


def documents_of(nomination: Nomination) -> list[Document]:
    stmt = (select(Document).where(Document.nomination_id == nomination.id)
            .order_by(Document.id.desc()))
    return list(db.session.scalars(stmt))


def submitted_on(nomination: Nomination) -> date:
    """When the nomination left its draft (or entered, on routes that start further on)."""
    first = db.session.scalar(
        select(AuditEvent.created_at)
        .where(AuditEvent.nomination_id == nomination.id, AuditEvent.to_status.is_not(None),
               AuditEvent.to_status != State.DRAFT)
        .order_by(AuditEvent.id).limit(1)
    )
    return (first or nomination.created_at).date()


def last_return(nomination: Nomination) -> AuditEvent | None:
    """The Secretariat's latest return: its comment and data are the reasons to correct."""
    stmt = (select(AuditEvent).where(AuditEvent.nomination_id == nomination.id,
                                     AuditEvent.action == "return")
            .order_by(AuditEvent.id.desc()).limit(1))
    return db.session.scalar(stmt)


def session_items_of(nomination: Nomination) -> list[SessionItem]:
    stmt = (select(SessionItem).where(SessionItem.nomination_id == nomination.id)
            .options(joinedload(SessionItem.session)).order_by(SessionItem.id))
    return list(db.session.scalars(stmt))


# --- Entering and editing. -------------------------------------------------------------------


def associations_for(user, *columns) -> list:
    """Active associations ``user`` may name: a coordinator's region's and the republican ones;
    whole, or as rows of ``columns``."""
    stmt = (scoped(select(*columns or (Association,)), user, Association)
            .where(Association.active.is_(True))
            .order_by(Association.level.desc(), Association.name))
    found = db.session.execute(stmt)
    return list(found if columns else found.scalars())


def filter_associations(user, selected: int | None = None) -> list:
    """The associations offered in the list's filter, as (id, name) rows: a coordinator's own
    active ones and the republican ones; nationally (over a thousand associations) the
    republican ones and the one chosen."""
    if user.role == Role.COORDINATOR:
        return associations_for(user, Association.id, Association.name)
    stmt = scoped(select(Association.id, Association.name), user, Association).where(
        or_(Association.level == "republican", Association.id == (selected or 0)))
    return list(db.session.execute(stmt.order_by(Association.name)))


def check_not_nominated(user, candidate: Candidate, nomination_id: int | None = None) -> None:
    """Refuse a person who already has an open nomination or is a current member.

    Where ``user`` may open the other record, the refusal links to it; elsewhere it says
    nothing of where (the person's record is then kept elsewhere anyway: see candidates).

    :raise Refusal: ``duplicate``.
    """
    if candidate.id is None:
        return
    other = db.session.scalar(
        select(Nomination).where(Nomination.candidate_id == candidate.id,
                                 Nomination.id != (nomination_id or 0),
                                 Nomination.status.in_(OPEN_STATES)).limit(1))
    if other is not None:
        if get_nomination(user, other.id) is None:
            raise Refusal(candidates.KEPT_ELSEWHERE, code="duplicate", field="iin", status=409)
        raise Refusal(_l("A person with this IIN already has a nomination in progress "
                         "(%(code)s).", code=other.reference_code), code="duplicate",
                      field="iin", status=409,
                      link=("nominations.detail", {"nomination_id": other.id}))
    member = db.session.scalar(
        select(Membership).where(Membership.candidate_id == candidate.id,
                                 Membership.status == "active").limit(1))
    if member is not None:
        if get_nomination(user, member.nomination_id) is None:
            raise Refusal(candidates.KEPT_ELSEWHERE, code="duplicate", field="iin", status=409)
        raise Refusal(body_text("A person with this IIN is already a member of %(body_short)s "
                                "(%(number)s).", number=member.member_number), code="duplicate",
                      field="iin", status=409,
                      link=("nominations.detail", {"nomination_id": member.nomination_id}))


def _check_association(user, association_id: int) -> Association:
    allowed = {a.id: a for a in associations_for(user)}
    if association_id not in allowed:
        raise Refusal(_l("Choose an active association of your region or a republican one."),
                      field="association_id")
    return allowed[association_id]


def _store_documents(user, nomination: Nomination, files: Mapping[str, FileStorage]) -> None:
    for kind, file in files.items():
        if file is not None and file.filename:
            documents.store(file, kind, nomination_id=nomination.id,
                            region_id=nomination.region_id, uploaded_by_id=user.id)


def person_for(user, person: Mapping, *, region_id: int,
               nomination: Nomination | None = None) -> Candidate:
    """The person a nomination names, found by IIN or created, with their record brought up to
    date: a coordinator's entry and edit, and the Secretariat's entry of another route.

    :raise Refusal: the record is kept elsewhere, or the person is already nominated or a
        member (with a link where ``user`` may open the other record).
    """
    existing = candidates.find(person["iin"])
    if existing is not None:
        # What the user may know is said first: their own region's open nomination or member.
        check_not_nominated(user, existing, nomination.id if nomination else None)
    return candidates.take(user, person, region_id=region_id, nomination=nomination)


def create_nomination(user, person: Mapping, fields: Mapping, files: Mapping[str, FileStorage],
                      *, submit: bool) -> Nomination:
    """Enter a regional nomination with its candidate and documents, as a draft or submitted.

    All in one transaction: a refusal anywhere leaves no candidate, nomination or document row.

    :raise Refusal: the person is already nominated, a member, or kept elsewhere; an
        association out of reach; a file not acceptable; the pipeline refused (consent,
        documents, scope).
    """
    try:
        with transaction(actor=user):
            association = _check_association(user, fields["association_id"])
            candidate = person_for(user, person, region_id=user.region_id)
            nomination = Nomination(candidate=candidate, route=Route.REGIONAL,
                                    region_id=user.region_id, association=association,
                                    justification=fields["justification"],
                                    created_by_id=user.id)
            pipeline.enter(nomination, user)
            _store_documents(user, nomination, files)
            if submit:
                pipeline.apply(nomination, "submit", user, channel=pipeline.Channel.BUTTON)
            return nomination
    except IntegrityError:  # the same person entered at the same moment by someone else
        raise Refusal(_l("A person with this IIN was entered a moment ago by someone else. "
                         "Search the list before entering them again."), code="conflict",
                      field="iin", status=409) from None


def editable(user, nomination_id: int) -> Nomination | None:
    """The nomination if ``user`` may edit it: their region's coordinator (drafts and returned
    nominations; the view says when the state does not allow it)."""
    nomination = get_nomination(user, nomination_id)
    if nomination is None or user.role != Role.COORDINATOR:
        return None
    return nomination


def decided_by_a_session(nomination: Nomination) -> bool:
    """Whether a regional session has decided on the nomination (supported or not): its
    person is then fixed — the IIN cannot change."""
    return bool(db.session.scalar(select(func.count()).where(
        SessionItem.nomination_id == nomination.id,
        SessionItem.outcome.in_([Outcome.SUPPORT.value, Outcome.DECLINE.value]))))


def update_nomination(user, nomination_id: int, person: Mapping, fields: Mapping,
                      files: Mapping[str, FileStorage], *, version: int | None,
                      submit: bool) -> Nomination:
    """Correct a draft or a returned nomination; a draft may be submitted in the same step.

    The person's record changes with it (audited); on a nomination a session has decided on,
    the IIN — the person the session voted on — cannot change.

    :raise Refusal: not editable now, someone changed it since the form was opened
        (``conflict``), the IIN of a decided nomination changed, a duplicate person, a person
        kept elsewhere, missing documents.
    """
    with transaction(actor=user):
        nomination = pipeline.lock(nomination_id)
        if get_nomination(user, nomination_id) is None:
            raise not_found()
        if version is not None and nomination.version != version:
            raise conflict()
        if nomination.status not in EDITABLE_STATES:
            raise Refusal(_l("Only a draft or a returned nomination can be edited."),
                          code="wrong_state", status=409)
        if (normalize(person["iin"]) != nomination.candidate.iin
                and decided_by_a_session(nomination)):
            raise Refusal(_l("A regional session has decided on this person: the IIN of this "
                             "nomination cannot change. If the person is another, withdraw "
                             "this nomination and enter a new one."), field="iin")
        association = _check_association(user, fields["association_id"])
        nomination.candidate = person_for(user, person, region_id=user.region_id,
                                          nomination=nomination)
        nomination.association = association
        nomination.justification = fields["justification"]
        db.session.flush()
        _store_documents(user, nomination, files)
        if submit and nomination.status == State.DRAFT:
            pipeline.apply(nomination, "submit", user, channel=pipeline.Channel.BUTTON)
        return nomination


def fire(user, nomination_id: int, action: str, *, channel: pipeline.Channel,
         comment: str = "", data: Mapping | None = None,
         version: int | None = None) -> AuditEvent:
    """Apply one action from the nomination's page (or the API) in its own transaction.

    :raise Refusal: not visible to ``user`` (404), or refused by the pipeline; nothing changed.
    """
    with transaction(actor=user):
        if get_nomination(user, nomination_id) is None:
            raise not_found()
        return pipeline.apply(nomination_id, action, user, channel=channel, comment=comment,
                              data=data, expected_version=version)


def page_actions(nomination: Nomination, user) -> list[tuple[pipeline.Transition, object]]:
    """The actions of the nomination's page ``user`` could fire now, each with the reason a
    guard gives against it (None when nothing stands in the way)."""
    out = []
    for transition in pipeline.available(nomination, user):
        try:
            pipeline.check_guards(nomination, transition,
                                  pipeline.Context(user, "", {}, transition.action))
        except Refusal as refusal:
            out.append((transition, refusal.message))
        else:
            out.append((transition, None))
    return out


def needing_attention(user, state: State, limit: int = 10) -> list[Nomination]:
    stmt = (scoped(select(Nomination), user, Nomination).where(Nomination.status == state)
            .options(joinedload(Nomination.candidate), joinedload(Nomination.association))
            .order_by(Nomination.status_changed_at).limit(limit))
    return list(db.session.scalars(stmt))


def returns_of(nominations: list[Nomination]) -> dict[int, AuditEvent]:
    """The latest return event of each nomination, in one query."""
    if not nominations:
        return {}
    latest = (select(func.max(AuditEvent.id))
              .where(AuditEvent.nomination_id.in_([n.id for n in nominations]),
                     AuditEvent.action == "return")
              .group_by(AuditEvent.nomination_id))
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.id.in_(latest)))
    return {e.nomination_id: e for e in rows}

