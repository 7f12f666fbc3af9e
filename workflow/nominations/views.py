import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from workflow import pipeline
from workflow.documents.services import DocumentRejected
from workflow.domain import DOCUMENT_KIND_LABELS, Role, State
from workflow.nominations import services
from workflow.nominations.forms import ActionForm, NominationForm, WithdrawForm
from workflow.permissions import requires
from workflow.sessions import services as sessions

bp = Blueprint("nominations", __name__, url_prefix="/nominations")

# Withdrawal has its own form (a reason and a confirmation); the rest are plain buttons.
OWN_FORMS = {"withdraw"}


def web_actions(nomination) -> list[pipeline.Transition]:
    """Actions fired by a button on the page: not the agenda or decisions, done in a session."""
    return [t for t in pipeline.available(nomination, current_user)
            if t.decided_by is None and t.action != "schedule" and t.action not in OWN_FORMS]


@bp.route("/")
@requires("nominations.view")
def index():
    """List the nominations the user may see, with filters, a sort order and pages."""
    if re.search(r"\d{12}", request.args.get("q") or ""):
        # An IIN typed into the search box must not stay in addresses, history or bookmarks.
        flash(_("The list is not searched by IIN: search by surname or reference code."),
              "warning")
        return redirect(url_for(".index"))
    filters = {
        "state": request.args.get("state") or None,
        "text": (request.args.get("q") or "").strip() or None,
        "association_id": request.args.get("association", type=int),
        "session_id": request.args.get("session", type=int),
        "sort": request.args.get("sort") or "newest",
    }
    page = services.list_nominations(current_user, after=request.args.get("after"), **filters)
    return render_template(
        "nominations/index.html", page=page, filters=filters, states=list(State),
        sorts=services.SORT_LABELS,
        associations=services.filter_associations(current_user, filters["association_id"]),
        sessions=sessions.list_sessions(current_user, limit=50),
    )


@bp.route("/<int:nomination_id>")
@requires("nominations.view")
def detail(nomination_id: int):
    """Show one nomination: the candidate, documents, sessions, timeline and next actions."""
    nomination = services.get_nomination(current_user, nomination_id)
    if nomination is None:
        abort(404)
    return render_template(
        "nominations/detail.html",
        nomination=nomination,
        events=services.timeline(nomination),
        documents=services.documents_of(nomination),
        items=services.session_items_of(nomination),
        returned=services.last_return(nomination) if nomination.status == State.RETURNED else None,
        actions=web_actions(nomination),
        can_withdraw=pipeline.permitted(nomination, "withdraw", current_user),
        can_edit=(current_user.role == Role.COORDINATOR
                  and nomination.status in services.EDITABLE_STATES),
        form=ActionForm(version=nomination.version),
        withdraw_form=WithdrawForm(version=nomination.version),
        DOCUMENT_KIND_LABELS=DOCUMENT_KIND_LABELS,
    )


def _refusal(form: NominationForm, error: services.NominationRefused) -> None:
    """Show a refusal by the field it concerns, with a link to the other record if allowed."""
    message = escape(str(error.message))
    if error.nomination_id:
        message = Markup('{} <a href="{}">{}</a>').format(
            message, url_for(".detail", nomination_id=error.nomination_id), _("Open it"))
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, message]
    else:
        flash(message, "danger")


def _save(form: NominationForm, save):
    """Run ``save`` and turn every refusal into a message by the field it concerns."""
    try:
        return save()
    except services.NominationRefused as error:
        _refusal(form, error)
    except DocumentRejected as error:
        flash(str(error.message), "danger")
    except pipeline.TransitionError as error:
        flash(str(error.message), "danger")
    return None


