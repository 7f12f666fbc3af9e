"""Sending e-mail: one function, three backends (smtp, console, memory), chosen by MAIL_BACKEND.

E-mails are ``templates/email/<name>.txt`` + ``.html`` pairs rendered in the recipient's
language. Callers that send because of a database change send only after it committed (the
outbox in workflow.notifications does that for pipeline transitions).
"""

from __future__ import annotations

import logging
import smtplib
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, render_template
from flask_babel import force_locale

# The console backend writes here, so what it prints passes the log's IIN redaction too.
console_log = logging.getLogger("workflow.mail.console")


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


class _Connection(threading.local):
    """One SMTP connection per worker thread, reused for the next e-mails while it is fresh.

    Opening a connection (TCP, EHLO, STARTTLS, login) costs more round trips than sending a
    message; a worker sending an order's e-mails sends them over one connection. A connection
    idle for IDLE_SECONDS or used for MAX_MESSAGES is closed first: servers drop idle clients
    and some limit the messages per connection.
    """

    IDLE_SECONDS = 20
    MAX_MESSAGES = 100
    smtp: smtplib.SMTP | None = None
    used_at = 0.0
    count = 0

    def get(self, cfg) -> smtplib.SMTP:
        now = time.monotonic()
        if self.smtp is not None and (now - self.used_at > self.IDLE_SECONDS
                                      or self.count >= self.MAX_MESSAGES):
            self.close()
        if self.smtp is None:
            smtp = smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=cfg["MAIL_TIMEOUT"])
            try:
                if cfg["MAIL_USE_TLS"]:
                    smtp.starttls()
                if cfg["MAIL_USERNAME"]:
                    smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
            except BaseException:
                smtp.close()
                raise
            self.smtp, self.count = smtp, 0
        self.used_at = now
        return self.smtp

    def close(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


_connection = _Connection()


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
        console_log.info("--- e-mail to %s: %s\n%s\n---", message.to, message.subject, message.text)
    else:
        smtp = _connection.get(current_app.config)
        try:
            smtp.send_message(email)
        except BaseException:
            # Whatever state the conversation is in, the next e-mail starts on a new one.
            _connection.close()
            raise
        _connection.count += 1


def sent() -> list[EmailMessage]:
    """What the memory backend kept (tests)."""
    return current_app.extensions.setdefault("mail_outbox", [])
