"""Accounts: password hashing (argon2id), authentication, sessions, creating users.

A session (and a remember cookie) names the user by ``User.get_id()``, which carries the
user's ``session_token``. The token changes at every login and logout and whenever the
password, the role, the e-mail or the active flag changes, so a copied cookie stops working
then (``load_user`` compares it).
"""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, event, func, select
from sqlalchemy.orm import joinedload, with_expression
from sqlalchemy.orm.base import NO_VALUE

from workflow.database import transaction
from workflow.domain import LOGIN_ROLES, Role
from workflow.extensions import db
from workflow.models import Notification, Region, User, utcnow
from workflow.refusal import Refusal

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so both answers are equally slow (made on
    first use, not at import: argon2 is slow by design)."""
    return _hasher.hash(secrets.token_hex(8))


PASSWORD_MIN = 12
# zxcvbn's score: 3 = "safely unguessable", about 10^8 guesses and more.
PASSWORD_MIN_SCORE = 3
WEAK_PASSWORD = _l("This password is among the common ones or is easy to guess (a word, a name, "
                   "a date, a keyboard row, a repeat). Use a short sentence of your own instead.")
SHORT_PASSWORD = _l("Use at least %(min)d characters.", min=PASSWORD_MIN)


def password_problem(password: str, *, user_inputs=()) -> str | None:
    """What is wrong with ``password``, or None: at least 12 characters, and not among the
    common passwords or their variants (zxcvbn's lists and patterns, and the person's own
    e-mail and name)."""
    from zxcvbn import zxcvbn

    if len(password or "") < PASSWORD_MIN:
        return SHORT_PASSWORD
    words = [w for text in (*user_inputs, "tizim", "assembly") if text
             for w in str(text).lower().replace("@", " ").replace(".", " ").split()]
    if zxcvbn(password[:72], user_inputs=words)["score"] < PASSWORD_MIN_SCORE:
        return WEAK_PASSWORD
    return None


def new_session_token() -> str:
    return secrets.token_hex(16)


def end_sessions(user: User) -> None:
    """Make every session and remember cookie of ``user`` stop working (logging out)."""
    with transaction():
        db.session.get(User, user.id).session_token = new_session_token()


def _rotate_on_change(target: User, value, oldvalue, _initiator):
    if oldvalue is not NO_VALUE and value != oldvalue:
        target.session_token = new_session_token()
    return value


# Who the user is and what they may do changed: sessions opened before no longer count.
for _attribute in (User.password_hash, User.role, User.email, User.active):
    event.listen(_attribute, "set", _rotate_on_change, active_history=True)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash if user and user.password_hash else _dummy_hash(),
                              password) and user is not None and user.password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@cache
def _user_statement():
    """The user of a session, with their region and the bell's count (built once: making the
    options anew on every request cost more than the statement saves)."""
    return (select(User).where(User.id == bindparam("user_id"))
            .options(joinedload(User.region),
                     with_expression(User.unread_notifications, Notification.unread_of(User.id))))


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the id carries the session token, which a password change rotates.
    The user's region and the bell's count come with the user: every page's menu shows them."""
    try:
        raw_id, token = user_id.split(":", 1)
        user = db.session.execute(_user_statement(), {"user_id": int(raw_id)}).scalar()
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
        user.session_token = new_session_token()  # one session at a time; older ones end
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
    return user


def create_user(*, email: str, name: str, role: str, password: str | None,
                region_code: str | None = None, language: str | None = None) -> User:
    """Create a user; coordinators need a region.

    :raise Refusal: an unknown role or region, a missing region, a taken e-mail, or a
        password that is short or common.
    """
    if role not in LOGIN_ROLES:
        raise Refusal(_l("Unknown role %(role)s; one of: %(roles)s.", role=role,
                         roles=", ".join(LOGIN_ROLES)), field="role")
    region = None
    if region_code:
        region = db.session.scalar(select(Region).where(Region.iso_code == region_code))
        if region is None:
            raise Refusal(_l("Unknown region %(code)s (for example KZ-75).", code=region_code),
                          field="region")
    if role == Role.COORDINATOR and region is None:
        raise Refusal(_l("A regional coordinator needs a region."), field="region")
    email = email.strip().lower()
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise Refusal(_l("A user with this e-mail address exists already."), field="email",
                      code="duplicate", status=409)
    if password is not None:
        problem = password_problem(password, user_inputs=(email, name))
        if problem is not None:
            raise Refusal(problem, field="password")
    user = User(email=email, name=name, role=role, region=region, language=language,
                password_hash=hash_password(password) if password else None)
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Set a new password and end every session opened with the old one."""
    user.password_hash = hash_password(password)
    user.session_token = new_session_token()
