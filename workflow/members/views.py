from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from workflow.account.services import invite_member
from workflow.members import services
from workflow.members.forms import InviteForm
from workflow.models import PaperKind
from workflow.papers.views import deliver
from workflow.permissions import requires

bp = Blueprint("members", __name__, url_prefix="/members")


def _membership_or_404(membership_id: int):
    membership = services.get_membership(current_user, membership_id)
    if membership is None:
        abort(404)
    return membership


@bp.route("/<int:membership_id>")
@requires("members.view")
def detail(membership_id: int):
    """Show one membership: number, dates, basis and the nomination's history."""
    membership = _membership_or_404(membership_id)
    return render_template("members/detail.html", membership=membership,
                           basis=services.basis(membership), events=services.history(membership),
                           invite_form=InviteForm())


@bp.route("/of-nomination/<int:nomination_id>")
@requires("members.view")
def of_nomination(nomination_id: int):
    """Open the membership issued from a nomination."""
    membership = services.membership_of_nomination(current_user, nomination_id)
    if membership is None:
        abort(404)
    return redirect(url_for(".detail", membership_id=membership.id))


@bp.route("/<int:membership_id>/certificate.pdf")
@requires("members.view")
def certificate_pdf(membership_id: int):
    """Download the membership certificate (Kazakh and Russian), sealed, as a PDF."""
    membership = _membership_or_404(membership_id)
    return deliver(PaperKind.CERTIFICATE, membership.id)


@bp.route("/<int:membership_id>/invite", methods=["POST"])
@requires("members.invite")
def invite(membership_id: int):
    """Send the member the invitation to open their account (again)."""
    membership = _membership_or_404(membership_id)
    if not InviteForm().validate_on_submit():
        abort(400)
    outcome = invite_member(membership)
    messages = {
        "invited": (_("The invitation is on its way to the member's e-mail."), "success"),
        "no_email": (_("The member has no e-mail on record: add it to the candidate's record "
                       "first."), "warning"),
        "taken": (_("The member's e-mail belongs to another account. Ask an administrator."),
                  "warning"),
        "has_password": (_("The member has opened the account already: they can reset their "
                           "password from the log-in page."), "info"),
    }
    flash(*messages[outcome])
    return redirect(url_for(".detail", membership_id=membership.id))
