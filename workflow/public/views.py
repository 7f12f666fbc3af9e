from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from workflow.domain import State
from workflow.extensions import limiter
from workflow.nominations.services import get_nomination
from workflow.permissions import public, requires
from workflow.public import acknowledgement, services
from workflow.public.forms import StatusCheckForm

bp = Blueprint("public", __name__)


def _code_key() -> str:
    """Rate-limit key for the code typed: every spelling of one code counts as one."""
    return "status-code:" + services.normalise_code(request.form.get("code"))


@bp.route("/status", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["STATUS_CHECK_RATE_LIMIT"], methods=["POST"])
@limiter.limit(lambda: current_app.config["STATUS_CHECK_CODE_RATE_LIMIT"], methods=["POST"],
               key_func=_code_key)
@public
def status():
    """Show a nominee the stage of their nomination from its code and their birth date."""
    form = StatusCheckForm()
    result, missed = None, False
    if form.validate_on_submit():
        result = services.check_status(form.code.data, form.birth_date.data)
        missed = result is None
    response = make_response(render_template("public/status.html", form=form, result=result,
                                             missed=missed))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/nominations/<int:nomination_id>/acknowledgement.pdf")
@requires("nominations.view")
def acknowledgement_pdf(nomination_id: int):
    """Print the acknowledgement with the reference code, to hand to the nominee."""
    nomination = get_nomination(current_user, nomination_id)
    if nomination is None:
        abort(404)
    if nomination.status == State.DRAFT:
        flash(_("Submit the nomination first: the acknowledgement is given on submission."),
              "warning")
        return redirect(url_for("nominations.detail", nomination_id=nomination.id))
    status_page = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(".status")
    pdf = acknowledgement.render(nomination, submitted=services.submitted_on(nomination),
                                 status_page=status_page)
    response = make_response(bytes(pdf))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'inline; filename="acknowledgement-{nomination.reference_code}.pdf"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
