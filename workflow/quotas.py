"""The body's seat quotas: how each stands now, and how it would stand after decisions.

A seat is held by an active membership or by an approved nomination whose membership is being
issued. A quota (``workflow.bodies.Quota``) counts the seats of one route — a rotation sits in
the route of the member it replaces —, of one region, or of a named group of associations.

``forecast`` adds the nominations a body is about to decide (a Council meeting's agenda, a
Chairman's order) to the seats held and to those already on their way (``pending``: the
Council's recommendations awaiting the Chairman); a rotation frees the seat it replaces. The
pipeline's guard ``within_quotas`` (on ``recommend`` and ``approve``) uses the same count, so
what the page forecasts is what the record meets; an officer may go past a ceiling with a
reason (``override``), which the audit trail keeps.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from workflow import audit, bodies
from workflow.domain import MembershipStatus, Route, State
from workflow.extensions import db
from workflow.models import Association, Membership, Nomination, Region
from workflow.refusal import Refusal

MAX_REASON = 2000


@dataclass(frozen=True)
class Seat:
    """What a quota looks at in a seat: where it is, how its holder came, through whom."""

    key: tuple[str, int]  # ("membership", id) or ("nomination", id)
    region: str  # ISO code
    route: str  # the route that counts: a rotation's is the replaced member's
    association_kind: str | None
    association_level: str | None
    replaces: int | None  # the membership a rotation replaces


@dataclass(frozen=True)
class Standing:
    """A quota now, with what is already on its way, and after the decisions in question."""

    quota: bodies.Quota
    now: int  # seats held: active members and approved nominations being issued
    before: int  # now, with the pending decisions (a Council's recommendations awaiting)
    after: int  # before, with the decisions in question

    @property
    def ceiling(self) -> int | None:
        return self.quota.ceiling

    @property
    def exceeded(self) -> bool:
        """The decisions take the quota past its ceiling (or further past it)."""
        return self.ceiling is not None and self.after > self.ceiling and self.after > self.before


def counts(quota: bodies.Quota, seat: Seat, body: bodies.Body) -> bool:
    """Whether ``quota`` counts ``seat``."""
    if quota.route is not None:
        return seat.route == quota.route
    if quota.region is not None:
        return seat.region == quota.region
    group = body.groups[quota.group]
    return (seat.association_kind is not None
            and (not group.association_kinds or seat.association_kind in group.association_kinds)
            and (not group.association_levels
                 or seat.association_level in group.association_levels))


def _columns():
    return (Nomination.id, Nomination.route, Nomination.replaces_membership_id, Region.iso_code,
            Association.kind, Association.level)


def _joined(stmt, region_of):
    return (stmt.join(Region, Region.id == region_of)
            .outerjoin(Association, Association.id == Nomination.association_id))


def membership_routes() -> dict[int, tuple[str, int | None]]:
    """Every membership's nomination route and, for a rotation, the membership it replaced."""
    stmt = select(Membership.id, Nomination.route, Nomination.replaces_membership_id).join(
        Nomination, Nomination.id == Membership.nomination_id)
    return {m: (route, replaced) for m, route, replaced in db.session.execute(stmt)}


def _route_that_counts(route: str, replaces: int | None,
                       chain: dict[int, tuple[str, int | None]]) -> str:
    seen: set[int] = set()
    while route == Route.ROTATION and replaces is not None and replaces not in seen:
        seen.add(replaces)
        route, replaces = chain.get(replaces, (route, None))
    return route


def seats_from_rows(rows, kind: str, chain) -> list[Seat]:
    return [Seat((kind, key), iso, _route_that_counts(route, replaces, chain), a_kind, a_level,
                 replaces)
            for key, route, replaces, iso, a_kind, a_level in rows]


def held_seats(chain=None) -> list[Seat]:
    """Seats held now: active memberships, and approved nominations being issued."""
    chain = chain if chain is not None else membership_routes()
    members = _joined(select(Membership.id, *_columns()[1:]).join(
        Nomination, Nomination.id == Membership.nomination_id), Membership.region_id).where(
        Membership.status == MembershipStatus.ACTIVE)
    approved = _joined(select(*_columns()), Nomination.region_id).where(
        Nomination.status == State.APPROVED)
    return (seats_from_rows(db.session.execute(members), "membership", chain)
            + seats_from_rows(db.session.execute(approved), "nomination", chain))


