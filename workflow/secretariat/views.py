from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from workflow import pipeline
from workflow.council import services as council
from workflow.domain import STATE_LABELS, State
from workflow.extensions import db
from workflow.models import Region, utcnow
from workflow.nominations import services as nominations
from workflow.nominations.views import answer_page_action, page_forms
from workflow.permissions import requires
from workflow.refusal import handled
from workflow.secretariat import exports, services
from workflow.secretariat.forms import (
    AgendaForm,
    BulkAgendaForm,
    BulkForm,
    BulkReturnForm,
    NominationEntryForm,
)

bp = Blueprint("secretariat", __name__)

QUEUE_PAGE = 100
EXPORT_LIMIT = 20_000


def state_or_404(value: str) -> State:
    try:
        return State(value)
    except ValueError:
        abort(404)


@bp.route("/secretariat/queues/<state>")
@requires("secretariat.work")
def queue(state: str):
    """List one queue, longest waiting first, with each item's age and the overdue marked."""
    state = state_or_404(state)
    after = None
    if request.args.get("after_id", type=int) and request.args.get("after_at"):
        from datetime import datetime

        try:
            after = (datetime.fromisoformat(request.args["after_at"]),
                     request.args.get("after_id", type=int))
        except ValueError:
            abort(400)
        if after[0].tzinfo is None:  # our links carry aware times: this one was made by hand
            abort(400)
    return render_queue(state, after)


def bulk_forms(state: State, sent=None) -> dict:
    """The queue's bulk actions with their forms (the one just sent, with its errors)."""
    forms = {}
    for action in services.bulk_actions(current_user, state):
        form = sent if sent is not None and sent.action == action else BULK_FORMS[action](
            formdata=None)
        if isinstance(form, BulkAgendaForm):
            form.meeting_id.choices = meeting_choices()
        form.action = action
        forms[action] = form
    return forms


def render_queue(state: State, after=None, sent=None, status: int = 200):
    items = services.queue(current_user, state, limit=QUEUE_PAGE + 1, after=after,
                           rows_only=True)
    more = len(items) > QUEUE_PAGE
    items = items[:QUEUE_PAGE]
    forms = bulk_forms(state, sent)
    return render_template("secretariat/queue.html", state=state, items=items, more=more,
                           now=utcnow(), is_overdue=services.is_overdue,
                           age_days=services.age_days,
                           label=services.QUEUE_LABELS.get(state), bulk=forms,
                           ticked=set(sent.items.data or ()) if sent is not None else set(),
                           TRANSITIONS=pipeline.BY_ACTION), status


BULK_FORMS = {"accept": BulkForm, "return": BulkReturnForm,
              "put_on_council_agenda": BulkAgendaForm}


@bp.route("/secretariat/queues/<state>/bulk", methods=["POST"])
@requires("secretariat.work")
def bulk_action(state: str):
    """Fire one action on every nomination ticked in the queue, all or none, and say what
    happened to each."""
    state = state_or_404(state)
    action = request.form.get("action", "")
    if action not in services.bulk_actions(current_user, state):
        abort(404)
    form = BULK_FORMS[action]()
    form.action = action
    if isinstance(form, BulkAgendaForm):
        form.meeting_id.choices = meeting_choices()
    if not form.validate_on_submit():
        if not form.errors:
            flash(_("The form had expired. Reload the page and try again."), "warning")
        return render_queue(state, sent=form, status=422)
    versions = form.versions()
    with handled(form):
        if action == "accept":
            batch = services.accept_all(current_user, versions)
        elif action == "return":
            comment, data = form.pipeline_input()
            batch = services.return_all(current_user, versions, reasons=data["reasons"],
                                        comment=comment)
        else:
            batch = council.put_on_agenda(current_user, form.meeting_id.data, versions)
        return render_template(
            "bulk_result.html", batch=batch, detail_endpoint="secretariat.review",
            back_url=url_for(".queue", state=state.value),
            back_label=services.QUEUE_LABELS.get(state) or STATE_LABELS[state]), (
            200 if batch.applied else 409)
    return render_queue(state, sent=form, status=422)


@bp.route("/exports/queues/<state>.<fmt>")
@requires("exports.queues")
def export_queue(state: str, fmt: str):
    """Download a queue as CSV or XLSX: the user's scope, the full IIN only for the Secretariat."""
    state = state_or_404(state)
    if fmt not in exports.FORMATS:
        abort(404)
    items = services.queue(current_user, state, limit=20_000)
    header, rows = exports.queue_table(current_user, items, utcnow())
    return exports.download(fmt, f"queue-{state.value}", header, rows, title=state.value)


