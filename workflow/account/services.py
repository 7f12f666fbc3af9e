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
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from workflow.account.models import AccountToken, TokenPurpose
from workflow.auth.services import set_password
from workflow.database import is_postgres, transaction
from workflow.domain import Role
from workflow.extensions import db
from workflow.members.services import membership_issued
from workflow.models import Candidate, Membership, User, utcnow
from workflow.outbox import enqueue

log = logging.getLogger(__name__)

LIFETIME = {
    TokenPurpose.INVITATION: timedelta(days=14),
    TokenPurpose.PASSWORD_RESET: timedelta(hours=2),
}
TASKS = {
    TokenPurpose.INVITATION: "tasks.account.send_invitation",
    TokenPurpose.PASSWORD_RESET: "tasks.account.send_password_reset",
}


class LinkRefused(ValueError):
    """A one-time link that cannot be used; ``message`` says why, ``status`` is the HTTP code."""

    def __init__(self, message, status: int):
        super().__init__(str(message))
        self.message = message
        self.status = status


NOT_VALID = _l("This link is not valid. Check that you copied the whole address from the "
               "e-mail, or ask for a new one.")
ALREADY_USED = _l("This link has already been used. Each link works once; log in with your "
                  "password, or ask for a new link.")
EXPIRED = _l("This link has expired. Ask for a new one: a password reset link from the log-in "
             "page, an invitation from the Secretariat.")


# --- Tokens. ------------------------------------------------------------------------------------


def _raw_token(nonce: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"account-token:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user: User, purpose: TokenPurpose) -> AccountToken:
    """Create a one-time link for ``user`` in the caller's transaction; earlier unused ones of
    the same purpose stop working (the newest e-mail is the one that counts)."""
    now = utcnow()
    db.session.execute(
        update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.purpose == purpose,
               AccountToken.used_at.is_(None))
        .values(used_at=now)
    )
    nonce = secrets.token_hex(32)
    token = AccountToken(user_id=user.id, purpose=purpose, nonce=nonce,
                         token_hash=_hash(_raw_token(nonce)), created_at=now,
                         expires_at=now + LIFETIME[purpose])
    db.session.add(token)
    db.session.flush()
    enqueue(TASKS[purpose], token_id=token.id)
    return token


def find_token(raw: str, purpose: TokenPurpose, *, lock: bool = False) -> AccountToken:
    """The usable token for this link.

    :raise LinkRefused: unknown or altered (404), used or superseded (410), expired (410).
    """
    if not raw or len(raw) > 100:
        raise LinkRefused(NOT_VALID, 404)
    stmt = select(AccountToken).where(AccountToken.token_hash == _hash(raw),
                                      AccountToken.purpose == purpose)
    if lock and is_postgres():
        stmt = stmt.with_for_update()
    token = db.session.scalar(stmt)
    if token is None or not token.user.active:
        raise LinkRefused(NOT_VALID, 404)
    if token.used_at is not None:
        raise LinkRefused(ALREADY_USED, 410)
    if token.expires_at <= utcnow():
        raise LinkRefused(EXPIRED, 410)
    return token


def link_for(token: AccountToken) -> str:
    """The address the e-mail carries (built outside any request, from PUBLIC_BASE_URL)."""
    endpoint = ("account.accept_invitation" if token.purpose == TokenPurpose.INVITATION
                else "account.reset_password")
    path = current_app.url_map.bind("localhost").build(endpoint, {"token": _raw_token(token.nonce)})
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def use_link(raw: str, purpose: TokenPurpose, password: str) -> User:
    """Set the password through a one-time link; the link is spent, other sessions end.

    :raise LinkRefused: as ``find_token``; nothing changed.
    """
    with transaction():
        token = find_token(raw, purpose, lock=True)
        # Spend it with a guarded UPDATE: of two requests racing with one link, one wins.
        spent = db.session.execute(
            update(AccountToken).where(AccountToken.id == token.id, AccountToken.used_at.is_(None))
            .values(used_at=utcnow())
        ).rowcount
        if spent != 1:
            raise LinkRefused(ALREADY_USED, 410)
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


@membership_issued.connect
def _on_membership_issued(membership: Membership, **_kw) -> None:
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
    """Send a reset link if an active account with a password has this e-mail; else nothing.

    The caller answers the same either way, so the page tells nobody who has an account.
    """
    with transaction():
        user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
        if user is None or not user.active:
            return
        purpose = (TokenPurpose.PASSWORD_RESET if user.password_hash is not None
                   else TokenPurpose.INVITATION)  # never set a password: the invitation again
        issue_token(user, purpose)


# --- Sending the links (Celery tasks call these). -----------------------------------------------


@dataclass
class Delivery:
    to: str
    language: str | None
    template: str
    subject: str
    context: dict


def delivery_for(token_id: int) -> Delivery | None:
    """What to send for this token; None when the link is spent or gone (nothing to send)."""
    token = db.session.get(AccountToken, token_id)
    if token is None or token.used_at is not None or token.expires_at <= utcnow():
        return None
    user = token.user
    invitation = token.purpose == TokenPurpose.INVITATION
    return Delivery(
        to=user.email,
        language=user.language,
        template="account_invitation" if invitation else "password_reset",
        subject=(_l("Your Tizim account: set your password") if invitation
                 else _l("Tizim: reset your password")),
        context={"person": user.name, "link": link_for(token), "expires_at": token.expires_at},
    )


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
