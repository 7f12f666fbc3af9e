from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from workflow import pipeline
from workflow.council import services as council
from workflow.council.services import CouncilError
from workflow.documents.services import DocumentRejected
from workflow.domain import AssociationLevel, State
from workflow.extensions import db
from workflow.models import Association, Region, utcnow
from workflow.nominations import services as nominations
from workflow.permissions import requires
from workflow.register.services import active_memberships
from workflow.secretariat import exports, services
from workflow.secretariat.forms import AcceptForm, AgendaForm, NominationEntryForm, ReturnForm

bp = Blueprint("secretariat", __name__)

QUEUE_PAGE = 100


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
    items = services.queue(state, limit=QUEUE_PAGE + 1, after=after)
    more = len(items) > QUEUE_PAGE
    items = items[:QUEUE_PAGE]
    return render_template("secretariat/queue.html", state=state, items=items, more=more,
                           now=utcnow(), is_overdue=services.is_overdue,
                           age_days=services.age_days,
                           label=services.QUEUE_LABELS.get(state))


@bp.route("/exports/queues/<state>.<fmt>")
@requires("exports.queues")
def export_queue(state: str, fmt: str):
    """Download a queue as CSV or XLSX: the user's scope, the full IIN only for the Secretariat."""
    state = state_or_404(state)
    if fmt not in exports.FORMATS:
        abort(404)
    items = services.queue(state, limit=20_000, user=current_user)
    header, rows = exports.queue_table(current_user, items, utcnow())
    body = exports.render(fmt, state.value, header, rows)
    response = make_response(body)
    response.headers["Content-Type"] = exports.FORMATS[fmt]
    response.headers["Content-Disposition"] = f'attachment; filename="queue-{state.value}.{fmt}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def meeting_choices() -> list[tuple[int, str]]:
    return [(m.id, f"{m.meeting_date.isoformat()} {m.title}".strip())
            for m in council.meetings(planned_only=True)]


@bp.route("/secretariat/nominations/<int:nomination_id>")
@requires("secretariat.work")
def review(nomination_id: int):
    """Show a nomination whole for review: documents, history, checklist, possible duplicates."""
    nomination = nominations.get_nomination(current_user, nomination_id)
    if nomination is None:
        abort(404)
    documents = services.documents_of(nomination)
    duplicates = services.find_duplicates(nomination)
    agenda_form = AgendaForm(version=nomination.version)
    agenda_form.meeting_id.choices = meeting_choices()
    return render_template(
        "secretariat/review.html", nomination=nomination, documents=documents,
        duplicates=duplicates, events=nominations.timeline(nomination),
        checks=services.checklist(nomination, documents, duplicates),
        accept_form=AcceptForm(version=nomination.version),
        return_form=ReturnForm(version=nomination.version), agenda_form=agenda_form,
        can=lambda action: pipeline.permitted(nomination, action, current_user),
        reasons=services.RETURN_REASONS)


def back_to_review(nomination_id: int):
    return redirect(url_for(".review", nomination_id=nomination_id))


@bp.route("/secretariat/nominations/<int:nomination_id>/accept", methods=["POST"])
@requires("secretariat.work")
def accept(nomination_id: int):
    """Accept a forwarded nomination for review."""
    form = AcceptForm()
    if form.validate_on_submit():
        try:
            services.accept(current_user, nomination_id, version=form.version.data)
        except pipeline.TransitionError as error:
            flash(str(error.message), "danger")
        else:
            flash(_("Accepted for review."), "success")
    return back_to_review(nomination_id)


@bp.route("/secretariat/nominations/<int:nomination_id>/return", methods=["POST"])
@requires("secretariat.work")
def return_(nomination_id: int):
    """Return a nomination to its region with the reasons and a comment."""
    form = ReturnForm()
    if not form.validate_on_submit():
        flash(_("Choose at least one reason and write a comment for the coordinator."), "danger")
        return back_to_review(nomination_id)
    try:
        services.return_for_correction(current_user, nomination_id, reasons=form.reasons.data,
                                       comment=form.comment.data, version=form.version.data)
    except pipeline.TransitionError as error:
        flash(str(error.message), "danger")
    else:
        flash(_("Returned to the region for correction."), "success")
    return back_to_review(nomination_id)


@bp.route("/secretariat/nominations/<int:nomination_id>/agenda", methods=["POST"])
@requires("secretariat.work")
def put_on_agenda(nomination_id: int):
    """Put a nomination under review on a planned Council meeting's agenda."""
    form = AgendaForm()
    form.meeting_id.choices = meeting_choices()
    if not form.validate_on_submit():
        flash(_("Choose a planned Council meeting."), "danger")
        return back_to_review(nomination_id)
    try:
        council.add_to_agenda(current_user, form.meeting_id.data, [nomination_id])
    except (CouncilError, pipeline.TransitionError) as error:
        flash(str(error.message), "danger")
    else:
        flash(_("Put on the Council agenda."), "success")
    return back_to_review(nomination_id)


def entry_choices(form: NominationEntryForm) -> None:
    regions = db.session.scalars(select(Region).order_by(Region.sort_order))
    form.region_id.choices = [(r.id, r.name) for r in regions]
    associations = db.session.scalars(
        select(Association).where(Association.active.is_(True))
        .order_by(Association.level != AssociationLevel.REPUBLICAN, Association.name))
    form.association_id.choices = [(0, "—")] + [(a.id, a.name) for a in associations]
    form.replaces_membership_id.choices = [(0, "—")] + [
        (m.id, f"{m.member_number} — {m.candidate.full_name}") for m in active_memberships()]


@bp.route("/secretariat/nominations/new", methods=["GET", "POST"])
@requires("secretariat.work")
def new_nomination():
    """Enter a nomination on the association, Council or rotation route with its decision."""
    form = NominationEntryForm()
    entry_choices(form)
    if form.validate_on_submit():
        person = services.CandidateData(
            iin=form.iin.data, surname=form.surname.data.strip(),
            given_name=form.given_name.data.strip(),
            patronymic=(form.patronymic.data or "").strip() or None,
            birth_date=form.birth_date.data, sex=form.sex.data, citizenship=form.citizenship.data,
            ethnicity=form.ethnicity.data.strip(), occupation=form.occupation.data or "",
            position=form.position.data or "", email=form.email.data or None,
            phone=form.phone.data or None, consent_given_on=form.consent_given_on.data,
            consent_form=form.consent_form.data or None)
        try:
            nomination = services.enter_nomination(
                current_user, route=form.route.data, region_id=form.region_id.data,
                person=person, decision=form.decision.data,
                association_id=form.association_id.data or None,
                nominating_body=form.nominating_body.data,
                justification=form.justification.data or "",
                replaces_membership_id=form.replaces_membership_id.data or None,
                consent=form.consent.data, cv=form.cv.data)
        except (services.EntryError, pipeline.TransitionError, DocumentRejected) as error:
            flash(str(error.message), "danger")
        else:
            flash(_("Nomination entered; it is under review."), "success")
            return redirect(url_for(".review", nomination_id=nomination.id))
    return render_template("secretariat/new.html", form=form)
