"""What the API reads and does, through the same services and scope as the pages.

Reads are plain dicts (one query where it matters: ``nomination_summary`` is the hot path of
``bench/read_one.py``). Writes call the pages' services; input the pages check with a form is
checked here with the same form, fed with the API's data.
"""

from __future__ import annotations

from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased, joinedload, selectinload
from werkzeug.datastructures import MultiDict

from workflow import pipeline
from workflow.associations import services as associations_service
from workflow.associations.forms import AssociationForm
from workflow.candidates import services as candidates
from workflow.documents import services as documents
from workflow.domain import STATE_LABELS, AssociationLevel, Role, State
from workflow.events import describe
from workflow.extensions import db
from workflow.iin import mask
from workflow.members import services as members_service
from workflow.models import (
    Association,
    AuditEvent,
    Candidate,
    Membership,
    Nomination,
    Region,
    RegionalSession,
    SessionItem,
)
from workflow.nominations import services as nominations_service
from workflow.nominations.forms import NominationForm
from workflow.permissions import scoped, visible
from workflow.public import services as public_service
from workflow.refusal import Refusal, not_found
from workflow.sessions import services as sessions_service
from workflow.sessions.forms import PlanForm
from workflow.voting import Recusal

# The API fires what the nomination's page fires, through the same channels: a button's
# action or a form's, with the same data. Sessions, the Council, orders and the system
# decide the rest, each through its own channel (POST /sessions/{id}/decisions …).
API_CHANNELS = pipeline.PAGE_CHANNELS


def channel_for(action: str) -> pipeline.Channel:
    """The channel the API fires ``action`` through: its own when the page fires it, else a
    page channel (``apply`` then refuses it as ``wrong_channel``, naming the right one)."""
    transition = pipeline.BY_ACTION.get(action)
    if transition is not None and transition.channel in API_CHANNELS:
        return transition.channel
    return pipeline.Channel.FORM


def api_actions(user, state: State, region_id: int) -> list[dict]:
    """The actions the API offers ``user`` on a nomination in ``state`` of ``region_id``."""
    return [pipeline.describe_action(t) for t in pipeline.TRANSITIONS
            if state in t.sources and t.channel in API_CHANNELS
            and pipeline.in_scope(user, t.who, region_id)]


def _form_refusal(form) -> Refusal:
    """The first field error of a form the API fed, as a 422 refusal naming the field."""
    for name, errors in form.errors.items():
        if errors:
            message = errors[0] if not isinstance(errors[0], dict) else next(
                iter(errors[0].values()))[0]
            return Refusal(message, code="invalid", field=name)
    return Refusal(_l("Some data are missing or not valid."), code="invalid")


def _feed(form_class, data: MultiDict, **kwargs):
    """A page's form, filled with the API's data (no CSRF: the token is the credential)."""
    return form_class(formdata=data, meta={"csrf": False}, **kwargs)


# --- Reference data. ---------------------------------------------------------------------------


def regions() -> list[dict]:
    rows = db.session.scalars(scoped(select(Region), None).order_by(Region.sort_order, Region.id))
    return [{"id": r.id, "iso_code": r.iso_code, "kind": r.kind,
             "name": {"kk": r.name_kk, "ru": r.name_ru, "en": r.name_en}} for r in rows]


def _region_id(code: str | None) -> int | None:
    if not code:
        return None
    region_id = db.session.scalar(select(Region.id).where(Region.iso_code == code))
    if region_id is None:
        raise not_found()
    return region_id


def association_json(a: Association) -> dict:
    return {"id": a.id, "name": a.name, "level": a.level, "kind": a.kind,
            "region": a.region.iso_code if a.region else None, "bin": a.bin,
            "active": a.active}


def associations(user, text: str | None, include_inactive: bool) -> list[dict]:
    return [association_json(a) for a in associations_service.list_associations(
        user, text=text, include_inactive=include_inactive)]


