"""Backup and restore as docs/operations.md tells an operator: scripts/backup.sh on a populated
database with its documents, scripts/restore.sh into an empty one, and the copy is the same —
every table row for row, every document byte for byte, sequences that go on where they were.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, text

from tests.conftest import postgres_database, unavailable
from workflow import create_app, demo
from workflow.extensions import db
from workflow.models import Document

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[1]


def instance(database_url: str, uploads: Path):
    return create_app({"TIZIM_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
                       "UPLOAD_DIR": str(uploads)})


def script(name: str, argument: Path, database_url: str, uploads: Path):
    env = {**os.environ, "DATABASE_URL": database_url, "UPLOAD_DIR": str(uploads)}
    return subprocess.run(["sh", str(ROOT / "scripts" / name), str(argument)], env=env,
                          capture_output=True, text=True, timeout=300)


def fingerprint(app) -> dict[str, tuple[int, str]]:
    """Every table's row count and a digest of its rows, in a fixed order."""
    with app.app_context():
        tables = [t.name for t in db.metadata.sorted_tables] + ["alembic_version"]
        with db.engine.connect() as conn:
            return {table: tuple(conn.execute(text(
                f'SELECT count(*), md5(coalesce(string_agg(t::text, \'|\' ORDER BY t::text), \'\')) '
                f'FROM "{table}" t')).one()) for table in tables}


def files(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.rglob("*") if p.is_file()}


def test_a_backup_restores_the_database_and_its_documents(tmp_path):
    for tool in ("pg_dump", "pg_restore", "sha256sum", "tar"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} is not installed (PostgreSQL's client tools)")
    with postgres_database() as original_url, postgres_database() as restored_url:
        original = instance(original_url, tmp_path / "uploads")
        with original.app_context():
            upgrade()
            demo.load()  # users, associations, sessions with protocols, nominations, members
            db.session.remove()
        assert files(tmp_path / "uploads"), "the demo data should have stored documents"

        backup = script("backup.sh", tmp_path / "backups", original_url, tmp_path / "uploads")
        assert backup.returncode == 0, backup.stderr
        folder = Path(backup.stdout.strip().splitlines()[-1])
        assert {p.name for p in folder.iterdir()} == {"database.dump", "documents.tar.gz",
                                                       "SHA256SUMS"}

        restore = script("restore.sh", folder, restored_url, tmp_path / "restored")
        assert restore.returncode == 0, restore.stderr
        restored = instance(restored_url, tmp_path / "restored")

        before, after = fingerprint(original), fingerprint(restored)
        assert before["nominations"][0] > 0 and before["documents"][0] > 0
        assert after == before
        assert files(tmp_path / "restored") == files(tmp_path / "uploads")

        with restored.app_context():
            upgrade()  # what an operator runs next: nothing to do, the schema is at head
            documents = db.session.execute(select(Document.id, Document.sha256)
                                           .order_by(Document.id).limit(3)).all()
            # The sequences go on where they were: a new row takes a new id.
            from workflow.auth.services import create_user

            user = create_user(email="after-restore@tizim.kz", name="After", role="admin",
                               password="pw-restore-1234")
            db.session.flush()
            assert user.id > before["users"][0]
            db.session.commit()
            db.session.remove()

        # A document opens through the page, byte for byte, from the restored server.
        client = restored.test_client()
        login = client.post("/auth/login", data={"email": "secretariat@tizim.kz",
                                                  "password": demo.DEMO_PASSWORD})
        assert login.status_code == 302
        for document_id, sha256 in documents:
            response = client.get(f"/documents/{document_id}")
            assert response.status_code == 200
            assert hashlib.sha256(response.data).hexdigest() == sha256

        # A damaged backup is refused before anything is written.
        damaged = tmp_path / "damaged"
        shutil.copytree(folder, damaged)
        with open(damaged / "documents.tar.gz", "r+b") as f:
            f.seek(10)
            f.write(b"\0\0\0\0")
        refused = script("restore.sh", damaged, restored_url, tmp_path / "elsewhere")
        assert refused.returncode != 0 and not (tmp_path / "elsewhere").exists()

        for app in (original, restored):
            with app.app_context():
                db.engine.dispose()
