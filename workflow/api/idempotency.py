"""``Idempotency-Key`` on every POST: the same key and body within 24 hours returns the first
answer and does nothing twice.

The key is claimed by inserting a row (UNIQUE user + key) and committing *before* the work.
Of two requests with one key, one inserts and works; the other's INSERT waits for that
commit and fails on the constraint, and it then waits (up to ``WAIT`` seconds) for the
stored answer, or answers 409 ``in_progress``. The same key with another body is a 422
(``idempotency_key_reused``). An answer of the server's own failure (5xx) is not kept: the
key is released, and a retry does the work. A claim whose request died without an answer is
taken over after ``LEASE``.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import timedelta
from functools import wraps

from flask import current_app, make_response, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from workflow.database import transaction
from workflow.errors import problem
from workflow.extensions import db
from workflow.models import IdempotentRequest, utcnow

HEADER = "Idempotency-Key"
KEEP = timedelta(hours=24)
LEASE = timedelta(minutes=2)
WAIT = 10.0  # seconds a second request waits for the first one's answer
KEY_MAX = 255


def fingerprint() -> str:
    """The request as the key must find it again: method, path, query and body.

    A JSON body counts by its content (not its spacing or key order); a multipart body by its
    fields and each file's name and SHA-256 (a retry's new boundary is the same request).
    """
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}?{request.query_string.decode()}\n".encode())
    if request.mimetype == "multipart/form-data":
        for name, value in sorted(request.form.items(multi=True)):
            digest.update(json.dumps(["field", name, value]).encode())
        for name, file in sorted(request.files.items(multi=True), key=lambda item: item[0]):
            content = file.stream.read()
            file.stream.seek(0)
            digest.update(json.dumps(["file", name, file.filename,
                                      hashlib.sha256(content).hexdigest()]).encode())
        return digest.hexdigest()
    body = request.get_data(cache=True)
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
        digest.update(b"json:" + canonical.encode())
    except ValueError:
        digest.update(b"raw:" + body)
    return digest.hexdigest()


def _stored(row: IdempotentRequest):
    response = current_app.response_class(row.body or b"", status=row.status,
                                          content_type=row.content_type)
    if row.location:
        response.headers["Location"] = row.location
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _claim(user_id: int, key: str, request_hash: str):
    """Insert the claim (returns its id, None) or find the answer to give (None, response)."""
    deadline = time.monotonic() + WAIT
    while True:
        now = utcnow()
        row = db.session.scalar(select(IdempotentRequest).where(
            IdempotentRequest.user_id == user_id, IdempotentRequest.key == key))
        if row is not None and (row.created_at < now - KEEP
                                or (row.status is None and row.created_at < now - LEASE)):
            with transaction():
                db.session.execute(delete(IdempotentRequest)
                                   .where(IdempotentRequest.id == row.id))
            row = None
        if row is None:
            claim = IdempotentRequest(user_id=user_id, key=key, request_hash=request_hash,
                                      created_at=now)
            try:
                with transaction():  # a lost race rolls back here, and the loop looks again
                    db.session.add(claim)
            except IntegrityError:
                continue
            return claim.id, None
        if row.request_hash != request_hash:
            db.session.rollback()
            return None, problem(422, _l("This Idempotency-Key was used with another request. "
                                         "Use a new key for a new request."),
                                 code="idempotency_key_reused")
        if row.status is not None:
            answer = _stored(row)
            db.session.rollback()
            return None, answer
        db.session.rollback()  # the next look sees what was committed since
        if time.monotonic() > deadline:
            return None, problem(409, _l("A request with this Idempotency-Key is still being "
                                         "answered. Try again in a moment."),
                                 code="in_progress", headers={"Retry-After": "1"})
        time.sleep(0.05)


def _keep(claim_id: int, response) -> None:
    with transaction():
        if response.status_code >= 500:
            db.session.execute(delete(IdempotentRequest)
                               .where(IdempotentRequest.id == claim_id))
        else:
            db.session.execute(update(IdempotentRequest).where(IdempotentRequest.id == claim_id)
                               .values(status=response.status_code,
                                       content_type=response.content_type,
                                       location=response.headers.get("Location"),
                                       body=response.get_data()))


def idempotent(view):
    """Let a POST be retried safely with an ``Idempotency-Key`` (signed-in callers)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None or not current_user.is_authenticated:
            return view(*args, **kwargs)
        if not 0 < len(key) <= KEY_MAX or not key.isascii() or not key.isprintable():
            return problem(400, _l("An Idempotency-Key is 1 to 255 printable ASCII "
                                   "characters."), code="invalid", field=HEADER)
        claim_id, answer = _claim(current_user.id, key, fingerprint())
        if answer is not None:
            return answer
        try:
            response = make_response(view(*args, **kwargs))
        except Exception as error:  # noqa: BLE001 - answered by the app's handlers, then kept
            response = make_response(current_app.handle_user_exception(error))
        db.session.rollback()  # whatever the view left open is not ours to commit
        _keep(claim_id, response)
        return response

    return wrapped
