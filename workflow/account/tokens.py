"""Personal API tokens: made, named, given an expiry and revoked on the user's profile page.

A token is ``tzm_<prefix>_<secret>`` (the secret: 32 random bytes). The database keeps the
prefix, to find the row, and the SHA-256 of the whole token, never the token: it is shown
once, when it is made. A token acts as its user — role, region, language — and stops working
the moment it is revoked, expires, or its user is deactivated (``authenticate`` checks all
three at every call).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from workflow import audit
from workflow.database import transaction
from workflow.extensions import db
from workflow.models import ApiToken, User, utcnow
from workflow.permissions import allowed
from workflow.refusal import Refusal, not_found

# Lifetimes offered on the profile page, in days; a token never outlives a year.
LIFETIMES = (30, 90, 180, 365)
MAX_ACTIVE = 10  # per user: enough for each system a person connects, few enough to review
NAME_MAX = 100
TOKEN = re.compile(r"^tzm_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$")
# Saving a token's last use costs a write: once in this long is enough to see it is in use.
TOUCH_EVERY = timedelta(minutes=5)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_of(user) -> list[ApiToken]:
    """The user's tokens, newest first (revoked and expired ones too: the page says so)."""
    stmt = (select(ApiToken).where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
    return list(db.session.scalars(stmt))


def is_live(token: ApiToken, now=None) -> bool:
    now = now or utcnow()
    return token.revoked_at is None and token.expires_at > now


def create(user, name: str, days: int) -> tuple[ApiToken, str]:
    """Make a token for ``user``; returns the row and the token, which is never shown again.

    :raise Refusal: not a role that uses the API, no name, a lifetime not offered, too many
        live tokens.
    """
    name = (name or "").strip()
    if not allowed("api.tokens", user):
        raise Refusal(_l("Your role does not use the API."), code="not_allowed", status=403)
    if not name or len(name) > NAME_MAX:
        raise Refusal(_l("Name the token (at most %(n)s characters): say which system uses it.",
                         n=NAME_MAX), field="name")
    if days not in LIFETIMES:
        raise Refusal(_l("Choose how long the token works."), field="days")
    with transaction(actor=user):
        live = [t for t in tokens_of(user) if is_live(t)]
        if len(live) >= MAX_ACTIVE:
            raise Refusal(_l("You have %(n)s working tokens: revoke one you no longer use first.",
                             n=MAX_ACTIVE), code="too_many", status=409)
        prefix = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        plain = f"tzm_{prefix}_{secret}"
        token = ApiToken(user_id=user.id, name=name, prefix=prefix, token_hash=digest(plain),
                         expires_at=utcnow() + timedelta(days=days))
        db.session.add(token)
        db.session.flush()
        audit.record(db.session.get(User, user.id), "api_token_created", actor=user,
                     data={"token": prefix, "name": name, "days": days})
    return token, plain


def revoke(user, token_id: int) -> ApiToken:
    """Revoke one of ``user``'s tokens; it stops working at once.

    :raise Refusal: no such token of this user (404).
    """
    with transaction(actor=user):
        token = db.session.scalar(select(ApiToken).where(ApiToken.id == token_id,
                                                         ApiToken.user_id == user.id))
        if token is None:
            raise not_found()
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            audit.record(db.session.get(User, user.id), "api_token_revoked", actor=user,
                         data={"token": token.prefix, "name": token.name})
    return token


def authenticate(presented: str | None) -> User | None:
    """The active user whose live token this is, or None (a malformed, unknown, revoked or
    expired token, or a deactivated user)."""
    match = TOKEN.match(presented or "")
    if match is None:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.prefix == match.group(1)))
    if token is None or not secrets.compare_digest(token.token_hash, digest(presented)):
        return None
    now = utcnow()
    user = token.user
    if not is_live(token, now) or not user.active or not allowed("api.tokens", user):
        return None
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        with transaction():
            db.session.execute(update(ApiToken).where(ApiToken.id == token.id)
                               .values(last_used_at=now))
    return user
