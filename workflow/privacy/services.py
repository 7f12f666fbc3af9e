"""Personal data kept only as long as its purpose lasts (Law of 21 May 2013 No. 94-V).

- **When.** A person's data reach their end when nothing of theirs is open — no nomination in
  progress, no active membership — and the retention period of the latest outcome has run out
  (``RETENTION_DAYS``: declined, withdrawn and rejected nominations after one period, ended
  memberships after another). A withdrawal of consent shortens it to
  ``RETENTION_CONSENT_WITHDRAWN_DAYS`` after the later of the withdrawal and the last outcome.
- **What.** ``erase`` anonymises the person's row (name, IIN, birth date, contacts, consent,
  everything but the id and the region), empties the nominations' justifications, deletes
  their documents and the person's own papers (acknowledgement, certificate) with their files,
  anonymises the member's account, blanks the e-mail addresses deliveries were sent to, and
  erases the comments of the audit events about them (``audit.erase_comments``: the chain
  still verifies). The nominations, memberships and audit events stay: what happened, without
  who. The bodies' own papers (agendas, protocols, minutes, orders) are their archive and stay.
- **The record.** Each destruction writes a ``DestructionRecord`` (what, when, on which ground,
  never whose) and an ``erase`` audit event on the person's row, in the same transaction.

``destroy_due`` is the daily job (``tasks.privacy.destroy_personal_data``): one transaction
per person, so a failure stays with that person and the next day tries again.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, or_, select, update

from workflow import audit, bodies, pipeline
from workflow.candidates.services import FINAL
from workflow.database import transaction
from workflow.documents.services import discard, paper_path, remove_after_commit
from workflow.domain import SYSTEM, MembershipStatus, State
from workflow.extensions import db
from workflow.models import (
    AccountToken,
    AuditEvent,
    Candidate,
    DestructionGround,
    DestructionRecord,
    Document,
    EmailDelivery,
    IssuedPaper,
    Membership,
    Nomination,
    PaperKind,
    User,
    utcnow,
)
from workflow.validators import day_of

log = logging.getLogger(__name__)

GROUND_LABELS = {
    DestructionGround.CONSENT_WITHDRAWN: _l("The candidate withdrew consent"),
    DestructionGround.NOMINATION_CLOSED: _l("The nomination ended (declined, withdrawn or "
                                            "rejected) and its retention period ran out"),
    DestructionGround.MEMBERSHIP_ENDED: _l("The membership ended and its retention period ran "
                                           "out"),
}
OUTCOME_LABELS = {
    "declined_regionally": _l("Not supported by the regional session"),
    "council_declined": _l("Declined by the Council"),
    "rejected": _l("Rejected by the Chairman"),
    "withdrawn": _l("Withdrawn"),
    "membership_ended": _l("Membership ended"),
    "consent_withdrawn": _l("Consent withdrawn"),
}
DESTROYED_LABELS = {
    "nominations": _l("Nominations made anonymous"),
    "memberships": _l("Memberships made anonymous"),
    "documents": _l("Documents deleted, with their files"),
    "papers": _l("The person's papers deleted (acknowledgement, certificate)"),
    "accounts": _l("Member accounts made anonymous"),
    "email_addresses": _l("E-mail addresses erased from the mail log"),
    "comments_erased": _l("Comments erased from the audit trail"),
    "comments_kept": _l("Comments kept (written before erasable comments)"),
}

CLOSED = tuple(s.value for s in FINAL if s != State.MEMBER)
# What a destroyed person's row holds instead (the columns are NOT NULL).
ERASED_BIRTH_DATE = date(1900, 1, 1)
ERASED_FIELDS = ("iin", "surname", "given_name", "patronymic", "birth_date", "sex",
                 "citizenship", "ethnicity", "occupation", "position", "phone", "email",
                 "consent_given_on", "consent_form", "consent_scope", "consent_withdrawn_on",
                 "consent_withdrawal_document_id", "consent_given_at", "consent_token_id",
                 "consent_text_version", "consent_text_hash", "consent_language", "consent_ip")


@dataclass(frozen=True)
class Due:
    """Why and since when a person's data may be destroyed."""

    ground: str  # DestructionGround
    outcome: str  # the state (or "membership_ended", "consent_withdrawn") the period runs from
    ended_on: date
    retention_days: int
    due_on: date


def retention_table() -> list[tuple[str, int]]:
    """The configured periods, as the Secretariat's page shows them."""
    return [(str(OUTCOME_LABELS.get(k, k)), int(v))
            for k, v in current_app.config["RETENTION_DAYS"].items()]


