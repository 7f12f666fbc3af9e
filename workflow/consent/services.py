"""The nominee's own consent, given electronically through a single-use link (Law No. 94-V).

The coordinator of a draft or returned nomination sends the request (``request``): a one-time
link of purpose ``consent`` — the same ``account_tokens`` as invitations and password resets,
naming the person instead of an account — and its e-mail in the nominee's language, through
the one e-mail path. The nominee opens ``/consent/<token>`` without logging in, reads the text
(``workflow.consent.text``) and gives consent (``give``): the link is spent and the person's
record (``candidates.services.give_consent_electronically``) keeps when, how, the text's
version and sha256, its language and the request's address, with an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from workflow import audit
from workflow.account import services as account
from workflow.candidates import services as candidates
from workflow.consent import text
from workflow.database import transaction
from workflow.domain import ConsentForm, Role, State
from workflow.extensions import db
from workflow.models import AccountToken, Candidate, Nomination, TokenPurpose, utcnow
from workflow.notifications.sent import mask_address
from workflow.permissions import visible
from workflow.pipeline import consent_in_force
from workflow.refusal import Refusal, not_found
from workflow.validators import today

# The nominations whose candidate may still be asked: the coordinator's own stages.
REQUESTABLE = (State.DRAFT, State.RETURNED)

NOT_NOW = _l("Consent can be requested only while the nomination is a draft or returned for "
             "correction.")
NO_EMAIL = _l("The candidate has no e-mail address: add one to the nomination first.")
ALREADY_GIVEN = _l("The candidate's consent is already recorded and in force.")


def request(actor, nomination_id: int) -> AccountToken:
    """Send the nominee the consent link by e-mail; a link sent before stops working.

    :raise Refusal: not in ``actor``'s scope (404); not a draft or returned (409); no e-mail
        (422); consent already in force (409); the person is kept elsewhere (409).
    """
    with transaction(actor=actor):
        nomination = visible(actor, Nomination, nomination_id)
        if nomination is None:
            raise not_found()
        if nomination.status not in REQUESTABLE:
            raise Refusal(NOT_NOW, code="wrong_state", status=409)
        candidate = nomination.candidate
        if not (candidate.email or "").strip():
            raise Refusal(NO_EMAIL, code="no_email", field="email", status=422)
        if consent_given(candidate):
            raise Refusal(ALREADY_GIVEN, code="consent_given", status=409)
        if not candidates.can_change(actor, candidate):
            raise Refusal(candidates.KEPT_ELSEWHERE, code="person_kept_elsewhere", status=409)
        token = account.issue_token(None, TokenPurpose.CONSENT, candidate=candidate,
                                   nomination_id=nomination.id)
        audit.record(candidate, "consent_requested", actor=actor, nomination=nomination,
                     data={"language": candidate.language})
    return token


def consent_given(candidate: Candidate) -> bool:
    return bool(candidate.consent_given_on and candidate.consent_form
                and consent_in_force(candidate))


def open_link(raw: str) -> AccountToken:
    """The consent link's token, still usable.

    :raise Refusal: unknown (404), used or superseded (410), expired (410).
    """
    return account.find_token(raw, TokenPurpose.CONSENT)


def give(raw: str, *, language: str, ip: str | None) -> Candidate:
    """Record the nominee's consent to the text of ``language`` through the link ``raw``.

    :raise Refusal: as ``open_link``; nothing is recorded.
    """
    language = language if language in text.LANGUAGES else text.LANGUAGES[0]
    with transaction():
        token = account.find_token(raw, TokenPurpose.CONSENT, lock=True)
        account.spend(token)
        candidate = token.candidate
        nomination = db.session.scalar(
            select(Nomination).where(Nomination.candidate_id == candidate.id,
                                     Nomination.status.in_([s.value for s in REQUESTABLE]))
            .order_by(Nomination.id.desc()).limit(1))
        candidates.give_consent_electronically(
            candidate, given_at=utcnow(), given_on=today(), token_id=token.id,
            text=text.plain(language), text_version=text.VERSION,
            text_hash=text.digest(language), language=language, ip=ip, nomination=nomination)
    return candidate


# --- What the coordinator sees. ----------------------------------------------------------------


@dataclass(frozen=True)
class ConsentState:
    """How the person's consent stands: ``link`` (given electronically through the link),
    a ``ConsentForm`` recorded by hand (``written``, ``electronic``), ``requested`` (a link
    sent, not used) or ``none``."""

    kind: str
    on: date | datetime | None = None
    sent_to: str | None = None


def state_of(candidate: Candidate) -> ConsentState:
    if consent_given(candidate):
        if (candidate.consent_token_id is not None
                and candidate.consent_form == ConsentForm.ELECTRONIC):
            token = db.session.get(AccountToken, candidate.consent_token_id)
            return ConsentState("link",
                                candidate.consent_given_at or candidate.consent_given_on,
                                mask_address(token.sent_to if token else None) or "—")
        return ConsentState(candidate.consent_form, candidate.consent_given_on)
    pending = db.session.scalar(
        select(AccountToken).where(AccountToken.candidate_id == candidate.id,
                                   AccountToken.purpose == TokenPurpose.CONSENT)
        .order_by(AccountToken.id.desc()).limit(1))
    if pending is not None:
        return ConsentState("requested", pending.created_at, mask_address(pending.sent_to) or "—")
    return ConsentState("none")


def can_request(user, nomination: Nomination) -> bool:
    """Whether the page offers the button (the service checks again)."""
    return (getattr(user, "role", None) == Role.COORDINATOR
            and nomination.status in REQUESTABLE
            and bool((nomination.candidate.email or "").strip())
            and not consent_given(nomination.candidate))
