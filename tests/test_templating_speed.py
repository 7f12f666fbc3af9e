"""The templates' fast words and dates say exactly what Flask-Babel says, in every language,
and follow ``force_locale`` (issue 14: they are found once per locale, not per call)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import flask_babel
import pytest
from flask import render_template_string
from flask_babel import force_locale

from workflow import domain, templating
from workflow.i18n import FastDomain

LOCALES = ("kk", "ru", "en")
DATE_FORMATS = ("short", "medium", "long", "full", "dd.MM.yyyy")
FORMATS = (*DATE_FORMATS, "d MMMM y, HH:mm")
MOMENTS = [
    datetime(2026, 11, 29, 18, 59, 59, tzinfo=UTC),  # 23:59 in Almaty: still the 29th
    datetime(2026, 11, 29, 19, 0, 0, tzinfo=UTC),  # 00:00 in Almaty: the 30th
    datetime(2025, 3, 1, 0, 0, 0),  # naive: read as UTC, as Flask-Babel does
    datetime(2024, 2, 29, 12, 30, 5, tzinfo=UTC) + timedelta(hours=5),
]
DAYS = [date(2026, 1, 1), date(2024, 2, 29), date(1950, 12, 31)]


@pytest.mark.parametrize("locale", LOCALES)
def test_dates_and_times_as_flask_babel_writes_them(app, locale):
    with app.test_request_context("/"), force_locale(locale):
        for fmt in FORMATS:
            for moment in MOMENTS:
                assert templating.format_datetime(moment, fmt) == \
                    flask_babel.format_datetime(moment, fmt), (fmt, moment)
        for fmt in DATE_FORMATS:
            for moment in MOMENTS:
                assert templating.format_date(moment, fmt) == \
                    flask_babel.format_date(moment, fmt), (fmt, moment)
            for day in DAYS:
                assert templating.format_date(day, fmt) == flask_babel.format_date(day, fmt)
        assert templating.format_date(None) == templating.format_datetime(None) == "—"
        for number in (0, 7, 1234, 1234567, -98765, 2.5, 1234.5):
            assert templating.format_number(number) == flask_babel.format_decimal(number)
            if isinstance(number, int):  # written once per (locale, integer), then remembered
                hits = templating._number_in_words.cache_info().hits
                assert templating.format_number(number) == flask_babel.format_decimal(number)
                assert templating._number_in_words.cache_info().hits == hits + 1
        assert templating.format_number(None) == "—"


def test_a_number_is_written_in_the_locale_of_the_moment(app):
    """Numbers are remembered per locale: a forced locale writes its own grouping."""
    with app.test_request_context("/"):
        with force_locale("en"):
            assert templating.format_number(1234567) == "1,234,567"
        with force_locale("ru"):
            assert templating.format_number(1234567) == "1\xa0234\xa0567"
        with force_locale("en"):
            assert templating.format_number(1234567) == "1,234,567"


@pytest.mark.parametrize("locale", LOCALES)
def test_labels_and_words_as_the_catalog_says_them(app, locale):
    with app.test_request_context("/"), force_locale(locale):
        for name in templating.LABELS:
            labels = getattr(domain, name)
            fast = templating.Labels(labels)
            assert dict(fast) == {key: str(label) for key, label in labels.items()}, name
        html = render_template_string("{{ _('Route') }}|{{ STATE_LABELS['draft'] }}|"
                                      "{{ ngettext('%(num)d day', '%(num)d days', 3) }}")
        assert html == "|".join((flask_babel.gettext("Route"), str(domain.STATE_LABELS["draft"]),
                                 flask_babel.ngettext("%(num)d day", "%(num)d days", 3)))


def test_a_forced_locale_inside_a_request_is_obeyed(app):
    """An e-mail rendered in its recipient's language in the middle of a Kazakh page."""
    template = "{{ STATE_LABELS['approved'] }} {{ _('Route') }} {{ day|date('long') }}"
    said = {}
    with app.test_request_context("/", headers={"Accept-Language": "kk"}):
        for locale in ("kk", "ru", "kk", "en"):
            with force_locale(locale):
                said.setdefault(locale, set()).add(
                    render_template_string(template, day=date(2026, 5, 1)))
                expected = (f"{domain.STATE_LABELS['approved']} {flask_babel.gettext('Route')} "
                            f"{flask_babel.format_date(date(2026, 5, 1), 'long')}")
                assert said[locale] == {expected}
    assert len({next(iter(v)) for v in said.values()}) == 3


def test_python_texts_find_their_catalog_fast_and_obey_a_forced_locale(app):
    """gettext and lazy strings in Python go through FastDomain; they say what Flask-Babel's
    own domain says, in the request's language and in a forced one, and back again."""
    reference = flask_babel.Domain()  # Flask-Babel's own catalog look-up
    route = flask_babel.lazy_gettext("Route")
    said = {}
    with app.test_request_context("/", headers={"Accept-Language": "kk"}):
        assert isinstance(flask_babel.get_domain(), FastDomain)
        for locale in ("kk", "ru", "kk", "en"):
            with force_locale(locale):
                said[locale] = str(route)
                assert said[locale] == reference.gettext("Route") == flask_babel.gettext("Route")
        assert flask_babel.gettext("Route") == said["kk"]  # the request's own language again
    assert len(set(said.values())) == 3


def test_every_state_has_its_badge_colour():
    assert set(templating.STATE_COLOURS) == {s.value for s in domain.State}


@pytest.mark.parametrize("locale", LOCALES)
def test_a_state_badge_says_the_state_in_its_colour(app, locale):
    with app.test_request_context("/"), force_locale(locale):
        html = render_template_string("{{ state_badge('returned') }}|{{ state_badge('odd<') }}")
        label = str(domain.STATE_LABELS["returned"])
        assert html == (f'<span class="badge text-bg-warning state-badge">{label}</span>|'
                        '<span class="badge text-bg-secondary state-badge">odd&lt;</span>')
