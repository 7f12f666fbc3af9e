from flask import Blueprint, abort, jsonify
from flask_login import current_user

from workflow.api import services
from workflow.permissions import requires

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.route("/nominations/<int:nomination_id>")
@requires("nominations.view")
def nomination(nomination_id: int):
    """Return one nomination as JSON (errors are JSON too, in the user's language)."""
    data = services.nomination_summary(current_user._get_current_object(), nomination_id)
    if data is None:
        abort(404)
    return jsonify(data)
