"""Who may open what: one table of permissions, decorators for views, ``can_*`` for templates.

Every view is marked with ``@requires(permission)`` or ``@public``; the permission matrix test
walks the URL map and this table, so a new route without a mark fails the suite.
"""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, false, or_, select

from workflow.domain import Role
from workflow.extensions import db
from workflow.iin import mask
from workflow.models import RowScope

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
    "admin.users": frozenset({Role.ADMIN}),  # accounts and the regions' voting rules
    # The audit trail is national (AuditEvent's scope): the administrator and the Secretariat,
    # who already read every nomination's timeline, read and export it.
    "audit.view": frozenset({Role.ADMIN, Role.SECRETARIAT}),
    # The national Secretariat's work: review, other routes, Council, orders, the register.
    "secretariat.work": frozenset({Role.SECRETARIAT}),
    "council.manage": frozenset({Role.SECRETARIAT}),
    "orders.manage": frozenset({Role.SECRETARIAT}),
    "register.view": frozenset({Role.SECRETARIAT}),
    "register.manage": frozenset({Role.SECRETARIAT}),
    # The body's composition and its quotas (counts, no person): the Secretariat the whole
    # body, a coordinator their region's members (the scope in register.composition).
    "register.composition": STAFF,
    # Personal data (Law No. 94-V): subject access, withdrawal of consent, destruction records.
    "privacy.manage": frozenset({Role.SECRETARIAT}),
    # A queue as CSV/XLSX: coordinators get their region's, with IINs masked.
    "exports.queues": STAFF,
    # The lists of nominations and members as CSV/XLSX: a coordinator's of their own region.
    "exports.lists": STAFF,

    "notifications": ANY_USER,  # own notifications and how to receive them
    "issuing.manage": frozenset({Role.SECRETARIAT}),  # issuing batches: progress, retry
    # Papers generated from the record; scope follows the paper's object (papers.services).
    "papers.view": frozenset({Role.MEMBER, Role.COORDINATOR, Role.SECRETARIAT}),
    # Personal API tokens (the JSON API serves the staff's work), made on the profile page.
    "api.tokens": STAFF,
    # E-mails that did not go out: listed with the reason and sent again (same key, once).
    "deliveries.view": frozenset({Role.SECRETARIAT, Role.ADMIN}),
    "deliveries.resend": frozenset({Role.SECRETARIAT, Role.ADMIN}),
    # The wording of each step's e-mail per language (the shipped wording is the default).
    "email.wording": frozenset({Role.ADMIN}),
}


def allowed(permission: str, user=None) -> bool:
    # One look-up through the proxy, not one per attribute: a page asks this a dozen times.
    user = user if user is not None else current_user._get_current_object()
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


# --- Scope: what rows a user may see. One function, from each model's own scope. -------------

# Roles that see every region's rows (what they may open at all is the permission table's).
NATIONAL_ROLES = frozenset({Role.SECRETARIAT, Role.ADMIN})


def scoped(stmt: Select, user, model: type | None = None) -> Select:
    """Limit ``stmt`` to the rows of ``model`` that ``user`` may see.

    ``model`` defaults to the statement's first entity. Its ``__scope__`` (``RowScope``) says
    whose rows it holds: a coordinator sees their region's rows and the shared ones, the
    Secretariat every region's, a member their own; national rows are the national roles',
    a person's own rows only theirs. Every page, list, filter, export, search and API read
    goes through here.
    """
    model = model or stmt.column_descriptions[0]["entity"]
    kind = model.__scope__
    if kind == RowScope.PUBLIC:
        return stmt
    if kind == RowScope.INTERNAL:
        raise TypeError(f"{model.__name__} is bookkeeping: no page reads it for a user")
    role = getattr(user, "role", None) if getattr(user, "is_authenticated", True) else None
    if kind == RowScope.OWN:
        return stmt.where(model.owned_by(user.id)) if role else stmt.where(false())
    if role in NATIONAL_ROLES:
        return stmt
    if role == Role.COORDINATOR and kind == RowScope.REGION and user.region_id is not None:
        condition = model.in_region(user.region_id)
        shared = getattr(model, "shared", None)
        return stmt.where(or_(condition, shared()) if shared else condition)
    if role == Role.MEMBER and hasattr(model, "owned_by"):
        return stmt.where(model.owned_by(user.id))
    return stmt.where(false())


def visible(user, model: type, row_id: int | None, *options):
    """The row of ``model`` with this id if ``user`` may see it, else None (pages answer 404).

    ``options`` are loader options (``joinedload(…)``) for what the caller reads next."""
    if not isinstance(row_id, int) or not 0 < row_id <= 2**31 - 1:
        return None
    return db.session.scalar(
        scoped(select(model).where(model.id == row_id), user, model).options(*options))


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
