import io

import pytest
from werkzeug.datastructures import FileStorage

from tests import factories as f
from workflow.documents.services import store
from workflow.domain import DocumentKind, Role, State
from workflow.extensions import db
from workflow.refusal import Refusal

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def upload(data: bytes, name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


def test_a_pdf_is_kept_and_downloaded_only_in_scope(app, client, auth):
    nomination = f.nomination(State.DRAFT, region_code="KZ-75")
    doc = store(upload(PDF, "decision.pdf"), DocumentKind.DECISION, nomination_id=nomination.id)
    db.session.commit()
    assert doc.content_type == "application/pdf" and doc.size == len(PDF)

    auth.login(f.user(Role.COORDINATOR, "KZ-75"))
    response = client.get(f"/documents/{doc.id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.data == PDF
    auth.logout()
    auth.login(f.user(Role.COORDINATOR, "KZ-71"))
    assert client.get(f"/documents/{doc.id}").status_code == 404


def test_a_renamed_file_is_recognised_by_its_content(app):
    with pytest.raises(Refusal, match="PDF, JPEG or PNG"):
        store(upload(b"MZ\x90\x00 this is an executable", "cv.pdf"), DocumentKind.CV)
    assert store(upload(PNG, "scan.pdf"), DocumentKind.CV).content_type == "image/png"


def test_over_ten_megabytes_is_refused(app):
    big = PDF + b"0" * (10 * 1024 * 1024)
    with pytest.raises(Refusal, match="10 MB"):
        store(upload(big, "big.pdf"), DocumentKind.CV)