def retention_days(outcome: str) -> int:
    return int(current_app.config["RETENTION_DAYS"][outcome])


def due(candidate: Candidate) -> Due | None:
    """When ``candidate``'s data reach their end, or None while anything of theirs is open."""
    nominations = db.session.execute(
        select(Nomination.status, Nomination.status_changed_at)
        .where(Nomination.candidate_id == candidate.id)).all()
    if any(status not in FINAL for status, _ in nominations):
        return None
    memberships = db.session.execute(
        select(Membership.status, Membership.ended_on)
        .where(Membership.candidate_id == candidate.id)).all()
    if any(status != MembershipStatus.ENDED or ended is None for status, ended in memberships):
        return None
    # A nomination ended on the day the Assembly's calendar says (not the UTC date).
    endings = [(status, day_of(changed)) for status, changed in nominations if status in CLOSED]
    endings += [("membership_ended", ended) for _, ended in memberships]
    if not endings:
        return None
    candidates = [
        Due(DestructionGround.MEMBERSHIP_ENDED if outcome == "membership_ended"
            else DestructionGround.NOMINATION_CLOSED, outcome, ended, retention_days(outcome),
            ended + timedelta(days=retention_days(outcome)))
        for outcome, ended in endings]
    latest = max(candidates, key=lambda d: (d.due_on, d.ended_on))
    if not pipeline.consent_in_force(candidate):
        since = max(candidate.consent_withdrawn_on, max(e for _, e in endings))
        days = retention_days("consent_withdrawn")
        withdrawn = Due(DestructionGround.CONSENT_WITHDRAWN, "consent_withdrawn", since, days,
                        since + timedelta(days=days))
        if withdrawn.due_on < latest.due_on:
            return withdrawn
    return latest


def waiting() -> list[int]:
    """The people nothing of whose is open any more, not yet destroyed (ids)."""
    open_nomination = exists().where(Nomination.candidate_id == Candidate.id,
                                     Nomination.status.not_in(CLOSED + (State.MEMBER.value,)))
    active = exists().where(Membership.candidate_id == Candidate.id,
                            Membership.status != MembershipStatus.ENDED)
    any_nomination = exists().where(Nomination.candidate_id == Candidate.id)
    return list(db.session.scalars(
        select(Candidate.id).where(Candidate.erased_at.is_(None), any_nomination,
                                   ~open_nomination, ~active).order_by(Candidate.id)))


def destroy_due(today: date | None = None) -> int:
    """Destroy every person whose data have reached their end by ``today``; return how many.

    One transaction per person: a failure is logged and left for the next run.
    """
    from workflow.validators import today as local_today

    today = today or local_today()
    done = 0
    for candidate_id in waiting():
        try:
            with transaction(actor=SYSTEM):
                candidate = db.session.get(Candidate, candidate_id, with_for_update=True)
                when = due(candidate) if candidate and candidate.erased_at is None else None
                if when is None or when.due_on > today:
                    continue
                erase(candidate, when)
                done += 1
        except Exception:
            log.exception("personal data of candidate %s could not be destroyed", candidate_id)
    return done


