import json

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from workflow.domain import CONSENT_FORM_LABELS
from workflow.extensions import db
from workflow.models import DestructionRecord, Membership, Nomination
from workflow.permissions import requires, visible
from workflow.privacy import pdf, services
from workflow.privacy.forms import ConsentWithdrawalForm, FindPersonForm
from workflow.refusal import handled

bp = Blueprint("privacy", __name__, url_prefix="/privacy")


@bp.route("/", methods=["GET", "POST"])
@requires("privacy.manage")
def index():
    """Find a person by IIN (posted, never in the address); list the destruction records."""
    form = FindPersonForm()
    if form.validate_on_submit():
        candidate = services.find_person(form.iin.data)
        if candidate is not None and services.person(current_user, candidate.id) is not None:
            return redirect(url_for(".person", candidate_id=candidate.id))
        flash(_("No person with this IIN is in Tizim."), "warning")
    return render_template("privacy/index.html", form=form, records=services.records(),
                           retention=services.retention_table(),
                           grounds=services.GROUND_LABELS)


@bp.route("/people/<int:candidate_id>")
@requires("privacy.manage")
def person(candidate_id: int):
    """Show what Tizim holds about one person, the exports, and the withdrawal of consent."""
    candidate = services.person(current_user, candidate_id)
    if candidate is None:
        abort(404)
    nominations = db.session.scalars(select(Nomination).where(
        Nomination.candidate_id == candidate.id).order_by(Nomination.id)).all()
    memberships = db.session.scalars(select(Membership).where(
        Membership.candidate_id == candidate.id).order_by(Membership.id)).all()
    return render_template("privacy/person.html", c=candidate, nominations=nominations,
                           memberships=memberships, due=services.due(candidate),
                           form=ConsentWithdrawalForm(), CONSENT_FORM_LABELS=CONSENT_FORM_LABELS)


def _download(body: bytes, content_type: str, name: str):
    response = make_response(body)
    response.headers["Content-Type"] = content_type
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/people/<int:candidate_id>/export.<fmt>")
@requires("privacy.manage")
def export(candidate_id: int, fmt: str):
    """Download everything Tizim holds about the person, as JSON or PDF."""
    candidate = services.person(current_user, candidate_id)
    if candidate is None or fmt not in ("json", "pdf"):
        abort(404)
    data = services.subject_access(candidate)
    name = f"subject-access-{candidate.id}.{fmt}"
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False, indent=2).encode()
        return _download(body, "application/json; charset=utf-8", name)
    return _download(pdf.render(data), "application/pdf", name)


@bp.route("/people/<int:candidate_id>/consent-withdrawal", methods=["POST"])
@requires("privacy.manage")
def withdraw_consent(candidate_id: int):
    """Record the candidate's withdrawal of consent; it withdraws their open nominations."""
    form = ConsentWithdrawalForm()
    if not form.validate_on_submit():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        flash(_("The withdrawal was not recorded: %(errors)s", errors=errors), "danger")
        return redirect(url_for(".person", candidate_id=candidate_id))
    with handled(form):
        services.record_withdrawal(current_user, candidate_id, withdrawn_on=form.withdrawn_on.data,
                                   document=form.document.data)
        flash(_("The withdrawal of consent is recorded; the open nominations are withdrawn."),
              "success")
    return redirect(url_for(".person", candidate_id=candidate_id))


@bp.route("/destructions/<int:record_id>")
@requires("privacy.manage")
def destruction(record_id: int):
    """Show one destruction record, ready to print."""
    record = visible(current_user, DestructionRecord, record_id)
    if record is None:
        abort(404)
    return render_template("privacy/destruction.html", r=record,
                           grounds=services.GROUND_LABELS, kinds=services.DESTROYED_LABELS,
                           outcomes=services.OUTCOME_LABELS)
