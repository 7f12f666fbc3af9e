"""What every template can use: permissions, labels, masked IINs, localized names."""

from collections.abc import Mapping
from datetime import datetime

from babel import dates as babel_dates
from flask import Flask, current_app, request
from flask.globals import _cv_app
from flask_babel import (
    Domain,
    format_decimal,
    get_domain,
    get_locale,
    get_timezone,
    get_translations,
    gettext,
    lazy_pgettext,
)
from flask_login import current_user
from markupsafe import Markup, escape
from werkzeug.local import LocalProxy

from workflow import bodies, domain, events, permissions
from workflow.iin import mask
from workflow.voting import Threshold

NAVIGATION = (
    # (endpoint, label, permission); the layout shows an entry when the user holds the permission.
    # The labels are the menu's short words (context "menu"): the Secretariat's eight entries,
    # the language switch, the bell and the user's menu fit one line of a 1280 px screen in kk
    # and ru (tests/test_browser.py). The profile and "Log out" are in the user's menu.
    ("main.home", lazy_pgettext("menu", "Home"), "account"),
    ("nominations.index", lazy_pgettext("menu", "Nominations"), "nominations.view"),
    ("secretariat.new_nomination", lazy_pgettext("menu", "Other routes"), "secretariat.work"),
    ("council.index", lazy_pgettext("menu", "Council"), "council.manage"),
    ("orders.index", lazy_pgettext("menu", "Orders"), "orders.manage"),
    ("register.index", lazy_pgettext("menu", "Register"), "register.view"),
    ("sessions.index", lazy_pgettext("menu", "Sessions"), "sessions.view"),
    ("associations.index", lazy_pgettext("menu", "Associations"), "associations.view"),
    ("admin.users", lazy_pgettext("menu", "Users"), "admin.users"),
    ("admin.regions", lazy_pgettext("menu", "Regions"), "admin.users"),
    # The Secretariat's bar is full at 1280 px: it reaches the trail from its home page.
    ("admin.audit", lazy_pgettext("menu", "Audit trail"), "admin.users"),
    # The wording of each step's e-mail; the Secretariat reaches the e-mails not sent from
    # its notifications page (its bar is full).
    ("notifications.wordings", lazy_pgettext("menu", "E-mails"), "email.wording"),
)


# The label tables templates read, each wrapped in ``Labels``.
LABELS = ("STATE_LABELS", "ROUTE_LABELS", "ROLE_LABELS", "SEX_LABELS", "LANGUAGE_LABELS",
          "RETURN_REASON_LABELS", "DOCUMENT_KIND_LABELS")


def width_class(percent) -> str:
    """The CSS class of a bar this wide (``pct-0`` … ``pct-100``): no inline style under the CSP."""
    try:
        return f"pct-{min(100, max(0, round(float(percent))))}"
    except (TypeError, ValueError):
        return "pct-0"


def country(code: str | None) -> str:
    """A country's name in the page's language (``KZ`` → Қазақстан / Казахстан), from CLDR."""
    if not code:
        return "—"
    return get_locale().territories.get(code.upper(), code)


def share(rule) -> str:
    """A voting threshold in words: ``>=2/3`` → "at least 2/3", ``>1/2`` → "more than 1/2"
    (never "at least >=2/3")."""
    try:
        threshold = rule if isinstance(rule, Threshold) else Threshold.parse(str(rule))
    except ValueError:
        return str(rule)
    fraction = f"{threshold.fraction.numerator}/{threshold.fraction.denominator}"
    if threshold.strict:
        return gettext("more than %(share)s", share=fraction)
    return gettext("at least %(share)s", share=fraction)


# --- Words and dates in the reader's language, at the cost of a dictionary look-up (issue 14).
#
# A list page says fifty states and fifty dates. Flask-Babel finds the locale, the time zone,
# the catalog and the pattern anew for each (a dozen context look-ups every time); here each
# is found once per locale — the catalogs are compiled at install and never change while the
# process runs — and looked up by the locale object of the moment, so ``force_locale`` (an
# e-mail in its recipient's language) is obeyed as before. tests/test_templating_speed.py
# checks that every label, date and time comes out exactly as Flask-Babel writes it.

_STANDARD = ("full", "long", "medium", "short")
_DATE_PATTERNS: dict = {}
_DATETIME_PATTERNS: dict = {}


class Words:
    """What one locale needs, found once per process: its catalog, its label tables and date
    patterns (keyed by this object: identity hashing, not ``babel.Locale``'s slow ``__eq__``)."""

    __slots__ = ("locale", "translations")

    def __init__(self, locale, translations):
        self.locale = locale
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