def nomination_seats(*, ids: Iterable[int] = (), states: Iterable[State] = (),
                     chain=None) -> list[Seat]:
    """The seats these nominations (by id, or in these states) would take."""
    chain = chain if chain is not None else membership_routes()
    ids, states = list(ids), [s.value for s in states]
    if not ids and not states:
        return []
    stmt = _joined(select(*_columns()), Nomination.region_id)
    stmt = stmt.where(Nomination.id.in_(ids) | Nomination.status.in_(states))
    return seats_from_rows(db.session.execute(stmt), "nomination", chain)


def _tally(body: bodies.Body, seats: Sequence[Seat]) -> list[int]:
    # A rotation takes the seat it replaces: that member leaves when it is approved.
    freed = {("membership", s.replaces) for s in seats if s.replaces is not None}
    return [sum(1 for s in seats if s.key not in freed and counts(q, s, body))
            for q in body.quotas]


def forecast(adding: Iterable[int] = (), *, pending: Iterable[State] = ()) -> list[Standing]:
    """Each quota of the body served: now, with ``pending`` decisions, and after the
    nominations ``adding`` (ids) take their seats."""
    body = bodies.current()
    if not body.quotas:
        return []
    adding = set(adding)
    chain = membership_routes()
    held = held_seats(chain)
    held_keys = {s.key for s in held}
    on_way = [s for s in nomination_seats(states=pending, chain=chain)
              if s.key not in held_keys and s.key[1] not in adding]
    added = [s for s in nomination_seats(ids=adding, chain=chain) if s.key not in held_keys]
    now, before = _tally(body, held), _tally(body, held + on_way)
    after = _tally(body, held + on_way + added)
    return [Standing(q, n, b, a) for q, n, b, a in zip(body.quotas, now, before, after,
                                                        strict=True)]


# The decisions already on their way when a body decides: the Council's recommendations
# await the Chairman; the Chairman's approvals are seats held already.
PENDING = {"recommend": (State.RECOMMENDED,), "approve": ()}


def exceeded(adding: Iterable[int], action: str) -> list[Standing]:
    """The quotas that ``action`` on the nominations ``adding`` would take past a ceiling."""
    if not bodies.current().capped:
        return []
    return [s for s in forecast(adding, pending=PENDING[action]) if s.exceeded]


def refusal_message(standing: Standing, name: str):
    return _l("With %(name)s the quota “%(quota)s” would hold %(after)s seats, over its "
              "ceiling of %(ceiling)s. Tick “Exceed the ceiling” and give the reason to go on.",
              name=name, quota=str(standing.quota.name), after=standing.after,
              ceiling=standing.ceiling)


def override(entity, actor, reason: str | None, adding: Iterable[int],
             action: str) -> dict[str, str]:
    """The data that let ``action`` go past a ceiling, with the audit event that says who did
    it and why; nothing when no ceiling is passed or no override was asked for.

    ``reason`` is None when the officer did not tick the override.

    :raise Refusal: the override is ticked without a reason.
    """
    if reason is None:
        return {}
    reason = reason.strip()
    if not reason:
        raise Refusal(_l("Give the reason for exceeding the ceiling: it is kept in the audit "
                         "trail."), code="missing_data", field="quota-reason")
    if len(reason) > MAX_REASON:
        raise Refusal(_l("The reason is too long: at most %(n)s characters.", n=MAX_REASON),
                      field="quota-reason")
    passed = exceeded(adding, action)
    if not passed:
        return {}
    audit.record(entity, "quota_override", actor=actor, comment=reason, data={
        "quotas": [s.quota.key for s in passed],
        "standing": {s.quota.key: [s.after, s.ceiling] for s in passed}})
    return {"quota_override": reason}


def membership_quotas(membership: Membership) -> list[bodies.Quota]:
    """The quotas of the body served that count this membership's seat."""
    body = bodies.current()
    chain = membership_routes()
    stmt = _joined(select(Membership.id, *_columns()[1:]).join(
        Nomination, Nomination.id == Membership.nomination_id), Membership.region_id).where(
        Membership.id == membership.id)
    seats = seats_from_rows(db.session.execute(stmt), "membership", chain)
    return [q for q in body.quotas if seats and counts(q, seats[0], body)]

