import re

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
from workflow.candidates import services as candidates
from workflow.consent import services as consent
from workflow.documents import pending
from workflow.domain import CONSENT_FORM_LABELS, DOCUMENT_KIND_LABELS, Role, State
from workflow.errors import render_error
from workflow.nominations import services
from workflow.nominations.forms import PAGE_FORMS, ButtonForm, NominationForm
from workflow.permissions import requires
from workflow.refusal import handled
from workflow.sessions import services as sessions

bp = Blueprint("nominations", __name__, url_prefix="/nominations")


def page_forms(nomination, submitted: dict | None = None) -> list[tuple]:
    """The page's actions from the table: (transition, the guard's reason against it or None,
    its form — the one just sent, with its errors, where there is one)."""
    submitted = submitted or {}
    rows = []
    for transition, why_not in services.page_actions(nomination, current_user):
        form = submitted.get(transition.action) or PAGE_FORMS.get(
            transition.action, ButtonForm)(formdata=None, version=nomination.version)
        rows.append((transition, why_not, form))
    return rows


def fire_page_action(nomination, action: str):
    """Fire ``action`` from the form just posted: a button, or a form with its data.

    Returns the form, and whether the action was done; a refusal is shown beside its field
    or as a flash (``workflow.refusal.handled``).
    """
    form = PAGE_FORMS.get(action, ButtonForm)()
    channel = pipeline.Channel.FORM if action in PAGE_FORMS else pipeline.Channel.BUTTON
    if not form.validate_on_submit():
        if not form.errors:
            flash(_("The form had expired. Reload the page and try again."), "warning")
        return form, False
    comment, data = form.pipeline_input()
    with handled(form) as outcome:
        services.fire(current_user, nomination.id, action, channel=channel, comment=comment,
                      data=data, version=form.version.data)
        transition = pipeline.BY_ACTION[action]
        flash(_("Done: %(action)s.", action=transition.label), "success")
    return form, not outcome.refused


@bp.route("/")
@requires("nominations.view")
def index():
    """List the nominations the user may see, with filters, a sort order and pages."""
    if re.search(r"\d{12}", re.sub(r"[\s\-]", "", request.args.get("q") or "")):
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
    # A session or an association of another region is not there for this user: 404.
    services.check_filters(current_user, association_id=filters["association_id"],
                           session_id=filters["session_id"])
    page = services.list_nominations(current_user, after=request.args.get("after"),
                                     rows_only=True, **filters)
    return render_template(
        "nominations/index.html", page=page, filters=filters, states=list(State),
        sorts=services.SORT_LABELS,
        associations=services.filter_associations(current_user, filters["association_id"]),
        sessions=sessions.session_choices(current_user, limit=50),
    )


def render_detail(nomination, submitted: dict | None = None, status: int = 200):
    return render_template(
        "nominations/detail.html",
        nomination=nomination,
        events=services.timeline(nomination),
        documents=services.documents_of(nomination),
        items=services.session_items_of(nomination),
        returned=services.last_return(nomination) if nomination.status == State.RETURNED else None,
        page_forms=page_forms(nomination, submitted),
        action_url=lambda action: url_for(".act", nomination_id=nomination.id, action=action),
        can_edit=(current_user.role == Role.COORDINATOR
                  and nomination.status in services.EDITABLE_STATES),
        DOCUMENT_KIND_LABELS=DOCUMENT_KIND_LABELS,
        CONSENT_FORM_LABELS=CONSENT_FORM_LABELS,
        consent=consent.state_of(nomination.candidate),
        can_request_consent=consent.can_request(current_user, nomination),
    ), status


@bp.route("/<int:nomination_id>")
@requires("nominations.view")
def detail(nomination_id: int):
    """Show one nomination: the candidate, documents, sessions, timeline and next actions."""
    nomination = services.get_nomination(current_user, nomination_id)
    if nomination is None:
        abort(404)
    return render_detail(nomination)


def answer_page_action(nomination_id: int, action: str, render, page: str):
    """Fire ``action`` posted from a page of the nomination; back to ``page`` when done, or
    the page again with the form, its data and its refusal (422)."""
    nomination = services.get_nomination(current_user, nomination_id)
    if nomination is None:
        abort(404)
    form, done = fire_page_action(nomination, action)
    if done:
        return redirect(url_for(page, nomination_id=nomination_id))
    return render(services.get_nomination(current_user, nomination_id), {action: form}, 422)


