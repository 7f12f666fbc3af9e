"""The nomination pipeline, as data: every state, every transition, how it is fired, by whom,
with which data, and what it writes besides the status.

Read ``TRANSITIONS`` top to bottom and you know the whole process (DESIGN.md §3). For each
action the table names:

- the **channel** that fires it — a button on the nomination page, a form with its data, a
  regional session, a Council meeting, a Chairman's order, or the system — and ``apply``
  refuses the action through any other channel;
- **who** may fire it, in which scope, and the **guards** (read-only checks) it must pass;
- the **data** it requires, with their kinds (``Datum``), and whether a person's comment is
  required, allowed or not taken (what the system itself writes is data, rendered for each
  reader in their language: see ``workflow.events``);
- the **effects** it writes besides the status (an agenda item, a membership, the ending of
  the membership a rotation replaces …), named here and implemented by the capability that
  owns them, connected in ``workflow.setup`` (this module imports nothing above it);
- who is **notified**.

``apply`` is the one function that changes a nomination's status: web views, the JSON API,
the CLI and Celery tasks all call it. ``enter`` gives a new nomination its first status.
Neither commits: the caller's service owns the transaction, so a batch (a session's
decisions, a Chairman's order) is applied all or nothing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Protocol

from blinker import signal
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from workflow import audit, bodies, quotas
from workflow.database import DB_INT_MAX
from workflow.domain import (
    DOCUMENT_KIND_LABELS,
    RECUSAL_REASON_LABELS,
    RETURN_REASON_LABELS,
    STATE_LABELS,
    SYSTEM,  # noqa: F401 - the actor of the table's system transitions: pipeline.SYSTEM
    DocumentKind,
    Role,
    Route,
    State,
    body_text,
)
from workflow.extensions import db
from workflow.models import AuditEvent, Document, Membership, Nomination, utcnow
from workflow.refusal import Refusal, conflict


class Scope(StrEnum):
    REGION = "region"  # only nominations of the actor's own region
    NATIONAL = "national"  # any nomination


class Channel(StrEnum):
    """How an action is fired; the API is one more way into the same channels."""

    BUTTON = "button"  # a button on the nomination page: nothing but the click
    FORM = "form"  # a form on the nomination page, with the data the table names
    REGIONAL_SESSION = "regional_session"  # a regional session's agenda and decisions
    COUNCIL_MEETING = "council_meeting"  # a Council meeting's agenda and decisions
    CHAIRMAN_ORDER = "chairman_order"  # the Chairman's order
    # The candidate's withdrawal of consent, recorded on the person with its signed document
    # (workflow.candidates.services.withdraw_consent): it withdraws every open nomination.
    CONSENT_WITHDRAWAL = "consent_withdrawal"
    SYSTEM = "system"  # Tizim itself (a task)


CHANNEL_LABELS = {
    Channel.BUTTON: _l("a button on the nomination's page"),
    Channel.FORM: _l("the form on the nomination's page"),
    Channel.REGIONAL_SESSION: _l("a regional session"),
    Channel.COUNCIL_MEETING: _l("a Council meeting"),
    Channel.CHAIRMAN_ORDER: _l("a Chairman's order"),
    Channel.CONSENT_WITHDRAWAL: _l("the record of the candidate's withdrawal of consent"),
    Channel.SYSTEM: _l("Tizim itself"),
}
# Fired by a person on the nomination's own page (and through the API's transitions).
PAGE_CHANNELS = frozenset({Channel.BUTTON, Channel.FORM})


class Actor(Protocol):
    id: int | None
    role: str
    region_id: int | None


class Need(StrEnum):
    """Whether a person's comment is taken: required, optional, or not at all."""

    REQUIRED = "required"
    OPTIONAL = "optional"
    NONE = "none"


# --- The data an action carries: names and kinds, checked by ``apply``. --------------------

MAX_ID = DB_INT_MAX  # the largest id a column holds
MAX_TEXT = 4000


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_id(value: Any) -> Any:
    if not _is_int(value) or not 0 < value <= MAX_ID:
        raise ValueError
    return value