@bp.route("/exports/nominations.<fmt>")
@requires("exports.lists")
def export_nominations(fmt: str):
    """Download the nominations the user may see (a coordinator: their region's) as CSV or
    XLSX, with the list's filters; IINs masked but for the Secretariat."""
    if fmt not in exports.FORMATS:
        abort(404)
    filters = {"state": request.args.get("state") or None,
               "text": (request.args.get("q") or "").strip() or None,
               "association_id": request.args.get("association", type=int),
               "session_id": request.args.get("session", type=int)}
    nominations.check_filters(current_user, association_id=filters["association_id"],
                              session_id=filters["session_id"])
    rows = nominations.list_nominations(current_user, sort="oldest", limit=EXPORT_LIMIT,
                                        **filters).items
    return exports.download(fmt, "nominations", *exports.nominations_table(current_user, rows))


def meeting_choices() -> list[tuple[int, str]]:
    return [(m.id, f"{format_date(m.meeting_date)} {m.title}".strip())
            for m in council.meetings(current_user, planned_only=True)]


def render_review(nomination, submitted: dict | None = None, status: int = 200):
    documents = services.documents_of(nomination)
    duplicates = services.find_duplicates(nomination)
    agenda_form = AgendaForm(version=nomination.version)
    agenda_form.meeting_id.choices = meeting_choices()
    return render_template(
        "secretariat/review.html", nomination=nomination, documents=documents,
        duplicates=duplicates, events=nominations.timeline(nomination),
        checks=services.checklist(nomination, documents, duplicates),
        page_forms=page_forms(nomination, submitted),
        action_url=lambda action: url_for(".act", nomination_id=nomination.id, action=action),
        agenda_form=agenda_form,
        can_put_on_agenda=pipeline.permitted(nomination, "put_on_council_agenda", current_user),
    ), status


@bp.route("/secretariat/nominations/<int:nomination_id>")
@requires("secretariat.work")
def review(nomination_id: int):
    """Show a nomination whole for review: documents, history, checklist, possible duplicates."""
    nomination = nominations.get_nomination(current_user, nomination_id)
    if nomination is None:
        abort(404)
    return render_review(nomination)


@bp.route("/secretariat/nominations/<int:nomination_id>/actions/<action>", methods=["POST"])
@requires("secretariat.work")
def act(nomination_id: int, action: str):
    """Fire one action of the page from the review page; on a refusal, show it with the form."""
    return answer_page_action(nomination_id, action, render_review, ".review")


@bp.route("/secretariat/nominations/<int:nomination_id>/agenda", methods=["POST"])
@requires("secretariat.work")
def put_on_agenda(nomination_id: int):
    """Put a nomination under review on a planned Council meeting's agenda."""
    form = AgendaForm()
    form.meeting_id.choices = meeting_choices()
    if not form.validate_on_submit():
        flash(_("Choose a planned Council meeting."), "danger")
    else:
        with handled(form):
            council.add_to_agenda(current_user, form.meeting_id.data, [nomination_id])
            flash(_("Put on the Council agenda."), "success")
    return redirect(url_for(".review", nomination_id=nomination_id))


def entry_choices(form: NominationEntryForm) -> None:
    regions = db.session.scalars(select(Region).order_by(Region.sort_order))
    form.region_id.choices = [(r.id, r.name) for r in regions]
    form.association_id.choices = [(0, "—")] + [
        (a.id, a.name) for a in nominations.associations_for(current_user)]
    form.replaces_membership_id.choices = [(0, "—")] + [
        (m.id, f"{m.member_number} — {m.candidate.full_name}")
        for m in services.active_memberships(current_user)]


@bp.route("/secretariat/nominations/new", methods=["GET", "POST"])
@requires("secretariat.work")
def new_nomination():
    """Enter a nomination on the association, Council or rotation route with its decision."""
    form = NominationEntryForm()
    entry_choices(form)
    if form.validate_on_submit():
        with handled(form):
            nomination = services.enter_nomination(
                current_user, route=form.route.data, region_id=form.region_id.data,
                person=form.person(), decision=form.decision.data,
                association_id=form.association_id.data or None,
                nominating_body=form.nominating_body.data,
                justification=form.justification.data or "",
                replaces_membership_id=form.replaces_membership_id.data or None,
                consent=form.consent.data, cv=form.cv.data)
            flash(_("Nomination entered; it is under review."), "success")
            return redirect(url_for(".review", nomination_id=nomination.id))
    return render_template("secretariat/new.html", form=form), (
        422 if request.method == "POST" else 200)
