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

from workflow import health as health_checks
from workflow.auth.forms import LoginForm
from workflow.database import transaction
from workflow.main import dashboards
from workflow.permissions import public
from workflow.public.forms import StatusCheckForm
from workflow.security import safe_next

bp = Blueprint("main", __name__)


@bp.route("/")
@public
def home():
    """The signed-in user's starting page (their pipeline and what needs them now); for anyone
    else, what Tizim is, the login form and the nominee's status check."""
    if not current_user.is_authenticated:
        return render_template("main/start.html", login_form=LoginForm(),
                               status_form=StatusCheckForm())
    context = dashboards.BY_ROLE[current_user.role](current_user)
    return render_template(f"main/home_{current_user.role}.html", **context)


@bp.route("/favicon.ico")
@public
def favicon():
    """Browsers ask for /favicon.ico whatever the page links: the SVG icon (base.html)."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


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
    response = make_response(redirect(safe_next(request.form.get("next"))))
    response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


@bp.route("/healthz")
@public
def health():
    """Report that the application answers (for the load balancer)."""
    return jsonify(status="ok")


@bp.route("/readyz")
@public
def ready():
    """Report whether the database, its schema, Redis and a worker are there (503 if not)."""
    results = health_checks.checks()
    ready = all(results.values())
    body = {"status": "ready" if ready else "not ready",
            "checks": {name: "ok" if passed else "failing" for name, passed in results.items()}}
    response = jsonify(body)
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response