def _check_count(value: Any) -> Any:
    if not _is_int(value) or not 0 <= value <= MAX_ID:
        raise ValueError
    return value


def _check_text(value: Any) -> Any:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise ValueError
    return value.strip()


def _check_reasons(value: Any) -> Any:
    if (not isinstance(value, list | tuple) or not value
            or any(r not in RETURN_REASON_LABELS for r in value)):
        raise ValueError
    return list(dict.fromkeys(value))  # in the order chosen, once each


def _check_recusal_reason(value: Any) -> Any:
    if value not in RECUSAL_REASON_LABELS:
        raise ValueError
    return value


def _check_date(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValueError
    return date.fromisoformat(value).isoformat()


def _check_flag(value: Any) -> Any:
    if not isinstance(value, bool):
        raise ValueError
    return value


KINDS: Mapping[str, Callable[[Any], Any]] = MappingProxyType({
    "id": _check_id, "count": _check_count, "text": _check_text, "reasons": _check_reasons,
    "date": _check_date, "flag": _check_flag, "recusal": _check_recusal_reason,
})


@dataclass(frozen=True)
class Datum:
    name: str
    kind: str  # one of KINDS
    required: bool = True


def _data(*specs: str) -> tuple[Datum, ...]:
    """``"session_id:id"`` is required; ``"?note:text"`` is optional."""
    out = []
    for spec in specs:
        name, kind = spec.lstrip("?").split(":")
        assert kind in KINDS, spec
        out.append(Datum(name, kind, required=not spec.startswith("?")))
    return tuple(out)


@dataclass(frozen=True)
class Context:
    """What a guard may look at besides the nomination; guards never change anything."""

    actor: Actor
    comment: str
    data: Mapping[str, Any]
    action: str = ""


Guard = Callable[[Nomination, Context], "str | None"]
# An effect writes what an action causes besides the status, in the same transaction; it may
# refuse (raise Refusal), and the caller's transaction then rolls everything back.
Effect = Callable[[Nomination, Context], None]


# --- Guards: return None when satisfied, or a message a person can read. -----------------


def consent_recorded(nomination: Nomination, ctx: Context) -> str | None:
    candidate = nomination.candidate
    if not (candidate.consent_given_on and candidate.consent_form):
        return _l("The candidate's consent to personal data processing is not recorded.")
    if not consent_in_force(candidate):
        return _l("The candidate withdrew consent to personal data processing: record the "
                  "new consent, given after the withdrawal, first.")
    return None


def consent_in_force(candidate) -> bool:
    """No withdrawal of consent, or a consent given again after it."""
    withdrawn = candidate.consent_withdrawn_on
    return withdrawn is None or bool(candidate.consent_given_on
                                     and candidate.consent_given_on > withdrawn)


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
        return body_text("This person is already a member of %(body_short)s.")
    return None


def withdrawal_document_attached(nomination: Nomination, ctx: Context) -> str | None:
    """The signed withdrawal of consent is on file, with this nomination."""
    document = db.session.get(Document, ctx.data.get("document_id") or 0)
    if (document is None or document.kind != DocumentKind.WITHDRAWAL
            or document.nomination_id != nomination.id):
        return _l("Attach the candidate's signed withdrawal of consent.")
    return None


def within_quotas(nomination: Nomination, ctx: Context) -> str | None:
    """The body's seat quotas stay within their ceilings (``workflow.quotas``), unless the
    officer ticked the override and gave the reason (``quota_override``, audited)."""
    if ctx.data.get("quota_override"):
        return None
    passed = quotas.exceeded([nomination.id], ctx.action)
    if passed:
        return quotas.refusal_message(passed[0], nomination.candidate.full_name)
    return None


def other_reason_explained(nomination: Nomination, ctx: Context) -> str | None:
    if "other" in ctx.data.get("reasons", ()) and not ctx.comment.strip():
        return _l("You chose “Other”: say in the comment what needs correcting.")
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

# What a body's decision carries: the numbers are recorded with the step, and rendered for
# every reader from these data (never stored as a sentence in one language).
SESSION_DECISION = _data("session_id:id", "session_number:text", "held_on:date",
                         "members_total:count", "members_present:count", "votes_for:count",
                         "votes_against:count", "votes_abstain:count", "?recused:count",
                         "?recusal_reason:recusal")
SESSION_DEFERRAL = _data("session_id:id", "session_number:text", "held_on:date",
                         "?no_quorum:flag", "?reason:text")
COUNCIL_DECISION = _data("council_meeting_id:id", "meeting_date:date", "members_total:count",
                         "present:count", "votes_for:count", "votes_against:count",
                         "votes_abstained:count", "?recused:count",
                         "?recusal_reason:recusal")
COUNCIL_AGENDA = _data("council_meeting_id:id", "meeting_date:date")
ORDER = _data("order_id:id", "order_number:text", "order_date:date")
# A decision that takes a seat quota past its ceiling carries the officer's reason.
QUOTA_OVERRIDE = _data("?quota_override:text")


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[State]
    target: State
    who: Mapping[Role, Scope]
    label: Any  # a lazy string: the button and the timeline say this
    channel: Channel
    data: tuple[Datum, ...] = ()
    comment: Need = Need.OPTIONAL
    guards: tuple[Guard, ...] = ()
    effects: tuple[str, ...] = ()  # names, implemented where they belong (see EFFECTS)
    notify: tuple[str, ...] = ()

    @property
    def decided_by_a_body(self) -> bool:
        return self.channel in (Channel.REGIONAL_SESSION, Channel.COUNCIL_MEETING,
                                Channel.CHAIRMAN_ORDER)


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
               _l("Submit"), Channel.BUTTON,
               guards=(consent_recorded, documents_attached, no_other_open_nomination),
               notify=(COORDINATORS, NOMINEE)),
    Transition("schedule", _from(State.SUBMITTED), State.ON_AGENDA, COORDINATOR_OWN_REGION,
               _l("Put on a session agenda"), Channel.REGIONAL_SESSION,
               data=_data("session_id:id", "session_number:text", "held_on:date"),
               comment=Need.NONE, effects=("session_agenda_item",), notify=(COORDINATORS,)),
    Transition("unschedule", _from(State.ON_AGENDA), State.SUBMITTED, COORDINATOR_OWN_REGION,
               _l("Taken off the session agenda"), Channel.REGIONAL_SESSION,
               # ``cancelled``: the whole session was called off, its agenda went back.
               data=_data("session_id:id", "session_number:text", "held_on:date",
                          "?cancelled:flag"),
               effects=("session_agenda_item_removed",), notify=(COORDINATORS,)),
    Transition("support", _from(State.ON_AGENDA), State.SUPPORTED, COORDINATOR_OWN_REGION,
               _l("Supported by the session"), Channel.REGIONAL_SESSION, data=SESSION_DECISION,
               comment=Need.NONE, effects=("session_decision",),
               notify=(COORDINATORS, NOMINEE)),
    Transition("decline_regionally", _from(State.ON_AGENDA), State.DECLINED_REGIONALLY,
               COORDINATOR_OWN_REGION, _l("Not supported by the session"),
               Channel.REGIONAL_SESSION, data=SESSION_DECISION, comment=Need.NONE,
               effects=("session_decision",), notify=(COORDINATORS, NOMINEE)),
    Transition("defer", _from(State.ON_AGENDA), State.SUBMITTED, COORDINATOR_OWN_REGION,
               _l("Deferred by the session"), Channel.REGIONAL_SESSION, data=SESSION_DEFERRAL,
               comment=Need.NONE, effects=("session_decision",), notify=(COORDINATORS,)),
    Transition("forward", _from(State.SUPPORTED), State.FORWARDED, COORDINATOR_OWN_REGION,
               _l("Forward to the Secretariat"), Channel.BUTTON,
               notify=(SECRETARIAT_OFFICERS, NOMINEE)),
    Transition("forward_again", _from(State.RETURNED), State.FORWARDED, COORDINATOR_OWN_REGION,
               _l("Forward again, corrected"), Channel.FORM, comment=Need.REQUIRED,
               notify=(SECRETARIAT_OFFICERS,)),
    Transition("accept", _from(State.FORWARDED), State.UNDER_REVIEW, SECRETARIAT,
               _l("Accept for review"), Channel.BUTTON, notify=(COORDINATORS,)),
    Transition("return", _from(State.FORWARDED, State.UNDER_REVIEW), State.RETURNED, SECRETARIAT,
               _l("Return for correction"), Channel.FORM, data=_data("reasons:reasons"),
               guards=(other_reason_explained,), notify=(COORDINATORS,)),
    Transition("put_on_council_agenda", _from(State.UNDER_REVIEW), State.COUNCIL_AGENDA,
               SECRETARIAT, _l("Put on the Council agenda"), Channel.COUNCIL_MEETING,
               data=COUNCIL_AGENDA, comment=Need.NONE, effects=("council_agenda_item",),
               notify=(COORDINATORS, NOMINEE)),
    Transition("take_off_council_agenda", _from(State.COUNCIL_AGENDA), State.UNDER_REVIEW,
               SECRETARIAT, _l("Taken off the Council agenda"), Channel.COUNCIL_MEETING,
               data=_data("council_meeting_id:id", "meeting_date:date", "?deferred:flag"),
               effects=("council_agenda_item_removed",), notify=(COORDINATORS,)),
    Transition("recommend", _from(State.COUNCIL_AGENDA), State.RECOMMENDED, SECRETARIAT,
               _l("Recommended by the Council"), Channel.COUNCIL_MEETING,
               data=COUNCIL_DECISION + QUOTA_OVERRIDE, comment=Need.NONE,
               guards=(within_quotas,), effects=("council_decision",),
               notify=(COORDINATORS, NOMINEE)),
    Transition("decline_by_council", _from(State.COUNCIL_AGENDA), State.COUNCIL_DECLINED,
               SECRETARIAT, _l("Declined by the Council"), Channel.COUNCIL_MEETING,
               data=COUNCIL_DECISION, comment=Need.NONE, effects=("council_decision",),
               notify=(COORDINATORS, NOMINEE)),
    Transition("approve", _from(State.RECOMMENDED), State.APPROVED, SECRETARIAT,
               _l("Approved by the Chairman"), Channel.CHAIRMAN_ORDER, data=ORDER + QUOTA_OVERRIDE,
               comment=Need.NONE, guards=(within_quotas,),
               effects=("order_item", "rotation_ends_replaced_membership"),
               notify=(COORDINATORS, SECRETARIAT_OFFICERS)),
    Transition("reject", _from(State.RECOMMENDED), State.REJECTED, SECRETARIAT,
               _l("Rejected by the Chairman"), Channel.CHAIRMAN_ORDER, data=ORDER,
               comment=Need.NONE, effects=("order_item",), notify=(COORDINATORS, NOMINEE)),
    Transition("issue_membership", _from(State.APPROVED), State.MEMBER, THE_SYSTEM,
               _l("Membership issued"), Channel.SYSTEM, comment=Need.NONE,
               effects=("membership",), notify=(COORDINATORS,)),
    Transition("withdraw", BEFORE_APPROVAL, State.WITHDRAWN, COORDINATOR_OR_SECRETARIAT,
               _l("Withdraw"), Channel.FORM, comment=Need.REQUIRED,
               notify=(COORDINATORS, SECRETARIAT_OFFICERS, NOMINEE)),
    # Law No. 94-V Art. 8: without consent nothing more is processed, so the nominee is not
    # written to either.
    Transition("withdraw_consent", BEFORE_APPROVAL, State.WITHDRAWN, COORDINATOR_OR_SECRETARIAT,
               _l("Consent withdrawn by the candidate"), Channel.CONSENT_WITHDRAWAL,
               data=_data("withdrawn_on:date", "document_id:id"), comment=Need.NONE,
               guards=(withdrawal_document_attached,),
               notify=(COORDINATORS, SECRETARIAT_OFFICERS)),
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
DECLARED_EFFECTS = frozenset(name for t in TRANSITIONS for name in t.effects)