def create_association(user, body) -> dict:
    national = user.role == Role.SECRETARIAT
    region_id = _region_id(body.region) if body.region else None
    data = MultiDict({"name": body.name, "kind": body.kind, "bin": body.bin or ""})
    if national:
        data.update({"level": body.level or AssociationLevel.REGIONAL,
                     "region_id": str(region_id or 0)})
    regions_list = list(db.session.scalars(select(Region).order_by(Region.sort_order)))
    form = _feed(AssociationForm, data, regions=regions_list, national=national)
    if not form.validate():
        raise _form_refusal(form)
    fields = {"name": form.name.data, "kind": form.kind.data, "bin": form.bin.data}
    if national:
        fields.update(level=form.level.data, region_id=form.region_id.data or None)
    created = associations_service.create(user, fields)
    return association_json(db.session.get(Association, created.id))


# --- Nominations. --------------------------------------------------------------------------------


@cache
def _summary_query():
    """Built once: this is the hot path of every API read (see bench/read_one.py)."""
    residence = aliased(Region)
    stmt = (
        select(
            Nomination.id, Nomination.reference_code, Nomination.status.label("state"),
            Nomination.route,
            Nomination.region_id, Nomination.status_changed_at, Nomination.version,
            Nomination.nominating_body, Region.iso_code, Region.name_kk, Region.name_ru,
            Region.name_en, Association.name.label("association"), Candidate.surname,
            Candidate.given_name, Candidate.patronymic, Candidate.birth_date, Candidate.sex,
            Candidate.iin, residence.iso_code.label("residence"),
        )
        .join(Region, Region.id == Nomination.region_id)
        .join(Candidate, Candidate.id == Nomination.candidate_id)
        .join(residence, residence.id == Candidate.region_id)
        .outerjoin(Association, Association.id == Nomination.association_id)
        .where(Nomination.id == bindparam("nomination_id"))
    )
    return stmt


def nomination_summary(user, nomination_id: int) -> dict | None:
    """One nomination as the API shows it, within ``user``'s scope; None when out of scope."""
    stmt = scoped(_summary_query(), user, Nomination)
    row = db.session.execute(stmt, {"nomination_id": nomination_id}).one_or_none()
    if row is None:
        return None
    state = State(row.state)
    return {
        "id": row.id,
        "reference_code": row.reference_code,
        "status": state.value,
        "status_label": str(STATE_LABELS[state]),
        "status_since": row.status_changed_at.isoformat(),
        "version": row.version,
        "route": row.route,
        "region": {"iso_code": row.iso_code, "name": {"kk": row.name_kk, "ru": row.name_ru,
                                                      "en": row.name_en}},
        "nominated_by": row.association or row.nominating_body,
        "candidate": {
            "name": " ".join(p for p in (row.surname, row.given_name, row.patronymic) if p),
            "birth_date": row.birth_date.isoformat(),
            "sex": row.sex,
            # Those who may see the nomination at all (the scope above) are those whose work
            # needs the whole IIN: its region's coordinators and the Secretariat.
            "iin": row.iin,
            "region": row.residence,
        },
        # What the nomination's page offers this user now (its buttons and forms), with the
        # channel and data each takes; the guards are checked when it is fired.
        "actions": api_actions(user, state, row.region_id),
    }


def visible_nomination(user, nomination_id: int) -> Nomination | None:
    return visible(user, Nomination, nomination_id)


def nomination_page(user, query) -> dict:
    """One page of the list, as the list page reads it (its scope, filters and keyset)."""
    if query.association is not None:
        nominations_service.check_filters(user, association_id=query.association,
                                          session_id=None)
    region_id = _region_id(query.region)
    if region_id is not None and user.role == Role.COORDINATOR and region_id != user.region_id:
        raise not_found()
    page = nominations_service.list_nominations(
        user, sort=query.sort, limit=query.limit, after=query.after, state=query.state,
        association_id=query.association, region_id=region_id, route=query.route,
        updated_since=query.updated_since, rows_only=True)
    return {"items": [{
        "id": n.id, "reference_code": n.reference_code, "status": n.status.value,
        "route": n.route, "region": n.region.iso_code, "association_id": n.association_id,
        "candidate_name": n.candidate.full_name, "iin": mask(n.candidate.iin),
        "created_at": n.created_at.isoformat(), "updated_at": n.updated_at.isoformat(),
        "status_since": n.status_changed_at.isoformat(), "version": n.version,
    } for n in page.items], "next": page.next_after}


