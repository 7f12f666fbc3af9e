#!/usr/bin/env python3
"""Prepare and inspect `make serve`: Tizim's production processes on this machine, no Docker.

    python scripts/serve.py prepare [ENV_FILE]   # what `make serve` runs before honcho
    python scripts/serve.py mail [ENV_FILE]      # the e-mails the mail sink received

``prepare`` writes ENV_FILE (default instance/serve.env) when it is missing — production
settings for this machine's PostgreSQL and Redis, a fresh SECRET_KEY, the mail sink as the SMTP
server — then creates the PostgreSQL database if it does not exist, migrates it, loads the
regions and, into an empty database, the demo data. Every later step reads the same file, as
honcho does, so what is prepared is what is served. Settings in the file win over the
environment, as in honcho.
"""

from __future__ import annotations

import mailbox
import os
import secrets
import subprocess
import sys
from email.header import decode_header, make_header
from pathlib import Path

from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEFAULT_ENV = ROOT / "instance" / "serve.env"

DEFAULTS = """\
# `make serve`: Tizim's production processes on this machine (Procfile, run by honcho).
# Written once by scripts/serve.py; edit freely. Settings: .env.example and docs/operations.md.
TIZIM_CONFIG=production
SECRET_KEY={secret}
DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/tizim_serve
REDIS_URL=redis://127.0.0.1:6379/0
# The mail sink (aiosmtpd) is the SMTP server: every e-mail lands in MAIL_SINK_DIR (a Maildir).
MAIL_SERVER=127.0.0.1
MAIL_PORT=1025
MAIL_SINK_DIR={instance}/mail
# Plain HTTP on this machine: the session cookie may not be marked Secure.
SESSION_COOKIE_SECURE=0
WEB_BIND=127.0.0.1:8000
PUBLIC_BASE_URL=http://127.0.0.1:8000
WEB_WORKERS=4
WORKER_CONCURRENCY=2
BEAT_SCHEDULE_FILE={instance}/celerybeat-schedule
UPLOAD_DIR={instance}/uploads
# The development seal (self-signed, named DEVELOPMENT ONLY), made on first start: a real
# server uses the organisation's PKCS#12 file instead.
SEAL_PKCS12_PATH={instance}/seal-DEVELOPMENT-ONLY.p12
SEAL_PKCS12_PASSWORD=development-only
"""


def settings(env_file: Path) -> dict[str, str]:
    """The environment every process of `make serve` gets: ours, then the file's."""
    env = dict(os.environ)
    env.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    return env


def write_defaults(env_file: Path) -> None:
    env_file.parent.mkdir(parents=True, exist_ok=True)
    env_file.write_text(DEFAULTS.format(secret=secrets.token_hex(32),
                                        instance=ROOT / "instance"), encoding="utf-8")
    env_file.chmod(0o600)  # it holds the SECRET_KEY
    print(f"serve: wrote {env_file} (production settings for this machine; edit as needed)")


def create_database(url: str) -> None:
    """Create the PostgreSQL database named in ``url`` unless it exists."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    if not target.drivername.startswith("postgresql"):
        return
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                 {"name": target.database})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
                print(f"serve: created database {target.database}")
    finally:
        admin.dispose()


def prepare(env_file: Path) -> None:
    if not env_file.exists():
        write_defaults(env_file)
    env = settings(env_file)
    if env.get("UPLOAD_DIR"):
        Path(env["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)
    if env.get("MAIL_SINK_DIR"):  # a Maildir: the sink writes into its tmp/, new/ and cur/
        for part in ("tmp", "new", "cur"):
            (Path(env["MAIL_SINK_DIR"]) / part).mkdir(parents=True, exist_ok=True)
    if env.get("BEAT_SCHEDULE_FILE"):
        Path(env["BEAT_SCHEDULE_FILE"]).parent.mkdir(parents=True, exist_ok=True)
    create_database(env["DATABASE_URL"])
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    # The demo's accounts share a published password and the seal here is made on this
    # machine: production refuses both, so they are set up under the development settings,
    # in the same database and folders. A server of the ministry never runs these steps.
    # The seal comes first: the production settings refuse to start without its file.
    laptop = {**env, "TIZIM_CONFIG": "development"}
    subprocess.run([*flask, "papers", "dev-seal"], cwd=ROOT, env=laptop, check=True)  # noqa: S603
    for step in (["db", "upgrade"], ["regions", "load"]):
        subprocess.run([*flask, *step], cwd=ROOT, env=env, check=True)  # noqa: S603 - our own CLI
    subprocess.run([*flask, "demo", "load", "--if-empty"], cwd=ROOT, env=laptop,  # noqa: S603
                   check=True)


def show_mail(env_file: Path) -> None:
    """List what the sink received, oldest first: time, recipient, subject, file."""
    folder = settings(env_file).get("MAIL_SINK_DIR", str(ROOT / "instance" / "mail"))
    box = mailbox.Maildir(folder, create=False)
    messages = sorted(box.iteritems(), key=lambda item: item[1].get_date())
    for key, message in messages:
        subject = str(make_header(decode_header(message["Subject"] or "")))
        print(f"{message['Date']}  {message['To']}  {subject}  "
              f"({folder}/{message.get_subdir()}/{key})")
    print(f"{len(messages)} message(s) in {folder}")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"prepare", "mail"}:
        print(__doc__, file=sys.stderr)
        return 2
    env_file = Path(argv[1]) if len(argv) > 1 else DEFAULT_ENV
    (prepare if argv[0] == "prepare" else show_mail)(env_file)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
