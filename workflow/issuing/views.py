from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from workflow.database import transaction
from workflow.extensions import db
from workflow.issuing import services
from workflow.models import ChairmanOrder
from workflow.notifications.forms import ButtonForm
from workflow.permissions import requires

bp = Blueprint("issuing", __name__, url_prefix="/issuing")


@bp.route("/<int:batch_id>")
@requires("issuing.manage")
def batch(batch_id: int):
    """Show an issuing batch's live progress."""
    progress = services.progress(current_user, batch_id)
    if progress is None:
        abort(404)
    order = db.session.get(ChairmanOrder, progress["order_id"]) if progress["order_id"] else None
    return render_template("issuing/batch.html", progress=progress, order=order,
                           form=ButtonForm())


@bp.route("/<int:batch_id>/progress")
@requires("issuing.manage")
def progress(batch_id: int):
    """Return an issuing batch's progress as JSON (polled by the progress bar)."""
    progress = services.progress(current_user, batch_id)
    if progress is None:
        abort(404)
    return jsonify(progress)


@bp.route("/<int:batch_id>/retry", methods=["POST"])
@requires("issuing.manage")
def retry(batch_id: int):
    """Issue the batch's failed items again."""
    if services.progress(current_user, batch_id) is None:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    with transaction():
        count = services.retry_failed(batch_id)
    flash(_("%(n)s failed items are being issued again.", n=count), "info")
    return redirect(url_for(".batch", batch_id=batch_id))