def create_nomination(user, form_data, files) -> int:
    """Enter a nomination as the coordinator's form does: the same form checks the person and
    the documents, the same service writes everything in one transaction."""
    data = MultiDict(form_data)
    submit = (data.pop("submit", "") or "").lower() in ("true", "1", "on", "yes")
    if submit:
        data["save_submit"] = "y"
    if (data.get("namesake_checked") or "").lower() not in ("true", "1", "on", "yes"):
        data.pop("namesake_checked", None)
    merged = MultiDict(data)
    for name, file in files.items(multi=True):
        merged.add(name, file)
    form = _feed(NominationForm, merged, associations=nominations_service.associations_for(user))
    if not form.validate():
        raise _form_refusal(form)
    if not form.namesake_checked.data and candidates.namesakes(
            form.iin.data, form.surname.data, form.given_name.data, form.birth_date.data):
        raise Refusal(_l("Another person with the same name and date of birth is known. If "
                         "this is another person, with another IIN, send "
                         "namesake_checked=true."), code="namesake", field="namesake_checked",
                      status=409)
    nomination = nominations_service.create_nomination(
        user, form.person(), form.nomination(), form.files(), submit=form.submitting)
    return nomination.id


def fire(user, nomination_id: int, action: str, *, data: dict, comment: str,
         expected_version: int | None) -> dict:
    """Fire ``action`` as the nomination's page does (``nominations.services.fire`` →
    ``pipeline.apply``), through the channel the page uses for it."""
    event = nominations_service.fire(user, nomination_id, action, channel=channel_for(action),
                                     comment=comment, data=data, version=expected_version)
    nomination = db.session.get(Nomination, nomination_id)
    return {"id": nomination.id, "status": nomination.status.value,
            "version": nomination.version, "event_id": event.id}


def event_json(event: AuditEvent, reference_code: str | None = None) -> dict:
    said = describe(event)
    return {"id": event.id, "cursor": str(event.seq) if event.seq is not None else None,
            "nomination_id": event.nomination_id, "reference_code": reference_code,
            "action": event.action, "from_status": event.from_status,
            "to_status": event.to_status, "at": event.created_at.isoformat(),
            "actor_role": event.actor_role, "via": event.via, "comment": event.comment or "",
            "data": event.data or {}, "title": str(said.title)}


def nomination_events(user, nomination_id: int) -> list[dict]:
    nomination = visible_nomination(user, nomination_id)
    if nomination is None:
        raise not_found()
    return [event_json(e, nomination.reference_code)
            for e in nominations_service.timeline(nomination)]


def document_of(user, nomination_id: int, document_id: int):
    document = documents.get_for(user, document_id)
    if document is None or document.nomination_id != nomination_id:
        raise not_found()
    path = documents.storage_path(document)
    if not path.exists():
        raise not_found()
    return document, path


# --- The changes feed. ----------------------------------------------------------------------------


def _decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        value = int(cursor)
    except ValueError:
        raise Refusal(_l("This cursor is not one Tizim gave."), field="after") from None
    if not 0 <= value <= 2**31 - 1:
        raise Refusal(_l("This cursor is not one Tizim gave."), field="after")
    return value


def feed(user, after: str | None, limit: int) -> dict:
    """Transitions of the nominations ``user`` may see, in the order of the audit chain.

    The cursor is the event's place in the chain (``seq``), given at commit under the chain's
    lock: a later place is a later commit, so a follower asking ``after`` its last place never
    misses an event committed after it asked.
    """
    start = _decode_cursor(after)
    stmt = (scoped(select(AuditEvent, Nomination.reference_code)
                   .join(Nomination, Nomination.id == AuditEvent.nomination_id), user, Nomination)
            .where(AuditEvent.entity_type == "nomination", AuditEvent.to_status.is_not(None),
                   AuditEvent.seq.is_not(None), AuditEvent.seq > start)
            .order_by(AuditEvent.seq).limit(limit))
    rows = db.session.execute(stmt).all()
    items = [event_json(event, code) for event, code in rows]
    return {"items": items, "next": items[-1]["cursor"] if items else (after or None)}


