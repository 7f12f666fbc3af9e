"""Read models for the JSON API: one query per call, plain dicts, no ORM objects."""

from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased

from workflow import pipeline
from workflow.domain import STATE_LABELS, Role, State
from workflow.extensions import db
from workflow.iin import mask
from workflow.models import Association, Candidate, Nomination, Region


@cache
def _summary_query(regional: bool):
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
    if regional:
        stmt = stmt.where(Nomination.region_id == bindparam("region_id"))
    return stmt


def nomination_summary(user, nomination_id: int) -> dict | None:
    """One nomination as the API shows it, within ``user``'s scope; None when out of scope."""
    if user.role not in (Role.COORDINATOR, Role.SECRETARIAT):
        return None
    regional = user.role == Role.COORDINATOR
    params = {"nomination_id": nomination_id}
    if regional:
        params["region_id"] = user.region_id
    row = db.session.execute(_summary_query(regional), params).one_or_none()
    if row is None:
        return None
    state = State(row.state)
    # The region's coordinator and the Secretariat see the whole IIN (their work needs it).
    whole_iin = user.role == Role.SECRETARIAT or user.region_id == row.region_id
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
            "iin": row.iin if whole_iin else mask(row.iin),
            "region": row.residence,
        },
        "actions": [
            t.action for t in pipeline.TRANSITIONS
            if state in t.sources and pipeline.in_scope(user, t.who, row.region_id)
        ],
    }