# The effects' implementations, connected by workflow.setup.connect_effects (they live in the
# capabilities above this module: sessions, council, orders, members, register).
EFFECTS: dict[str, Effect] = {}

# Receivers write outbox rows, notifications, memberships — inside the same transaction.
transition_applied = signal("tizim.transition-applied")


def connect_effects(implementations: Mapping[str, Effect]) -> None:
    """Connect the effects the table names to the functions that write them.

    :raise RuntimeError: an effect the table names has no implementation, or one is unknown.
    """
    unknown = set(implementations) - DECLARED_EFFECTS
    missing = DECLARED_EFFECTS - set(implementations)
    if unknown or missing:
        raise RuntimeError(f"pipeline effects: missing {sorted(missing)}, unknown {sorted(unknown)}")
    EFFECTS.update(implementations)


# --- The functions. ---------------------------------------------------------------------------


def in_scope(actor: Actor, who: Mapping[Role, Scope], region_id: int | None) -> bool:
    scope = who.get(actor.role)
    if scope is None:
        return False
    return scope is Scope.NATIONAL or (actor.region_id is not None and actor.region_id == region_id)


def permitted(nomination: Nomination, action: str, actor: Actor,
              channels: frozenset[Channel] | None = None) -> bool:
    """Whether ``actor`` may fire ``action`` on ``nomination`` now (role, scope, state and,
    when given, the channel; no guards, no data)."""
    transition = BY_ACTION.get(action)
    return bool(
        transition
        and (channels is None or transition.channel in channels)
        and nomination.status in transition.sources
        and in_scope(actor, transition.who, nomination.region_id)
    )