@bp.route("/<int:nomination_id>/actions/<action>", methods=["POST"])
@requires("nominations.act")
def act(nomination_id: int, action: str):
    """Fire one action of the nomination's page; on a refusal, show the page with the form."""
    return answer_page_action(nomination_id, action, render_detail, ".detail")


def _person_warning(form: NominationForm, nomination=None) -> bool:
    """Whether to stop and warn of another person with the same name and date of birth."""
    if form.namesake_checked.data:
        return False
    if nomination is not None and nomination.candidate.iin == form.iin.data:
        return False  # the same person as before: they were warned when first entered
    return candidates.namesakes(form.iin.data, form.surname.data, form.given_name.data,
                                form.birth_date.data) > 0


def _keep_files(form: NominationForm) -> None:
    """Keep every acceptable file chosen now under the form's token, and tell the form which
    files it already holds: a refused form loses none (workflow.documents.pending)."""
    token = form.upload_token.data
    if not token or not pending.valid(token):
        token = form.upload_token.data = pending.new_token()
    kinds = form.FILE_KINDS.values()
    if request.method == "POST":
        for name, kind in form.FILE_KINDS.items():
            pending.keep(current_user.id, token, kind, getattr(form, name).data)
    form.pending_documents = pending.kept(current_user.id, token, kinds)


def _files(form: NominationForm) -> dict:
    """The documents to store: every file kept for this form (those chosen now included)."""
    return pending.as_uploads(current_user.id, form.upload_token.data, form.FILE_KINDS.values())


@bp.route("/new", methods=["GET", "POST"])
@requires("nominations.enter")
def new():
    """Enter a nomination an association proposes: save it as a draft or submit it."""
    form = NominationForm(associations=services.associations_for(current_user))
    _keep_files(form)
    namesake = False
    if form.validate_on_submit():
        namesake = _person_warning(form)
        if not namesake:
            with handled(form):
                nomination = services.create_nomination(
                    current_user, form.person(), form.nomination(), _files(form),
                    submit=form.submitting)
                pending.discard(current_user.id, form.upload_token.data)
                flash(_("Nomination %(code)s submitted.", code=nomination.reference_code)
                      if form.submitting else
                      _("Draft %(code)s saved.", code=nomination.reference_code), "success")
                return redirect(url_for(".detail", nomination_id=nomination.id))
    return render_template("nominations/form.html", form=form, nomination=None, existing=set(),
                           namesake=namesake), (422 if request.method == "POST" else 200)


@bp.errorhandler(413)
def too_large(error):
    """A request over ``MAX_CONTENT_LENGTH``: nothing of it could be read. The browser's script
    checks the sizes before sending (workflow/static/tizim.js); without it, the person gets the
    form again with the reason, not an error page."""
    config = current_app.config
    flash(_("Nothing was received: the files were too large (at most %(mb)s MB each, %(total)s "
            "MB together). Choose smaller scans, or fewer pages, and send again.",
            mb=config["MAX_DOCUMENT_BYTES"] // 2**20,
            total=config["MAX_CONTENT_LENGTH"] // 2**20), "danger")
    if request.endpoint == "nominations.edit":
        return redirect(url_for(".edit", nomination_id=request.view_args["nomination_id"]))
    if request.endpoint != "nominations.new":
        return render_error(413)
    form = NominationForm(formdata=None, associations=services.associations_for(current_user))
    form.upload_token.data = pending.new_token()
    return render_template("nominations/form.html", form=form, nomination=None, existing=set(),
                           namesake=False), 413


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
        iin_locked=services.decided_by_a_session(nomination),
        data=None if request.method == "POST" else {
            **{name: getattr(c, name) for name in (*candidates.PERSON_FIELDS, "iin")},
            "association_id": nomination.association_id,
            "justification": nomination.justification, "version": nomination.version,
            "consent_form": c.consent_form or "",
        },
    )
    _keep_files(form)
    namesake = False
    if form.validate_on_submit():
        namesake = _person_warning(form, nomination)
        if not namesake:
            with handled(form):
                services.update_nomination(
                    current_user, nomination_id, form.person(), form.nomination(), _files(form),
                    version=form.version.data, submit=form.submitting)
                pending.discard(current_user.id, form.upload_token.data)
                flash(_("Changes saved."), "success")
                return redirect(url_for(".detail", nomination_id=nomination_id))
    return render_template("nominations/form.html", form=form, nomination=nomination,
                           existing=existing, namesake=namesake), (
        422 if request.method == "POST" else 200)
