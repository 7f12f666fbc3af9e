from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from workflow.auth.forms import LoginForm
from workflow.auth.services import authenticate, end_sessions
from workflow.extensions import limiter
from workflow.permissions import public, requires
from workflow.security import safe_next

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _account_key() -> str:
    """Rate-limit key for the account tried, from any address: every spelling counts as one."""
    return "login-account:" + (request.form.get("email") or "").strip().lower()


def _failed(_response) -> bool:
    """Only a wrong e-mail or password counts against the limits, never a good login."""
    return g.get("login_failed", False)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"],
               deduct_when=_failed)
@limiter.limit(lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"], methods=["POST"],
               key_func=_account_key, deduct_when=_failed)
@public
def login():
    """Log a user in with e-mail and password."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            g.login_failed = True
            flash(_("The e-mail or password is not right."), "danger")
        else:
            # A new session: nothing from before the login carries over (the CSRF token
            # included), so a session prepared by someone else is worth nothing.
            session.clear()
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@requires("account")
def logout():
    """Log the current user out; every copy of their session and remember cookies stops working."""
    end_sessions(current_user)
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))
