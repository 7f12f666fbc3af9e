"""Reading nominations within the actor's scope, entering and editing them, firing actions."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, or_, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload
from werkzeug.datastructures import FileStorage

from workflow import pipeline
from workflow.database import transaction
from workflow.documents import services as documents
from workflow.domain import AssociationLevel, Role, Route, State
from workflow.extensions import db
from workflow.iin import normalize
from workflow.models import (
    Association,
    AuditEvent,
    Candidate,
    Document,
    Membership,
    Nomination,
)
from workflow.nominations import models  # noqa: F401 - the list indexes
from workflow.sessions.models import SessionItem

PAGE_SIZE = 50
EDITABLE_STATES = frozenset({State.DRAFT, State.RETURNED})
OPEN_STATES = [s.value for s in State if s not in pipeline.FINAL_STATES]


def scoped(stmt: Select, user) -> Select:
    """Filter a nomination query to what ``user`` may see: coordinators, their region only."""
    if user.role == Role.COORDINATOR:
        return stmt.where(Nomination.region_id == user.region_id)
    if user.role != Role.SECRETARIAT:
        return stmt.where(False)
    return stmt


def count_by_state(user) -> dict[State, int]:
    stmt = scoped(select(Nomination.status, func.count()).group_by(Nomination.status), user)
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
    items: list[Nomination]
    next_after: str | None


def _key_of(nomination: Nomination, sort: str) -> list:
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
                or not all(isinstance(i, int) for i in ids)):
            return None
        if sort in ("newest", "oldest"):
            value = datetime.fromisoformat(value)
        return value, *ids
    except (ValueError, TypeError):
        return None


REFERENCE_CODE = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$")
# After every character: a surname prefix becomes a range the (surname, id) index can serve.
LAST_CHARACTER = "\U0010ffff"


def text_condition(text: str):
    """A reference code is looked up exactly; anything else is a surname prefix, as ranges on
    the (surname, id) index: as typed, and capitalised the way surnames are written."""
    text = text.strip()
    if REFERENCE_CODE.match(text.upper()):
        return Nomination.reference_code == text.upper()
    variants = {text, text[:1].upper() + text[1:], text[:1].upper() + text[1:].lower()}
    return or_(*(and_(Candidate.surname >= v, Candidate.surname < v + LAST_CHARACTER)
                 for v in sorted(variants)))


def list_statement(user, *, state: str | None = None, text: str | None = None,
                   association_id: int | None = None, session_id: int | None = None,
                   sort: str = "newest", after: str | None = None,
                   limit: int = PAGE_SIZE) -> Select:
    """The query behind one list page: filters, then the keyset after ``after``, then the order.

    Each sort order is (key, id) with an index of that shape, so a page reads about ``limit``
    index entries wherever it starts.
    """
    sort = sort if sort in SORTS else "newest"
    columns, descending = SORTS[sort]
    stmt = (
        scoped(select(Nomination), user)
        .join(Nomination.candidate)
        .options(contains_eager(Nomination.candidate), joinedload(Nomination.region),
                 joinedload(Nomination.association))
    )
    if state in State.__members__.values():
        stmt = stmt.where(Nomination.status == state)
    if association_id:
        stmt = stmt.where(Nomination.association_id == association_id)
    if session_id:
        stmt = stmt.where(Nomination.id.in_(
            select(SessionItem.nomination_id).where(SessionItem.session_id == session_id)))
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


def list_nominations(user, *, sort: str = "newest", limit: int = PAGE_SIZE, **filters) -> Page:
    """One page of the nominations ``user`` may see, keyset-paginated: page 2,000 costs what
    page 1 does. Candidate, region and association come in the same query (no N+1)."""
    sort = sort if sort in SORTS else "newest"
    stmt = list_statement(user, sort=sort, limit=limit, **filters)
    rows = list(db.session.scalars(stmt).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, _encode(_key_of(rows[-1], sort)) if more and rows else None)


def get_nomination(user, nomination_id: int) -> Nomination | None:
    """The nomination, if ``user`` may see it; None otherwise (the view answers 404)."""
    stmt = scoped(select(Nomination).where(Nomination.id == nomination_id), user)
    return db.session.scalar(stmt)


def timeline(nomination: Nomination) -> list[AuditEvent]:
    stmt = (select(AuditEvent).where(AuditEvent.nomination_id == nomination.id)
            .options(joinedload(AuditEvent.actor)).order_by(AuditEvent.id))
    return list(db.session.scalars(stmt))


def documents_of(nomination: Nomination) -> list[Document]:
    stmt = (select(Document).where(Document.nomination_id == nomination.id)
            .order_by(Document.id.desc()))
    return list(db.session.scalars(stmt))


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


class NominationRefused(Exception):
    """The nomination cannot be saved as entered; ``field`` names the form field to mark."""

    def __init__(self, message, field: str | None = None, nomination_id: int | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
        # The other record the person may open, where they are allowed to see it.
        self.nomination_id = nomination_id


def associations_for(user) -> list[Association]:
    """Active associations a coordinator may name: their region's and the republican ones."""
    stmt = select(Association).where(Association.active.is_(True))
    if user.role == Role.COORDINATOR:
        stmt = stmt.where(or_(Association.region_id == user.region_id,
                              Association.level == AssociationLevel.REPUBLICAN))
    return list(db.session.scalars(stmt.order_by(Association.level.desc(), Association.name)))


