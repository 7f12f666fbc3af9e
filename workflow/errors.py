"""Error pages that say what happened, in HTML for people and JSON for programs."""

import math
import time
from datetime import UTC, datetime

from flask import Flask, jsonify, render_template, request
from flask_babel import format_time, ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from workflow.extensions import db
from workflow.refusal import Refusal

MESSAGES = {
    401: (_l("Not signed in"),
          _l("Send a personal API token in the Authorization header: “Bearer tzm_…”. It may "
             "have been revoked or have expired, or its account closed.")),
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
    405: (_l("Not possible at this address"),
          _l("This address does not take this method: see the API documentation.")),
    422: (_l("Some data are missing or not valid"),
          _l("Something sent is missing or not valid: see the fields named.")),
    413: (_l("The file is too large"), _l("Each document may be at most 10 MB.")),
    429: (_l("Too many attempts"), _l("Wait a few minutes, then try again.")),
    500: (_l("Something went wrong on our side"),
          _l("The error is recorded. Nothing you entered was half-saved; please try again later.")),
}


def _is_admin() -> bool:
    from flask_login import current_user

    from workflow.domain import Role

    return getattr(current_user, "is_authenticated", False) and current_user.role == Role.ADMIN


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def is_api() -> bool:
    return request.path.startswith("/api/")


PROBLEM = "application/problem+json"


def problem(status: int, detail=None, *, code: str | None = None, field: str | None = None,
            title=None, headers=None, **extra):
    """An RFC 9457 problem document: ``title`` and ``detail`` in the request's language, the
    refusal's ``code`` (and the ``field`` it concerns) for programs."""
    default_title, default_detail = MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400])
    body = {"type": "about:blank", "title": str(title or default_title), "status": status,
            "detail": str(detail or default_detail), "code": code or CODES.get(status, "error"),
            "instance": request.path}
    if field:
        body["field"] = field
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


# The code of a problem no refusal named.
CODES = {400: "bad_request", 401: "unauthenticated", 403: "not_allowed", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "too_large",
         415: "unsupported_media_type", 422: "invalid", 429: "too_many_requests",
         500: "server_error", 503: "unavailable"}


# A refusal's title says what kind of no it is (the status alone does not: a 409 may be a
# conflict or a step the state does not allow).
CODE_TITLES = {
    "wrong_state": _l("Not possible now"),
    "wrong_channel": _l("Not done this way"),
    "guard": _l("Not possible yet"),
    "duplicate": _l("Already recorded"),
    "missing_data": _l("Something is missing"),
}


# An administrator is the one others are told to ask: they are told what the page is for.
ADMIN_FORBIDDEN = _l("This page belongs to the daily work of another role (a coordinator or "
                     "the Secretariat). To let someone open it, give their account that role "
                     "under Users.")


def render_error(status: int, detail=None, code: str | None = None, field: str | None = None):
    title, message = MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400])
    title = CODE_TITLES.get(code, title)
    if status == 403 and _is_admin():
        message = ADMIN_FORBIDDEN
    if detail:
        message = detail
    if is_api():
        return problem(status, message, code=code, field=field, title=title)
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
        if error.code is None and error.response is not None:
            return error.response  # abort(response): the answer is made already
        detail = when_to_try_again() if error.code == 429 else None
        return render_error(error.code or 500, detail)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(400, _l("The form had expired or was sent from another page. "
                                    "Reload the page and send it again; nothing was saved."))

    @app.errorhandler(Refusal)
    def refusal(error: Refusal):
        """A refusal no view showed itself: the error page (or JSON) with its message."""
        db.session.rollback()
        return render_error(error.status, error.message, code=error.code, field=error.field)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(500)
