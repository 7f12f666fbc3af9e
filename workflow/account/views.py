from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from workflow.account import services
from workflow.account.forms import ProfileForm, ResetRequestForm, SetPasswordForm
from workflow.account.models import TokenPurpose
from workflow.extensions import limiter
from workflow.permissions import public, requires

bp = Blueprint("account", __name__, url_prefix="/account")

# The pages a one-time link opens: its address must not leak to other sites as a Referer.
LINK_ENDPOINTS = {"account.accept_invitation", "account.reset_password"}


@bp.after_request
def no_referrer_on_link_pages(response):
    if request.endpoint in LINK_ENDPOINTS:
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
    return response


def _set_password_page(token: str, purpose: TokenPurpose, template: str):
    try:
        link = services.find_token(token, purpose)
    except services.LinkRefused as refused:
        return render_template("account/link_refused.html", message=refused.message), refused.status
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.use_link(token, purpose, form.password.data)
        except services.LinkRefused as refused:
            return (render_template("account/link_refused.html", message=refused.message),
                    refused.status)
        login_user(user)
        flash(_("Your password is saved and you are logged in."), "success")
        return redirect(url_for("main.home"))
    return render_template(template, form=form, user=link.user)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@public
def accept_invitation(token: str):
    """Open a member's account from the invitation link: set the first password."""
    return _set_password_page(token, TokenPurpose.INVITATION, "account/invitation.html")


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@public
def reset_password(token: str):
    """Set a new password from a reset link."""
    return _set_password_page(token, TokenPurpose.PASSWORD_RESET, "account/reset_password.html")


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@public
def forgot_password():
    """Send a password reset link to the e-mail given, if it has an account."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        flash(_("If an account has this e-mail, a link to set a new password is on its way. "
                "It works once and for two hours."), "info")
        return redirect(url_for("auth.login"))
    return render_template("account/forgot_password.html", form=form)


@bp.route("/profile", methods=["GET", "POST"])
@requires("account")
def profile():
    """Show and change the user's contacts and language."""
    candidate = services.member_candidate(current_user)
    form = ProfileForm(
        phone=candidate.phone if candidate else None,
        contact_email=candidate.email if candidate else None,
        language=current_user.language or current_app.config["BABEL_DEFAULT_LOCALE"],
    )
    if candidate is None:  # staff keep no contacts here: only the language
        del form.phone, form.contact_email
    if form.validate_on_submit():
        services.update_profile(current_user, language=form.language.data,
                                phone=form.phone.data if candidate else None,
                                contact_email=form.contact_email.data if candidate else None)
        flash(_("Your profile is saved."), "success")
        response = redirect(url_for(".profile"))
        response.set_cookie("lang", form.language.data, max_age=365 * 24 * 3600, samesite="Lax",
                            httponly=True)
        return response
    preferences = ("notifications.preferences" in current_app.view_functions
                   and url_for("notifications.preferences"))
    return render_template("account/profile.html", form=form, candidate=candidate,
                           preferences_url=preferences or None)
