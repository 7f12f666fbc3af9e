"""The nomination pipeline, as data: every state, every transition, who may fire it, where.

Read the ``TRANSITIONS`` table top to bottom and you know the whole process (DESIGN.md §3).
``apply`` is the one function that changes a nomination's status: web views, the JSON API,
the CLI and Celery tasks all call it. ``enter`` is the one function that gives a new
nomination its first status. Neither commits: the caller's service owns the transaction, so
a batch (a session's decisions, a Chairman's order) is applied all or nothing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Protocol

from blinker import signal
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from workflow.domain import DOCUMENT_KIND_LABELS, STATE_LABELS, DocumentKind, Role, Route, State
from workflow.extensions import db
from workflow.models import AuditEvent, Document, Membership, Nomination, utcnow


class Scope(StrEnum):
    REGION = "region"  # only nominations of the actor's own region
    NATIONAL = "national"  # any nomination


class Actor(Protocol):
    id: int | None
    role: str
    region_id: int | None


@dataclass(frozen=True)
class SystemActor:
    """The system itself, for work done by tasks (issuing memberships)."""

    id: None = None
    role: str = Role.SYSTEM
    region_id: None = None


SYSTEM = SystemActor()


@dataclass(frozen=True)
class Context:
    """What a guard may look at besides the nomination; guards never change anything."""

    actor: Actor
    comment: str
    data: Mapping[str, Any]


Guard = Callable[[Nomination, Context], "str | None"]


# --- Guards: return None when satisfied, or a message a person can read. -----------------


def reason_given(nomination: Nomination, ctx: Context) -> str | None:
    if not ctx.comment.strip():
        return _l("Give the reason: it is recorded and shown to the people concerned.")
    return None


def consent_recorded(nomination: Nomination, ctx: Context) -> str | None:
    candidate = nomination.candidate
    if not (candidate.consent_given_on and candidate.consent_form):
        return _l("The candidate's consent to personal data processing is not recorded.")
    return None


# What a regional nomination carries before it may be submitted.
REQUIRED_DOCUMENTS = (DocumentKind.DECISION, DocumentKind.CONSENT, DocumentKind.CV)


def missing_documents(nomination: Nomination) -> list[DocumentKind]:
    present = set(db.session.scalars(
        select(Document.kind).where(Document.nomination_id == nomination.id)))
    return [kind for kind in REQUIRED_DOCUMENTS if kind not in present]


def documents_attached(nomination: Nomination, ctx: Context) -> str | None:
    missing = missing_documents(nomination)
    if missing:
        return _l("Attach every required document before submitting: %(missing)s.",
                  missing=", ".join(str(DOCUMENT_KIND_LABELS[k]) for k in missing))
    return None


def no_other_open_nomination(nomination: Nomination, ctx: Context) -> str | None:
    """A person is nominated once at a time, and not while they are a member."""
    others = select(func.count()).where(
        Nomination.candidate_id == nomination.candidate_id,
        Nomination.id != nomination.id,
        Nomination.status.not_in([s.value for s in FINAL_STATES]),
    )
    if db.session.scalar(others):
        return _l("This person already has another nomination in progress.")
    member = select(func.count()).where(
        Membership.candidate_id == nomination.candidate_id, Membership.status == "active"
    )
    if db.session.scalar(member):
        return _l("This person is already a member of the Assembly.")
    return None


def session_named(nomination: Nomination, ctx: Context) -> str | None:
    """Agenda and decisions of a regional session happen through that session, named in data."""
    if not isinstance(ctx.data.get("session_id"), int):
        return _l("This is done through a regional session: open the session to do it.")
    return None


# --- The table. -----------------------------------------------------------------------------

COORDINATOR_OWN_REGION = MappingProxyType({Role.COORDINATOR: Scope.REGION})
SECRETARIAT = MappingProxyType({Role.SECRETARIAT: Scope.NATIONAL})
COORDINATOR_OR_SECRETARIAT = MappingProxyType(
    {Role.COORDINATOR: Scope.REGION, Role.SECRETARIAT: Scope.NATIONAL}
)
THE_SYSTEM = MappingProxyType({Role.SYSTEM: Scope.NATIONAL})

# Who hears of a transition (workflow.notifications turns these into recipients).
COORDINATORS, SECRETARIAT_OFFICERS, NOMINEE = "coordinators", "secretariat", "nominee"


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[State]
    target: State
    who: Mapping[Role, Scope]
    label: Any  # a lazy string: the button and the timeline say this
    guards: tuple[Guard, ...] = ()
    notify: tuple[str, ...] = ()
    # Set by a regional session or a Council meeting, never by a single button.
    decided_by: str | None = None


def _from(*states: State) -> frozenset[State]:
    return frozenset(states)


BEFORE_APPROVAL = _from(
    State.DRAFT,
    State.SUBMITTED,
    State.ON_AGENDA,
    State.SUPPORTED,
    State.FORWARDED,
    State.RETURNED,
    State.UNDER_REVIEW,
    State.COUNCIL_AGENDA,
    State.RECOMMENDED,
)

TRANSITIONS: tuple[Transition, ...] = (
    Transition("submit", _from(State.DRAFT), State.SUBMITTED, COORDINATOR_OWN_REGION,
               _l("Submit"),
               guards=(consent_recorded, documents_attached, no_other_open_nomination),
               notify=(COORDINATORS, NOMINEE)),
    Transition("schedule", _from(State.SUBMITTED), State.ON_AGENDA, COORDINATOR_OWN_REGION,
               _l("Put on a session agenda"), guards=(session_named,), notify=(COORDINATORS,)),
    Transition("support", _from(State.ON_AGENDA), State.SUPPORTED, COORDINATOR_OWN_REGION,
               _l("Supported by the session"), guards=(session_named,), notify=(COORDINATORS, NOMINEE),
               decided_by="regional_session"),
    Transition("decline_regionally", _from(State.ON_AGENDA), State.DECLINED_REGIONALLY,
               COORDINATOR_OWN_REGION, _l("Not supported by the session"),
               guards=(session_named,), notify=(COORDINATORS, NOMINEE), decided_by="regional_session"),
    Transition("defer", _from(State.ON_AGENDA), State.SUBMITTED, COORDINATOR_OWN_REGION,
               _l("Deferred by the session"), guards=(session_named,), notify=(COORDINATORS,),
               decided_by="regional_session"),
    Transition("forward", _from(State.SUPPORTED, State.RETURNED), State.FORWARDED,
               COORDINATOR_OWN_REGION, _l("Forward to the Secretariat"),
               notify=(SECRETARIAT_OFFICERS, NOMINEE)),
    Transition("accept", _from(State.FORWARDED), State.UNDER_REVIEW, SECRETARIAT,
               _l("Accept for review"), notify=(COORDINATORS,)),
    Transition("return", _from(State.FORWARDED, State.UNDER_REVIEW), State.RETURNED, SECRETARIAT,
               _l("Return for correction"), guards=(reason_given,), notify=(COORDINATORS,)),
    Transition("put_on_council_agenda", _from(State.UNDER_REVIEW), State.COUNCIL_AGENDA,
               SECRETARIAT, _l("Put on the Council agenda"), notify=(COORDINATORS, NOMINEE)),
    Transition("recommend", _from(State.COUNCIL_AGENDA), State.RECOMMENDED, SECRETARIAT,
               _l("Recommended by the Council"), notify=(COORDINATORS, NOMINEE),
               decided_by="council"),
    Transition("decline_by_council", _from(State.COUNCIL_AGENDA), State.COUNCIL_DECLINED,
               SECRETARIAT, _l("Declined by the Council"), notify=(COORDINATORS, NOMINEE),
               decided_by="council"),
    Transition("approve", _from(State.RECOMMENDED), State.APPROVED, SECRETARIAT,
               _l("Approved by the Chairman"), notify=(COORDINATORS, SECRETARIAT_OFFICERS),
               decided_by="chairman"),
    Transition("reject", _from(State.RECOMMENDED), State.REJECTED, SECRETARIAT,
               _l("Rejected by the Chairman"), notify=(COORDINATORS, NOMINEE),
               decided_by="chairman"),
    Transition("issue_membership", _from(State.APPROVED), State.MEMBER, THE_SYSTEM,
               _l("Membership issued"), notify=(COORDINATORS,)),
    Transition("withdraw", BEFORE_APPROVAL, State.WITHDRAWN, COORDINATOR_OR_SECRETARIAT,
               _l("Withdraw"), guards=(reason_given,),
               notify=(COORDINATORS, SECRETARIAT_OFFICERS, NOMINEE)),
)

FINAL_STATES = _from(
    State.DECLINED_REGIONALLY,
    State.COUNCIL_DECLINED,
    State.REJECTED,
    State.WITHDRAWN,
    State.MEMBER,
)


@dataclass(frozen=True)
class Entry:
    """How a nomination enters the pipeline on each route (Art. 15.2)."""

    route: Route
    initial: State
    who: Mapping[Role, Scope]
    # Routes decided outside a regional session carry the deciding body's decision.
    needs_decision: bool = False
    needs_replaced_member: bool = False


ENTRIES: Mapping[Route, Entry] = MappingProxyType({
    Route.REGIONAL: Entry(Route.REGIONAL, State.DRAFT, COORDINATOR_OWN_REGION),
    Route.ASSOCIATION: Entry(Route.ASSOCIATION, State.UNDER_REVIEW, SECRETARIAT,
                             needs_decision=True),
    Route.COUNCIL: Entry(Route.COUNCIL, State.UNDER_REVIEW, SECRETARIAT, needs_decision=True),
    Route.ROTATION: Entry(Route.ROTATION, State.UNDER_REVIEW, SECRETARIAT, needs_decision=True,
                          needs_replaced_member=True),
})

BY_ACTION: Mapping[str, Transition] = MappingProxyType({t.action: t for t in TRANSITIONS})
ALL_STATES = tuple(State)

# Receivers write outbox rows, notifications, memberships — inside the same transaction.
transition_applied = signal("tizim.transition-applied")


# --- Errors. ----------------------------------------------------------------------------------


class TransitionError(Exception):
    """An action refused; ``message`` is for the person who tried it, ``code`` for programs."""

    http_status = 422

    def __init__(self, message, code: str):
        super().__init__(str(code))
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)


class ConflictError(TransitionError):
    """Someone else changed the nomination first."""

    http_status = 409

    def __init__(self, message=None):
        super().__init__(
            message
            or _l("Someone else changed this nomination a moment ago. Reload the page to see "
                  "its current state, then try again if it still applies."),
            "conflict",
        )


# --- The functions. ---------------------------------------------------------------------------


def in_scope(actor: Actor, who: Mapping[Role, Scope], region_id: int | None) -> bool:
    scope = who.get(actor.role)
    if scope is None:
        return False
    return scope is Scope.NATIONAL or (actor.region_id is not None and actor.region_id == region_id)


def permitted(nomination: Nomination, action: str, actor: Actor) -> bool:
    """Whether ``actor`` may fire ``action`` on ``nomination`` now (role, scope, state; no guards)."""
    transition = BY_ACTION.get(action)
    return bool(
        transition
        and nomination.status in transition.sources
        and in_scope(actor, transition.who, nomination.region_id)
    )


def available(nomination: Nomination, actor: Actor) -> list[Transition]:
    """The transitions ``actor`` could fire on ``nomination`` as it stands."""
    return [t for t in TRANSITIONS if permitted(nomination, t.action, actor)]


def check(nomination: Nomination, transition: Transition, actor: Actor, ctx: Context) -> None:
    """Raise the TransitionError that applying ``transition`` now would meet, if any."""
    if actor.role not in transition.who:
        raise TransitionError(
            _l("Your role cannot do this: “%(action)s”.", action=transition.label), "not_allowed"
        )
    if not in_scope(actor, transition.who, nomination.region_id):
        raise TransitionError(
            _l("This nomination belongs to another region."), "out_of_scope"
        )
    if nomination.status not in transition.sources:
        raise TransitionError(
            _l("“%(action)s” is not possible while the nomination is “%(state)s”.",
               action=transition.label, state=STATE_LABELS[nomination.status]),
            "wrong_state",
        )
    for guard in transition.guards:
        message = guard(nomination, ctx)
        if message:
            raise TransitionError(message, "guard")


def lock(nomination_id: int) -> Nomination:
    """Load the nomination afresh, locking its row on PostgreSQL until the transaction ends.

    On SQLite the version column does the same work: the UPDATE names the version it read.
    """
    stmt = (
        select(Nomination)
        .where(Nomination.id == nomination_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    nomination = db.session.scalars(stmt).one_or_none()
    if nomination is None:
        raise TransitionError(_l("This nomination does not exist."), "not_found")
    return nomination


def apply(
    nomination: Nomination | int,
    action: str,
    actor: Actor,
    *,
    comment: str = "",
    data: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
) -> AuditEvent:
    """Fire ``action``: check role, scope, state and guards; write the status and one audit event.

    Does not commit. ``expected_version`` is the version the actor saw; pass it from forms.

    :raise TransitionError: the action is not allowed now (nothing changed).
    :raise ConflictError: someone else changed the nomination first (nothing changed).
    """
    transition = BY_ACTION.get(action)
    if transition is None:
        raise TransitionError(_l("Unknown action."), "unknown_action")
    nomination_id = nomination if isinstance(nomination, int) else nomination.id
    locked = lock(nomination_id)
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError()
    ctx = Context(actor=actor, comment=comment or "", data=dict(data or {}))
    check(locked, transition, actor, ctx)

    source = locked.status
    now = utcnow()
    locked._status = transition.target.value
    locked.status_changed_at = now
    audit = AuditEvent(
        nomination=locked,
        actor_id=actor.id,
        actor_role=str(actor.role),
        action=transition.action,
        from_status=source.value,
        to_status=transition.target.value,
        comment=ctx.comment,
        data=dict(ctx.data),
        created_at=now,
    )
    db.session.add(audit)
    try:
        db.session.flush()
    except StaleDataError:
        raise ConflictError() from None
    transition_applied.send(locked, transition=transition, event=audit, actor=actor)
    return audit


def enter(nomination: Nomination, actor: Actor, *, comment: str = "",
          data: Mapping[str, Any] | None = None) -> AuditEvent:
    """Give a new nomination its first status for its route, with the creation event.

    Does not commit.

    :raise TransitionError: the actor may not enter nominations on this route or region.
    """
    entry = ENTRIES.get(Route(nomination.route))
    if entry is None or actor.role not in entry.who:
        raise TransitionError(_l("Your role cannot enter nominations on this route."),
                              "not_allowed")
    region_id = nomination.region_id if nomination.region_id is not None else (
        nomination.region.id if nomination.region is not None else None
    )
    if not in_scope(actor, entry.who, region_id):
        raise TransitionError(_l("You can enter nominations only for your own region."),
                              "out_of_scope")
    if entry.needs_replaced_member and not nomination.replaces_membership_id:
        raise TransitionError(_l("A rotation names the member being replaced."), "guard")
    now = utcnow()
    nomination._status = entry.initial.value
    nomination.status_changed_at = now
    audit = AuditEvent(
        nomination=nomination,
        actor_id=actor.id,
        actor_role=str(actor.role),
        action="create",
        from_status=None,
        to_status=entry.initial.value,
        comment=comment,
        data=dict(data or {}),
        created_at=now,
    )
    db.session.add_all([nomination, audit])
    db.session.flush()
    transition_applied.send(nomination, transition=None, event=audit, actor=actor)
    return audit


# --- Reading the table. ---------------------------------------------------------------------


def path_to(target: State, route: Route = Route.REGIONAL) -> list[str]:
    """The shortest list of actions that takes a new nomination on ``route`` to ``target``.

    Demo data and tests reach every state through the pipeline's own actions with it.

    :raise ValueError: the state cannot be reached on that route.
    """
    start = ENTRIES[route].initial
    queue: deque[tuple[State, list[str]]] = deque([(start, [])])
    seen = {start}
    while queue:
        state, actions = queue.popleft()
        if state == target:
            return actions
        for t in TRANSITIONS:
            if state in t.sources and t.target not in seen:
                seen.add(t.target)
                queue.append((t.target, [*actions, t.action]))
    raise ValueError(f"{target} cannot be reached on route {route}")


@dataclass(frozen=True)
class Step:
    state: State
    actions: tuple[Transition, ...] = field(default=())


def table() -> list[Step]:
    """Every state with the transitions that leave it, in the order of the pipeline."""
    return [Step(s, tuple(t for t in TRANSITIONS if s in t.sources)) for s in ALL_STATES]
