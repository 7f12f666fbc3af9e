"""Who may open what: one table of permissions, decorators for views, ``can_*`` for templates.

Every view is marked with ``@requires(permission)`` or ``@public``; the permission matrix test
walks the URL map and this table, so a new route without a mark fails the suite.
"""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from workflow.domain import Role
from workflow.iin import mask

ANY_USER = frozenset({Role.COORDINATOR, Role.SECRETARIAT, Role.MEMBER, Role.ADMIN})
STAFF = frozenset({Role.COORDINATOR, Role.SECRETARIAT})

PERMISSIONS: dict[str, frozenset[Role]] = {
    "account": ANY_USER,  # own account: home, language, logout
    "nominations.view": STAFF,
    "nominations.act": STAFF,
    "nominations.create": STAFF,
    "nominations.enter": frozenset({Role.COORDINATOR}),  # regional route: coordinators only
    "documents.download": STAFF,
    # A member sees their own membership; staff see those in their scope (services filter).
    "members.view": frozenset({Role.MEMBER, Role.COORDINATOR, Role.SECRETARIAT}),
    "members.invite": frozenset({Role.SECRETARIAT}),

    "associations.view": STAFF,
    "associations.manage": STAFF,  # scope in the service: republican ones by the secretariat
    "sessions.view": STAFF,
    "sessions.manage": frozenset({Role.COORDINATOR}),
    "admin.users": frozenset({Role.ADMIN}),
    # The national Secretariat's work: review, other routes, Council, orders, the register.
    "secretariat.work": frozenset({Role.SECRETARIAT}),
    "council.manage": frozenset({Role.SECRETARIAT}),
    "orders.manage": frozenset({Role.SECRETARIAT}),
    "register.view": frozenset({Role.SECRETARIAT}),
    "register.manage": frozenset({Role.SECRETARIAT}),
    # A queue as CSV/XLSX: coordinators get their region's, with IINs masked.
    "exports.queues": STAFF,

    "notifications": ANY_USER,  # own notifications and how to receive them
    "issuing.manage": frozenset({Role.SECRETARIAT}),  # issuing batches: progress, retry
}


def allowed(permission: str, user=None) -> bool:
    user = user if user is not None else current_user
    if not getattr(user, "is_authenticated", False):
        return False
    return user.role in PERMISSIONS[permission]


def requires(permission: str):
    """Let the view run only for users whose role holds ``permission``; others get 403."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from workflow.extensions import login_manager

                return login_manager.unauthorized()
            if not allowed(permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.permission = permission
        return wrapped

    return decorator


def public(view):
    """Mark a view open to everyone, signed in or not (login page, public status check)."""
    view.permission = None
    return view


# --- Predicates on objects: scope, not just role. -----------------------------------------------


def can_view_nomination(nomination, user=None) -> bool:
    """Coordinators see their own region; the secretariat sees all."""
    user = user if user is not None else current_user
    if not allowed("nominations.view", user):
        return False
    if user.role == Role.COORDINATOR:
        return nomination.region_id == user.region_id
    return True


def can_see_full_iin(nomination, user=None) -> bool:
    """Only those whose work needs the whole IIN: the secretariat and the region's coordinator."""
    return can_view_nomination(nomination, user)


def shown_iin(candidate, nomination, user=None) -> str:
    return candidate.iin if can_see_full_iin(nomination, user) else mask(candidate.iin)
