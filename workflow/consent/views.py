"""The coordinator's "send the consent request" button and the nominee's public consent page."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from workflow.consent import services, text
from workflow.consent.forms import GiveConsentForm, RequestConsentForm
from workflow.extensions import db, limiter
from workflow.models import Nomination
from workflow.permissions import public, requires, visible
from workflow.refusal import Refusal, handled

# Each language named in itself, for the switch.
LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский"}

bp = Blueprint("consent", __name__)


@bp.after_request
def no_referrer_on_the_link_page(response):
    """The page the link opens: its address must not leak as a Referer, nor stay in a cache."""
    if request.endpoint == "consent.give":
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/nominations/<int:nomination_id>/consent/request", methods=["POST"])
@requires("nominations.act")
def request_consent(nomination_id: int):
    """Send the nominee the consent link by e-mail (again: the previous link stops working)."""
    if visible(current_user, Nomination, nomination_id) is None:
        abort(404)
    form = RequestConsentForm()
    if not form.validate_on_submit():
        flash(_("The form had expired. Reload the page and try again."), "warning")
        return redirect(url_for("nominations.detail", nomination_id=nomination_id))
    with handled(form) as outcome:
        services.request(current_user, nomination_id)
    if not outcome.refused:
        flash(_("The consent request was sent to the candidate's e-mail."), "success")
    return redirect(url_for("nominations.detail", nomination_id=nomination_id))


def _language(token) -> str:
    """The language asked for (the e-mail's link names the nominee's, the switch the other),
    else the reader's own if the text has it, else the nominee's."""
    for chosen in (request.form.get("language"), request.args.get("lang"), str(get_locale())):
        if chosen in text.LANGUAGES:
            return chosen
    return token.candidate.language if token.candidate.language in text.LANGUAGES else "kk"


@bp.route("/consent/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["STATUS_CHECK_RATE_LIMIT"])
@public
def give(token: str):
    """The nominee reads the consent text in their language and gives consent (no login)."""
    try:
        link = services.open_link(token)
        language = _language(link)
        form = GiveConsentForm(language=language)
        with force_locale(language):
            if form.validate_on_submit():
                services.give(token, language=form.language.data, ip=request.remote_addr)
                return render_template("consent/given.html", language=language)
            return render_template(
                "consent/give.html", form=form, language=language,
                sections=text.sections(language), version=text.VERSION,
                person=link.candidate.full_name, token=token, languages=LANGUAGE_NAMES,
            ), 422 if form.errors else 200
    except Refusal as refusal:  # unknown, used, superseded or expired: said politely
        db.session.rollback()
        return render_template("consent/closed.html", refusal=refusal), refusal.status
