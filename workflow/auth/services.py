"""Accounts: password hashing (argon2id), authentication, creating users."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from workflow.database import transaction
from workflow.domain import LOGIN_ROLES, Role
from workflow.extensions import db
from workflow.models import Region, User, utcnow

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so both answers are equally slow (made on
    first use, not at import: argon2 is slow by design)."""
    return _hasher.hash(secrets.token_hex(8))


class AccountError(ValueError):
    """A user could not be created or changed; the message says why."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash if user and user.password_hash else _dummy_hash(),
                              password) and user is not None and user.password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the id carries the session token, which a password change rotates."""
    try:
        raw_id, token = user_id.split(":", 1)
        user = db.session.get(User, int(raw_id))
    except (ValueError, TypeError):
        return None
    if user is None or not secrets.compare_digest(user.session_token, token):
        return None
    return user


def authenticate(email: str, password: str) -> User | None:
    """Return the active user with these credentials, or None (in the same time either way)."""
    with transaction():
        user = db.session.scalar(
            select(User).where(func.lower(User.email) == email.strip().lower()))
        if not verify_password(user, password) or not user.active:
            return None
        user.last_login_at = utcnow()
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
    return user


def create_user(*, email: str, name: str, role: str, password: str | None,
                region_code: str | None = None, language: str | None = None) -> User:
    """Create a user; coordinators need a region.

    :raise AccountError: on an unknown role or region, a missing region, or a taken e-mail.
    """
    if role not in LOGIN_ROLES:
        raise AccountError(f"unknown role {role!r}; one of: {', '.join(LOGIN_ROLES)}")
    region = None
    if region_code:
        region = db.session.scalar(select(Region).where(Region.iso_code == region_code))
        if region is None:
            raise AccountError(f"unknown region {region_code!r} (e.g. KZ-75)")
    if role == Role.COORDINATOR and region is None:
        raise AccountError("a coordinator needs a region (--region KZ-..)")
    email = email.strip().lower()
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise AccountError(f"a user with e-mail {email} exists already")
    user = User(email=email, name=name, role=role, region=region, language=language,
                password_hash=hash_password(password) if password else None)
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Set a new password and end every session opened with the old one."""
    user.password_hash = hash_password(password)
    user.session_token = secrets.token_hex(16)