def filter_associations(user, selected: int | None = None) -> list[Association]:
    """The associations offered in the list's filter: a coordinator's own and the republican
    ones; nationally (over a thousand associations) the republican ones and the one chosen."""
    if user.role == Role.COORDINATOR:
        return associations_for(user)
    stmt = select(Association).where(or_(Association.level == AssociationLevel.REPUBLICAN,
                                         Association.id == (selected or 0)))
    return list(db.session.scalars(stmt.order_by(Association.name)))


def _check_duplicate(user, candidate: Candidate | None, nomination_id: int | None) -> None:
    """Refuse a person who already has an open nomination or is a current member.

    :raise NominationRefused: with the other record's id when ``user`` may open it.
    """
    if candidate is None or candidate.id is None:
        return
    other = db.session.scalar(
        select(Nomination).where(Nomination.candidate_id == candidate.id,
                                 Nomination.id != (nomination_id or 0),
                                 Nomination.status.in_(OPEN_STATES)).limit(1))
    if other is not None:
        visible = get_nomination(user, other.id) is not None
        raise NominationRefused(
            _l("A person with this IIN already has a nomination in progress (%(code)s).",
               code=other.reference_code) if visible else
            _l("A person with this IIN already has a nomination in progress in another region."),
            "iin", other.id if visible else None)
    member = db.session.scalar(
        select(Membership).where(Membership.candidate_id == candidate.id,
                                 Membership.status == "active").limit(1))
    if member is not None:
        visible = get_nomination(user, member.nomination_id) is not None
        raise NominationRefused(
            _l("A person with this IIN is already a member of the Assembly (%(number)s).",
               number=member.member_number) if visible else
            _l("A person with this IIN is already a member of the Assembly."),
            "iin", member.nomination_id if visible else None)


CANDIDATE_FIELDS = ("surname", "given_name", "patronymic", "birth_date", "sex", "citizenship",
                    "ethnicity", "occupation", "position", "phone", "email",
                    "consent_given_on", "consent_form", "consent_scope")


def _candidate_for(user, fields: Mapping, region_id: int, nomination_id: int | None) -> Candidate:
    iin = normalize(fields["iin"])
    candidate = db.session.scalar(select(Candidate).where(Candidate.iin == iin))
    _check_duplicate(user, candidate, nomination_id)
    if candidate is None:
        candidate = Candidate(iin=iin, region_id=region_id)
        db.session.add(candidate)
    candidate.region_id = region_id
    for name in CANDIDATE_FIELDS:
        # Optional personal fields are stored as NULL, not as empty strings.
        empty = "" if name in ("occupation", "position") else None
        setattr(candidate, name, fields.get(name) or empty)
    return candidate


def _check_association(user, association_id: int) -> Association:
    allowed = {a.id: a for a in associations_for(user)}
    if association_id not in allowed:
        raise NominationRefused(_l("Choose an active association of your region or a "
                                   "republican one."), "association_id")
    return allowed[association_id]