def available(nomination: Nomination, actor: Actor,
              channels: frozenset[Channel] | None = PAGE_CHANNELS) -> list[Transition]:
    """The transitions ``actor`` could fire on ``nomination`` as it stands, through
    ``channels`` (by default those of the nomination's page: buttons and forms)."""
    return [t for t in TRANSITIONS if permitted(nomination, t.action, actor, channels)]


def check_data(transition: Transition, comment: str,
               data: Mapping[str, Any]) -> dict[str, Any]:
    """The action's data, checked against the table and normalised.

    :raise Refusal: a required datum is missing (``missing_data``), one is of the wrong kind
        or not the action's (``invalid``), or the comment is missing or not taken.
    """
    declared = {d.name: d for d in transition.data}
    unknown = sorted(set(data) - set(declared))
    if unknown:
        raise Refusal(_l("“%(action)s” takes no “%(name)s”.", action=transition.label,
                         name=unknown[0]), code="invalid", field=unknown[0])
    clean: dict[str, Any] = {}
    for datum in transition.data:
        value = data.get(datum.name)
        if value is None or value == "" or value == []:
            if datum.required:
                raise Refusal(_missing_message(transition, datum), code="missing_data",
                              field=datum.name)
            continue
        try:
            clean[datum.name] = KINDS[datum.kind](value)
        except (ValueError, TypeError):
            raise Refusal(_l("“%(name)s” is not valid for “%(action)s”.", name=datum.name,
                             action=transition.label), code="invalid", field=datum.name) from None
    if transition.comment is Need.REQUIRED and not comment.strip():
        raise Refusal(_comment_message(transition), code="missing_data", field="comment")
    if transition.comment is Need.NONE and comment.strip():
        raise Refusal(_l("“%(action)s” takes no comment: what it records is its data.",
                         action=transition.label), code="invalid", field="comment")
    if len(comment) > MAX_TEXT:
        raise Refusal(_l("The comment is too long: at most %(n)s characters.", n=MAX_TEXT),
                      code="invalid", field="comment")
    return clean


