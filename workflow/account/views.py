from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from workflow.account import services, tokens
from workflow.account.forms import (
    ApiTokenForm,
    ProfileForm,
    ResetRequestForm,
    RevokeTokenForm,
    SetPasswordForm,
)
from workflow.auth.services import PASSWORD_MIN
from workflow.extensions import limiter
from workflow.models import TokenPurpose
from workflow.permissions import allowed, public, requires
from workflow.refusal import Refusal, handled

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
    except Refusal as refused:
        return render_template("account/link_refused.html", message=refused.message), refused.status
    form = SetPasswordForm(user_inputs=(link.user.email, link.user.name))
    if form.validate_on_submit():
        try:
            user = services.use_link(token, purpose, form.password.data)
        except Refusal as refused:
            return (render_template("account/link_refused.html", message=refused.message),
                    refused.status)
        login_user(user)
        flash(_("Your password is saved and you are logged in."), "success")
        return redirect(url_for("main.home"))
    return render_template(template, form=form, user=link.user, password_min=PASSWORD_MIN)


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
    return _profile_page(form, candidate)


def _profile_page(form, candidate, token_form=None, new_token: str | None = None,
                  status: int = 200):
    preferences = ("notifications.preferences" in current_app.view_functions
                   and url_for("notifications.preferences"))
    api = allowed("api.tokens")
    return render_template(
        "account/profile.html", form=form, candidate=candidate,
        preferences_url=preferences or None, api=api,
        tokens=tokens.tokens_of(current_user) if api else [], is_live=tokens.is_live,
        token_form=token_form or ApiTokenForm(formdata=None), revoke_form=RevokeTokenForm(),
        new_token=new_token), status


@bp.route("/tokens", methods=["POST"])
@requires("api.tokens")
def create_token():
    """Make a personal API token; the page shows it this once."""
    form = ApiTokenForm()
    profile_form = ProfileForm(formdata=None, language=current_user.language)
    del profile_form.phone, profile_form.contact_email
    if form.validate_on_submit():
        with handled(form):
            _token, plain = tokens.create(current_user, form.name.data, form.days.data)
            flash(_("The token is made. Copy it now: it is not shown again."), "success")
            return _profile_page(profile_form, None, new_token=plain)
    return _profile_page(profile_form, None, token_form=form, status=422)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@requires("api.tokens")
def revoke_token(token_id: int):
    """Revoke one of the user's own tokens: it stops working at once."""
    if RevokeTokenForm().validate_on_submit():
        token = tokens.revoke(current_user, token_id)
        flash(_("The token “%(name)s” is revoked.", name=token.name), "success")
    return redirect(url_for(".profile"))