def _store_documents(user, nomination: Nomination, files: Mapping[str, FileStorage]) -> None:
    for kind, file in files.items():
        if file is not None and file.filename:
            documents.store(file, kind, nomination_id=nomination.id,
                            region_id=nomination.region_id, uploaded_by_id=user.id)


def _submit(user, nomination: Nomination, version: int | None = None) -> AuditEvent:
    """Submit through the pipeline, whose guards check consent, documents and duplicates."""
    return pipeline.apply(nomination, "submit", user, expected_version=version)


def create_nomination(user, fields: Mapping, files: Mapping[str, FileStorage], *,
                      submit: bool) -> Nomination:
    """Enter a regional nomination with its candidate and documents, as a draft or submitted.

    All in one transaction: a refusal anywhere leaves no candidate, nomination or document row.

    :raise NominationRefused: a duplicate person, an association out of reach, missing documents.
    :raise pipeline.TransitionError: the pipeline refused (consent, scope).
    :raise documents.DocumentRejected: a file is not acceptable.
    """
    try:
        return _create(user, fields, files, submit=submit)
    except IntegrityError:  # the same person entered at the same moment by someone else
        raise NominationRefused(_l("A person with this IIN was entered a moment ago by someone "
                                   "else. Search the list before entering them again."),
                                "iin") from None


def _create(user, fields: Mapping, files: Mapping[str, FileStorage], *,
            submit: bool) -> Nomination:
    with transaction():
        association = _check_association(user, fields["association_id"])
        candidate = _candidate_for(user, fields, user.region_id, None)
        nomination = Nomination(candidate=candidate, route=Route.REGIONAL,
                                region_id=user.region_id, association=association,
                                justification=fields["justification"], created_by_id=user.id)
        pipeline.enter(nomination, user)
        _store_documents(user, nomination, files)
        if submit:
            _submit(user, nomination)
        return nomination


def editable(user, nomination_id: int) -> Nomination | None:
    """The nomination if ``user`` may edit it now: their region's, a draft or returned."""
    nomination = get_nomination(user, nomination_id)
    if nomination is None or user.role != Role.COORDINATOR:
        return None
    return nomination


def update_nomination(user, nomination_id: int, fields: Mapping,
                      files: Mapping[str, FileStorage], *, version: int | None,
                      submit: bool) -> Nomination:
    """Correct a draft or a returned nomination; a draft may be submitted in the same step.

    :raise NominationRefused: not editable now, a duplicate person, missing documents.
    :raise pipeline.ConflictError: someone changed the nomination since the form was opened.
    """
    with transaction():
        nomination = pipeline.lock(nomination_id)
        if get_nomination(user, nomination_id) is None:
            raise NominationRefused(_l("This nomination does not exist."))
        if version is not None and nomination.version != version:
            raise pipeline.ConflictError()
        if nomination.status not in EDITABLE_STATES:
            raise NominationRefused(_l("Only a draft or a returned nomination can be edited."))
        association = _check_association(user, fields["association_id"])
        nomination.candidate = _candidate_for(user, fields, nomination.region_id, nomination.id)
        nomination.association = association
        nomination.justification = fields["justification"]
        db.session.flush()
        _store_documents(user, nomination, files)
        if submit and nomination.status == State.DRAFT:
            _submit(user, nomination)
        return nomination


def fire(user, nomination_id: int, action: str, *, comment: str, version: int | None) -> AuditEvent:
    """Apply one pipeline action in its own transaction.

    A returned nomination goes forward again only with a note of what was corrected: that
    note is how the correction shows in the timeline (audit events are transitions only).

    :raise pipeline.TransitionError: refused; nothing changed.
    :raise NominationRefused: documents missing for submission, or no correction note.
    """
    with transaction():
        nomination = get_nomination(user, nomination_id)
        if nomination is None:
            raise NominationRefused(_l("This nomination does not exist."))
        if action == "submit":
            return _submit(user, nomination, version)
        if (action == "forward" and nomination.status == State.RETURNED
                and not comment.strip()):
            raise NominationRefused(_l("Say what was corrected: the Secretariat reads it with "
                                       "the nomination."))
        return pipeline.apply(nomination_id, action, user, comment=comment,
                              expected_version=version)


def needing_attention(user, state: State, limit: int = 10) -> list[Nomination]:
    stmt = (scoped(select(Nomination), user).where(Nomination.status == state)
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

