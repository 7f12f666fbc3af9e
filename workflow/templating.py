"""What every template can use: permissions, labels, masked IINs, localized names."""

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache

from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask import Flask, current_app, request
from flask_babel import (
    format_decimal,
    get_locale,
    gettext,
    lazy_pgettext,
)
from flask_login import current_user
from markupsafe import Markup, escape
from werkzeug.local import LocalProxy

from workflow import bodies, domain, events, permissions
from workflow.i18n import Words, current_timezone, language, translations, words
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


# The colour of each state's badge (state_badge below).
STATE_COLOURS = {
    "draft": "secondary", "submitted": "info", "on_agenda": "info", "supported": "primary",
    "declined_regionally": "dark", "forwarded": "primary", "returned": "warning",
    "under_review": "primary", "council_agenda": "primary", "recommended": "primary",
    "council_declined": "dark", "approved": "success", "rejected": "dark",
    "withdrawn": "secondary", "member": "success",
}

# The colour of each regional session status's badge (the sessions list and a session's page).
SESSION_STATUS_COLOURS = {
    "planned": "info", "recorded": "warning", "closed": "secondary", "cancelled": "dark",
}

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
        table = {key: self.shown(key, label) for key, label in self.labels.items()}
        if current is not None:
            self.by_locale[current] = (body, table)
        return table

    @staticmethod
    def shown(key, label) -> Markup:
        """A label as the table holds it. Markup, as before: a lazy string renders unescaped
        (its __html__), and these are the catalog's own words."""
        return Markup(str(label))  # noqa: S704

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
        # The day in the user's zone: one conversion (pytz's fromutc), where Babel's
        # _ensure_datetime_tzinfo and a normalize made three of the same.
        value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(
            current_timezone()).date()
    current = words()
    if fmt not in _STANDARD or current is None:
        locale = current.locale if current is not None else get_locale()
        return babel_dates.format_date(value, fmt, locale=locale)
    return _day_in_words(current, fmt, value)


@lru_cache(maxsize=8192)  # a list page says the same few days fifty times; a day is no secret
def _day_in_words(current: Words, fmt: str, day) -> str:
    pattern = _DATE_PATTERNS.get((current, fmt))
    if pattern is None:
        pattern = _DATE_PATTERNS[current, fmt] = babel_dates.parse_pattern(
            babel_dates.get_date_format(fmt, locale=current.locale))
    return pattern.apply(day, current.locale)


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


def format_number(value) -> str:
    """As ``flask_babel.format_decimal`` ("1 234" in kk and ru, "1,234" in en); "—" for none.
    A dashboard writes a hundred counts: each (locale, number) is written once per process."""
    if value is None:
        return "—"
    current = words()
    if current is None or type(value) is not int:
        return format_decimal(value)
    return _number_in_words(current, value)


@lru_cache(maxsize=8192)
def _number_in_words(current: Words, value: int) -> str:
    return babel_numbers.format_decimal(value, locale=current.locale)


_STATES = Labels(domain.STATE_LABELS)


class Badges(Labels):
    """Each state's badge, made once per locale and body like the labels it shows."""

    @staticmethod
    def shown(key, label) -> Markup:
        return Markup('<span class="badge text-bg-%s state-badge">%s</span>') % (
            STATE_COLOURS.get(key, "secondary"), str(label))


_BADGES = Badges(domain.STATE_LABELS)


def state_badge(state) -> Markup:
    """A state as its coloured badge, in the reader's language (every list row has one)."""
    badge = _BADGES.get(state)
    if badge is None:  # not a state: shown as it is, escaped
        return Markup('<span class="badge text-bg-secondary state-badge">%s</span>') % state
    return badge


def register(app: Flask) -> None:
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
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.add_extension("jinja2.ext.do")
    # Globals, not context: imported macros see them too.
    app.jinja_env.globals.update(
        **{name: Labels(getattr(domain, name)) for name in LABELS if name != "STATE_LABELS"},
        STATE_LABELS=_STATES,
        state_badge=state_badge,
        SESSION_STATUS_COLOURS=SESSION_STATUS_COLOURS,
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
            "current_locale": language() or current_app.config["BABEL_DEFAULT_LOCALE"],
            "current_user": current_user,
            "request_path": request.full_path.rstrip("?") if request else "/",
            # The body served (TIZIM_BODY): {{ body.name }} says its name in the page's language.
            "body": current_app.config["BODY_CONFIG"],
        }
