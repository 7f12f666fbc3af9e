"""The one home of the person: finding a candidate by IIN, creating one, changing one.

A person's record is shared by every nomination and membership of that person, so it is
changed only by someone whose scope holds every open nomination and every membership of that
person: the Secretariat always, a coordinator only when all of them are in their region.
Anyone else is refused with a message that says nothing about where the person is known,
and names the Secretariat as the place to ask. Every change is an audit event naming the
fields that changed (never their values).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from workflow import audit
from workflow.domain import ConsentForm, Role, body_text
from workflow.extensions import db
from workflow.iin import normalize
from workflow.models import Candidate, Membership, Nomination
from workflow.permissions import NATIONAL_ROLES
from workflow.pipeline import FINAL_STATES
from workflow.refusal import Refusal

# The person's fields an entry form carries (the IIN is the key, not a field to change).
PERSON_FIELDS = ("surname", "given_name", "patronymic", "birth_date", "sex", "citizenship",
                 "ethnicity", "occupation", "position", "phone", "email",
                 "consent_given_on", "consent_form", "consent_scope", "language")
# The languages a nominee is written to in (their e-mails, the consent text).
NOMINEE_LANGUAGES = ("kk", "ru")
# Optional text kept as "" rather than NULL (the columns are NOT NULL).
EMPTY_AS_TEXT = frozenset({"occupation", "position"})
FINAL = FINAL_STATES  # a nomination that is over (the pipeline's table says which)

KEPT_ELSEWHERE = body_text(
    "A person with this IIN is already registered in Tizim, and their record cannot be "
    "changed from your region. Ask the Secretariat of %(body_short)s: it keeps the records of "
    "people nominated or serving elsewhere.")


def find(iin: str) -> Candidate | None:
    """The person with this IIN, whoever may see them (callers decide what to reveal)."""
    return db.session.scalar(select(Candidate).where(Candidate.iin == normalize(iin)))


def can_change(actor, candidate: Candidate) -> bool:
    """Whether ``actor``'s scope holds every open nomination and every membership of the
    person (closed nominations elsewhere are history, not a claim on the record)."""
    role = getattr(actor, "role", None)
    if role in NATIONAL_ROLES or role == Role.SYSTEM:
        return True
    if role != Role.COORDINATOR or candidate.id is None:
        return role == Role.COORDINATOR
    elsewhere = db.session.scalar(select(func.count()).where(
        Nomination.candidate_id == candidate.id, Nomination.region_id != actor.region_id,
        Nomination.status.not_in([s.value for s in FINAL])))
    if elsewhere:
        return False
    member_elsewhere = db.session.scalar(select(func.count()).where(
        Membership.candidate_id == candidate.id, Membership.region_id != actor.region_id))
    return not member_elsewhere


def take(actor, fields: Mapping, *, region_id: int,
         nomination: Nomination | None = None) -> Candidate:
    """The person ``fields`` describe, found by IIN and brought up to date, or created.

    Inside the caller's transaction; the change is audited.

    :raise Refusal: the person's record is kept elsewhere (``person_kept_elsewhere``).
    """
    iin = normalize(fields["iin"])
    candidate = find(iin)
    if candidate is None:
        candidate = Candidate(iin=iin, region_id=region_id)
        _set(candidate, fields)
        db.session.add(candidate)
        db.session.flush()
        audit.record(candidate, "create", actor=actor, changes=["iin", *changed(candidate)],
                     nomination=nomination)
        return candidate
    update(actor, candidate, fields, region_id=region_id, nomination=nomination)
    return candidate


def update(actor, candidate: Candidate, fields: Mapping, *, region_id: int | None = None,
           nomination: Nomination | None = None) -> list[str]:
    """Change the person's record to ``fields``; return the names of the fields changed.

    :raise Refusal: ``actor`` may not change this person's record.
    """
    if not can_change(actor, candidate):
        raise Refusal(KEPT_ELSEWHERE, code="person_kept_elsewhere", field="iin", status=409)
    _set(candidate, fields)
    if region_id is not None:
        candidate.region_id = region_id
    fields_changed = audit.changed_fields(candidate)
    if fields_changed:
        audit.record(candidate, "update", actor=actor, changes=fields_changed,
                     nomination=nomination)
    return fields_changed


def changed(candidate: Candidate) -> list[str]:
    return [name for name in PERSON_FIELDS if getattr(candidate, name) not in (None, "")]


def _set(candidate: Candidate, fields: Mapping) -> None:
    for name in PERSON_FIELDS:
        if name not in fields:
            continue
        value = fields[name]
        if isinstance(value, str):
            value = value.strip()
        if name == "language":
            value = value if value in NOMINEE_LANGUAGES else NOMINEE_LANGUAGES[0]
        setattr(candidate, name, value or ("" if name in EMPTY_AS_TEXT else None))


def namesakes(iin: str, surname: str, given_name: str, birth_date: date | None) -> int:
    """How many other people (another IIN) share this name and date of birth."""
    if not (surname and given_name and birth_date):
        return 0
    return db.session.scalar(select(func.count()).where(
        Candidate.surname == surname.strip(), Candidate.given_name == given_name.strip(),
        Candidate.birth_date == birth_date, Candidate.iin != normalize(iin))) or 0


ELECTRONIC_FIELDS = ["consent_given_on", "consent_form", "consent_scope", "consent_given_at",
                     "consent_token_id", "consent_text_version", "consent_text_hash",
                     "consent_language", "consent_ip"]


def give_consent_electronically(candidate: Candidate, *, given_at: datetime, given_on: date,
                                token_id: int, text: str, text_version: str, text_hash: str,
                                language: str, ip: str | None,
                                nomination: Nomination | None = None) -> Candidate:
    """Record the person's own consent, given through the single-use link ``token_id`` after
    reading ``text`` (its version and sha256 kept), in the caller's transaction; audited as
    ``consent_given``. The person acts for themselves: no scope to check."""
    candidate.consent_given_on = given_on
    candidate.consent_form = ConsentForm.ELECTRONIC
    candidate.consent_scope = text
    candidate.consent_given_at = given_at
    candidate.consent_token_id = token_id
    candidate.consent_text_version = text_version
    candidate.consent_text_hash = text_hash
    candidate.consent_language = language
    candidate.consent_ip = (ip or "")[:45] or None
    audit.record(candidate, "consent_given", changes=ELECTRONIC_FIELDS, nomination=nomination,
                 data={"form": ConsentForm.ELECTRONIC.value, "through": "link",
                       "text_version": text_version, "text_sha256": text_hash,
                       "language": language})
    return candidate


ALREADY_WITHDRAWN = _l("This person's withdrawal of consent is already recorded.")


def withdraw_consent(actor, candidate: Candidate, *, withdrawn_on: date, document) -> Candidate:
    """Record the candidate's withdrawal of consent with its signed document, and withdraw
    every open nomination of theirs through the pipeline (channel ``consent_withdrawal``).

    Inside the caller's transaction. An active membership goes on (it rests on the Law on
    the Assembly, not on consent): the Secretariat ends it if the member so asks.

    :raise Refusal: already withdrawn; the person is kept elsewhere; a nomination the actor
        may not withdraw; the document is not acceptable.
    """
    from workflow import pipeline
    from workflow.documents.services import store
    from workflow.domain import DocumentKind

    if candidate.consent_withdrawn_on is not None:
        raise Refusal(ALREADY_WITHDRAWN, code="wrong_state", status=409)
    if not can_change(actor, candidate):
        raise Refusal(KEPT_ELSEWHERE, code="person_kept_elsewhere", status=409)
    open_nominations = list(db.session.scalars(
        select(Nomination).where(Nomination.candidate_id == candidate.id,
                                 Nomination.status.not_in([s.value for s in FINAL]))
        .order_by(Nomination.id)))
    content = document.stream.read()

    def keep(nomination: Nomination | None):
        # Each nomination keeps the withdrawal among its own documents (its region's scope).
        upload = FileStorage(stream=io.BytesIO(content), filename=document.filename,
                             content_type=document.content_type)
        return store(upload, DocumentKind.WITHDRAWAL,
                     nomination_id=nomination.id if nomination else None,
                     region_id=None if nomination else candidate.region_id,
                     uploaded_by_id=getattr(actor, "id", None))

    documents = {n.id: keep(n) for n in open_nominations}
    on_file = next(iter(documents.values()), None) or keep(None)
    candidate.consent_withdrawn_on = withdrawn_on
    candidate.consent_withdrawal_document_id = on_file.id
    audit.record(candidate, "consent_withdrawn", actor=actor,
                 changes=["consent_withdrawn_on", "consent_withdrawal_document_id"],
                 data={"withdrawn_on": withdrawn_on, "document_id": on_file.id,
                       "nominations_withdrawn": sorted(documents)})
    for nomination in open_nominations:
        pipeline.apply(nomination, "withdraw_consent", actor,
                       channel=pipeline.Channel.CONSENT_WITHDRAWAL,
                       data={"withdrawn_on": withdrawn_on,
                             "document_id": documents[nomination.id].id})
    return candidate
