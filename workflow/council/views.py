from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from workflow import quota_forecast as forecast
from workflow.council import services
from workflow.council.forms import AgendaAddForm, MeetingForm, RecordForm
from workflow.domain import RECUSAL_REASON_LABELS, State
from workflow.permissions import requires
from workflow.refusal import handled

bp = Blueprint("council", __name__, url_prefix="/council")

# What the meeting decided on an item (CouncilAgendaItem.outcome).
OUTCOME_LABELS = {
    "recommend": _l("Recommended to the Chairman"),
    "decline_by_council": _l("Declined"),
    "defer": _l("Deferred"),
}


def render_index(form: MeetingForm | None = None, status: int = 200):
    meetings = services.meetings(current_user)
    return render_template("council/index.html", meetings=meetings, form=form or MeetingForm(),
                           counts=services.item_counts(m.id for m in meetings),
                           rule=services.council_rule()), status


@bp.route("/")
@requires("council.manage")
def index():
    """List Council meetings and plan a new one."""
    return render_index()


@bp.route("/meetings", methods=["POST"])
@requires("council.manage")
def plan():
    """Plan a Council meeting: today or later; a refusal is shown in the form."""
    form = MeetingForm()
    if form.validate_on_submit():
        with handled(form):
            meeting = services.plan_meeting(current_user, meeting_date=form.meeting_date.data,
                                            members_total=form.members_total.data,
                                            title=form.title.data or "")
            flash(_("Meeting planned. Now build its agenda."), "success")
            return redirect(url_for(".meeting", meeting_id=meeting.id))
    return render_index(form, 422)


def row_labels(meeting) -> dict[int, str]:
    """Each agenda item's row as the vote form names it: its number and the candidate."""
    return {item.id: _("Row %(n)s (%(name)s)", n=n, name=item.nomination.candidate.full_name)
            for n, item in enumerate(meeting.items, start=1)}


def record_form_for(meeting, form=None) -> RecordForm:
    form = form or RecordForm(labels=row_labels(meeting))
    if not form.items.entries:
        for item in meeting.items:
            if item.nomination.status == State.COUNCIL_AGENDA:
                form.items.append_entry({"item_id": item.id})
    return form


def render_meeting(meeting, record_form: RecordForm | None = None, status: int = 200):
    """The meeting's page: its agenda, what may be added, and the record of its votes (the
    figures typed when ``record_form`` was refused; else the stored ones)."""
    add_form = AgendaAddForm()
    candidates = [] if meeting.is_recorded else services.candidates_for_agenda(current_user)
    add_form.nomination_ids.choices = [(n.id, n.candidate.full_name) for n in candidates]
    record_form = record_form_for(meeting, None if meeting.is_recorded else record_form)
    quota_view = {} if meeting.is_recorded else forecast.context(
        [i.nomination_id for i in meeting.items if i.nomination.status == State.COUNCIL_AGENDA],
        "recommend", request.form if request.method == "POST" else None)
    return render_template("council/meeting.html", meeting=meeting, add_form=add_form,
                           candidates=candidates, record_form=record_form,
                           vote_entries={e.item_id.data: e for e in record_form.items},
                           button=FlaskForm(), rule=services.council_rule(),
                           OUTCOMES=OUTCOME_LABELS, RECUSALS=RECUSAL_REASON_LABELS,
                           **quota_view), status


@bp.route("/meetings/<int:meeting_id>")
@requires("council.manage")
def meeting(meeting_id: int):
    """Show a meeting: its agenda, what may be added, and the record of its votes."""
    meeting = services.get_meeting(current_user, meeting_id)
    if meeting is None:
        abort(404)
    return render_meeting(meeting)


@bp.route("/meetings/<int:meeting_id>/agenda", methods=["POST"])
@requires("council.manage")
def add_to_agenda(meeting_id: int):
    """Put the chosen nominations under review on the meeting's agenda."""
    form = AgendaAddForm()
    form.nomination_ids.choices = [
        (n.id, "") for n in services.candidates_for_agenda(current_user)]
    if not form.validate_on_submit():
        flash(_("Choose at least one nomination under review."), "warning")
        return redirect(url_for(".meeting", meeting_id=meeting_id))
    with handled(form):
        added = services.add_to_agenda(current_user, meeting_id, form.nomination_ids.data)
        flash(_("%(n)s nominations put on the agenda.", n=added), "success")
    return redirect(url_for(".meeting", meeting_id=meeting_id))


@bp.route("/meetings/<int:meeting_id>/items/<int:nomination_id>/remove", methods=["POST"])
@requires("council.manage")
def take_off(meeting_id: int, nomination_id: int):
    """Take a nomination off a planned meeting's agenda: it is under review again."""
    form = FlaskForm()
    if form.validate_on_submit():
        with handled(form):
            services.take_off_agenda(current_user, meeting_id, nomination_id)
            flash(_("Taken off the agenda: the nomination is under review again."), "success")
    return redirect(url_for(".meeting", meeting_id=meeting_id))


@bp.route("/meetings/<int:meeting_id>/record", methods=["POST"])
@requires("council.manage")
def record(meeting_id: int):
    """Record attendance and votes; apply every outcome at once, or none.

    A refused record shows the page again with every figure typed and each faulty row named;
    a stale tab's re-post of a meeting recorded meanwhile shows the stored record only, with
    the refusal."""
    meeting = services.get_meeting(current_user, meeting_id)
    if meeting is None:
        abort(404)
    form = record_form_for(meeting, RecordForm(labels=row_labels(meeting)))
    if meeting.is_recorded:
        flash(_("This meeting is already recorded."), "warning")
        return render_meeting(meeting, None, 409)
    if not form.validate_on_submit():
        flash(_("Nothing was recorded: correct what is marked below."), "danger")
        return render_meeting(meeting, form, 422)
    deferred = [e.item_id.data for e in form.items if e.deferred.data]
    votes = {e.item_id.data: services.Votes(
        e.votes_for.data, e.votes_against.data, e.votes_abstained.data,
        e.recusal())
             for e in form.items if not e.deferred.data}
    with handled(form) as outcome:
        tally = services.record_meeting(current_user, meeting_id, present=form.present.data,
                                        votes=votes, deferred=deferred,
                                        protocol=form.protocol.data or None,
                                        quota_override=forecast.override_form(
                                            request.form).reason_given())
        flash(_("Recorded: %(rec)s recommended, %(dec)s declined, %(deferred)s deferred.",
                rec=tally["recommend"], dec=tally["decline_by_council"], deferred=tally["defer"]),
              "success")
        return redirect(url_for(".meeting", meeting_id=meeting_id))
    meeting = services.get_meeting(current_user, meeting_id)
    return render_meeting(meeting, form, outcome.refusal.status)
