"""What every request and response goes through, whatever view serves it (docs/security.md).

- Input: ids in addresses are bounded to what the database stores (a larger one is 404, a
  query argument ``type=int`` beyond it is absent); a control character or a text-direction
  override in a form or an address is refused before any view reads it; twelve digits in an
  address (an IIN typed into a search box) are taken out of it before the search runs.
- Output: the security headers on every response; ``Cache-Control: no-store`` on every page.
- Redirects: ``safe_next`` is the one check of a ``next`` a person or a page sends.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlencode, urlsplit

from flask import Flask, current_app, flash, redirect, request, url_for
from flask import Request as FlaskRequest
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from workflow.database import DB_INT_MAX, bounded_int

# C0 and C1 controls and DEL, and the characters that reorder text on screen (bidi embeddings,
# overrides and isolates). Tab, CR and LF are text in a form's text area, never in an address.
_CONTROL_IN_FORM = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_IN_ADDRESS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

CONTROL_REFUSED = _l("What was sent holds a character that cannot be kept: a control character "
                     "(such as NUL) or one that reverses the direction of text. Remove it, "
                     "for instance by typing the text again, and send it again; nothing was "
                     "saved.")
IIN_IN_ADDRESS = _l("An IIN is never put in an address, so this search was not run. Search by "
                    "surname or by reference code.")

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",  # Bootstrap draws its icons as data: SVGs
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
# Downloads (CSV, XLSX, JSON) run and load nothing.
CONTENT_SECURITY_POLICY_FILES = "default-src 'none'; frame-ancestors 'none'"
# A PDF opens in the browser's own viewer, which a default-src 'none' (object-src) would block.
CONTENT_SECURITY_POLICY_PDF = "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


# --- Bounded integers. ----------------------------------------------------------------------------


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` that matches only ids the database can hold: a larger one is 404, not 500."""

    def __init__(self, map, fixed_digits=0, min=None, max=DB_INT_MAX, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class BoundedArgs(ImmutableMultiDict):
    """Query arguments and form values where ``get(…, type=int)`` beyond the database's integer
    counts as absent, like any other value that is not a whole number."""

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's signature
        if type is int:
            value = bounded_int(super().get(key)) if key in self else None
            return default if value is None else value
        return super().get(key, default=default, type=type)


class Request(FlaskRequest):
    parameter_storage_class = BoundedArgs


# --- Redirects. -------------------------------------------------------------------------------


def safe_next(target: str | None, default: str | None = None) -> str:
    """``target`` if it is a path on this site; else ``default`` (the home page).

    Browsers drop tabs and line breaks from addresses and read ``\\`` as ``/``, so
    ``/\t/evil.example`` and ``/\\evil.example`` lead off the site; so may their
    percent-encoded forms (``/%09/evil.example``) once something on the way decodes them. A
    target whose text, or whose decoded text, holds any such character, a scheme, a host or a
    leading ``//`` sends the person home instead.
    """
    fallback = default or url_for("main.home")
    if not target or len(target) > 2000:
        return fallback
    text = target
    for _ in range(3):  # as decoded by each hop that might decode it
        if not _on_this_site(text):
            return fallback
        decoded = unquote(text)
        if decoded == text:
            return target
        text = decoded
    return fallback


def _on_this_site(target: str) -> bool:
    if _CONTROL_IN_ADDRESS.search(target) or "\\" in target:
        return False
    if any(ch.isspace() for ch in target):
        return False
    parts = urlsplit(target)
    return not (parts.scheme or parts.netloc or not target.startswith("/")
                or target.startswith("//"))


# --- Request hooks. -----------------------------------------------------------------------------


def refuse_control_characters():
    """Refuse a control character in any query argument or form value, before a view reads it.

    ``next`` is let through: ``safe_next`` reads it, and sends anything odd to the home page.
    """
    from workflow.errors import render_error

    for name, value in request.args.items(multi=True):
        if _CONTROL_IN_ADDRESS.search(name) or (
                name != "next" and _CONTROL_IN_ADDRESS.search(value)):
            return render_error(400, CONTROL_REFUSED)
    if request.method in ("POST", "PUT", "PATCH"):
        for name, value in request.form.items(multi=True):
            if _CONTROL_IN_FORM.search(name) or (
                    name != "next" and _CONTROL_IN_FORM.search(value)):
                return render_error(400, CONTROL_REFUSED)
    return None


def keep_iins_out_of_addresses():
    """Take twelve digits (an IIN, however grouped) out of the address and say why."""
    from workflow.iin import looks_like_iin

    if not any(looks_like_iin(v) for _k, v in request.args.items(multi=True)):
        return None
    if request.path.startswith("/api/"):  # a program is told, not redirected
        from workflow.errors import render_error

        return render_error(400, IIN_IN_ADDRESS, code="iin_in_address")
    kept = [(k, v) for k, v in request.args.items(multi=True) if not looks_like_iin(v)]
    flash(IIN_IN_ADDRESS, "warning")
    return redirect(request.path + ("?" + urlencode(kept) if kept else ""))


def security_headers(response):
    """The headers every response carries; HSTS where the site is served over HTTPS only."""
    headers = response.headers
    policy = {"text/html": CONTENT_SECURITY_POLICY, "application/pdf": CONTENT_SECURITY_POLICY_PDF
              }.get(response.mimetype, CONTENT_SECURITY_POLICY_FILES)
    headers.setdefault("Content-Security-Policy", policy)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    hsts = current_app.config.get("HSTS_SECONDS") or 0
    if hsts:
        headers.setdefault("Strict-Transport-Security", f"max-age={hsts}; includeSubDomains")
    if request.endpoint != "static" and "no-store" not in (headers.get("Cache-Control") or ""):
        # Pages show personal data to the person signed in: no copy in any cache or history.
        headers["Cache-Control"] = "no-store"
    return response


def refuse_the_debugger():
    """In production, serve nothing through Werkzeug's debugger (it runs typed code)."""
    if current_app.debug or "werkzeug.debug.preserve_context" in request.environ:
        current_app.logger.critical("the debugger is on in production: request refused")
        from workflow.errors import render_error

        return render_error(503)
    return None


def register(app: Flask) -> None:
    """Bounded ids, the proxy hops, and the hooks above."""
    app.request_class = Request
    app.url_map.converters["int"] = BoundedIntConverter
    hops = app.config.get("PROXY_HOPS", 0)
    if hops:
        # Only as many X-Forwarded-* entries as there are proxies of ours are believed; any
        # further one was written by the client and is ignored.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    if app.config.get("PRODUCTION"):
        app.before_request(refuse_the_debugger)
    app.before_request(refuse_control_characters)
    app.before_request(keep_iins_out_of_addresses)
    app.after_request(security_headers)
