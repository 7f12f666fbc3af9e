"""Documents: uploaded PDF, JPEG or PNG files kept on this server, recognised by content."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import filetype
from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from workflow.domain import Role
from workflow.extensions import db
from workflow.models import Document, Nomination

# What a person may upload, by what the bytes are — never by the file's name.
ALLOWED_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


class DocumentRejected(ValueError):
    """The file cannot be accepted; ``message`` says why, in the reader's language."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def sniff(head: bytes) -> str | None:
    kind = filetype.guess(head)
    return kind.mime if kind and kind.mime in ALLOWED_TYPES else None


def check(file: FileStorage) -> tuple[bytes, str]:
    """Read the upload and return its bytes and content type.

    :raise DocumentRejected: empty, over the size limit, or not a PDF, JPEG or PNG.
    """
    limit = current_app.config["MAX_DOCUMENT_BYTES"]
    data = file.stream.read(limit + 1)
    if not data:
        raise DocumentRejected(_l("The file is empty."))
    if len(data) > limit:
        raise DocumentRejected(_l("The file is larger than %(mb)s MB.", mb=limit // (1024 * 1024)))
    content_type = sniff(data[:8192])
    if content_type is None:
        raise DocumentRejected(
            _l("Only PDF, JPEG or PNG files are accepted; this file is something else, "
               "whatever its name says.")
        )
    return data, content_type


def storage_path(document: Document) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / document.storage_key[:2] / document.storage_key


def store(file: FileStorage, kind: str, *, nomination_id: int | None = None,
          region_id: int | None = None, uploaded_by_id: int | None = None) -> Document:
    """Check and keep an upload; the row joins the caller's transaction.

    The file is written before the row is committed; a rolled-back row leaves an orphan file,
    never a row without its file.

    :raise DocumentRejected: see ``check``.
    """
    data, content_type = check(file)
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
    db.session.add(document)
    db.session.flush()
    return document


def can_download(user, document: Document) -> bool:
    """Nomination documents follow the nomination's scope; others their region's, or national."""
    if user.role == Role.SECRETARIAT:
        return True
    if user.role != Role.COORDINATOR:
        return False
    if document.nomination_id is not None:
        nomination = db.session.get(Nomination, document.nomination_id)
        return nomination is not None and nomination.region_id == user.region_id
    return document.region_id is not None and document.region_id == user.region_id


def get_for(user, document_id: int) -> Document | None:
    """The document if ``user`` may download it; None otherwise (the view answers 404)."""
    document = db.session.get(Document, document_id)
    return document if document is not None and can_download(user, document) else None