def _missing_message(transition: Transition, datum: Datum):
    if datum.kind == "reasons":
        return _l("Choose at least one reason.")
    if transition.decided_by_a_body:
        return _l("“%(action)s” is done through %(channel)s, which records it.",
                  action=transition.label, channel=CHANNEL_LABELS[transition.channel])
    return _l("“%(action)s” needs “%(name)s”.", action=transition.label, name=datum.name)


def _comment_message(transition: Transition):
    if transition.action == "withdraw":
        return _l("Give the reason: it is recorded and shown to the people concerned.")
    if transition.action == "forward_again":
        return _l("Say what was corrected: the Secretariat reads it with the nomination.")
    return _l("Write a comment: it is recorded with the step.")


def check_actor(nomination: Nomination, transition: Transition, actor: Actor) -> None:
    if actor.role not in transition.who:
        raise Refusal(_l("Your role cannot do this: “%(action)s”.", action=transition.label),
                      code="not_allowed", status=403)
    if not in_scope(actor, transition.who, nomination.region_id):
        raise Refusal(_l("This nomination does not exist, or it is not in your area of work."),
                      code="out_of_scope", status=404)


def check_step(nomination: Nomination, transition: Transition, channel: Channel) -> None:
    if channel != transition.channel:
        raise Refusal(_l("“%(action)s” is done through %(channel)s.", action=transition.label,
                         channel=CHANNEL_LABELS[transition.channel]),
                      code="wrong_channel", status=409)
    if nomination.status not in transition.sources:
        raise Refusal(
            _l("“%(action)s” is not possible while the nomination is “%(state)s”.",
               action=transition.label, state=STATE_LABELS[nomination.status]),
            code="wrong_state", status=409)


