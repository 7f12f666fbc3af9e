from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from workflow import pipeline
from workflow.domain import State
from workflow.nominations import services
from workflow.nominations.forms import ActionForm
from workflow.permissions import requires

bp = Blueprint("nominations", __name__, url_prefix="/nominations")


def web_actions(nomination) -> list[pipeline.Transition]:
    """Actions fired by a button on the page; session, Council and Chairman decisions are not."""
    return [t for t in pipeline.available(nomination, current_user) if t.decided_by is None]


@bp.route("/")
@requires("nominations.view")
def index():
    """List the nominations the user may see, newest first, with filters."""
    state = request.args.get("state") or None
    text = (request.args.get("q") or "").strip() or None
    after = request.args.get("after", type=int)
    page = services.list_nominations(current_user, state=state, text=text, after=after)
    return render_template("nominations/index.html", page=page, state=state, q=text or "",
                           states=list(State))


@bp.route("/<int:nomination_id>")
@requires("nominations.view")
def detail(nomination_id: int):
    """Show one nomination: the candidate, its timeline and the actions open to the user."""
    nomination = services.get_nomination(current_user, nomination_id)
    if nomination is None:
        abort(404)
    return render_template(
        "nominations/detail.html",
        nomination=nomination,
        events=services.timeline(nomination),
        actions=web_actions(nomination),
        form=ActionForm(version=nomination.version),
    )


@bp.route("/<int:nomination_id>/actions", methods=["POST"])
@requires("nominations.act")
def act(nomination_id: int):
    """Fire one pipeline action on a nomination."""
    nomination = services.get_nomination(current_user, nomination_id)
    if nomination is None:
        abort(404)
    form = ActionForm()
    allowed = {t.action for t in web_actions(nomination)}
    if not form.validate_on_submit() or form.action.data not in allowed:
        flash(_("This action is not available for this nomination now."), "warning")
        return redirect(url_for(".detail", nomination_id=nomination_id))
    transition = pipeline.BY_ACTION[form.action.data]
    try:
        services.fire(current_user, nomination_id, form.action.data,
                      comment=form.comment.data or "", version=form.version.data)
    except pipeline.ConflictError as error:
        flash(str(error.message), "warning")
    except pipeline.TransitionError as error:
        flash(str(error.message), "danger")
    else:
        flash(_("Done: %(action)s.", action=transition.label), "success")
    return redirect(url_for(".detail", nomination_id=nomination_id))
