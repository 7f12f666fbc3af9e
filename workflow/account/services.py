"""Member accounts: opened from the invitation link, passwords reset by e-mail, the profile.

A membership issued with a candidate e-mail opens an account (role member) without a
password and sends a one-time invitation link; the member sets the password there. The links
(invitation and reset) are one-time, expiring, and stored only as a hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from workflow.auth.services import set_password
from workflow.database import is_postgres, transaction
from workflow.domain import Role
from workflow.extensions import db
from workflow.mail import render
from workflow.models import AccountToken, Candidate, Membership, TokenPurpose, User, utcnow
from workflow.notifications.services import queue_email
from workflow.outbox import enqueue
from workflow.refusal import Refusal

log = logging.getLogger(__name__)

LIFETIME = {
    TokenPurpose.INVITATION: timedelta(days=14),
    TokenPurpose.PASSWORD_RESET: timedelta(hours=2),
    TokenPurpose.CONSENT: timedelta(days=14),
}
TEMPLATES = {
    TokenPurpose.INVITATION: "account_invitation",
    TokenPurpose.PASSWORD_RESET: "password_reset",
    TokenPurpose.CONSENT: "consent_request",
}
SUBJECTS = {
    TokenPurpose.INVITATION: _l("Your Tizim account: set your password"),
    TokenPurpose.PASSWORD_RESET: _l("Tizim: reset your password"),
    TokenPurpose.CONSENT: _l("Your consent to the processing of your personal data"),
}
ENDPOINTS = {
    TokenPurpose.INVITATION: "account.accept_invitation",
    TokenPurpose.PASSWORD_RESET: "account.reset_password",
    TokenPurpose.CONSENT: "consent.give",
}


NOT_VALID = _l("This link is not valid. Check that you copied the whole address from the "
               "e-mail, or ask for a new one.")
ALREADY_USED = _l("This link has already been used. Each link works once; log in with your "
                  "password, or ask for a new link.")
EXPIRED = _l("This link has expired. Ask for a new one: a password reset link from the log-in "
             "page, an invitation from the Secretariat.")
# A nominee has no account: their link's refusals speak of the coordinator, not of a log-in.
MESSAGES = {
    TokenPurpose.CONSENT: {
        "link_used": _l("This link is no longer valid: it has already been used, or a newer "
                        "link was sent to you. If you have not given your consent yet, open "
                        "the newest e-mail or ask your region's coordinator."),
        "link_expired": _l("This link has expired. Ask your region's coordinator to send you "
                           "a new one."),
    },
}


def _message(purpose: TokenPurpose, code: str):
    default = {"link_used": ALREADY_USED, "link_expired": EXPIRED}[code]
    return MESSAGES.get(purpose, {}).get(code, default)


# --- Tokens. ------------------------------------------------------------------------------------


def _raw_token(nonce: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"account-token:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user: User | None, purpose: TokenPurpose, *,
                candidate: Candidate | None = None,
                nomination_id: int | None = None) -> AccountToken:
    """Create a one-time link for ``user`` (or, for a consent link, the person ``candidate``)
    in the caller's transaction and queue its e-mail; earlier unused ones of the same purpose
    stop working (the newest e-mail is the one that counts)."""
    now = utcnow()
    owner = (AccountToken.candidate_id == candidate.id if candidate is not None
             else AccountToken.user_id == user.id)
    db.session.execute(
        update(AccountToken)
        .where(owner, AccountToken.purpose == purpose, AccountToken.used_at.is_(None))
        .values(used_at=now)
    )
    email = (candidate.email if candidate is not None else user.email).strip().lower()
    language = candidate.language if candidate is not None else user.language
    nonce = secrets.token_hex(32)
    token = AccountToken(user_id=user.id if user is not None else None,
                         candidate_id=candidate.id if candidate is not None else None,
                         sent_to=email, purpose=purpose, nonce=nonce,
                         token_hash=_hash(_raw_token(nonce)), created_at=now,
                         expires_at=now + LIFETIME[purpose])
    db.session.add(token)
    db.session.flush()
    # One e-mail path: a delivery like every other, claimed and sent once, with its
    # Message-ID fixed by its key; rendered at send time (render_link_email).
    # A consent link names the nomination it was asked for: its page lists the e-mail.
    about = {"nomination_id": nomination_id} if nomination_id else {}
    queue_email(f"token{token.id}:email", email, template=TEMPLATES[purpose],
                language=language, user_id=user.id if user is not None else None,
                token_id=token.id, **about)
    return token


def _owner_gone(token: AccountToken) -> bool:
    if token.user_id is not None:
        return not token.user.active
    return token.candidate is None or token.candidate.erased_at is not None


def find_token(raw: str, purpose: TokenPurpose, *, lock: bool = False) -> AccountToken:
    """The usable token for this link.

    :raise Refusal: unknown or altered (404), used or superseded (410), expired (410).
    """
    if not raw or len(raw) > 100:
        raise Refusal(NOT_VALID, code="link_invalid", status=404)
    stmt = select(AccountToken).where(AccountToken.token_hash == _hash(raw),
                                      AccountToken.purpose == purpose)
    if lock and is_postgres():
        stmt = stmt.with_for_update()
    token = db.session.scalar(stmt)
    if token is None or _owner_gone(token):
        raise Refusal(NOT_VALID, code="link_invalid", status=404)
    if token.used_at is not None:
        raise Refusal(_message(purpose, "link_used"), code="link_used", status=410)
    if token.expires_at <= utcnow():
        raise Refusal(_message(purpose, "link_expired"), code="link_expired", status=410)
    return token


def spend(token: AccountToken) -> None:
    """Spend the link with a guarded UPDATE: of two requests racing with one link, one wins.

    :raise Refusal: it was spent meanwhile (410).
    """
    spent = db.session.execute(
        update(AccountToken).where(AccountToken.id == token.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    if spent != 1:
        raise Refusal(_message(TokenPurpose(token.purpose), "link_used"), code="link_used",
                      status=410)


def link_for(token: AccountToken) -> str:
    """The address the e-mail carries (built outside any request, from PUBLIC_BASE_URL)."""
    endpoint = ENDPOINTS[TokenPurpose(token.purpose)]
    values = {"token": _raw_token(token.nonce)}
    if token.candidate is not None:  # a nominee's page opens in the language chosen for them
        values["lang"] = token.candidate.language
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def use_link(raw: str, purpose: TokenPurpose, password: str) -> User:
    """Set the password through a one-time link; the link is spent, other sessions end.

    :raise Refusal: as ``find_token``; nothing changed.
    """
    with transaction():
        token = find_token(raw, purpose, lock=True)
        spend(token)
        user = token.user
        set_password(user, password)
        user.last_login_at = utcnow()
        # A password set by either link makes every other pending link of the user void.
        db.session.execute(
            update(AccountToken).where(AccountToken.user_id == user.id,
                                       AccountToken.used_at.is_(None))
            .values(used_at=utcnow())
        )
    return user


# --- Invitations. -------------------------------------------------------------------------------


def open_member_account(membership: Membership) -> User | None:
    """Give the member an account and send the invitation, in the caller's transaction.

    No e-mail on the candidate: no account yet (the Secretariat invites later). An account with
    that e-mail already held by a member without a membership is linked instead (created by
    hand); one held by anybody else is left alone.
    """
    if membership.user_id is not None:
        return membership.user
    candidate = membership.candidate or db.session.get(Candidate, membership.candidate_id)
    email = (candidate.email or "").strip().lower()
    if not email:
        return None
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if user is not None:
        linked = db.session.scalar(select(Membership.id).where(Membership.user_id == user.id))
        if user.role != Role.MEMBER or linked is not None:
            log.warning("membership %s: the e-mail belongs to another account; not linked",
                        membership.id)
            return None
    else:
        # No language yet: the interface follows the browser, e-mails use the default language.
        user = User(email=email, name=candidate.full_name, role=Role.MEMBER, password_hash=None)
        db.session.add(user)
        db.session.flush()
    membership.user_id = user.id
    if user.password_hash is None:
        issue_token(user, TokenPurpose.INVITATION)
    return user


def on_membership_issued(membership: Membership, **_kw) -> None:
    """A membership was issued: open the member's account and invite them (connected in
    workflow.setup)."""
    open_member_account(membership)


def invite_member(membership: Membership) -> str:
    """Open the account or send the invitation again (the Secretariat's button).

    Returns what happened: ``invited``, ``no_email``, ``taken`` or ``has_password``.
    """
    with transaction():
        membership = db.session.get(Membership, membership.id)
        user = membership.user
        if user is None:
            user = open_member_account(membership)
            if user is None:
                return "no_email" if not (membership.candidate.email or "").strip() else "taken"
            return "invited" if user.password_hash is None else "has_password"
        if user.password_hash is not None:
            return "has_password"
        issue_token(user, TokenPurpose.INVITATION)
        return "invited"


# --- Password reset. ----------------------------------------------------------------------------


def request_password_reset(email: str) -> None:
    """Queue the look-up of ``email`` and, for an active account, its reset link.

    The request only queues: it does the same work in the same time whether or not an account
    has this e-mail, so neither its answer nor its timing tells anyone who has an account. The
    look-up runs in the worker (``reset_password_for``).
    """
    with transaction():
        enqueue("tasks.account.send_password_reset_for", email=email.strip().lower())


def reset_password_for(email: str) -> None:
    """Send a reset link if an active account has this e-mail; for any other, change nothing."""
    with transaction():
        user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
        if user is None or not user.active:
            return
        purpose = (TokenPurpose.PASSWORD_RESET if user.password_hash is not None
                   else TokenPurpose.INVITATION)  # never set a password: the invitation again
        issue_token(user, purpose)


# --- The links' e-mails (rendered by the one e-mail path, workflow.notifications). -----------


def render_link_email(delivery) -> tuple[str, str, str] | None:
    """The invitation, reset or consent e-mail of a delivery, in its language; None when the
    link is spent, superseded or expired by the time it is sent (nothing is sent then)."""
    token = db.session.get(AccountToken, delivery.context["token_id"])
    if token is None or token.used_at is not None or token.expires_at <= utcnow():
        return None
    person = token.user.name if token.user is not None else token.candidate.full_name
    return render(delivery.template, delivery.language, SUBJECTS[TokenPurpose(token.purpose)],
                  person=person, link=link_for(token), expires_at=token.expires_at)


# --- Profile. -----------------------------------------------------------------------------------


def member_candidate(user: User) -> Candidate | None:
    """The person record of the member's membership, where their contacts are kept."""
    return db.session.scalar(
        select(Candidate).join(Membership, Membership.candidate_id == Candidate.id)
        .where(Membership.user_id == user.id)
    )


def update_profile(user: User, *, language: str, phone: str | None = None,
                   contact_email: str | None = None) -> None:
    """Save the user's language and, for a member, their contacts."""
    with transaction():
        user = db.session.get(User, user.id)
        user.language = language
        candidate = member_candidate(user) if user.role == Role.MEMBER else None
        if candidate is not None:
            candidate.phone = (phone or "").strip() or None
            candidate.email = (contact_email or "").strip().lower() or None