@bp.route("/new", methods=["GET", "POST"])
@requires("nominations.enter")
def new():
    """Enter a nomination an association proposes: save it as a draft or submit it."""
    form = NominationForm(associations=services.associations_for(current_user))
    if form.validate_on_submit():
        nomination = _save(form, lambda: services.create_nomination(
            current_user, form.fields(), form.files(), submit=form.submitting))
        if nomination is not None:
            flash(_("Nomination %(code)s submitted.", code=nomination.reference_code)
                  if form.submitting else
                  _("Draft %(code)s saved.", code=nomination.reference_code), "success")
            return redirect(url_for(".detail", nomination_id=nomination.id))
    return render_template("nominations/form.html", form=form, nomination=None,
                           existing=set()), (422 if request.method == "POST" else 200)


@bp.route("/<int:nomination_id>/edit", methods=["GET", "POST"])
@requires("nominations.enter")
def edit(nomination_id: int):
    """Correct a draft or a returned nomination."""
    nomination = services.editable(current_user, nomination_id)
    if nomination is None:
        abort(404)
    if nomination.status not in services.EDITABLE_STATES:
        flash(_("Only a draft or a returned nomination can be edited."), "warning")
        return redirect(url_for(".detail", nomination_id=nomination_id))
    existing = {d.kind for d in services.documents_of(nomination)}
    c = nomination.candidate
    form = NominationForm(
        associations=services.associations_for(current_user), existing_documents=existing,
        data=None if request.method == "POST" else {
            **{name: getattr(c, name) for name in (*services.CANDIDATE_FIELDS, "iin")},
            "association_id": nomination.association_id,
            "justification": nomination.justification, "version": nomination.version,
            "consent_form": c.consent_form or "",
        },
    )
    if form.validate_on_submit():
        saved = _save(form, lambda: services.update_nomination(
            current_user, nomination_id, form.fields(), form.files(),
            version=form.version.data, submit=form.submitting))
        if saved is not None:
            flash(_("Changes saved."), "success")
            return redirect(url_for(".detail", nomination_id=nomination_id))
    return render_template("nominations/form.html", form=form, nomination=nomination,
                           existing=existing), (422 if request.method == "POST" else 200)


@bp.route("/<int:nomination_id>/actions", methods=["POST"])
@requires("nominations.act")
def act(nomination_id: int):
    """Fire one pipeline action on a nomination."""
    nomination = services.get_nomination(current_user, nomination_id)
    if nomination is None:
        abort(404)
    form = ActionForm()
    allowed = {t.action for t in web_actions(nomination)}
    if not form.validate_on_submit() or form.action.data not in allowed:
        flash(_("This action is not available for this nomination now."), "warning")
        return redirect(url_for(".detail", nomination_id=nomination_id))
    transition = pipeline.BY_ACTION[form.action.data]
    try:
        services.fire(current_user, nomination_id, form.action.data,
                      comment=form.comment.data or "", version=form.version.data)
    except pipeline.ConflictError as error:
        flash(str(error.message), "warning")
    except (pipeline.TransitionError, services.NominationRefused) as error:
        flash(str(error.message), "danger")
    else:
        flash(_("Done: %(action)s.", action=transition.label), "success")
    return redirect(url_for(".detail", nomination_id=nomination_id))


@bp.route("/<int:nomination_id>/withdraw", methods=["POST"])
@requires("nominations.act")
def withdraw(nomination_id: int):
    """Withdraw a nomination before approval, with the reason."""
    if services.get_nomination(current_user, nomination_id) is None:
        abort(404)
    form = WithdrawForm()
    if not form.validate_on_submit():
        flash(_("Give the reason and confirm the withdrawal."), "warning")
        return redirect(url_for(".detail", nomination_id=nomination_id))
    try:
        services.fire(current_user, nomination_id, "withdraw", comment=form.reason.data,
                      version=form.version.data)
    except (pipeline.TransitionError, services.NominationRefused) as error:
        flash(str(error.message), "danger")
    else:
        flash(_("The nomination is withdrawn."), "success")
    return redirect(url_for(".detail", nomination_id=nomination_id))
