"""The JSON API v1: another way into the same services, pipeline and scope as the pages.

Every view here calls the service its page calls (``nominations.services.fire`` →
``pipeline.apply``, ``create_nomination``, ``sessions.services.plan_session`` …) and reads
through ``permissions.scoped``/``visible``; another region's object is a 404. A call with a
personal token (``Authorization: Bearer tzm_…``) acts as the token's user, and the audit trail
says so: that user, ``via = "api"``. Token calls are exempt from CSRF (no cookie carries
them); a call with the session cookie of a signed-in browser is held to CSRF like any form.
"""

from __future__ import annotations

import io
from functools import wraps

from flask import (
    Blueprint,
    current_app,
    g,
    jsonify,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from spectree import Response

from workflow.account import tokens
from workflow.api import schemas as s
from workflow.api import services
from workflow.api.idempotency import idempotent
from workflow.api.spec import api, document
from workflow.errors import problem
from workflow.extensions import csrf
from workflow.permissions import public, requires
from workflow.public.views import status_limited
from workflow.refusal import Refusal, not_found

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # checked below, for the calls a session cookie carries

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@bp.before_request
def authenticate():
    """A bearer token names the user of this call; without one, the session (reads, or
    writes with their CSRF token)."""
    g.via = "api"
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, credentials = header.partition(" ")
        user = tokens.authenticate(credentials.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            return problem(401, code="invalid_token",
                           headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        g._login_user = user  # Flask-Login's current user, for this request only
        g.api_token = True
        return None
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "permission", None) and not current_user.is_authenticated:
        return problem(401, headers={"WWW-Authenticate": "Bearer"})
    if (request.method not in SAFE_METHODS and current_user.is_authenticated
            and current_app.config.get("WTF_CSRF_ENABLED", True)):
        try:
            csrf.protect()
        except CSRFError:
            return problem(400, _l("A browser's call needs its CSRF token; a program sends its "
                                   "API token instead."), code="csrf")
    return None


def found(getter, argument: str):
    """Answer 404 before anything else when ``user`` may not see the object in the path: the
    same answer as for an id that does not exist, whatever the body says."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if getter(current_user, kwargs[argument]) is None:
                raise not_found()
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _me():
    return current_user._get_current_object()


def _json():
    """The request's JSON body as its model checked it; another kind of body is a 415."""
    body = getattr(getattr(request, "context", None), "json", None)
    if body is None:
        raise Refusal(_l("Send the body as JSON (Content-Type: application/json)."),
                      code="unsupported_media_type", status=415)
    return body


# --- The document and its page. ---------------------------------------------------------------


@bp.route("/openapi.json")
@public
def openapi():
    """The OpenAPI 3.1 document, generated from these views."""
    return jsonify(document())


@bp.route("/docs")
@public
def documentation():
    """A readable page of the document (Redoc, vendored: no CDN)."""
    return render_template("api/docs.html", spec_url=url_for(".openapi"))


# --- Reference data. ---------------------------------------------------------------------------


@bp.route("/regions")
@requires("nominations.view")
@api.validate(resp=Response(HTTP_200=s.RegionList), tags=["reference"])
def regions():
    """The 20 regions (ISO 3166-2:KZ codes), in the Assembly's order."""
    return jsonify(items=services.regions())


@bp.route("/associations")
@requires("associations.view")
@api.validate(query=s.AssociationQuery, resp=Response(HTTP_200=s.AssociationList),
              tags=["associations"])
def associations():
    """The associations you may see: your region's and the republican ones (all, nationally)."""
    query = request.context.query
    return jsonify(items=services.associations(_me(), query.q, query.include_inactive))


@bp.route("/associations", methods=["POST"])
@requires("associations.manage")
@idempotent
@api.validate(json=s.AssociationIn, resp=Response(HTTP_201=s.AssociationOut),
              tags=["associations"])
def create_association():
    """Add an association: a coordinator's is regional, in their region; the Secretariat
    names the level and the region."""
    created = services.create_association(_me(), _json())
    return jsonify(created), 201


# --- Nominations. -------------------------------------------------------------------------------


@bp.route("/nominations")
@requires("nominations.view")
@api.validate(query=s.NominationQuery, resp=Response(HTTP_200=s.NominationPage),
              tags=["nominations"])
def nominations():
    """The nominations you may see (the list page's scope), with filters and cursor pages:
    pass ``next`` as ``after`` for the next page."""
    return jsonify(services.nomination_page(_me(), request.context.query))


@bp.route("/nominations", methods=["POST"])
@requires("nominations.enter")
@idempotent
@api.validate(form=s.NominationIn, resp=Response(HTTP_201=s.NominationOut),
              tags=["nominations"])
def create_nomination():
    """Enter a regional nomination with its documents (``multipart/form-data``), as the
    coordinator's form does: saved as a draft, or submitted with ``submit=true``."""
    nomination_id = services.create_nomination(_me(), request.form, request.files)
    response = jsonify(services.nomination_summary(_me(), nomination_id))
    response.status_code = 201
    response.headers["Location"] = url_for(".nomination", nomination_id=nomination_id)
    return response


def _nomination(user, nomination_id):
    return services.visible_nomination(user, nomination_id)


@bp.route("/nominations/<int:nomination_id>")
@requires("nominations.view")
@api.validate(resp=Response(HTTP_200=s.NominationOut), tags=["nominations"])
def nomination(nomination_id: int):
    """One nomination, with the actions you may fire on it now (``POST …/transitions``)."""
    data = services.nomination_summary(_me(), nomination_id)
    if data is None:
        raise not_found()
    return jsonify(data)


@bp.route("/nominations/<int:nomination_id>/transitions", methods=["POST"])
@requires("nominations.act")
@found(_nomination, "nomination_id")
@idempotent
@api.validate(json=s.TransitionIn, resp=Response(HTTP_200=s.TransitionOut),
              tags=["nominations"])
def transition(nomination_id: int):
    """Fire one action of the nomination (one of its ``actions``), with its data and comment.

    200 with the new state; 409 when someone changed it first (``expected_version``) or the
    pipeline refuses it in this state; 422 when the data are missing or not valid.
    """
    body = _json()
    return jsonify(services.fire(_me(), nomination_id, body.action, data=body.data,
                                 comment=body.comment, expected_version=body.expected_version))


@bp.route("/nominations/<int:nomination_id>/events")
@requires("nominations.view")
@found(_nomination, "nomination_id")
@api.validate(resp=Response(HTTP_200=s.EventList), tags=["nominations"])
def nomination_events(nomination_id: int):
    """The nomination's timeline, oldest first, each event said in the request's language."""
    return jsonify(items=services.nomination_events(_me(), nomination_id))


@bp.route("/nominations/<int:nomination_id>/documents/<int:document_id>")
@requires("documents.download")
@found(_nomination, "nomination_id")
@api.validate(resp=Response("HTTP_200"), tags=["nominations"])
def document_file(nomination_id: int, document_id: int):
    """One of the nomination's documents, as the file that was uploaded."""
    document, path = services.document_of(_me(), nomination_id, document_id)
    # At most 10 MB: read whole (the response is then an ordinary one, closed with the request).
    response = send_file(io.BytesIO(path.read_bytes()), mimetype=document.content_type,
                         as_attachment=True, download_name=document.filename, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.direct_passthrough = False
    return response


# --- The changes feed. -------------------------------------------------------------------------


@bp.route("/events")
@requires("nominations.view")
@api.validate(query=s.FeedQuery, resp=Response(HTTP_200=s.FeedPage), tags=["events"])
def events():
    """Every transition of the nominations you may see, in the order they were committed:
    keep ``next`` and ask ``?after=<next>`` to follow Tizim without polling each nomination."""
    query = request.context.query
    return jsonify(services.feed(_me(), query.after, query.limit))


# --- Regional sessions. ------------------------------------------------------------------------


@bp.route("/sessions")
@requires("sessions.view")
@api.validate(resp=Response(HTTP_200=s.SessionList), tags=["sessions"])
def sessions():
    """The regional sessions you may see, newest first, with their agendas."""
    return jsonify(items=services.sessions(_me()))


@bp.route("/sessions", methods=["POST"])
@requires("sessions.manage")
@idempotent
@api.validate(json=s.SessionIn, resp=Response(HTTP_201=s.SessionOut), tags=["sessions"])
def create_session():
    """Plan a session of your region's assembly, with the region's rule or another one and
    its reason."""
    return jsonify(services.plan_session(_me(), _json())), 201


@bp.route("/sessions/<int:session_id>/decisions", methods=["POST"])
@requires("sessions.manage")
@found(services.visible_session, "session_id")
@idempotent
@api.validate(json=s.DecisionsIn, resp=Response(HTTP_200=s.SessionOut), tags=["sessions"])
def session_decisions(session_id: int):
    """Record the session's attendance and each item's votes or deferral, and who is recused
    from an item (``recusal``: not counted in its quorum or majority); the outcomes are
    computed from the session's rule (closing the session applies them)."""
    return jsonify(services.record_decisions(_me(), session_id, _json()))


@bp.route("/sessions/<int:session_id>/no-quorum", methods=["POST"])
@requires("sessions.manage")
@found(services.visible_session, "session_id")
@idempotent
@api.validate(json=s.NoQuorumIn, resp=Response(HTTP_200=s.SessionOut), tags=["sessions"])
def session_no_quorum(session_id: int):
    """Record the session as held without quorum, with its attendance: every open item is
    deferred for that reason (closing the session applies the deferrals). Refused when those
    present make a quorum: record the votes (``…/decisions``) instead."""
    return jsonify(services.record_no_quorum(_me(), session_id, _json()))


# --- Members. --------------------------------------------------------------------------------------


@bp.route("/members")
@requires("members.view")
@api.validate(query=s.MemberQuery, resp=Response(HTTP_200=s.MemberList), tags=["members"])
def members():
    """The memberships you may see: your region's (coordinators), all (the Secretariat), your
    own (a member)."""
    query = request.context.query
    return jsonify(services.members(_me(), query.after, query.limit))


@bp.route("/members/<int:membership_id>")
@requires("members.view")
@api.validate(resp=Response(HTTP_200=s.MemberOut), tags=["members"])
def member(membership_id: int):
    """One membership you may see."""
    data = services.member(_me(), membership_id)
    if data is None:
        raise not_found()
    return jsonify(data)


# --- The public status check. -------------------------------------------------------------------


@bp.route("/status", methods=["POST"])
@status_limited
@public
@api.validate(json=s.StatusIn, resp=Response(HTTP_200=s.StatusOut), tags=["public"])
def status():
    """A nominee's check of their nomination's stage: the reference code and the birth date,
    no token; the /status page's limits apply (one budget for both)."""
    body = _json()
    result = services.check_status(body.code, body.birth_date)
    if not result["found"]:
        g.status_missed = True  # only a miss counts against the code (as on the page)
    return jsonify(result)
