"""The Secretariat's national view: the pipeline at a glance, the review checklist, returns
with structured reasons, and nominations entered on the association, Council and rotation
routes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import FileStorage

from workflow import bulk, pipeline
from workflow.database import transaction
from workflow.documents.services import store
from workflow.domain import DocumentKind, MembershipStatus, Route, State
from workflow.extensions import db
from workflow.models import (
    Candidate,
    Document,
    ListRow,
    Membership,
    Nomination,
    Region,
    list_rows,
    utcnow,
)
from workflow.nominations.services import person_for, record_statement, row_statement
from workflow.permissions import scoped, visible
from workflow.refusal import Refusal

# The Secretariat's work queues, in the order the work flows.
QUEUES = (State.FORWARDED, State.UNDER_REVIEW, State.COUNCIL_AGENDA, State.RECOMMENDED)
QUEUE_LABELS = {
    State.FORWARDED: _l("Forwarded: to accept"),
    State.UNDER_REVIEW: _l("Under review"),
    State.COUNCIL_AGENDA: _l("On a Council agenda"),
    State.RECOMMENDED: _l("Awaiting the Chairman"),
}
# The funnel: the pipeline's main line, from the region to membership.
FUNNEL = (State.SUBMITTED, State.ON_AGENDA, State.SUPPORTED, State.FORWARDED, State.RETURNED,
          State.UNDER_REVIEW, State.COUNCIL_AGENDA, State.RECOMMENDED, State.APPROVED,
          State.MEMBER)
OPEN_STATES = tuple(s for s in State if s not in pipeline.FINAL_STATES)



def expected_days(region: Region | None) -> int:
    default = current_app.config["EXPECTED_DAYS_DEFAULT"]
    return region.expected_days if region is not None and region.expected_days else default


def age_days(nomination: Nomination, now: datetime | None = None) -> int:
    return ((now or utcnow()) - nomination.status_changed_at).days


def is_overdue(nomination: Nomination, now: datetime | None = None) -> bool:
    return age_days(nomination, now) > expected_days(nomination.region)


# --- The national overview. ---------------------------------------------------------------


@dataclass
class RegionRow:
    region: Region
    by_state: dict[State, int]
    open: int
    overdue: int


@dataclass
class Overview:
    funnel: list[tuple[State, int]]
    funnel_max: int
    regions: list[RegionRow]
    region_max: int
    queues: dict[State, list[Nomination]]
    queue_totals: dict[State, int]
    queue_overdue: dict[State, int]
    now: datetime = field(default_factory=utcnow)


def overview(user, *, queue_limit: int = 10, now: datetime | None = None) -> Overview:
    """The national pipeline in three aggregate queries and one per queue (no N+1).

    Overdue: longer in its state than the region's expected days (or the default).
    """
    now = now or utcnow()
    regions = list(db.session.scalars(select(Region).order_by(Region.sort_order, Region.id)))

    def cutoff_for(days: int) -> datetime:
        # Naive UTC, as the column stores it: no session time zone can shift the comparison.
        return (now - timedelta(days=days)).astimezone(UTC).replace(tzinfo=None)

    cutoff = case(
        {r.id: cutoff_for(expected_days(r)) for r in regions},
        value=Nomination.region_id,
        else_=cutoff_for(current_app.config["EXPECTED_DAYS_DEFAULT"]),
    )
    overdue = func.sum(case((Nomination.status_changed_at < cutoff, 1), else_=0))
    rows = db.session.execute(
        scoped(select(Nomination.region_id, Nomination.status, func.count(), overdue), user,
               Nomination).group_by(Nomination.region_id, Nomination.status)
    ).all()
    by_region: dict[int, dict[State, int]] = {r.id: {} for r in regions}
    overdue_region: dict[int, int] = {r.id: 0 for r in regions}
    totals: dict[State, int] = {s: 0 for s in State}
    overdue_state: dict[State, int] = {s: 0 for s in State}
    for region_id, status, n, late in rows:
        state = State(status)
        by_region.setdefault(region_id, {})[state] = n
        totals[state] += n
        if state in OPEN_STATES:
            overdue_region[region_id] = overdue_region.get(region_id, 0) + int(late or 0)
            overdue_state[state] += int(late or 0)
    region_rows = [
        RegionRow(r, by_region[r.id], sum(n for s, n in by_region[r.id].items() if s in OPEN_STATES),
                  overdue_region[r.id])
        for r in regions
    ]
    funnel = [(s, totals[s]) for s in FUNNEL]
    return Overview(
        funnel=funnel,
        funnel_max=max([n for _, n in funnel] + [1]),
        regions=region_rows,
        region_max=max([r.open for r in region_rows] + [1]),
        queues={s: queue(user, s, limit=queue_limit, rows_only=True) for s in QUEUES},
        queue_totals={s: totals[s] for s in QUEUES},
        queue_overdue={s: overdue_state[s] for s in QUEUES},
        now=now,
    )


def queue(user, state: State, *, limit: int = 50, after: tuple[datetime, int] | None = None,
          rows_only: bool = False) -> list[Nomination] | list[ListRow]:
    """Nominations ``user`` may see in ``state``, longest waiting first (keyset on
    status_changed_at, id); ``rows_only``: ``ListRow``s, what a row of a queue's table shows,
    not whole records (an export wants those)."""
    stmt = ((row_statement if rows_only else record_statement)(user)
            .where(Nomination.status == state)
            .order_by(Nomination.status_changed_at, Nomination.id))
    if after is not None:
        changed, last_id = after
        stmt = stmt.where((Nomination.status_changed_at > changed)
                          | ((Nomination.status_changed_at == changed) & (Nomination.id > last_id)))
    found = db.session.execute(stmt.limit(limit))
    return list_rows(found) if rows_only else list(found.scalars())


# --- Several at once, from a queue (all or none; the batch says what happened to each). ------

# The queue's bulk actions, each fired through the channel the table names for it: accept and
# return as their buttons and forms on the nomination's page, the agenda through the meeting
# (``council.services.put_on_agenda``). A queue offers those whose sources hold its state.
BULK_ACTIONS = ("accept", "return", "put_on_council_agenda")


def bulk_actions(user, state: State) -> list[str]:
    """The bulk actions of ``state``'s queue that ``user``'s role may fire (from the table)."""
    return [a for a in BULK_ACTIONS if state in pipeline.BY_ACTION[a].sources
            and user.role in pipeline.BY_ACTION[a].who]


def accept_all(user, versions: Mapping[int, int | None]) -> bulk.Batch:
    """Accept forwarded nominations for review, all or none."""
    return bulk.apply_all(user, "accept", versions, channel=pipeline.Channel.BUTTON)


def return_all(user, versions: Mapping[int, int | None], *, reasons: list[str],
               comment: str = "") -> bulk.Batch:
    """Return nominations for correction with one set of reasons, all or none."""
    return bulk.apply_all(user, "return", versions, channel=pipeline.Channel.FORM,
                          comment=comment, data={"reasons": reasons})


# --- Review: the checklist and duplicates. -------------------------------------------------


@dataclass
class Duplicates:
    open_nominations: list[Nomination]  # the same person (IIN) in another open nomination
    memberships: list[Membership]  # the same person (IIN) among active members
    possible: list[Candidate]  # same surname, given name and birth date, another IIN
    possible_nominations: list[Nomination]
    possible_memberships: list[Membership]

    @property
    def by_iin(self) -> bool:
        return bool(self.open_nominations or self.memberships)


def find_duplicates(nomination: Nomination) -> Duplicates:
    """Look for the candidate elsewhere: by IIN (certain) and by name and birth date (possible)."""
    candidate = nomination.candidate
    open_states = [s.value for s in OPEN_STATES]
    same_person = list(db.session.scalars(
        select(Nomination).where(Nomination.candidate_id == candidate.id,
                                 Nomination.id != nomination.id,
                                 Nomination.status.in_(open_states))
        .options(joinedload(Nomination.region)).order_by(Nomination.id)))
    members = list(db.session.scalars(
        select(Membership).where(Membership.candidate_id == candidate.id,
                                 Membership.status == MembershipStatus.ACTIVE)))
    namesakes = list(db.session.scalars(
        select(Candidate).where(Candidate.surname == candidate.surname,
                                Candidate.given_name == candidate.given_name,
                                Candidate.birth_date == candidate.birth_date,
                                Candidate.id != candidate.id)
        .options(joinedload(Candidate.region)).order_by(Candidate.id).limit(20)))
    ids = [c.id for c in namesakes]
    possible_nominations = list(db.session.scalars(
        select(Nomination).where(Nomination.candidate_id.in_(ids))
        .options(joinedload(Nomination.candidate), joinedload(Nomination.region))
        .order_by(Nomination.id))) if ids else []
    possible_memberships = list(db.session.scalars(
        select(Membership).where(Membership.candidate_id.in_(ids))
        .options(joinedload(Membership.candidate)).order_by(Membership.id))) if ids else []
    return Duplicates(same_person, members, namesakes, possible_nominations, possible_memberships)


@dataclass
class Check:
    key: str
    label: object
    ok: bool
    detail: object = ""
    warning: bool = False  # a point to look at, not a defect


def documents_of(nomination: Nomination) -> list[Document]:
    stmt = (select(Document).where(Document.nomination_id == nomination.id)
            .order_by(Document.id))
    return list(db.session.scalars(stmt))


def checklist(nomination: Nomination, documents: Iterable[Document] | None = None,
              duplicates: Duplicates | None = None) -> list[Check]:
    """What the Secretariat checks before a nomination goes to the Council."""
    from workflow.domain import DOCUMENT_KIND_LABELS

    documents = list(documents if documents is not None else documents_of(nomination))
    duplicates = duplicates or find_duplicates(nomination)
    candidate = nomination.candidate
    kinds = {d.kind for d in documents}
    missing = [k for k in pipeline.REQUIRED_DOCUMENTS if k not in kinds]
    return [
        Check("documents", _l("Documents complete (decision, consent, CV)"), not missing,
              ", ".join(str(DOCUMENT_KIND_LABELS[k]) for k in missing)),
        Check("citizenship", _l("Citizen of Kazakhstan"), candidate.citizenship == "KZ",
              candidate.citizenship),
        Check("consent", _l("Consent to personal data processing recorded"),
              bool(candidate.consent_given_on and candidate.consent_form)),
        Check("duplicate_iin", _l("Not nominated elsewhere and not already a member"),
              not duplicates.by_iin),
        Check("duplicate_name", _l("No one else with the same name and date of birth"),
              not duplicates.possible, warning=bool(duplicates.possible)),
    ]


# --- Entering nominations on the other routes. ----------------------------------------------


def active_memberships(user, limit: int = 2000) -> list[Membership]:
    """Active members, by number: whom a rotation may replace."""
    stmt = (scoped(select(Membership), user).where(Membership.status == MembershipStatus.ACTIVE)
            .options(joinedload(Membership.candidate), joinedload(Membership.region))
            .order_by(Membership.member_number).limit(limit))
    return list(db.session.scalars(stmt))




def enter_nomination(user, *, route: str, region_id: int, person: Mapping,
                     decision: FileStorage, association_id: int | None = None,
                     nominating_body: str | None = None, justification: str = "",
                     replaces_membership_id: int | None = None,
                     consent: FileStorage | None = None, cv: FileStorage | None = None,
                     ) -> Nomination:
    """Enter a nomination decided outside a regional session; it starts under review.

    The person is found by IIN (their record brought up to date, audited) or created.

    :raise Refusal: the person is already nominated or a member, the replaced membership is
        not active, the route is not open to this user, or a document is not acceptable.
    """
    if route not in (Route.ASSOCIATION, Route.COUNCIL, Route.ROTATION):
        raise Refusal(_l("This route is entered by a regional coordinator."), field="route")
    with transaction(actor=user):
        candidate = person_for(user, person, region_id=region_id)
        if route == Route.ROTATION:
            replaced = visible(user, Membership, replaces_membership_id or 0)
            if replaced is None or replaced.status != MembershipStatus.ACTIVE:
                raise Refusal(_l("Choose the active member being replaced."),
                              field="replaces_membership_id")
        nomination = Nomination(
            candidate=candidate, route=route, region_id=region_id,
            association_id=association_id if route == Route.ASSOCIATION else None,
            nominating_body=nominating_body, justification=justification,
            replaces_membership_id=replaces_membership_id if route == Route.ROTATION else None,
            created_by_id=user.id)
        pipeline.enter(nomination, user)
        for file, kind in ((decision, DocumentKind.DECISION), (consent, DocumentKind.CONSENT),
                           (cv, DocumentKind.CV)):
            if file is not None and file.filename:
                store(file, kind, nomination_id=nomination.id, uploaded_by_id=user.id)
    return nomination
