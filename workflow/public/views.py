from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    render_template,
    request,
)
from flask_login import current_user

from workflow.extensions import limiter
from workflow.models import PaperKind
from workflow.nominations.services import get_nomination
from workflow.papers.views import deliver
from workflow.permissions import public, requires
from workflow.public import services
from workflow.public.forms import StatusCheckForm

bp = Blueprint("public", __name__)


def _code_key() -> str:
    """Rate-limit key for the code typed: every spelling of one code counts as one (from the
    page's form or the API's JSON alike)."""
    body = request.get_json(silent=True) if request.is_json else None
    code = body.get("code") if isinstance(body, dict) else request.form.get("code")
    return "status-code:" + services.normalise_code(code if isinstance(code, str) else None)


def _missed(_response) -> bool:
    """Only a check that found nothing counts against its code: the nominee checking their own
    code, however often, never uses up its tries, nor does anyone who knows the birth date."""
    return g.get("status_missed", False)


def status_limited(view):
    """The limits of a status check, per address and per code, shared by the page and the
    API's POST /api/v1/status: one budget, whichever way the checks come."""
    view = limiter.shared_limit(lambda: current_app.config["STATUS_CHECK_CODE_RATE_LIMIT"],
                                "status-check-code", methods=["POST"], key_func=_code_key,
                                deduct_when=_missed)(view)
    return limiter.shared_limit(lambda: current_app.config["STATUS_CHECK_RATE_LIMIT"],
                                "status-check", methods=["POST"])(view)


@bp.route("/status", methods=["GET", "POST"])
@status_limited
@public
def status():
    """Show a nominee the stage of their nomination from its code and their birth date."""
    form = StatusCheckForm()
    result, missed = None, False
    if form.validate_on_submit():
        result = services.check_status(form.code.data, form.birth_date.data)
        missed = g.status_missed = result is None
    return render_template("public/status.html", form=form, result=result, missed=missed)


@bp.route("/nominations/<int:nomination_id>/acknowledgement.pdf")
@requires("nominations.view")
def acknowledgement_pdf(nomination_id: int):
    """Print the acknowledgement with the reference code, to hand to the nominee."""
    nomination = get_nomination(current_user, nomination_id)
    if nomination is None:
        abort(404)
    return deliver(PaperKind.ACKNOWLEDGEMENT, nomination.id)