def check_guards(nomination: Nomination, transition: Transition, ctx: Context) -> None:
    """Raise the Refusal of the first guard that does not hold."""
    for guard in transition.guards:
        message = guard(nomination, ctx)
        if message:
            raise Refusal(message, code="guard", status=409)


def lock(nomination_id: int) -> Nomination:
    """Load the nomination afresh, locking its row on PostgreSQL until the transaction ends.

    On SQLite the version column does the same work: the UPDATE names the version it read.

    :raise Refusal: no such nomination (404).
    """
    stmt = (
        select(Nomination)
        .where(Nomination.id == nomination_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    nomination = db.session.scalars(stmt).one_or_none() if 0 < nomination_id <= MAX_ID else None
    if nomination is None:
        raise Refusal(_l("This nomination does not exist, or it is not in your area of work."),
                      code="not_found", status=404)
    return nomination


def verify(
    nomination: Nomination | int,
    action: str,
    actor: Actor,
    *,
    channel: Channel,
    comment: str = "",
    data: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
) -> tuple[Nomination, Transition, Context]:
    """Lock the nomination and make every check ``apply`` makes before it writes, in its order
    (role and scope, the version seen, channel and state, data, guards); write nothing.

    ``apply`` starts with it; a batch asks it of every nomination first, so it can say which
    would be refused before anything is written (effects may still refuse when applied).

    :raise Refusal: what ``apply`` would refuse before writing.
    """
    transition = BY_ACTION.get(action)
    if transition is None:
        raise Refusal(_l("Unknown action."), code="unknown_action", field="action")
    nomination_id = nomination if isinstance(nomination, int) else nomination.id
    locked = lock(nomination_id)
    comment = (comment or "").strip()
    check_actor(locked, transition, actor)
    # A stale page meets a conflict, not the refusal of a step the nomination has moved past.
    if expected_version is not None and locked.version != expected_version:
        raise conflict()
    check_step(locked, transition, channel)
    clean = check_data(transition, comment, dict(data or {}))
    ctx = Context(actor=actor, comment=comment, data=clean, action=transition.action)
    check_guards(locked, transition, ctx)
    return locked, transition, ctx


def apply(
    nomination: Nomination | int,
    action: str,
    actor: Actor,
    *,
    channel: Channel,
    comment: str = "",
    data: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
) -> AuditEvent:
    """Fire ``action`` through ``channel``: check role, scope, channel, state, data and guards;
    write the status, one audit event and the action's effects.

    Does not commit. ``expected_version`` is the version the actor saw; pass it from forms.

    :raise Refusal: the action is not allowed now, through this channel, or without its data;
        or someone else changed the nomination first (``conflict``). Nothing is changed.
    """
    locked, transition, ctx = verify(nomination, action, actor, channel=channel,
                                     comment=comment, data=data,
                                     expected_version=expected_version)
    comment, clean = ctx.comment, ctx.data
    source = locked.status
    now = utcnow()
    locked._status = transition.target.value
    locked.status_changed_at = now
    event = audit.transition(locked, transition.action, actor, source=source.value,
                             target=transition.target.value, comment=comment, data=clean,
                             at=now)
    for name in transition.effects:
        EFFECTS[name](locked, ctx)
    try:
        db.session.flush()
    except StaleDataError:
        raise conflict() from None
    transition_applied.send(locked, transition=transition, event=event, actor=actor)
    return event


def enter(nomination: Nomination, actor: Actor, *, comment: str = "",
          data: Mapping[str, Any] | None = None) -> AuditEvent:
    """Give a new nomination its first status for its route, with the creation event.

    Does not commit.

    :raise Refusal: the actor may not enter nominations on this route or region.
    """
    entry = ENTRIES.get(Route(nomination.route))
    if nomination.route not in bodies.current().routes:
        raise Refusal(_l("%(body)s takes no nominations on this route.",
                         body=bodies.current().name), code="not_allowed", status=403)
    if entry is None or actor.role not in entry.who:
        raise Refusal(_l("Your role cannot enter nominations on this route."),
                      code="not_allowed", status=403)
    region_id = nomination.region_id if nomination.region_id is not None else (
        nomination.region.id if nomination.region is not None else None
    )
    if not in_scope(actor, entry.who, region_id):
        raise Refusal(_l("You can enter nominations only for your own region."),
                      code="out_of_scope", status=403)
    if entry.needs_replaced_member and not nomination.replaces_membership_id:
        raise Refusal(_l("A rotation names the member being replaced."), code="missing_data",
                      field="replaces_membership_id")
    now = utcnow()
    nomination._status = entry.initial.value
    nomination.status_changed_at = now
    db.session.add(nomination)
    event = audit.transition(nomination, "create", actor, source=None,
                             target=entry.initial.value, comment=comment,
                             data=dict(data or {}), at=now)
    db.session.flush()
    transition_applied.send(nomination, transition=None, event=event, actor=actor)
    return event


# The register kept before Tizim: a member already serving is brought in by the Secretariat
# (``workflow.register.imports``), not walked through steps that happened on paper years ago.
IMPORTERS = MappingProxyType({Role.SECRETARIAT: Scope.NATIONAL, Role.SYSTEM: Scope.NATIONAL})
IMPORTED = "imported"  # the action of the event that says so


def enter_imported(nomination: Nomination, actor: Actor, *,
                   data: Mapping[str, Any] | None = None) -> AuditEvent:
    """Record a new nomination as the basis of a membership from the register kept before
    Tizim: it enters as ``member``, with its ``imported`` event (what the register said).

    Does not commit; the caller writes the membership itself.

    :raise Refusal: the actor may not import the register.
    """
    if actor.role not in IMPORTERS:
        raise Refusal(_l("Only the Secretariat brings in the existing register."),
                      code="not_allowed", status=403)
    now = utcnow()
    nomination._status = State.MEMBER.value
    nomination.status_changed_at = now
    db.session.add(nomination)
    event = audit.transition(nomination, IMPORTED, actor, source=None,
                             target=State.MEMBER.value, comment="", data=dict(data or {}),
                             at=now)
    db.session.flush()
    return event


# --- Reading the table. ---------------------------------------------------------------------


def path_to(target: State, route: Route = Route.REGIONAL) -> list[str]:
    """The shortest list of actions that takes a new nomination on ``route`` to ``target``.

    Demo data and tests reach every state through the pipeline's own actions with it
    (``workflow.journeys``). Actions that step back (deferral, taking off an agenda) are not
    part of a shortest path.

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


def describe_action(transition: Transition) -> dict[str, Any]:
    """What a program needs to fire ``transition``: the channel, the data and their kinds."""
    return {
        "action": transition.action,
        "label": str(transition.label),
        "channel": transition.channel.value,
        "comment": transition.comment.value,
        "data": [{"name": d.name, "kind": d.kind, "required": d.required}
                 for d in transition.data],
        "target": transition.target.value,
    }
