from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from workflow.database import transaction
from workflow.notifications import services
from workflow.notifications.forms import ButtonForm, preferences_form
from workflow.permissions import allowed, requires

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.app_context_processor
def bell():
    """The bell's count, computed only when a page shows it."""

    def unread_notifications() -> int:
        if not allowed("notifications"):
            return 0
        return services.unread_count(current_user)

    return {"unread_notifications": unread_notifications}


@bp.route("/")
@requires("notifications")
def index():
    """List the user's notifications, newest first."""
    before = request.args.get("before", type=int)
    items = services.latest(current_user, limit=50, before_id=before)
    return render_template("notifications/index.html", items=items, form=ButtonForm(),
                           describe=services.describe, stage=services.stage_label,
                           more=items[-1].id if len(items) == 50 else None)


@bp.route("/<int:notification_id>/read", methods=["POST"])
@requires("notifications")
def read(notification_id: int):
    """Mark one notification read and open what it is about."""
    if not services.belongs_to(current_user, notification_id):
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    with transaction():
        services.mark_read(current_user, notification_id)
    target = request.form.get("next") or ""
    if not target.startswith("/") or target.startswith("//"):
        target = url_for(".index")
    return redirect(target)


@bp.route("/read-all", methods=["POST"])
@requires("notifications")
def read_all():
    """Mark every notification of the user read."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    with transaction():
        count = services.mark_read(current_user)
    flash(_("%(n)s notifications marked as read.", n=count), "success")
    return redirect(url_for(".index"))


@bp.route("/preferences", methods=["GET", "POST"])
@requires("notifications")
def preferences():
    """Choose, per kind of notification, e-mail and the app, the app only, or nothing."""
    current = services.preferences(current_user)
    form = preferences_form(current.keys(), current)
    if form.validate_on_submit():
        with transaction():
            services.set_preferences(current_user, {k: form[k].data for k in current})
        flash(_("Your notification settings are saved."), "success")
        return redirect(url_for(".preferences"))
    return render_template("notifications/preferences.html", form=form, kinds=list(current))