def erase(candidate: Candidate, when: Due, *, actor=SYSTEM) -> DestructionRecord:
    """Destroy the person's data in the caller's transaction and record it (see the module)."""
    nomination_ids = list(db.session.scalars(
        select(Nomination.id).where(Nomination.candidate_id == candidate.id)))
    memberships = list(db.session.scalars(
        select(Membership).where(Membership.candidate_id == candidate.id)))
    membership_ids = [m.id for m in memberships]
    user_ids = [m.user_id for m in memberships if m.user_id is not None]
    addresses = {a.lower() for a in [candidate.email, *db.session.scalars(
        select(User.email).where(User.id.in_(user_ids)))] if a}

    # Rows that point at the documents first, then the documents and their files.
    own_documents = [candidate.consent_withdrawal_document_id] if (
        candidate.consent_withdrawal_document_id) else []
    candidate.consent_withdrawal_document_id = None
    for membership in memberships:
        membership.end_document_id = None
        membership.end_comment = None
        membership.user_id = None
    for nomination in db.session.scalars(select(Nomination).where(
            Nomination.id.in_(nomination_ids))):
        nomination.justification = ""
        audit.record(nomination, audit.ERASE, actor=actor, changes=["justification"],
                     data={"ground": when.ground})
    db.session.flush()
    documents = list(db.session.scalars(select(Document).where(
        or_(Document.nomination_id.in_(nomination_ids),
            Document.id.in_(own_documents)))))
    for document in documents:
        discard(document)
    papers = list(db.session.scalars(select(IssuedPaper).where(or_(
        (IssuedPaper.kind == PaperKind.CERTIFICATE) & IssuedPaper.subject_id.in_(membership_ids),
        (IssuedPaper.kind == PaperKind.ACKNOWLEDGEMENT)
        & IssuedPaper.subject_id.in_(nomination_ids)))))
    for paper in papers:
        if paper.storage_key:
            remove_after_commit(paper_path(paper.storage_key))
        db.session.delete(paper)

    for user in db.session.scalars(select(User).where(User.id.in_(user_ids))):
        user.email = f"erased-{user.id}@erased.invalid"
        user.name = ""
        user.password_hash = None
        user.active = False
        user.language = None
        user.session_token = secrets.token_hex(16)
    if user_ids:
        db.session.execute(delete(AccountToken).where(AccountToken.user_id.in_(user_ids)))
    # The consent links sent to the person (they name the address they went to).
    db.session.execute(delete(AccountToken).where(AccountToken.candidate_id == candidate.id))
    deliveries = 0
    if addresses:
        deliveries = db.session.execute(
            update(EmailDelivery).where(EmailDelivery.recipient.in_(sorted(addresses)))
            .values(recipient="", error=None).execution_options(synchronize_session=False)
        ).rowcount

    events = db.session.scalars(select(AuditEvent.id).where(or_(
        AuditEvent.nomination_id.in_(nomination_ids),
        (AuditEvent.entity_type == "candidate") & (AuditEvent.entity_id == candidate.id),
        (AuditEvent.entity_type == "membership") & AuditEvent.entity_id.in_(membership_ids),
        (AuditEvent.entity_type == "user") & AuditEvent.entity_id.in_(user_ids))))
    erased, kept = audit.erase_comments(list(events))

    candidate.iin = f"X{candidate.id:011d}"
    candidate.surname = candidate.given_name = ""
    candidate.patronymic = None
    candidate.birth_date = ERASED_BIRTH_DATE
    candidate.sex = candidate.citizenship = candidate.ethnicity = ""
    candidate.occupation = candidate.position = ""
    candidate.phone = candidate.email = None
    candidate.consent_given_on = candidate.consent_form = candidate.consent_scope = None
    candidate.consent_withdrawn_on = None
    candidate.consent_given_at = candidate.consent_token_id = candidate.consent_ip = None
    candidate.consent_text_version = candidate.consent_text_hash = None
    candidate.consent_language = None
    candidate.erased_at = utcnow()
    destroyed = {"person": list(ERASED_FIELDS), "nominations": len(nomination_ids),
                 "memberships": len(membership_ids), "documents": len(documents),
                 "papers": len(papers), "accounts": len(user_ids),
                 "email_addresses": deliveries, "comments_erased": len(erased),
                 "comments_kept": len(kept)}
    record = DestructionRecord(candidate_id=candidate.id, region_id=candidate.region_id,
                               ground=when.ground, outcome=when.outcome, ended_on=when.ended_on,
                               retention_days=when.retention_days, due_on=when.due_on,
                               destroyed=destroyed, destroyed_at=candidate.erased_at,
                               destroyed_by_id=getattr(actor, "id", None))
    db.session.add(record)
    db.session.flush()
    audit.record(candidate, audit.ERASE, actor=actor, changes=[*ERASED_FIELDS, "erased_at"],
                 data={"ground": when.ground, "outcome": when.outcome,
                       "due_on": when.due_on, "destruction_id": record.id,
                       "comments_erased": erased})
    return record


def person(user, candidate_id: int) -> Candidate | None:
    """The person, if ``user`` may see them (the one scope); None otherwise."""
    from workflow.permissions import visible

    return visible(user, Candidate, candidate_id)


def record_withdrawal(user, candidate_id: int, *, withdrawn_on: date, document) -> Candidate:
    """Record a candidate's withdrawal of consent with its document, in one transaction; it
    withdraws their open nominations (``candidates.services.withdraw_consent``).

    :raise Refusal: see ``withdraw_consent``; the person is not in the user's scope (404).
    """
    from workflow.candidates.services import withdraw_consent
    from workflow.refusal import not_found

    with transaction(actor=user):
        candidate = person(user, candidate_id)
        if candidate is None or candidate.erased_at is not None:
            raise not_found(_l("This person is not in Tizim, or not in your area of work."))
        return withdraw_consent(user, candidate, withdrawn_on=withdrawn_on, document=document)


def records(limit: int = 500) -> list[DestructionRecord]:
    """The destruction records, newest first (the Secretariat's page)."""
    return list(db.session.scalars(select(DestructionRecord)
                                   .order_by(DestructionRecord.id.desc()).limit(limit)))


