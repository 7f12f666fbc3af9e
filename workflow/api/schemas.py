"""What the API takes and gives, as pydantic models: spectree checks requests against them and
generates the OpenAPI document from them (``/api/v1/openapi.json``).

The checks that matter are the services' own (the same forms and services as the pages);
these models say the shapes, so a program learns them from the document and a malformed
request is refused before any service runs.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from spectree.model_adapter.pydantic_adapter import BaseFile

from workflow.domain import RECUSAL_REASON_LABELS, AssociationKind, AssociationLevel, Route, State
from workflow.pipeline import MAX_ID, MAX_TEXT

Id = Field(ge=1, le=MAX_ID)
StateName = Literal[tuple(s.value for s in State)]  # type: ignore[valid-type]
RouteName = Literal[tuple(r.value for r in Route)]  # type: ignore[valid-type]
RecusalReason = Literal[tuple(RECUSAL_REASON_LABELS)]  # type: ignore[valid-type]


class Documented(BaseModel):
    # A string under a field is its description in the OpenAPI document.
    model_config = ConfigDict(use_attribute_docstrings=True)


class Strict(Documented):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


# --- Problems (RFC 9457). ---------------------------------------------------------------------


class FieldError(Documented):
    field: str
    detail: str


class Problem(Documented):
    """What went wrong, as ``application/problem+json``: ``title`` and ``detail`` in the
    request's language (Accept-Language), ``code`` for programs (the pipeline's refusal code:
    ``wrong_state``, ``wrong_channel``, ``guard``, ``missing_data``, ``invalid``, ``conflict``,
    ``not_found`` …)."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    field: str | None = None
    errors: list[FieldError] | None = None


# --- Reference data. ---------------------------------------------------------------------------


class Names(Documented):
    kk: str
    ru: str
    en: str


class RegionOut(Documented):
    id: int
    iso_code: str
    kind: str
    name: Names


class RegionList(Documented):
    items: list[RegionOut]


class AssociationOut(Documented):
    id: int
    name: str
    level: str
    kind: str
    region: str | None
    bin: str | None
    active: bool


class AssociationList(Documented):
    items: list[AssociationOut]


class AssociationQuery(Strict):
    q: str | None = Field(default=None, max_length=300)
    include_inactive: bool = False


class AssociationIn(Strict):
    """A coordinator's association is regional, in their region; the Secretariat names the
    level (and the region of a regional one)."""

    name: str = Field(min_length=1, max_length=300)
    kind: Literal[tuple(k.value for k in AssociationKind)]  # type: ignore[valid-type]
    bin: str | None = Field(default=None, max_length=12)
    level: Literal[tuple(k.value for k in AssociationLevel)] | None = None  # type: ignore[valid-type]
    region: str | None = Field(default=None, pattern=r"^KZ-[0-9]{2}$")


# --- Nominations. --------------------------------------------------------------------------------


class Datum(Documented):
    name: str
    kind: str
    required: bool


class ActionOut(Documented):
    """An action the caller may fire now (``POST …/transitions``), from the pipeline's table."""

    action: str
    label: str
    channel: str
    comment: Literal["required", "optional", "none"]
    data: list[Datum]
    target: str


class CandidateOut(Documented):
    name: str
    birth_date: date
    sex: str
    iin: str
    region: str


class NominationOut(Documented):
    id: int
    reference_code: str
    status: str
    status_label: str
    status_since: datetime
    version: int
    route: str
    region: dict[str, Any]
    nominated_by: str | None
    candidate: CandidateOut
    actions: list[ActionOut]


class NominationItem(Documented):
    id: int
    reference_code: str
    status: str
    route: str
    region: str
    association_id: int | None
    candidate_name: str
    iin: str
    """Masked: ••••••••0015."""
    created_at: datetime
    updated_at: datetime
    status_since: datetime
    version: int


class NominationPage(Documented):
    items: list[NominationItem]
    next: str | None
    """Pass as ``after`` for the next page; null at the end."""


class NominationQuery(Strict):
    state: StateName | None = None  # type: ignore[valid-type]
    region: str | None = Field(default=None, pattern=r"^KZ-[0-9]{2}$")
    association: int | None = Field(default=None, ge=1, le=MAX_ID)
    route: RouteName | None = None  # type: ignore[valid-type]
    updated_since: datetime | None = None
    sort: Literal["newest", "oldest"] = "newest"
    after: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=50, ge=1, le=200)

    model_config = ConfigDict(extra="forbid")


class NominationIn(Strict):
    """A regional nomination, as the coordinator's form takes it (``multipart/form-data``):
    the person, the association, the justification and the three documents (PDF, JPEG or
    PNG, at most 10 MB each). ``submit=true`` submits it at once (the documents and the
    consent are then required)."""

    surname: str = Field(max_length=100)
    given_name: str = Field(max_length=100)
    patronymic: str | None = Field(default=None, max_length=100)
    iin: str = Field(max_length=20)
    birth_date: str = Field(max_length=10)
    """YYYY-MM-DD."""
    sex: str = Field(max_length=8)
    citizenship: str | None = Field(default=None, max_length=8)
    ethnicity: str | None = Field(default=None, max_length=100)
    occupation: str | None = Field(default=None, max_length=300)
    position: str | None = Field(default=None, max_length=300)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254)
    consent_given_on: str | None = Field(default=None, max_length=10)
    consent_form: str | None = Field(default=None, max_length=16)
    consent_scope: str | None = Field(default=None, max_length=2000)
    association_id: str = Field(max_length=12)
    justification: str = Field(max_length=8000)
    namesake_checked: str | None = Field(default=None, max_length=5)
    """true: another person of the same name and birth date is known, and this is not them."""
    submit: str | None = Field(default=None, max_length=5)
    decision_file: BaseFile | None = None
    consent_file: BaseFile | None = None
    cv_file: BaseFile | None = None


