"""Files chosen in a form that was refused for another reason: kept until the form is sent again.

A browser never sends a chosen file twice, so a form refused for a typo would otherwise lose
every file. The files that pass ``check`` are kept under ``UPLOAD_DIR/pending/<user>/<token>/``
(one file per kind, beside a small JSON of its name and type); the token is random, travels in
a hidden field of the form, and is only ever read under the user's own folder, so no one else
can use it. When the form is saved, the kept files are handed to the service like fresh
uploads (``as_uploads``) and the folder is removed (``discard``). Folders older than
``PENDING_HOURS`` are removed whenever a new one is made: a form abandoned leaves nothing
behind for long.
"""

from __future__ import annotations

import io
import json
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from workflow.documents.services import ALLOWED_TYPES, check
from workflow.refusal import Refusal

PENDING_HOURS = 24
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


@dataclass(frozen=True)
class Pending:
    kind: str
    filename: str
    content_type: str
    size: int


def new_token() -> str:
    return secrets.token_urlsafe(24)


def valid(token: str | None) -> bool:
    return bool(token) and bool(_TOKEN.match(token))


def _root(user_id: int) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "pending" / str(int(user_id))


def _folder(user_id: int, token: str | None) -> Path | None:
    if not token or not _TOKEN.match(token):
        return None
    return _root(user_id) / token


def _sweep(user_id: int) -> None:
    """Remove this user's pending folders older than ``PENDING_HOURS``."""
    root = _root(user_id)
    if not root.is_dir():
        return
    horizon = time.time() - PENDING_HOURS * 3600
    for folder in root.iterdir():
        if folder.is_dir() and folder.stat().st_mtime < horizon:
            shutil.rmtree(folder, ignore_errors=True)


def keep(user_id: int, token: str, kind: str, file: FileStorage) -> Pending | None:
    """Keep an acceptable upload for ``kind`` (replacing an earlier one); None if the file is
    not acceptable (its field says why) or the token is malformed."""
    folder = _folder(user_id, token)
    if folder is None or not getattr(file, "filename", ""):
        return None
    try:
        data, content_type = check(file)
    except Refusal:
        return None
    finally:
        file.stream.seek(0)
    if not folder.exists():
        _sweep(user_id)
    folder.mkdir(parents=True, exist_ok=True)
    filename = secure_filename(file.filename) or f"document.{ALLOWED_TYPES[content_type]}"
    (folder / f"{kind}.bin").write_bytes(data)
    (folder / f"{kind}.json").write_text(json.dumps(
        {"filename": filename, "content_type": content_type, "size": len(data)}))
    return Pending(kind, filename, content_type, len(data))


def kept(user_id: int, token: str | None, kinds) -> dict[str, Pending]:
    """The files kept for this form, by kind."""
    folder = _folder(user_id, token)
    found: dict[str, Pending] = {}
    if folder is None or not folder.is_dir():
        return found
    for kind in kinds:
        meta = folder / f"{kind}.json"
        if meta.is_file() and (folder / f"{kind}.bin").is_file():
            info = json.loads(meta.read_text())
            found[kind] = Pending(kind, info["filename"], info["content_type"], info["size"])
    return found


def as_uploads(user_id: int, token: str | None, kinds) -> dict[str, FileStorage]:
    """The kept files as uploads, for the service that stores documents."""
    folder = _folder(user_id, token)
    return {kind: FileStorage(io.BytesIO((folder / f"{kind}.bin").read_bytes()),
                              filename=p.filename, content_type=p.content_type)
            for kind, p in kept(user_id, token, kinds).items()}


def discard(user_id: int, token: str | None) -> None:
    folder = _folder(user_id, token)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
