"""The associations of a region, and the republican ones every region sees."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from workflow import audit
from workflow.database import transaction
from workflow.domain import AssociationLevel, Role, name_key
from workflow.extensions import db
from workflow.models import Association
from workflow.permissions import scoped, visible
from workflow.refusal import Refusal, not_found


def list_associations(user, *, text: str | None = None, include_inactive: bool = False,
                      limit: int = 500) -> list[Association]:
    stmt = scoped(select(Association), user).options(joinedload(Association.region))
    if text:
        like = f"%{text.strip()}%"
        stmt = stmt.where(or_(Association.name.ilike(like), Association.bin == text.strip()))
    if not include_inactive:
        stmt = stmt.where(Association.active.is_(True))
    stmt = stmt.order_by(Association.level.desc(), Association.name).limit(limit)
    return list(db.session.scalars(stmt))


def can_edit(user, association: Association) -> bool:
    """The secretariat edits every association; a coordinator their own region's regional ones."""
    if user.role == Role.SECRETARIAT:
        return True
    return (user.role == Role.COORDINATOR and association.level == AssociationLevel.REGIONAL
            and association.region_id == user.region_id)


def editable(user, association_id: int) -> Association | None:
    """The association if ``user`` may edit it; None otherwise (the view answers 404)."""
    association = visible(user, Association, association_id)
    return association if association is not None and can_edit(user, association) else None


def _refuse_a_twin(association: Association) -> None:
    """Refuse the same association twice: the same name (``domain.name_key``) in the same
    region, or among the republican associations.

    :raise Refusal: naming the association already listed (and where, when it is elsewhere).
    """
    same = or_(Association.region_id == association.region_id,
               and_(Association.level == AssociationLevel.REPUBLICAN,
                    association.level == AssociationLevel.REPUBLICAN))
    twin = db.session.scalar(select(Association).where(
        Association.name_key == name_key(association.name), same,
        Association.id != (association.id or 0)).limit(1))
    if twin is not None:
        raise Refusal(
            _l("This association is already in the list: «%(name)s»%(inactive)s. Open it "
               "there instead of adding it again.", name=twin.name,
               inactive=_l(" (deactivated: make it active again)") if not twin.active else ""),
            field="name", code="duplicate", status=409)


def _apply(user, association: Association, fields: Mapping) -> None:
    association.name = " ".join(fields["name"].split())
    association.kind = fields["kind"]
    bin_ = (fields.get("bin") or "").strip() or None
    if bin_:
        clash = db.session.scalar(select(func.count()).where(
            Association.bin == bin_, Association.id != (association.id or 0)))
        if clash:
            raise Refusal(_l("Another association already has this BIN."), field="bin",
                          code="duplicate", status=409)
    association.bin = bin_
    if user.role in (Role.SECRETARIAT, Role.SYSTEM):
        association.level = fields["level"]
        association.region_id = fields.get("region_id") or None
        if association.level == AssociationLevel.REGIONAL and not association.region_id:
            raise Refusal(_l("A regional association belongs to a region."),
                                     field="region_id")
    else:
        association.level = AssociationLevel.REGIONAL
        association.region_id = user.region_id
    with db.session.no_autoflush:
        _refuse_a_twin(association)


def create(user, fields: Mapping) -> Association:
    """Add an association: a coordinator's is regional, in their region.

    :raise Refusal: a BIN already used, a regional association with no region.
    """
    with transaction(actor=user):
        return add(user, fields)


def add(user, fields: Mapping) -> Association:
    """Add an association inside the caller's transaction (``create``, the register's import).

    :raise Refusal: see ``create``.
    """
    association = Association(active=True)
    _apply(user, association, fields)
    db.session.add(association)
    db.session.flush()
    return association


def update(user, association_id: int, fields: Mapping) -> Association:
    """Change an association ``user`` may edit.

    :raise Refusal: not editable by the user, or the checks of ``create``.
    """
    with transaction(actor=user):
        association = editable(user, association_id)
        if association is None:
            raise not_found(_l("This association does not exist, or it is not in your area of work."))
        _apply(user, association, fields)
        return association


def set_active(user, association_id: int, active: bool) -> Association:
    """Deactivate (or reactivate) an association; its past nominations keep naming it.

    :raise Refusal: not editable by the user.
    """
    with transaction(actor=user):
        association = editable(user, association_id)
        if association is None:
            raise not_found(_l("This association does not exist, or it is not in your area of work."))
        association.active = active
        audit.record(association, "reactivate" if active else "deactivate", actor=user,
                     changes=["active"])
        return association