class TransitionIn(Strict):
    """Fire one of the nomination's actions (see ``actions`` on the nomination): the data it
    names, the comment it takes, and the version you saw (a change since is a 409)."""

    action: str = Field(min_length=1, max_length=40)
    data: dict[str, Any] = Field(default_factory=dict)
    comment: str = Field(default="", max_length=MAX_TEXT)
    expected_version: int | None = Field(default=None, ge=1, le=MAX_ID)


class TransitionOut(Documented):
    id: int
    status: str
    version: int
    event_id: int


class EventOut(Documented):
    id: int
    cursor: str | None
    nomination_id: int | None
    reference_code: str | None = None
    action: str
    from_status: str | None
    to_status: str | None
    at: datetime
    actor_role: str
    via: str
    comment: str
    data: dict[str, Any]
    title: str


class EventList(Documented):
    items: list[EventOut]


class FeedQuery(Strict):
    after: str | None = Field(default=None, max_length=40)
    limit: int = Field(default=100, ge=1, le=500)


class FeedPage(Documented):
    items: list[EventOut]
    next: str | None
    """The cursor to ask after next time (the last item's, or the one you sent when nothing
    is new)."""


# --- Sessions. --------------------------------------------------------------------------------------


class RecusalOut(Documented):
    count: int
    names: str | None
    reason: RecusalReason | None  # type: ignore[valid-type]
    note: str | None


class SessionItemOut(Documented):
    item_id: int
    position: int
    nomination_id: int
    reference_code: str
    votes_for: int | None
    votes_against: int | None
    votes_abstain: int | None
    deferred: bool
    outcome: str | None
    recusal: RecusalOut | None
    """Those recused from this item, as recorded; null when nobody was."""


class SessionOut(Documented):
    id: int
    region: str
    number: str
    held_on: date
    place: str
    members_total: int
    members_present: int | None
    no_quorum: bool
    """Recorded as held without quorum: every item deferred for that reason."""
    quorum: str
    majority: str
    status: str
    items: list[SessionItemOut]


class SessionList(Documented):
    items: list[SessionOut]


class SessionIn(Strict):
    number: str = Field(min_length=1, max_length=32)
    held_on: date
    place: str = Field(min_length=1, max_length=300)
    members_total: int = Field(ge=1, le=10000)
    quorum: str | None = Field(default=None, max_length=16)
    majority: str | None = Field(default=None, max_length=16)
    rule_override_reason: str | None = Field(default=None, max_length=2000)


class RecusalIn(Strict):
    """Participants recused from one item for a conflict of interest (the candidate, a
    relative, the nominating association's head …): they count in neither the item's quorum
    nor its majority. Who and why are required with a count; ``note`` with ``other``."""

    count: int = Field(ge=0, le=10000)
    names: str | None = Field(default=None, max_length=500)
    """Who is recused."""
    reason: RecusalReason | None = None  # type: ignore[valid-type]
    note: str | None = Field(default=None, max_length=500)
    """The conflict of interest, when the reason is ``other``."""


class ItemVotes(Strict):
    item_id: int = Id
    votes_for: int | None = Field(default=None, ge=0, le=10000)
    votes_against: int | None = Field(default=None, ge=0, le=10000)
    votes_abstain: int | None = Field(default=None, ge=0, le=10000)
    deferred: bool = False
    reason: str | None = Field(default=None, max_length=500)
    recusal: RecusalIn | None = None


class DecisionsIn(Strict):
    """The session's attendance and each agenda item's votes (or its deferral); the outcome
    is computed from the session's rule, never sent."""

    members_present: int = Field(ge=0, le=10000)
    items: list[ItemVotes] = Field(max_length=500)


class NoQuorumIn(Strict):
    """The attendance of a session held without quorum: every open item is deferred for that
    reason (closing the session applies the deferrals)."""

    members_present: int = Field(ge=0, le=10000)


# --- Members and the public status. ---------------------------------------------------------------


class MemberOut(Documented):
    id: int
    member_number: str
    name: str
    region: str
    status: str
    started_on: date
    ended_on: date | None
    nomination_id: int


class MemberList(Documented):
    items: list[MemberOut]
    next: str | None


class MemberQuery(Strict):
    after: int | None = Field(default=None, ge=0, le=MAX_ID)
    limit: int = Field(default=100, ge=1, le=500)


class StatusIn(Strict):
    code: str = Field(min_length=1, max_length=32)
    """The reference code, ABCD-EFGH."""
    birth_date: date


class StatusOut(Documented):
    found: bool
    stage: str | None = None
    since: datetime | None = None
    next_step: str | None = None