class Labels(Mapping):
    """``domain.*_LABELS`` for templates: each label in the current locale, translated once per
    locale and process; safe markup, as the lazy strings were."""

    def __init__(self, labels: Mapping):
        self.labels = labels
        self.by_locale: dict = {}

    def _table(self) -> dict:
        current = words()
        # A label may name the body served (domain.body_text): a table is for one body.
        body = current_app.config["BODY_CONFIG"]
        made = self.by_locale.get(current)
        if made is not None and made[0] is body:
            return made[1]
        # Markup, as before: a lazy string renders unescaped (its __html__), and these are
        # the catalog's own words.
        table = {key: Markup(str(label))  # noqa: S704
                 for key, label in self.labels.items()}
        if current is not None:
            self.by_locale[current] = (body, table)
        return table

    def __getitem__(self, key):
        return self._table()[key]

    def __iter__(self):
        return iter(self.labels)

    def __len__(self):
        return len(self.labels)


class RouteLabels(Labels):
    """The routes' labels, in the body's own words where its file names them (TIZIM_BODY)."""

    def __getitem__(self, key):
        named = current_app.config["BODY_CONFIG"].route_names.get(key)
        return escape(str(named)) if named is not None else super().__getitem__(key)


def format_date(value, fmt: str = "medium") -> str:
    """As ``flask_babel.format_date``: a datetime in the user's time zone first."""
    if not value:
        return "—"
    if isinstance(value, datetime):
        zone = current_timezone()
        value = zone.normalize(babel_dates._ensure_datetime_tzinfo(value, zone))
        value = value.date()
    current = words()
    locale = current.locale if current is not None else get_locale()
    if fmt not in _STANDARD or current is None:
        return babel_dates.format_date(value, fmt, locale=locale)
    pattern = _DATE_PATTERNS.get((current, fmt))
    if pattern is None:
        pattern = _DATE_PATTERNS[current, fmt] = babel_dates.parse_pattern(
            babel_dates.get_date_format(fmt, locale=locale))
    return pattern.apply(value, locale)


def format_datetime(value, fmt: str = "medium") -> str:
    """As ``flask_babel.format_datetime``: in the user's time zone, the locale's pattern."""
    if not value:
        return "—"
    zone, current = current_timezone(), words()
    locale = current.locale if current is not None else get_locale()
    if fmt not in _STANDARD or current is None:
        return babel_dates.format_datetime(value, fmt, tzinfo=zone, locale=locale)
    patterns = _DATETIME_PATTERNS.get((current, fmt))
    if patterns is None:
        patterns = _DATETIME_PATTERNS[current, fmt] = (
            babel_dates.get_datetime_format(fmt, locale=locale).replace("'", ""),
            babel_dates.parse_pattern(babel_dates.get_time_format(fmt, locale=locale)),
            babel_dates.parse_pattern(babel_dates.get_date_format(fmt, locale=locale)))
    combined, time_pattern, date_pattern = patterns
    value = babel_dates._ensure_datetime_tzinfo(babel_dates._get_datetime(value), zone)
    day = value.date()
    return (combined.replace("{0}", time_pattern.apply(value.timetz(), locale,
                                                       reference_date=day))
            .replace("{1}", date_pattern.apply(day, locale)))


def register(app: Flask) -> None:
    # Flask-Babel's gettext and lazy strings find the catalog the fast way too.
    from workflow.extensions import babel

    babel.__dict__["domain_instance"] = FastDomain()  # Babel's own is a cached_property
    app.jinja_env.filters["mask_iin"] = mask
    app.jinja_env.filters["width_class"] = width_class
    app.jinja_env.filters["country"] = country
    app.jinja_env.filters["share"] = share
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["datetime"] = format_datetime
    # Flask-Babel's gettext callables, with the catalog found once per locale.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )
    # 1234 -> "1 234" in kk and ru, "1,234" in en; counted phrases use ngettext with num=n|number.
    app.jinja_env.filters["number"] = lambda n: format_decimal(n) if n is not None else "—"
    app.jinja_env.add_extension("jinja2.ext.do")
    # Globals, not context: imported macros see them too.
    app.jinja_env.globals.update(
        **{name: Labels(getattr(domain, name)) for name in LABELS},
        can=permissions.allowed,
        can_view_nomination=permissions.can_view_nomination,
        shown_iin=permissions.shown_iin,
        describe_event=events.describe,
    )
    app.jinja_env.globals["ROUTE_LABELS"] = RouteLabels(domain.ROUTE_LABELS)
    # The body served (TIZIM_BODY), in e-mails and imported macros too: {{ served_body.name }},
    # and _("… %(body)s …", **served_body.words()) for a sentence that names it.
    app.jinja_env.globals["served_body"] = LocalProxy(bodies.current)

    @app.context_processor
    def globals_():
        return {
            "navigation": [
                (endpoint, label) for endpoint, label, perm in NAVIGATION
                if permissions.allowed(perm)
            ],
            "languages": current_app.config["LANGUAGES"],
            "current_locale": str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"]),
            "current_user": current_user,
            "request_path": request.full_path.rstrip("?") if request else "/",
            # The body served (TIZIM_BODY): {{ body.name }} says its name in the page's language.
            "body": current_app.config["BODY_CONFIG"],
        }
