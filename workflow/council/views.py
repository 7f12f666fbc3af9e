from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from workflow import pipeline
from workflow.council import services
from workflow.council.forms import AgendaAddForm, MeetingForm, RecordForm
from workflow.documents.services import DocumentRejected
from workflow.domain import State
from workflow.permissions import requires

bp = Blueprint("council", __name__, url_prefix="/council")


@bp.route("/")
@requires("council.manage")
def index():
    """List Council meetings and plan a new one."""
    meetings = services.meetings()
    return render_template("council/index.html", meetings=meetings, form=MeetingForm(),
                           counts=services.item_counts(m.id for m in meetings),
                           rule=services.council_rule())


@bp.route("/meetings", methods=["POST"])
@requires("council.manage")
def plan():
    """Plan a Council meeting."""
    form = MeetingForm()
    if not form.validate_on_submit():
        flash(_("Give the meeting's date and the number of Council members."), "danger")
        return redirect(url_for(".index"))
    meeting = services.plan_meeting(current_user, meeting_date=form.meeting_date.data,
                                    members_total=form.members_total.data,
                                    title=form.title.data or "")
    flash(_("Meeting planned. Now build its agenda."), "success")
    return redirect(url_for(".meeting", meeting_id=meeting.id))


def record_form_for(meeting, form=None) -> RecordForm:
    form = form or RecordForm()
    if not form.items.entries:
        for item in meeting.items:
            if item.nomination.status == State.COUNCIL_AGENDA:
                form.items.append_entry({"item_id": item.id})
    return form


@bp.route("/meetings/<int:meeting_id>")
@requires("council.manage")
def meeting(meeting_id: int):
    """Show a meeting: its agenda, what may be added, and the record of its votes."""
    meeting = services.get_meeting(meeting_id)
    if meeting is None:
        abort(404)
    add_form = AgendaAddForm()
    candidates = [] if meeting.is_recorded else services.candidates_for_agenda()
    add_form.nomination_ids.choices = [(n.id, n.candidate.full_name) for n in candidates]
    record_form = record_form_for(meeting)
    return render_template("council/meeting.html", meeting=meeting, add_form=add_form,
                           candidates=candidates, record_form=record_form,
                           vote_entries={e.item_id.data: e for e in record_form.items},
                           rule=services.council_rule())


@bp.route("/meetings/<int:meeting_id>/agenda", methods=["POST"])
@requires("council.manage")
def add_to_agenda(meeting_id: int):
    """Put the chosen nominations under review on the meeting's agenda."""
    form = AgendaAddForm()
    form.nomination_ids.choices = [(n.id, "") for n in services.candidates_for_agenda()]
    if not form.validate_on_submit():
        flash(_("Choose at least one nomination under review."), "warning")
        return redirect(url_for(".meeting", meeting_id=meeting_id))
    try:
        added = services.add_to_agenda(current_user, meeting_id, form.nomination_ids.data)
    except (services.CouncilError, pipeline.TransitionError) as error:
        flash(str(error.message), "danger")
    else:
        flash(_("%(n)s nominations put on the agenda.", n=added), "success")
    return redirect(url_for(".meeting", meeting_id=meeting_id))


@bp.route("/meetings/<int:meeting_id>/record", methods=["POST"])
@requires("council.manage")
def record(meeting_id: int):
    """Record attendance and votes; apply every outcome at once, or none."""
    meeting = services.get_meeting(meeting_id)
    if meeting is None:
        abort(404)
    form = RecordForm()
    if not form.validate_on_submit():
        flash(_("Enter the number present and every item's votes as whole numbers."), "danger")
        return redirect(url_for(".meeting", meeting_id=meeting_id))
    votes = {entry.item_id.data: services.Votes(entry.votes_for.data, entry.votes_against.data,
                                                entry.votes_abstained.data)
             for entry in form.items}
    try:
        tally = services.record_meeting(current_user, meeting_id, present=form.present.data,
                                        votes=votes, protocol=form.protocol.data or None)
    except (services.CouncilError, pipeline.TransitionError, DocumentRejected) as error:
        flash(str(error.message), "danger")
    else:
        flash(_("Recorded: %(rec)s recommended, %(dec)s declined.",
                rec=tally["recommend"], dec=tally["decline_by_council"]), "success")
    return redirect(url_for(".meeting", meeting_id=meeting_id))
