from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from workflow.associations import services
from workflow.associations.forms import AssociationForm
from workflow.domain import ASSOCIATION_KIND_LABELS, ASSOCIATION_LEVEL_LABELS, Role
from workflow.extensions import db
from workflow.models import Region
from workflow.permissions import requires
from workflow.refusal import handled

bp = Blueprint("associations", __name__, url_prefix="/associations")


def _form(**kwargs) -> AssociationForm:
    national = current_user.role == Role.SECRETARIAT
    regions = db.session.scalars(select(Region).order_by(Region.sort_order)) if national else ()
    return AssociationForm(regions=regions, national=national, **kwargs)


@bp.route("/")
@requires("associations.view")
def index():
    """List the associations the user works with, with a search."""
    text = (request.args.get("q") or "").strip() or None
    include_inactive = request.args.get("inactive") == "1"
    return render_template(
        "associations/index.html", q=text or "", include_inactive=include_inactive,
        associations=services.list_associations(current_user, text=text,
                                                include_inactive=include_inactive),
        can_edit=services.can_edit, LEVELS=ASSOCIATION_LEVEL_LABELS,
        KINDS=ASSOCIATION_KIND_LABELS, toggle_form=FlaskForm(),
    )


@bp.route("/new", methods=["GET", "POST"])
@requires("associations.manage")
def new():
    """Add an association."""
    form = _form()
    if form.validate_on_submit():
        with handled(form):
            association = services.create(current_user, form.data)
            flash(_("Association added: %(name)s.", name=association.name), "success")
            return redirect(url_for(".index"))
    return render_template("associations/form.html", form=form, association=None)


@bp.route("/<int:association_id>/edit", methods=["GET", "POST"])
@requires("associations.manage")
def edit(association_id: int):
    """Change an association's name, kind or BIN."""
    association = services.editable(current_user, association_id)
    if association is None:
        abort(404)
    form = _form(obj=association)
    # A coordinator's form has no region field: WTForms leaves None where it was deleted.
    if request.method == "GET" and form.region_id is not None:
        form.region_id.data = association.region_id or 0
    if form.validate_on_submit():
        with handled(form):
            services.update(current_user, association_id, form.data)
            flash(_("Changes saved."), "success")
            return redirect(url_for(".index"))
    return render_template("associations/form.html", form=form, association=association)


@bp.route("/<int:association_id>/active", methods=["POST"])
@requires("associations.manage")
def toggle(association_id: int):
    """Deactivate an association, or make it active again."""
    association = services.editable(current_user, association_id)
    if association is None:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    with handled():
        association = services.set_active(current_user, association_id, not association.active)
        flash(_("%(name)s is active again.", name=association.name) if association.active else
              _("%(name)s is deactivated: it can no longer nominate.", name=association.name),
              "success")
    return redirect(url_for(".index"))
