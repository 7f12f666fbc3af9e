"""Documents: uploaded PDF, JPEG or PNG files kept on this server, recognised by content."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import filetype
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from workflow.extensions import db
from workflow.models import Document, Nomination
from workflow.permissions import visible
from workflow.refusal import Refusal

# What a person may upload, by what the bytes are — never by the file's name.
ALLOWED_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def sniff(head: bytes) -> str | None:
    kind = filetype.guess(head)
    return kind.mime if kind and kind.mime in ALLOWED_TYPES else None


def check(file: FileStorage) -> tuple[bytes, str]:
    """Read the upload and return its bytes and content type.

    :raise Refusal: empty, over the size limit, or not a PDF, JPEG or PNG.
    """
    limit = current_app.config["MAX_DOCUMENT_BYTES"]
    data = file.stream.read(limit + 1)
    if not data:
        raise Refusal(_l("The file is empty."), code="rejected_file")
    if len(data) > limit:
        raise Refusal(_l("The file is larger than %(mb)s MB.", mb=limit // (1024 * 1024)),
                      code="rejected_file")
    content_type = sniff(data[:8192])
    if content_type is None:
        raise Refusal(
            _l("Only PDF, JPEG or PNG files are accepted; this file is something else, "
               "whatever its name says."), code="rejected_file")
    return data, content_type


def storage_path(document: Document) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / document.storage_key[:2] / document.storage_key


def store(file: FileStorage, kind: str, *, nomination_id: int | None = None,
          region_id: int | None = None, uploaded_by_id: int | None = None) -> Document:
    """Check and keep an upload; the row joins the caller's transaction.

    The file is written before the row is committed (never a row without its file) and
    removed again if the transaction does not commit (a refused order or ending leaves no
    file behind): see ``_forget_files_of_a_rollback``.

    :raise Refusal: see ``check``.
    """
    data, content_type = check(file)
    if nomination_id is not None and region_id is None:
        # A nomination's documents are its region's: the scope of every query reads it.
        region_id = db.session.scalar(select(Nomination.region_id)
                                      .where(Nomination.id == nomination_id))
    document = Document(
        nomination_id=nomination_id,
        region_id=region_id,
        kind=kind,
        filename=secure_filename(file.filename or "") or f"document.{ALLOWED_TYPES[content_type]}",
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_key=uuid.uuid4().hex,
        uploaded_by_id=uploaded_by_id,
    )
    path = storage_path(document)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    db.session.info.setdefault(_WRITTEN, []).append(path)
    db.session.add(document)
    db.session.flush()
    return document


def paper_path(storage_key: str) -> Path:
    """Where an issued paper's file is kept (``workflow.papers``), beside the documents."""
    key = storage_key or "missing"
    return Path(current_app.config["UPLOAD_DIR"]) / "papers" / key[:2] / key


def discard(document: Document) -> None:
    """Delete a document in the caller's transaction; its file goes when the transaction
    commits (a rollback keeps both)."""
    remove_after_commit(storage_path(document))
    db.session.delete(document)


def remove_after_commit(path: Path) -> None:
    """Remove the file at ``path`` once the session's transaction commits."""
    db.session.info.setdefault(_DISCARDED, []).append(path)


# Files written in the session's open transaction, until it commits or ends otherwise; and
# files whose rows the open transaction deletes, removed once it commits.
_WRITTEN = "documents_written"
_DISCARDED = "documents_discarded"


@event.listens_for(Session, "after_commit")
def _keep_files_of_a_commit(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
    for path in session.info.pop(_DISCARDED, []):
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_transaction_end")
def _forget_files_of_a_rollback(session: Session, transaction) -> None:
    """The outermost transaction ended without a commit (rolled back, or closed): its rows are
    gone, so are their files."""
    if transaction.parent is None and not transaction.nested:
        for path in session.info.pop(_WRITTEN, []):
            path.unlink(missing_ok=True)
        session.info.pop(_DISCARDED, None)


def get_for(user, document_id: int) -> Document | None:
    """The document if ``user`` may download it (the scope of its region: a nomination's
    documents carry the nomination's region); None otherwise (the view answers 404)."""
    return visible(user, Document, document_id)
