"""Sending e-mail: one function, three backends (smtp, console, memory), chosen by MAIL_BACKEND.

E-mails are ``templates/email/<name>.txt`` + ``.html`` pairs rendered in the recipient's
language. Callers that send because of a database change send only after it committed (the
outbox in workflow.notifications does that for pipeline transitions).
"""

from __future__ import annotations

import smtplib
import sys
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, render_template
from flask_babel import force_locale


@dataclass
class OutgoingEmail:
    to: str
    subject: str
    text: str
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def render(name: str, language: str | None, subject, **context) -> tuple[str, str, str]:
    """Render ``templates/email/<name>.txt`` and ``.html`` and the subject in ``language``."""
    language = language or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(language):
        text = render_template(f"email/{name}.txt", **context)
        html = render_template(f"email/{name}.html", **context)
        return str(subject), text, html


def build(message: OutgoingEmail) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.to
    email["Subject"] = message.subject
    # A caller may give a stable Message-ID (one per delivery), so a resent copy is recognised.
    email["Message-ID"] = message.headers.get("Message-ID") or make_msgid(domain="tizim")
    for key, value in message.headers.items():
        if key != "Message-ID":
            email[key] = value
    email.set_content(message.text)
    if message.html:
        email.add_alternative(message.html, subtype="html")
    return email


def send(message: OutgoingEmail) -> None:
    """Send now through the configured backend.

    :raise smtplib.SMTPException, OSError: the SMTP server refused or could not be reached;
        callers that must not lose the message retry (see tasks/notifications.py).
    """
    backend = current_app.config.get("MAIL_BACKEND", "smtp")
    email = build(message)
    if backend == "memory":
        current_app.extensions.setdefault("mail_outbox", []).append(email)
    elif backend == "console":
        print(f"--- e-mail to {message.to}: {message.subject}\n{message.text}\n---", file=sys.stderr)
    else:
        cfg = current_app.config
        with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=cfg["MAIL_TIMEOUT"]) as smtp:
            if cfg["MAIL_USE_TLS"]:
                smtp.starttls()
            if cfg["MAIL_USERNAME"]:
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
            smtp.send_message(email)


def sent() -> list[EmailMessage]:
    """What the memory backend kept (tests)."""
    return current_app.extensions.setdefault("mail_outbox", [])
