from flask import (
    Blueprint,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from workflow.database import transaction
from workflow.main import dashboards
from workflow.permissions import public, requires

bp = Blueprint("main", __name__)


@bp.route("/")
@requires("account")
def home():
    """Show the signed-in user's starting page: their pipeline and what needs them now."""
    context = dashboards.BY_ROLE[current_user.role](current_user)
    return render_template(f"main/home_{current_user.role}.html", **context)


@bp.route("/language", methods=["POST"])
@public
def set_language():
    """Switch the interface language and remember the choice."""
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        lang = current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user.is_authenticated:
        with transaction():
            current_user.language = lang
    target = request.form.get("next") or url_for("main.home")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("main.home")
    response = make_response(redirect(target))
    response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


@bp.route("/healthz")
@public
def health():
    """Report that the application answers (for the load balancer)."""
    return jsonify(status="ok")
