from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from workflow.domain import RECUSAL_REASON_LABELS
from workflow.models import OUTCOME_LABELS, SESSION_STATUS_LABELS, SessionStatus
from workflow.permissions import requires
from workflow.refusal import handled
from workflow.sessions import services
from workflow.sessions.forms import (
    AgendaForm,
    CancelForm,
    ConfirmForm,
    EditForm,
    PlanForm,
    ProtocolForm,
    RecordForm,
    RescheduleForm,
)

bp = Blueprint("sessions", __name__, url_prefix="/sessions")


def _session_or_404(session_id: int):
    session = services.get_session(current_user, session_id)
    if session is None:
        abort(404)
    return session


def _record_form(session, formdata=None) -> RecordForm:
    if formdata is not None:
        return RecordForm()
    # formdata=None: the stored figures, even when answering a POST (a FlaskForm reads the
    # request's form by default, which would show a refused re-post's figures instead).
    return RecordForm(formdata=None, data={
        "members_present": session.members_present, "no_quorum": session.no_quorum,
        "items": [{"item_id": i.id, "votes_for": i.votes_for, "votes_against": i.votes_against,
                   "votes_abstain": i.votes_abstain, "deferred": i.deferred,
                   "deferral_reason": i.deferral_reason, "recused": i.recused,
                   "recusal_names": i.recusal_names, "recusal_reason": i.recusal_reason or "",
                   "recusal_note": i.recusal_note}
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
        with handled(form):
            session = services.plan_session(current_user, form.data)
            flash(_("Session %(number)s planned. Now build its agenda.", number=session.number),
                  "success")
            return redirect(url_for(".detail", session_id=session.id))
    return render_template("sessions/new.html", form=form, region=region)


def _change_forms(session, **given) -> dict:
    """The forms that change a planned session (details, date, cancellation)."""
    forms = {
        "edit": EditForm(formdata=None, data={"number": session.number, "place": session.place,
                                              "members_total": session.members_total}),
        "reschedule": RescheduleForm(formdata=None, data={"held_on": session.held_on}),
        "cancel": CancelForm(formdata=None),
    }
    forms.update(given)
    return forms


def _render_detail(session, record_form=None, status: int = 200, **change_forms):
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
        change=_change_forms(session, **change_forms), RECUSALS=RECUSAL_REASON_LABELS,
    ), status


@bp.route("/<int:session_id>")
@requires("sessions.view")
def detail(session_id: int):
    """Show a session: its agenda, the record of votes, the protocol and the next step."""
    return _render_detail(_session_or_404(session_id))


def _done(session_id: int, step, success):
    """Run one service step; flash what happened (``success`` of its result); back to the session."""
    with handled():
        flash(success(step()), "success")
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
    votes = {entry.item_id.data: services.Votes(
        entry.votes_for.data, entry.votes_against.data, entry.votes_abstain.data,
        entry.deferred.data, entry.deferral_reason.data,
        entry.recusal())
             for entry in form.items}
    with handled(form) as outcome:
        if form.no_quorum.data:
            services.record_no_quorum(current_user, session_id, form.members_present.data)
            flash(_("Recorded as held without quorum: every item is deferred for that reason. "
                    "Upload the protocol and close the session."), "success")
        else:
            services.record(current_user, session_id, form.members_present.data, votes)
            flash(_("Votes recorded; the outcomes are computed from the rule. Check them, "
                    "upload the protocol and close the session."), "success")
        return redirect(url_for(".detail", session_id=session_id))
    session = services.get_session(current_user, session_id)
    if session.status in (SessionStatus.CLOSED, SessionStatus.CANCELLED):
        # A stale tab re-posting figures for a session closed meanwhile: the page shows what is
        # stored, with the refusal, never the refused figures beside the stored outcome.
        return _render_detail(session, None, outcome.refusal.status)
    return _render_detail(session, form, outcome.refusal.status)


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


@bp.route("/<int:session_id>/items/<int:nomination_id>/remove", methods=["POST"])
@requires("sessions.manage")
def remove(session_id: int, nomination_id: int):
    """Take a nomination off a planned session's agenda: it waits for a session again."""
    _session_or_404(session_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _done(session_id, lambda: services.remove_from_agenda(
        current_user, session_id, nomination_id),
        lambda _r: _("Taken off the agenda: the nomination waits for a session again."))


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
    with handled():
        batch = services.forward_supported(current_user, session_id)
        return render_template(
            "bulk_result.html", batch=batch, detail_endpoint="nominations.detail",
            back_url=url_for(".detail", session_id=session_id),
            back_label=_("Back to the session")), 200 if batch.applied else 409
    return redirect(url_for(".detail", session_id=session_id))



@bp.route("/<int:session_id>/edit", methods=["POST"])
@requires("sessions.manage")
def edit(session_id: int):
    """Change a planned session's number, place or membership on the day."""
    session = _session_or_404(session_id)
    form = EditForm()
    if not form.validate_on_submit():
        return _render_detail(session, status=422, edit=form)
    with handled(form) as outcome:
        services.edit_session(current_user, session_id, form.data)
        flash(_("The session's details are saved."), "success")
        return redirect(url_for(".detail", session_id=session_id))
    return _render_detail(services.get_session(current_user, session_id),
                          status=outcome.refusal.status, edit=form)


@bp.route("/<int:session_id>/reschedule", methods=["POST"])
@requires("sessions.manage")
def reschedule(session_id: int):
    """Move a planned session to another day."""
    session = _session_or_404(session_id)
    form = RescheduleForm()
    if not form.validate_on_submit():
        return _render_detail(session, status=422, reschedule=form)
    with handled(form) as outcome:
        moved = services.reschedule(current_user, session_id, form.held_on.data)
        flash(_("The session is now on %(date)s.", date=format_date(moved.held_on, "long")),
              "success")
        return redirect(url_for(".detail", session_id=session_id))
    return _render_detail(services.get_session(current_user, session_id),
                          status=outcome.refusal.status, reschedule=form)


@bp.route("/<int:session_id>/cancel", methods=["POST"])
@requires("sessions.manage")
def cancel(session_id: int):
    """Cancel a planned session: its agenda goes back to wait for another session."""
    session = _session_or_404(session_id)
    form = CancelForm()
    if not form.validate_on_submit():
        return _render_detail(session, status=422, cancel=form)
    with handled(form) as outcome:
        n = services.cancel_session(current_user, session_id, form.reason.data)
        flash(_("The session is cancelled; nominations back to wait for a session: %(n)s.",
                n=n), "success")
        return redirect(url_for(".detail", session_id=session_id))
    return _render_detail(services.get_session(current_user, session_id),
                          status=outcome.refusal.status, cancel=form)
