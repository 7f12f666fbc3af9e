from flask import Blueprint, abort, send_file
from flask_login import current_user

from workflow.documents import services
from workflow.permissions import requires

bp = Blueprint("documents", __name__, url_prefix="/documents")


@bp.route("/<int:document_id>")
@requires("documents.download")
def download(document_id: int):
    """Send a document as an attachment to someone allowed to see it."""
    document = services.get_for(current_user, document_id)
    if document is None:
        abort(404)
    path = services.storage_path(document)
    if not path.exists():
        abort(404)
    response = send_file(path, mimetype=document.content_type, as_attachment=True,
                         download_name=document.filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
