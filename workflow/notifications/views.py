from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from workflow import pipeline
from workflow.database import transaction
from workflow.notifications import sent, services, wording
from workflow.notifications.forms import ButtonForm, WordingForm, preferences_form
from workflow.permissions import allowed, requires
from workflow.refusal import handled
from workflow.security import safe_next

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.app_context_processor
def bell():
    """The bell's count, computed only when a page shows it."""

    def unread_notifications() -> int:
        if not allowed("notifications"):
            return 0
        return services.unread_count(current_user)

    return {"unread_notifications": unread_notifications}


@bp.app_context_processor
def messages_sent():
    """The nomination page's "Messages sent" (templates/notifications/_sent.html) reads this."""

    def sent_messages(nomination):
        return sent.about(nomination, current_user)

    return {"sent_messages": sent_messages}


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
    return redirect(safe_next(request.form.get("next")))


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


# --- E-mails that did not go out. ---------------------------------------------------------------


@bp.route("/deliveries")
@requires("deliveries.view")
def deliveries():
    """List e-mails that failed or wait too long, with the reason and a button to resend."""
    status = request.args.get("status") if request.args.get("status") in sent.PROBLEM_FILTERS \
        else None
    template = request.args.get("kind") if request.args.get("kind") in sent.TEMPLATE_LABELS \
        else None
    rows, more = sent.problems(current_user, status=status, template=template,
                               before=request.args.get("before", type=int))
    query = {k: v for k, v in (("status", status), ("kind", template)) if v}
    return render_template("notifications/deliveries.html", rows=rows, more=more, query=query,
                           status=status, kind=template, form=ButtonForm(),
                           statuses=sent.PROBLEM_FILTERS, kinds=sent.TEMPLATE_LABELS)


@bp.route("/deliveries/<int:delivery_id>/resend", methods=["POST"])
@requires("deliveries.resend")
def resend(delivery_id: int):
    """Queue a failed or stuck e-mail again (same key and Message-ID: never sent twice)."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    with handled() as outcome:
        sent.resend(current_user, delivery_id)
    if not outcome.refused:
        flash(_("The e-mail is queued to be sent again."), "success")
    elif outcome.refusal.status == 404:
        abort(404)
    return redirect(safe_next(request.form.get("next")) if request.form.get("next")
                    else url_for(".deliveries"))


# --- The wording of each step's e-mail. ----------------------------------------------------------


@bp.route("/wording")
@requires("email.wording")
def wordings():
    """List each step's e-mails with the languages whose wording the administrator changed."""
    return render_template("notifications/wordings.html", kinds=wording.KINDS,
                           actions=wording.actions, own=wording.overview(),
                           languages=current_app.config["LANGUAGES"])


@bp.route("/wording/<kind>/<action>/<language>", methods=["GET", "POST"])
@requires("email.wording")
def edit_wording(kind: str, action: str, language: str):
    """Edit one step's e-mail in one language; preview it; go back to the shipped wording."""
    if not wording.exists(kind, action) or language not in current_app.config["LANGUAGES"]:
        abort(404)
    own = wording.find(kind, action, language)
    subject, body = (own.subject, own.body) if own else wording.shipped(kind, action, language)
    form = WordingForm(kind, data={"subject": subject, "body": body})
    preview = preview_html = None
    if form.validate_on_submit():
        if form.save.data:
            with handled(form):
                wording.save(current_user, kind, action, language, form.subject.data,
                             form.body.data)
                flash(_("The wording is saved: the next e-mails use it."), "success")
                return redirect(url_for(".edit_wording", kind=kind, action=action,
                                        language=language))
        else:
            draft = wording.draft(kind, action, language, form.subject.data, form.body.data)
            values = wording.sample(kind, action, language)
            preview = wording.render(draft, values)
            preview_html = wording.html_body(draft, values)
    status = 422 if form.errors else 200
    return render_template(
        "notifications/wording.html", form=form, kind=kind, action=action, language=language,
        step=pipeline.BY_ACTION[action].label, kinds=wording.KINDS, own=own, preview=preview,
        preview_html=preview_html,
        placeholders=wording.PLACEHOLDERS[kind], reset_form=ButtonForm(),
        languages=current_app.config["LANGUAGES"]), status


@bp.route("/wording/<kind>/<action>/<language>/reset", methods=["POST"])
@requires("email.wording")
def reset_wording(kind: str, action: str, language: str):
    """Go back to the shipped wording of this e-mail in this language."""
    if not wording.exists(kind, action) or language not in current_app.config["LANGUAGES"]:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    if wording.reset(current_user, kind, action, language):
        flash(_("The shipped wording is used again."), "success")
    return redirect(url_for(".edit_wording", kind=kind, action=action, language=language))