# --- What Tizim holds about one person (the subject-access export). -------------------------


def find_person(iin: str) -> Candidate | None:
    """The person with this IIN (the one lookup, ``candidates.services.find``)."""
    from workflow.candidates.services import find

    return find(iin)


def subject_access(candidate: Candidate) -> dict:
    """Everything Tizim holds about one person, as plain data (JSON, and the PDF's content).

    Dates are ISO text; events are said in the current locale (``workflow.events``).
    """
    from workflow.events import action_label, describe

    person = {name: _plain(getattr(candidate, name)) for name in (
        "iin", "surname", "given_name", "patronymic", "birth_date", "sex", "citizenship",
        "ethnicity", "occupation", "position", "phone", "email")}
    person["region"] = candidate.region.name if candidate.region else None
    person["recorded_at"] = _plain(candidate.created_at)
    person["erased_at"] = _plain(candidate.erased_at)
    consent = {name: _plain(getattr(candidate, name)) for name in (
        "consent_given_on", "consent_form", "consent_scope", "consent_withdrawn_on",
        "consent_given_at", "consent_text_version", "consent_text_hash", "consent_language",
        "consent_ip")}
    nominations = []
    nomination_rows = list(db.session.scalars(select(Nomination).where(
        Nomination.candidate_id == candidate.id).order_by(Nomination.id)))
    for n in nomination_rows:
        nominations.append({
            "reference_code": n.reference_code, "route": n.route,
            "region": n.region.name if n.region else None,
            "association": n.association.name if n.association else None,
            "nominating_body": n.nominating_body, "justification": n.justification,
            "status": n.status.value, "created_at": _plain(n.created_at),
            "status_changed_at": _plain(n.status_changed_at),
            "history": [_event(e, describe, action_label) for e in n.events],
            "documents": [_document(d) for d in db.session.scalars(
                select(Document).where(Document.nomination_id == n.id).order_by(Document.id))],
        })
    memberships = []
    for m in db.session.scalars(select(Membership).where(
            Membership.candidate_id == candidate.id).order_by(Membership.id)):
        memberships.append({
            "member_number": m.member_number, "status": m.status,
            "region": m.region.name if m.region else None,
            "started_on": _plain(m.started_on), "ended_on": _plain(m.ended_on),
            "end_ground": m.end_ground, "end_comment": m.end_comment,
            "account": ({"email": m.user.email, "name": m.user.name,
                         "language": m.user.language, "created_at": _plain(m.user.created_at),
                         "last_login_at": _plain(m.user.last_login_at)} if m.user else None),
        })
    record_events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "candidate", AuditEvent.entity_id == candidate.id)
        .order_by(AuditEvent.id))
    addresses = sorted({a for a in [candidate.email, *(m["account"]["email"] for m in memberships
                                                       if m["account"])] if a})
    emails = [{"to": d.recipient, "template": d.template, "status": d.status,
               "created_at": _plain(d.created_at), "sent_at": _plain(d.sent_at)}
              for d in db.session.scalars(select(EmailDelivery).where(
                  EmailDelivery.recipient.in_(addresses)).order_by(EmailDelivery.id))
              ] if addresses else []
    own_documents = [_document(d) for d in db.session.scalars(select(Document).where(
        Document.id == candidate.consent_withdrawal_document_id,
        Document.nomination_id.is_(None)))] if candidate.consent_withdrawal_document_id else []
    destructions = [{"id": r.id, "ground": r.ground, "destroyed_at": _plain(r.destroyed_at)}
                    for r in db.session.scalars(select(DestructionRecord).where(
                        DestructionRecord.candidate_id == candidate.id))]
    return {
        "operator": f"Secretariat of the {bodies.current().name.en}",
        "law": "Law of the Republic of Kazakhstan of 21 May 2013 No. 94-V",
        "exported_at": _plain(utcnow()),
        "person": person, "consent": consent, "documents": own_documents,
        "nominations": nominations,
        "memberships": memberships,
        "changes_to_the_record": [_event(e, describe, action_label) for e in record_events],
        "emails": emails, "destructions": destructions,
    }


def _event(event: AuditEvent, describe, action_label) -> dict:
    said = describe(event)
    return {"at": _plain(event.created_at), "action": event.action,
            "label": action_label(event.action), "title": said.title, "lines": said.lines,
            "reasons": said.reasons, "comment": event.comment, "by": event.actor_role,
            "via": event.via}


def _document(document: Document) -> dict:
    return {"kind": document.kind, "filename": document.filename,
            "content_type": document.content_type, "size": document.size,
            "sha256": document.sha256, "uploaded_at": _plain(document.created_at)}


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value
