"""The associations of a region, and the republican ones every region sees."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from workflow.database import transaction
from workflow.domain import AssociationLevel, Role
from workflow.extensions import db
from workflow.models import Association


class AssociationRefused(Exception):
    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def visible(stmt, user):
    """Coordinators see their region's associations and the republican ones."""
    if user.role == Role.COORDINATOR:
        return stmt.where(or_(Association.region_id == user.region_id,
                              Association.level == AssociationLevel.REPUBLICAN))
    if user.role != Role.SECRETARIAT:
        return stmt.where(False)
    return stmt


def list_associations(user, *, text: str | None = None, include_inactive: bool = False,
                      limit: int = 500) -> list[Association]:
    stmt = visible(select(Association), user).options(joinedload(Association.region))
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
    association = db.session.get(Association, association_id)
    return association if association is not None and can_edit(user, association) else None


def _apply(user, association: Association, fields: Mapping) -> None:
    association.name = fields["name"].strip()
    association.kind = fields["kind"]
    bin_ = (fields.get("bin") or "").strip() or None
    if bin_:
        clash = db.session.scalar(select(func.count()).where(
            Association.bin == bin_, Association.id != (association.id or 0)))
        if clash:
            raise AssociationRefused(_l("Another association already has this BIN."), "bin")
    association.bin = bin_
    if user.role == Role.SECRETARIAT:
        association.level = fields["level"]
        association.region_id = fields.get("region_id") or None
        if association.level == AssociationLevel.REGIONAL and not association.region_id:
            raise AssociationRefused(_l("A regional association belongs to a region."),
                                     "region_id")
    else:
        association.level = AssociationLevel.REGIONAL
        association.region_id = user.region_id


def create(user, fields: Mapping) -> Association:
    """Add an association: a coordinator's is regional, in their region.

    :raise AssociationRefused: a BIN already used, a regional association with no region.
    """
    with transaction():
        association = Association(active=True)
        _apply(user, association, fields)
        db.session.add(association)
        db.session.flush()
        return association


def update(user, association_id: int, fields: Mapping) -> Association:
    """Change an association ``user`` may edit.

    :raise AssociationRefused: not editable by the user, or the checks of ``create``.
    """
    with transaction():
        association = editable(user, association_id)
        if association is None:
            raise AssociationRefused(_l("This association does not exist."))
        _apply(user, association, fields)
        return association


def set_active(user, association_id: int, active: bool) -> Association:
    """Deactivate (or reactivate) an association; its past nominations keep naming it.

    :raise AssociationRefused: not editable by the user.
    """
    with transaction():
        association = editable(user, association_id)
        if association is None:
            raise AssociationRefused(_l("This association does not exist."))
        association.active = active
        return association
