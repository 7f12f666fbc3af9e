"""The one way Tizim says no: ``Refusal``, and ``handled`` to show it to a person.

Every capability refuses with ``Refusal``: a message for people (a lazy string, rendered in
the reader's language), a ``code`` for programs, the form ``field`` it concerns, the HTTP
``status`` an API answers with, and optionally a ``link`` to the record the person may open.
Views show a refusal with ``handled(form)`` — beside its field, or as a flash — and hold no
ladder of ``except`` clauses; the JSON API answers it as ``application/problem+json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l


class Refusal(Exception):
    """What a person asked for is not done; nothing was changed.

    ``code`` is stable for programs: ``not_allowed``, ``out_of_scope``, ``not_found``,
    ``wrong_state``, ``wrong_channel``, ``guard``, ``missing_data``, ``invalid``,
    ``conflict``, ``duplicate``, ``rejected_file``, ``link_used``, ``link_expired`` …
    """

    def __init__(self, message: Any, *, code: str = "invalid", field: str | None = None,
                 status: int = 422, link: tuple[str, Mapping[str, Any]] | None = None):
        super().__init__(code)
        self.message = message
        self.code = code
        self.field = field
        self.status = status
        self.link = link

    def __str__(self) -> str:
        return str(self.message)

    def __repr__(self) -> str:
        return f"<Refusal {self.code} field={self.field} status={self.status}>"

    @property
    def is_conflict(self) -> bool:
        return self.code == "conflict"


CONFLICT = _l("Someone else changed this a moment ago. Reload the page to see it as it is "
              "now, then try again if it still applies.")


def conflict(message: Any = None) -> Refusal:
    """Someone else changed the record first (HTTP 409)."""
    return Refusal(message or CONFLICT, code="conflict", status=409)


def not_found(message: Any = None) -> Refusal:
    """Nothing at this id, or nothing the person may see (HTTP 404: the two look alike)."""
    return Refusal(message or _l("This record does not exist, or it is not in your area of "
                                 "work."), code="not_found", status=404)


class handled:  # noqa: N801 - used as a statement: ``with handled(form): …``
    """Show a ``Refusal`` raised inside the block to the person, and go on after the block.

    Beside its field when ``form`` has that field, else as a flash; a conflict is a warning,
    the rest are errors. ``refused`` tells the view what happened::

        with handled(form) as outcome:
            services.save(...)
            return redirect(...)
        return render_template(..., form=form), 422
    """

    def __init__(self, form=None):
        self.form = form
        self.refusal: Refusal | None = None

    @property
    def refused(self) -> bool:
        return self.refusal is not None

    def __enter__(self) -> handled:
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        if not isinstance(error, Refusal):
            return False
        from workflow.extensions import db

        db.session.rollback()  # whatever the block began is not kept
        self.refusal = error
        show(error, self.form)
        return True


def show(refusal: Refusal, form=None) -> None:
    """Put the refusal where the person looks: beside its field, or in a flash."""
    from flask import flash, url_for
    from flask_babel import gettext
    from markupsafe import Markup, escape

    message = escape(str(refusal.message))
    if refusal.link is not None:
        endpoint, values = refusal.link
        message = Markup('{} <a href="{}">{}</a>').format(
            message, url_for(endpoint, **values), gettext("Open it"))
    field = getattr(form, refusal.field, None) if form is not None and refusal.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, message]
    else:
        flash(message, "warning" if refusal.is_conflict else "danger")
