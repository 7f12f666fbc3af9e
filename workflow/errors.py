"""Error pages that say what happened, in HTML for people and JSON for programs."""

import math
import time
from datetime import UTC, datetime

from flask import Flask, jsonify, render_template, request
from flask_babel import format_time, ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from workflow import pipeline
from workflow.extensions import db

MESSAGES = {
    400: (_l("The request could not be understood"),
          _l("Something in the form or the address was not as expected. Go back and try again.")),
    403: (_l("Not available to you"),
          _l("Your role does not give access to this page. If your work needs it, ask an "
             "administrator.")),
    404: (_l("Not found"),
          _l("There is nothing at this address, or it is not in your area of work.")),
    409: (_l("Changed by someone else"),
          _l("Someone changed this record while you were working on it. Reload the page to see "
             "the current state.")),
    413: (_l("The file is too large"), _l("Each document may be at most 10 MB.")),
    429: (_l("Too many attempts"), _l("Wait a few minutes, then try again.")),
    500: (_l("Something went wrong on our side"),
          _l("The error is recorded. Nothing you entered was half-saved; please try again later.")),
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def render_error(status: int, detail=None):
    title, message = MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400])
    if detail:
        message = detail
    if wants_json():
        return jsonify(error=status, title=str(title), message=str(message)), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def when_to_try_again() -> str | None:
    """For a 429: the limiter's reset time, said in the user's language and time zone."""
    from workflow.extensions import limiter

    current = limiter.current_limit
    if current is None:
        return None
    reset_at = current.reset_at
    minutes = max(1, math.ceil((reset_at - time.time()) / 60))
    return ngettext(
        "Too many attempts. Try again after %(time)s, in about %(num)d minute.",
        "Too many attempts. Try again after %(time)s, in about %(num)d minutes.",
        minutes, time=format_time(datetime.fromtimestamp(reset_at, UTC), "short"),
    )


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        detail = when_to_try_again() if error.code == 429 else None
        return render_error(error.code or 500, detail)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(400, _l("The form had expired or was sent from another page. "
                                    "Reload the page and send it again; nothing was saved."))

    @app.errorhandler(pipeline.TransitionError)
    def transition_error(error: pipeline.TransitionError):
        db.session.rollback()
        return render_error(error.http_status if error.http_status in MESSAGES else 409,
                            error.message)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(500)
