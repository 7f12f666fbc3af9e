from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from workflow import pipeline
from workflow.documents.services import DocumentRejected
from workflow.permissions import requires
from workflow.sessions import services
from workflow.sessions.forms import AgendaForm, ConfirmForm, PlanForm, ProtocolForm, RecordForm
from workflow.sessions.models import OUTCOME_LABELS, SESSION_STATUS_LABELS, SessionStatus

bp = Blueprint("sessions", __name__, url_prefix="/sessions")


def _session_or_404(session_id: int):
    session = services.get_session(current_user, session_id)
    if session is None:
        abort(404)
    return session


def _record_form(session, formdata=None) -> RecordForm:
    if formdata is not None:
        return RecordForm()
    return RecordForm(data={
        "members_present": session.members_present,
        "items": [{"item_id": i.id, "votes_for": i.votes_for, "votes_against": i.votes_against,
                   "votes_abstain": i.votes_abstain, "deferred": i.deferred}
                  for i in session.items],
    })


@bp.route("/")
@requires("sessions.view")
def index():
    """List the region's sessions, the coming ones first."""
    sessions = services.list_sessions(current_user)
    return render_template("sessions/index.html", sessions=sessions,
                           counts=services.item_counts(sessions),
                           STATUS=SESSION_STATUS_LABELS)


@bp.route("/new", methods=["GET", "POST"])
@requires("sessions.manage")
def new():
    """Plan a regional session with the region's voting rule or an override."""
    region = current_user.region
    form = PlanForm(data=None if PlanForm().is_submitted() else {
        "quorum": region.session_quorum, "majority": region.session_majority})
    if form.validate_on_submit():
        try:
            session = services.plan_session(current_user, form.data)
        except services.SessionRefused as error:
            field = getattr(form, error.field or "", None)
            if field is not None:
                field.errors = [*field.errors, error.message]
            else:
                flash(str(error.message), "danger")
        else:
            flash(_("Session %(number)s planned. Now build its agenda.", number=session.number),
                  "success")
            return redirect(url_for(".detail", session_id=session.id))
    return render_template("sessions/new.html", form=form, region=region)


def _render_detail(session, record_form=None, status: int = 200):
    candidates = services.agenda_candidates(current_user, session)
    agenda = AgendaForm()
    agenda.nominations.choices = [(n.id, n.candidate.full_name) for n in candidates]
    rule = services.rule_of(session)
    record_form = record_form or _record_form(session)
    return render_template(
        "sessions/detail.html", session=session, candidates=candidates, agenda_form=agenda,
        record_form=record_form, rows=list(zip(session.items, record_form.items, strict=False)),
        protocol_form=ProtocolForm(),
        confirm_form=ConfirmForm(), rule=rule, STATUS=SESSION_STATUS_LABELS,
        OUTCOMES=OUTCOME_LABELS, SessionStatus=SessionStatus,
        quorum_needed=rule.quorum.minimum(session.members_total),
        waiting=services.waiting_to_forward(session)
        if session.status == SessionStatus.CLOSED else 0,
        manage=current_user.role == "coordinator",
    ), status


@bp.route("/<int:session_id>")
@requires("sessions.view")
def detail(session_id: int):
    """Show a session: its agenda, the record of votes, the protocol and the next step."""
    return _render_detail(_session_or_404(session_id))


def _done(session_id: int, step, success):
    """Run one service step; flash what happened (``success`` of its result); back to the session."""
    try:
        result = step()
    except (services.SessionRefused, pipeline.TransitionError, DocumentRejected) as error:
        flash(str(error.message), "danger")
    else:
        flash(success(result), "success")
    return redirect(url_for(".detail", session_id=session_id))


@bp.route("/<int:session_id>/agenda", methods=["POST"])
@requires("sessions.manage")
def agenda(session_id: int):
    """Put the chosen submitted nominations on the session's agenda."""
    session = _session_or_404(session_id)
    form = AgendaForm()
    form.nominations.choices = [
        (n.id, "") for n in services.agenda_candidates(current_user, session)]
    if not form.validate_on_submit():
        flash(_("Choose nominations from the list."), "warning")
        return redirect(url_for(".detail", session_id=session_id))
    return _done(session_id, lambda: services.add_to_agenda(
        current_user, session_id, form.nominations.data),
        lambda n: _("Added to the agenda: %(n)s.", n=n))


@bp.route("/<int:session_id>/record", methods=["POST"])
@requires("sessions.manage")
def record(session_id: int):
    """Record who was present and the votes on each agenda item."""
    session = _session_or_404(session_id)
    form = RecordForm()
    if not form.validate_on_submit():
        flash(_("Check the figures: whole numbers of zero or more."), "warning")
        return _render_detail(session, form, 422)
    votes = {entry.item_id.data: services.Votes(entry.votes_for.data, entry.votes_against.data,
                                                entry.votes_abstain.data, entry.deferred.data)
             for entry in form.items}
    try:
        services.record(current_user, session_id, form.members_present.data, votes)
    except services.SessionRefused as error:
        flash(str(error.message), "danger")
        return _render_detail(services.get_session(current_user, session_id), form, 422)
    flash(_("Votes recorded; the outcomes are computed from the rule. Check them, upload the "
            "protocol and close the session."), "success")
    return redirect(url_for(".detail", session_id=session_id))


@bp.route("/<int:session_id>/protocol", methods=["POST"])
@requires("sessions.manage")
def protocol(session_id: int):
    """Upload the signed protocol of the session."""
    _session_or_404(session_id)
    form = ProtocolForm()
    if not form.validate_on_submit():
        for error in form.protocol.errors:
            flash(str(error), "danger")
        return redirect(url_for(".detail", session_id=session_id))
    return _done(session_id, lambda: services.attach_protocol(
        current_user, session_id, form.protocol.data), lambda _s: _("Protocol uploaded."))


@bp.route("/<int:session_id>/close", methods=["POST"])
@requires("sessions.manage")
def close(session_id: int):
    """Close the session: apply every decision at once."""
    _session_or_404(session_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _done(session_id, lambda: services.close(current_user, session_id),
                 lambda _s: _("Session closed: every decision is applied."))


@bp.route("/<int:session_id>/forward", methods=["POST"])
@requires("sessions.manage")
def forward(session_id: int):
    """Forward every supported nomination of the session to the Secretariat at once."""
    _session_or_404(session_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _done(session_id, lambda: services.forward_supported(current_user, session_id),
                 lambda n: _("Forwarded to the Secretariat: %(n)s.", n=n))