# --- Sessions. -------------------------------------------------------------------------------------


def visible_session(user, session_id: int):
    return visible(user, RegionalSession, session_id)


def session_json(session: RegionalSession) -> dict:
    items = session.items  # in agenda order; a list reads them with its sessions (sessions())
    return {
        "id": session.id, "region": session.region.iso_code, "number": session.number,
        "held_on": session.held_on.isoformat(), "place": session.place,
        "members_total": session.members_total, "members_present": session.members_present,
        "no_quorum": bool(session.no_quorum), "quorum": session.quorum,
        "majority": session.majority, "status": session.status,
        "items": [{"item_id": i.id, "position": i.position, "nomination_id": i.nomination_id,
                   "reference_code": i.nomination.reference_code, "votes_for": i.votes_for,
                   "votes_against": i.votes_against, "votes_abstain": i.votes_abstain,
                   "deferred": i.deferred, "outcome": i.outcome,
                   "recusal": {"count": i.recused, "names": i.recusal_names,
                               "reason": i.recusal_reason, "note": i.recusal_note}
                   if i.recused else None} for i in items],
    }


def sessions(user) -> list[dict]:
    return [session_json(s) for s in sessions_service.list_sessions(
        user, options=(selectinload(RegionalSession.items).joinedload(SessionItem.nomination),))]


def plan_session(user, body) -> dict:
    data = MultiDict({k: ("" if v is None else str(v)) for k, v in body.model_dump().items()})
    form = _feed(PlanForm, data)
    if not form.validate():
        raise _form_refusal(form)
    session = sessions_service.plan_session(user, {
        "number": form.number.data, "held_on": form.held_on.data, "place": form.place.data,
        "members_total": form.members_total.data, "quorum": form.quorum.data,
        "majority": form.majority.data, "rule_override_reason": form.rule_override_reason.data})
    return session_json(db.session.get(RegionalSession, session.id))


def _recusal(given) -> Recusal:
    """An item's recusal as the session page builds it from its row; ``record`` checks it."""
    if given is None:
        return Recusal()
    return Recusal(given.count, given.names or "", given.reason or "", given.note or "")


def record_decisions(user, session_id: int, body) -> dict:
    votes = {item.item_id: sessions_service.Votes(
        votes_for=item.votes_for, votes_against=item.votes_against,
        votes_abstain=item.votes_abstain, deferred=item.deferred, reason=item.reason,
        recusal=_recusal(item.recusal))
        for item in body.items}
    session = sessions_service.record(user, session_id, body.members_present, votes)
    return session_json(db.session.get(RegionalSession, session.id))


def record_no_quorum(user, session_id: int, body) -> dict:
    """The session page's "No quorum": every open item deferred for that reason."""
    session = sessions_service.record_no_quorum(user, session_id, body.members_present)
    return session_json(db.session.get(RegionalSession, session.id))


# --- Members. ---------------------------------------------------------------------------------------


def member_json(m: Membership) -> dict:
    return {"id": m.id, "member_number": m.member_number, "name": m.candidate.full_name,
            "region": m.region.iso_code, "status": m.status,
            "started_on": m.started_on.isoformat(),
            "ended_on": m.ended_on.isoformat() if m.ended_on else None,
            "nomination_id": m.nomination_id}


def members(user, after: int | None, limit: int) -> dict:
    stmt = (scoped(select(Membership), user, Membership)
            .options(joinedload(Membership.candidate), joinedload(Membership.region))
            .where(Membership.id > (after or 0)).order_by(Membership.id).limit(limit + 1))
    rows = list(db.session.scalars(stmt))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [member_json(m) for m in rows],
            "next": str(rows[-1].id) if more and rows else None}


def member(user, membership_id: int) -> dict | None:
    m = members_service.get_membership(user, membership_id)
    return member_json(m) if m is not None else None


# --- The public status check. -------------------------------------------------------------------


def check_status(code: str, birth_date) -> dict:
    """The /status page's answer, from its own service: the same for every miss."""
    result = public_service.check_status(code, birth_date)
    if result is None:
        return {"found": False}
    return {"found": True, "stage": str(result.stage), "since": result.since.isoformat(),
            "next_step": str(result.next_step)}
