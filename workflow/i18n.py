"""The reader's language, found fast (issue 14): what each locale needs, once per process.

Flask-Babel chooses the locale once per request (``setup.select_locale``) and ``force_locale``
replaces it for an e-mail in its recipient's language; both keep it in ``g._flask_babel``.
``words()`` reads it there, without the three context-proxy look-ups each ``get_locale()``
call makes, and hands out the locale's ``Words``: its catalog (and, in ``templating``, its
label tables and date patterns, keyed by the ``Words`` object). ``FastDomain`` makes every
``gettext`` and lazy string in Python code use the same catalogs. Used by ``templating`` and
by the models' localized names; it imports nothing of Tizim's.
"""

from __future__ import annotations

from flask.globals import _cv_app
from flask_babel import Domain, get_domain, get_locale, get_timezone, get_translations


class Words:
    """What one locale needs, found once per process: its catalog, its label tables and date
    patterns (keyed by this object: identity hashing, not ``babel.Locale``'s slow ``__eq__``)."""

    __slots__ = ("locale", "code", "translations")

    def __init__(self, locale, translations):
        self.locale = locale
        self.code = str(locale)  # "kk", "ru", "en"
        self.translations = translations


_WORDS: dict[str, Words] = {}


def _babel_context():
    """Flask-Babel's namespace of the current context (``g._flask_babel``: the locale, the time
    zone, what ``force_locale`` sets), read without the three proxy look-ups ``get_locale``
    makes on each call."""
    ctx = _cv_app.get(None)
    return None if ctx is None else ctx.g.__dict__.get("_flask_babel")


def words() -> Words | None:
    """The current locale's ``Words``; None outside an application context.

    The locale is Flask-Babel's own (``get_locale`` chooses it once per request, and
    ``force_locale`` replaces it): only the look-up is faster. A context remembers the
    ``Words`` of the locale object it last saw, so a forced locale is noticed at once."""
    ns = _babel_context()
    locale = getattr(ns, "babel_locale", None)
    if locale is None:
        locale = get_locale()
        if locale is None:
            return None
        ns = _babel_context()
    seen = getattr(ns, "tizim_words", None)
    if seen is not None and seen[0] is locale:
        return seen[1]
    key = str(locale)
    found = _WORDS.get(key)
    if found is None:
        # Flask-Babel's own loading (not FastDomain's, which asks this function).
        found = _WORDS[key] = Words(locale, Domain.get_translations(get_domain()))
    ns.tizim_words = (locale, found)
    return found


def current_timezone():
    """``get_timezone()``, read from where Flask-Babel keeps it once it has chosen it."""
    zone = getattr(_babel_context(), "babel_tzinfo", None)
    return zone if zone is not None else get_timezone()


def translations():
    """The catalog of the current locale (Flask-Babel's own object, kept per locale)."""
    found = words()
    return found.translations if found is not None else get_translations()


class FastDomain(Domain):
    """Flask-Babel's message domain, finding the catalog through ``translations()``: every
    ``gettext`` and lazy string in Python code costs a dictionary look-up, not a dozen context
    look-ups (installed by ``register``)."""

    def get_translations(self):
        found = words()
        return found.translations if found is not None else super().get_translations()


def language() -> str | None:
    """The current language's code ("kk", "ru", "en"); None outside an application context."""
    found = words()
    return found.code if found is not None else None
