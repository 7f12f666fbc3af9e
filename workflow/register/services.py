"""The register of members: search with filters, one member's record, ending a membership."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import FileStorage

from workflow import audit
from workflow.database import bounded_int, transaction
from workflow.documents.services import store
from workflow.domain import DocumentKind, EndGround, MembershipStatus, Route
from workflow.extensions import db
from workflow.models import Candidate, ChairmanOrder, Membership, Nomination
from workflow.permissions import scoped
from workflow.refusal import Refusal, not_found

PAGE_SIZE = 50

# Age bands, in whole years at today's date: (label key, youngest, oldest).
AGE_BANDS = {
    "under_30": (0, 29),
    "30_44": (30, 44),
    "45_59": (45, 59),
    "60_plus": (60, 200),
}
AGE_BAND_LABELS = {
    "under_30": _l("Under 30"),
    "30_44": _l("30 to 44"),
    "45_59": _l("45 to 59"),
    "60_plus": _l("60 and over"),
}


@dataclass
class Filters:
    """What the register is filtered by; empty fields filter nothing."""

    region_id: int | None = None
    route: str | None = None
    association_id: int | None = None
    ethnicity: str | None = None
    sex: str | None = None
    age_band: str | None = None
    since: date | None = None  # member since (started on or after)
    status: str | None = MembershipStatus.ACTIVE
    text: str | None = None  # surname prefix or member number

    @classmethod
    def from_args(cls, args) -> Filters:
        def as_int(name):
            return bounded_int(args.get(name))

        since = None
        with contextlib.suppress(ValueError):
            since = date.fromisoformat(args.get("since", ""))
        status = args.get("status", MembershipStatus.ACTIVE)
        return cls(
            region_id=as_int("region"),
            route=args.get("route") or None,
            association_id=as_int("association"),
            ethnicity=(args.get("ethnicity") or "").strip() or None,
            sex=args.get("sex") or None,
            age_band=args.get("age") if args.get("age") in AGE_BANDS else None,
            since=since,
            status=status if status in ("active", "ended", "all") else MembershipStatus.ACTIVE,
            text=(args.get("q") or "").strip() or None,
        )

    def as_args(self) -> dict:
        """The query-string form, for links (pages, exports) that keep the filters."""
        return {k: v for k, v in {
            "region": self.region_id, "route": self.route, "association": self.association_id,
            "ethnicity": self.ethnicity, "sex": self.sex, "age": self.age_band,
            "since": self.since.isoformat() if self.since else None, "status": self.status,
            "q": self.text,
        }.items() if v not in (None, "")}


def birth_date_range(band: str, today: date) -> tuple[date, date]:
    """Born between these dates (inclusive) means an age within the band today."""
    youngest, oldest = AGE_BANDS[band]

    def years_ago(n: int) -> date:
        try:
            return today.replace(year=today.year - n)
        except ValueError:  # 29 February
            return today.replace(year=today.year - n, day=28)

    earliest = years_ago(oldest + 1)
    latest = years_ago(youngest)
    return date.fromordinal(earliest.toordinal() + 1), latest


def filtered(user, filters: Filters, *, today: date | None = None) -> Select:
    """Memberships ``user`` may see matching ``filters``, joined to candidate and nomination."""
    today = today or date.today()
    stmt = (scoped(select(Membership), user)
            .join(Candidate, Membership.candidate_id == Candidate.id)
            .join(Nomination, Membership.nomination_id == Nomination.id))
    if filters.status in (MembershipStatus.ACTIVE, MembershipStatus.ENDED):
        stmt = stmt.where(Membership.status == filters.status)
    if filters.region_id:
        stmt = stmt.where(Membership.region_id == filters.region_id)
    if filters.route:
        stmt = stmt.where(Nomination.route == filters.route)
    if filters.association_id:
        stmt = stmt.where(Nomination.association_id == filters.association_id)
    if filters.ethnicity:
        stmt = stmt.where(Candidate.ethnicity == filters.ethnicity)
    if filters.sex:
        stmt = stmt.where(Candidate.sex == filters.sex)
    if filters.age_band:
        born_from, born_to = birth_date_range(filters.age_band, today)
        stmt = stmt.where(Candidate.birth_date.between(born_from, born_to))
    if filters.since:
        stmt = stmt.where(Membership.started_on >= filters.since)
    if filters.text:
        text = filters.text
        stmt = stmt.where((Membership.member_number == text.upper())
                          | Candidate.surname.startswith(text))
    return stmt.options(joinedload(Membership.candidate), joinedload(Membership.region),
                        joinedload(Membership.nomination).joinedload(Nomination.association))


@dataclass
class Page:
    items: list[Membership]
    next_after: int | None = None
    filters: Filters = field(default_factory=Filters)


def search(user, filters: Filters, *, after: int | None = None,
           limit: int = PAGE_SIZE) -> Page:
    """One page of the register, newest membership first, keyset-paginated by id."""
    stmt = filtered(user, filters)
    if after:
        stmt = stmt.where(Membership.id < after)
    rows = list(db.session.scalars(stmt.order_by(Membership.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, rows[-1].id if more and rows else None, filters)


def all_matching(user, filters: Filters, *, limit: int = 20_000) -> list[Membership]:
    """Everything matching, for an export (bounded: the register holds hundreds)."""
    return list(db.session.scalars(filtered(user, filters).order_by(Membership.id).limit(limit)))


def ethnicities(user) -> list[str]:
    stmt = (scoped(select(Candidate.ethnicity), user, Membership)
            .join(Membership, Membership.candidate_id == Candidate.id)
            .distinct().order_by(Candidate.ethnicity))
    return list(db.session.scalars(stmt))


def get_membership(user, membership_id: int) -> Membership | None:
    """The membership with its person and basis, if ``user`` may see it; else None."""
    stmt = scoped(select(Membership), user).where(Membership.id == membership_id).options(
        joinedload(Membership.candidate), joinedload(Membership.region),
        joinedload(Membership.nomination).joinedload(Nomination.association))
    return db.session.scalar(stmt)


def end_membership_in_transaction(membership: Membership | None, *, ground: str, ended_on: date,
                                  document_id: int, comment: str = "", actor=None,
                                  data: dict | None = None) -> Membership:
    """End an active membership with one Art. 17 ground, inside the caller's transaction,
    with its audit event (the ground, the date, the basis document; ``data`` adds more).

    :raise Refusal: no such membership, already ended, an unknown ground, or a date
        before the membership started.
    """
    if membership is None:
        raise not_found(_l("The membership to end does not exist."))
    if membership.status != MembershipStatus.ACTIVE:
        raise Refusal(_l("Membership %(number)s has already ended.",
                               number=membership.member_number), code="wrong_state", status=409)
    if ground not in EndGround.__members__.values():
        raise Refusal(_l("Choose one of the grounds of Article 17."), field="ground")
    if ended_on < membership.started_on:
        raise Refusal(_l("A membership cannot end before it started (%(date)s).",
                               date=membership.started_on.isoformat()), field="ended_on")
    membership.status = MembershipStatus.ENDED
    membership.ended_on = ended_on
    membership.end_ground = str(ground)
    membership.end_document_id = document_id
    membership.end_comment = comment
    audit.record(membership, "end", actor=actor,
                 changes=("status", "ended_on", "end_ground", "end_document_id", "end_comment"),
                 data={"ground": str(ground), "ended_on": ended_on, "document_id": document_id,
                       **(data or {})},
                 comment=comment, nomination=membership.nomination)
    return membership


def effect_rotation(nomination: Nomination, ctx) -> None:
    """``approve`` of a rotation: the membership it replaces ends on the order's date, with
    the order as its basis — unless the member has left meanwhile on another ground."""
    if nomination.route != Route.ROTATION or nomination.replaces_membership_id is None:
        return
    replaced = db.session.get(Membership, nomination.replaces_membership_id, with_for_update=True)
    if replaced is None or replaced.status != MembershipStatus.ACTIVE:
        return  # the successor stands
    order = db.session.get(ChairmanOrder, ctx.data["order_id"])
    end_membership_in_transaction(
        replaced, ground=EndGround.ROTATION, ended_on=order.order_date,
        document_id=order.document_id, actor=ctx.actor,
        data={"order_id": order.id, "order_number": order.number,
              "successor_nomination_id": nomination.id})


def end_membership(user, membership_id: int, *, ground: str, ended_on: date,
                   document: FileStorage, comment: str = "") -> Membership:
    """End a membership with its ground, date and basis document, in one transaction.

    :raise Refusal: see ``end_membership_in_transaction``, or the basis document is not
        acceptable.
    """
    with transaction(actor=user):
        membership = db.session.scalar(scoped(
            select(Membership).where(Membership.id == membership_id), user).with_for_update())
        if membership is None:
            raise not_found(_l("The membership to end does not exist."))
        stored = store(document, DocumentKind.OTHER, nomination_id=membership.nomination_id,
                       uploaded_by_id=user.id)
        return end_membership_in_transaction(membership, ground=ground, ended_on=ended_on,
                                             document_id=stored.id, comment=comment, actor=user)
