"""Kazakh, Russian and English throughout: catalogs complete, placeholders intact, every page
of every role free of English source text in kk and ru, the locale chosen in the right order.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from collections import Counter
from gettext import c2py
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po, write_po
from flask_babel import force_locale
from sqlalchemy import select

from tests import factories as f
from workflow.domain import LOGIN_ROLES, Role, State
from workflow.extensions import db
from workflow.models import Region, User

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "workflow" / "translations"
TRANSLATED = ("kk", "ru")  # en is the source language: its msgstr stay empty


def catalog(lang: str) -> Catalog:
    path = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def template() -> Catalog:
    with (TRANSLATIONS / "messages.pot").open("rb") as fh:
        return read_po(fh)


def forms(value) -> list[str]:
    return list(value) if isinstance(value, tuple | list) else [value]


def messages(cat: Catalog) -> list[Message]:
    return [m for m in cat if m.id]


# --- a. every message is translated ----------------------------------------------------------


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_has_a_confirmed_translation(lang):
    cat = catalog(lang)
    problems = []
    for m in messages(cat):
        strings = forms(m.string)
        if m.fuzzy:
            problems.append(f"fuzzy: {m.id!r}")
        elif not all(s.strip() for s in strings):
            problems.append(f"untranslated: {m.id!r}")
        elif isinstance(m.id, tuple) and len(strings) != cat.num_plurals:
            problems.append(f"{len(strings)} plural forms, {lang} needs {cat.num_plurals}: {m.id!r}")
    assert problems == [], f"{lang}: fill these in workflow/translations/{lang}/LC_MESSAGES/messages.po"


@pytest.mark.parametrize("lang", (*TRANSLATED, "en"))
def test_catalog_holds_every_message_of_the_template(lang):
    wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in messages(template())}
    held = {m.id if isinstance(m.id, str) else m.id[0] for m in messages(catalog(lang))}
    assert sorted(wanted - held) == [], "run `make i18n`"


def makefile_keywords() -> dict:
    """The keywords `make i18n` extracts with, read from the Makefile (one source of truth)."""
    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    line = re.search(r"^I18N_KEYWORDS\s*:=(.*)$", text, re.M).group(1)
    words = shlex.split(line)
    specs = [words[i + 1] for i, w in enumerate(words) if w == "-k"]
    keywords = dict(DEFAULT_KEYWORDS)
    keywords.update(parse_keywords(specs))
    return keywords


def test_every_string_marked_in_the_source_is_in_the_template():
    """A string wrapped in _() but never extracted would show in English in every language."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=makefile_keywords()
    ):
        found.add(message if isinstance(message, str) else message[0])
    held = {m.id if isinstance(m.id, str) else m.id[0] for m in messages(template())}
    assert sorted(found - held) == [], "run `make i18n` and translate the new messages"


# --- b. placeholders ---------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"%\([A-Za-z_]\w*\)[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]|%[sdifr]|\{\w*\}")


def placeholders(text: str) -> Counter:
    return Counter(PLACEHOLDER.findall(text.replace("%%", "")))


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_the_placeholders(lang):
    broken = []
    for m in messages(catalog(lang)):
        if isinstance(m.id, tuple):
            # Every form may be used for many numbers (ru form 0 serves 1, 21, 31…): each keeps
            # the plural msgid's placeholders.
            expected = placeholders(m.id[1])
            pairs = [(expected, s) for s in forms(m.string)]
            if placeholders(m.id[0]) - expected:
                broken.append(f"singular and plural msgid differ: {m.id!r}")
        else:
            pairs = [(placeholders(m.id), m.string)]
        for want, string in pairs:
            if string and placeholders(string) != want:
                broken.append(f"{m.id!r} -> {string!r}")
            stray = re.sub(PLACEHOLDER, "", string.replace("%%", ""))
            if string and "%" in stray and "python-format" in m.flags:
                broken.append(f"a lone % breaks formatting: {string!r}")
    assert broken == []


def test_placeholder_check_sees_a_broken_translation():
    assert placeholders("Welcome, %(name)s") != placeholders("Қош келдіңіз, %(nme)s")
    assert placeholders("Error %(code)s") != placeholders("Қате")
    assert placeholders("{n} of {total}") == placeholders("{total} ішінен {n}")


# --- plural rules and Babel formatting ----------------------------------------------------------


def test_plural_forms_headers_follow_the_languages():
    ru = catalog("ru")
    assert ru.num_plurals == 3
    rule = c2py(ru.plural_expr)
    assert [rule(n) for n in (1, 21, 101)] == [0, 0, 0]
    assert [rule(n) for n in (2, 3, 4, 22, 34)] == [1] * 5
    assert [rule(n) for n in (0, 5, 11, 12, 14, 25, 111)] == [2] * 7
    kk = catalog("kk")
    # Kazakh nouns stay singular after a numeral: both forms read the same, CLDR has one/other.
    assert kk.num_plurals == 2 and c2py(kk.plural_expr)(1) == 0 and c2py(kk.plural_expr)(5) == 1


@pytest.mark.parametrize(("lang", "counts"), [
    ("ru", {1: "кандидатура", 3: "кандидатуры", 5: "кандидатур", 21: "кандидатура"}),
    ("kk", {1: "кандидатура", 5: "кандидатура"}),
    ("en", {1: "nomination", 5: "nominations"}),
])
def test_counted_phrases_use_the_plural_rules(app, lang, counts):
    from flask import render_template_string

    with app.test_request_context(), force_locale(lang):
        for n, word in counts.items():
            text = render_template_string(
                '{{ ngettext("%(num)s nomination in all", "%(num)s nominations in all", n,'
                " num=n|number) }}", n=n)
            assert word in text.split() and str(n) in text


def test_numbers_and_dates_are_formatted_for_the_locale(app):
    from datetime import date

    from flask import render_template_string

    page = "{{ n|number }}|{{ d|date }}"
    with app.test_request_context():
        seen = {}
        for lang in ("kk", "ru", "en"):
            with force_locale(lang):
                seen[lang] = render_template_string(page, n=1234567, d=date(2026, 3, 15))
    assert seen["en"].startswith("1,234,567|Mar 15, 2026")
    assert seen["ru"].split("|")[0].replace("\xa0", " ") == "1 234 567"
    assert "мар" in seen["ru"].split("|")[1]
    assert seen["kk"].split("|")[0].replace("\xa0", " ") == "1 234 567"
    assert "нау" in seen["kk"].split("|")[1]  # наурыз


# --- c. no English source text on any page, in kk and ru, for any role --------------------------

# Proper names only: the product's name and the language switch's own names.
ALLOWED = {"Tizim", "Қазақша", "Русский", "English", "CSV", "XLSX", "PDF"}  # names, not words
EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$")
VISIBLE_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
BUTTON_INPUTS = ("submit", "button", "reset")
SEPARATORS = re.compile(r"\s*[·→←|]\s*")


class VisibleText(HTMLParser):
    """What a reader sees or hears: text outside script/style, labels read aloud, button values."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style", "template"):
            self._hidden += 1
        for name in VISIBLE_ATTRIBUTES:
            if attrs.get(name):
                self.texts.append(attrs[name])
        if tag == "input" and (attrs.get("type") or "").lower() in BUTTON_INPUTS and attrs.get("value"):
            self.texts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.texts.append(data)


def visible_texts(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return [" ".join(t.split()) for t in parser.texts]


def english_matchers() -> list[tuple[str, re.Pattern, bool]]:
    """(msgid, pattern, whole-node-only) for every English source string of the catalog."""
    ids = set()
    for m in messages(template()):
        ids.update(forms(m.id))
    matchers = []
    for msgid in sorted(ids - ALLOWED):
        parts = PLACEHOLDER.split(" ".join(msgid.split()))
        pattern = ".+?".join(re.escape(p) for p in parts)
        words = len(re.findall(r"[A-Za-z]{2,}", PLACEHOLDER.sub("", msgid)))
        matchers.append((msgid, re.compile(pattern), words < 3))
    return matchers


MATCHERS = english_matchers()


def english_in(html: str, extra: tuple[str, ...] = ()) -> list[str]:
    """The visible texts of ``html`` still in English: equal to a msgid, or holding one of 3+
    words (with its placeholders filled by anything), or naming one of ``extra``."""
    found = []
    for text in visible_texts(html):
        if text in ALLOWED or EMAIL.match(text):
            continue
        segments = [s for s in SEPARATORS.split(text) if s]
        for msgid, pattern, whole_only in MATCHERS:
            if any(pattern.fullmatch(s) for s in segments) or (
                not whole_only and pattern.search(text)
            ):
                found.append(f"{text!r} (msgid {msgid!r})")
                break
        else:
            found.extend(f"{text!r} (English name {name!r})" for name in extra if name in text)
    return found


def test_the_detector_sees_english_left_in_a_page():
    page = """<html><head><title>Nominations · Tizim</title><script>var s = "Log out";</script>
      </head><body><h1>Қош келдіңіз, User 1</h1><p>Welcome, Aigerim</p>
      <input type="submit" value="Filter"><input placeholder="Surname or reference code">
      <button aria-label="Close"></button><p>Please log in to open this page. Thanks.</p>
      <p>Tizim</p><p>admin@tizim.kz</p><p>Алматы облысы</p><p>Almaty Region</p></body></html>"""
    flagged = " ".join(english_in(page, extra=("Almaty Region",)))
    for english in ("'Nominations · Tizim'", "Welcome, Aigerim", "'Filter'", "'Close'",
                    "Surname or reference code", "Please log in to open this page. Thanks.",
                    "'Almaty Region'"):
        assert english in flagged
    assert "Log out" not in flagged and "admin@tizim.kz" not in flagged
    assert "Қош келдіңіз" not in flagged and "'Tizim'" not in flagged


def model_for(argument: str):
    """The mapped class a URL argument such as ``nomination_id`` names, or None."""
    name = argument.removesuffix("_id").replace("_", "")
    for mapper in db.Model.registry.mappers:
        cls = mapper.class_
        table = getattr(cls, "__tablename__", "")
        if name in (cls.__name__.lower(), table.replace("_", ""), table.replace("_", "")[:-1]):
            return cls
    return None


def model_with_column(argument: str):
    """The mapped class that has a column named ``argument`` (e.g. ``reference_code``), or None;
    where several have it (a notification copies the reference code), the one whose column is
    unique: the row the value names."""
    found = [m for m in db.Model.registry.mappers
             if argument in m.columns and "id" in m.columns]
    found.sort(key=lambda m: not m.columns[argument].unique)
    return found[0].class_ if found else None


def sample_value(argument: str, user: User | None, endpoint: str = ""):
    """A value of a real row for a URL argument: ``<x>_id`` names a model, any other argument a
    column; a one-time ``token`` is issued for the page's purpose. Rows in the user's region (or
    of the user) come first; with none, a value that does not exist (a 404 page, checked too)."""
    if argument == "token":
        return sample_token(endpoint)
    if argument.endswith("id"):
        cls, column, missing = model_for(argument), "id", 999_999
    else:
        cls, column, missing = model_with_column(argument), argument, "x"
    if cls is None:
        return missing
    stmt = select(getattr(cls, column)).order_by(cls.id)
    if user is not None and user.region_id and hasattr(cls, "region_id"):
        stmt = stmt.where(cls.region_id == user.region_id)
    if user is not None and user.role == Role.MEMBER and hasattr(cls, "user_id"):
        stmt = stmt.where(cls.user_id == user.id)
    value = db.session.scalars(stmt.limit(1)).first()
    return value if value is not None else missing


def test_url_arguments_are_filled_with_rows_the_user_may_see(app):
    nomination = f.nomination(State.DRAFT)
    almaty, astana = f.user(Role.COORDINATOR), f.user(Role.COORDINATOR, region_code="KZ-71")
    assert sample_value("nomination_id", almaty) == nomination.id
    assert sample_value("nomination_id", astana) == 999_999
    assert sample_value("reference_code", None) == nomination.reference_code
    assert sample_value("no_such_thing_id", almaty) == 999_999


def sample_token(endpoint: str) -> str:
    """A live one-time link of the purpose the page serves (invitation, password reset, or a
    nominee's consent)."""
    from workflow.account import services as account
    from workflow.models import TokenPurpose

    if endpoint == "consent.give":
        candidate = f.CandidateFactory(region=f.region("KZ-75"), email="consenting@test.kz")
        db.session.flush()
        token = account.issue_token(None, TokenPurpose.CONSENT, candidate=candidate)
        db.session.commit()
        return account.link_for(token).rsplit("/", 1)[-1].split("?")[0]
    purpose = TokenPurpose.INVITATION if "invitation" in endpoint else TokenPurpose.PASSWORD_RESET
    invitee = db.session.scalar(select(User).where(User.email == "invitee@test.kz"))
    if invitee is None:
        invitee = f.user(Role.MEMBER, email="invitee@test.kz")
    token = account.issue_token(invitee, purpose)
    db.session.commit()
    return account.link_for(token).rsplit("/", 1)[-1]


def sample_data() -> None:
    """Something on every page: nominations in the coordinator's region at several stages, one in
    another region. A page that needs more (a session, a member) gets a factory call here."""
    for state in (State.DRAFT, State.RETURNED, State.COUNCIL_AGENDA, State.MEMBER):
        f.nomination(state)
    f.nomination(State.SUBMITTED, region_code="KZ-71")
    # A sealed paper (a session's agenda) for the paper's page and /verify/<code>.
    from workflow.models import PaperKind
    from workflow.papers.services import request_paper

    request_paper(f.user(Role.SECRETARIAT), PaperKind.SESSION_AGENDA, f.regional_session().id,
                  "kk")


def page_rules(app):
    return sorted(
        (r for r in app.url_map.iter_rules()
         if r.endpoint != "static" and "GET" in r.methods),
        key=lambda r: r.rule,
    )


def walk(app, client, user: User | None, lang: str) -> tuple[list[str], set[str]]:
    """GET every page as ``user`` in ``lang``; return the English found and the rules rendered."""
    from flask import url_for

    english_regions = tuple(
        r.name_en for r in db.session.scalars(select(Region))
        if r.name_en not in (r.name_kk, r.name_ru)
    )
    client.set_cookie("lang", lang)
    found, rendered = [], set()
    for rule in page_rules(app):
        # A page about one language's text (the e-mail wording editor) shows that language's
        # words by design: it is opened for the language being read.
        values = {arg: lang if arg == "language" else sample_value(arg, user, rule.endpoint)
                  for arg in rule.arguments}
        with app.test_request_context():
            url = url_for(rule.endpoint, **values)
        response = client.get(url, follow_redirects=True)
        if response.status_code == 200 and rule.arguments:
            rendered.add(rule.rule)
        if response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        if "<html" in html:  # a full page, not a fragment
            assert f'<html lang="{lang}">' in html, f"{url} was not rendered in {lang}"
        found += [f"{lang} {url}: {text}" for text in english_in(html, english_regions)]
    return found, rendered


# The words on a page do not depend on the database engine (the fuzz and crawl tests walk every
# page on both): once is enough for this long walk.
@pytest.mark.backends("sqlite")
def test_no_page_shows_english_source_text_in_kazakh_or_russian(app, client):
    from tests.conftest import Auth

    sample_data()
    users = {role: f.user(role) for role in LOGIN_ROLES}
    db.session.commit()
    found, rendered = [], set()
    for role in (*LOGIN_ROLES, None):
        browser = app.test_client()  # one browser per role: its own session and cookies
        if role is not None:
            Auth(browser).login(users[role])
        for lang in TRANSLATED:
            english, pages = walk(app, browser, users.get(role), lang)
            found += [f"{role or 'anonymous'} {line}" for line in english]
            rendered |= pages
    assert found == [], "translate these (make i18n, then the .po files) or mark them with _()"
    with_arguments = {r.rule for r in page_rules(app) if r.arguments}
    assert sorted(with_arguments - rendered) == [], (
        "no role saw these pages with real data: add their objects in sample_data()"
    )


def test_templates_take_region_names_from_the_regions_table():
    """Region.name follows the locale; a template naming a column or a region by hand does not."""
    offenders = []
    names = ("Almaty", "Astana", "Shymkent", "Алматы", "Астана", "Шымкент")
    for path in (ROOT / "templates").rglob("*.*"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"\bname_(kk|ru|en)\b", text) or any(n in text for n in names):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


# --- strings that never reached the catalog: hard-coded in a template or in Python -------------

JINJA = re.compile(r"{#.*?#}|{%.*?%}|{{.*?}}", re.S)
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def hard_coded_words(template_source: str) -> list[str]:
    """Latin words a template shows outside any {{ }} expression: text that skipped gettext."""
    texts = visible_texts(JINJA.sub(" ", template_source))
    return [t for t in texts if t not in ALLOWED and not EMAIL.match(t) and LATIN_WORD.search(t)]


def test_hard_coded_template_text_is_detected():
    source = '<h1>{{ _("Users") }}</h1><p>Candidate data</p>{# a note #}<b>{{ user.name }}</b>' \
             '<input placeholder="Search"><span title="{{ _(\'Close\') }}">·</span>'
    assert hard_coded_words(source) == ["Candidate data", "Search"]


def test_templates_hold_no_text_outside_gettext():
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.suffix in (".html", ".txt"):
            words = hard_coded_words(path.read_text(encoding="utf-8"))
            offenders += [f"{path.relative_to(ROOT)}: {w!r}" for w in words]
    assert offenders == [], "wrap these in {{ _(\"...\") }}"


GETTEXT_NAMES = {"_", "_l", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext", "_n", "_ln"}


def untranslated_literals(source: str) -> list[str]:
    """Literal text given to a person without gettext: flash("..."), a form field's label or a
    validator's message as a plain string, and f-strings inside gettext."""
    import ast

    def literal(node) -> bool:
        return isinstance(node, ast.JoinedStr) or (
            isinstance(node, ast.Constant) and isinstance(node.value, str)
            and LATIN_WORD.search(node.value) is not None
        )

    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
        if name in GETTEXT_NAMES and node.args and isinstance(node.args[0], ast.JoinedStr):
            found.append(f"line {node.lineno}: f-string inside {name}()")
        suspects = []
        if name == "flash" and node.args:
            suspects.append(node.args[0])
        if name.endswith("Field") and node.args:
            suspects.append(node.args[0])
        suspects += [k.value for k in node.keywords if k.arg in ("label", "message", "description")]
        found += [f"line {node.lineno}: {name}({ast.unparse(s)[:60]})" for s in suspects if literal(s)]
    return found


def test_untranslated_python_literals_are_detected():
    source = (
        'flash("Saved.")\nflash(_("Saved."))\nname = StringField("Name")\n'
        'age = IntegerField(_l("Age"), validators=[DataRequired(message="Required")])\n'
        '_(f"Hello {x}")\n'
    )
    assert len(untranslated_literals(source)) == 4


def test_python_gives_people_only_translated_text():
    offenders = []
    for folder in ("workflow", "tasks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            offenders += [f"{path.relative_to(ROOT)} {hit}"
                          for hit in untranslated_literals(path.read_text(encoding="utf-8"))]
    assert offenders == [], "wrap these in _() (views) or _l() (forms, module level)"


# --- d. the language: user setting, then cookie, then Accept-Language, then the default ---------


def lang_of(response) -> str:
    match = re.search(r'<html lang="(\w+)">', response.get_data(as_text=True))
    return match.group(1)


def test_shipped_default_language_is_kazakh(monkeypatch):
    import config

    monkeypatch.delenv("DEFAULT_LANGUAGE", raising=False)
    assert config.load("development").BABEL_DEFAULT_LOCALE == "kk"
    monkeypatch.setenv("SECRET_KEY", "5f0c9a4e8d2b7f13e6a0c4d9b8f2e7a1c3d5b9e0f4a8c2d6")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    assert config.load("production").BABEL_DEFAULT_LOCALE == "kk"


def test_default_language_when_nothing_else_decides(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "kk")
    response = client.get("/auth/login")
    assert lang_of(response) == "kk" and "Tizim жүйесіне кіру" in response.get_data(as_text=True)
    # A browser asking only for languages we do not have gets the default too.
    assert lang_of(client.get("/auth/login", headers={"Accept-Language": "de, fr;q=0.5"})) == "kk"


@pytest.mark.parametrize(("header", "expected"), [
    ("ru-RU,ru;q=0.9,en;q=0.5", "ru"),
    ("kk-KZ", "kk"),
    ("de-DE,de;q=0.9,en-US;q=0.5", "en"),
    ("en;q=0.3,ru;q=0.8", "ru"),
])
def test_accept_language_decides_without_cookie_or_setting(app, client, monkeypatch,
                                                           header, expected):
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "kk")
    assert lang_of(client.get("/auth/login", headers={"Accept-Language": header})) == expected


def test_cookie_comes_before_accept_language(client):
    client.set_cookie("lang", "kk")
    assert lang_of(client.get("/auth/login", headers={"Accept-Language": "ru"})) == "kk"
    client.set_cookie("lang", "xx")  # not one of ours: ignored, the next step decides
    assert lang_of(client.get("/auth/login", headers={"Accept-Language": "ru"})) == "ru"


def test_user_setting_comes_before_cookie(app, client, auth):
    user = f.user(Role.SECRETARIAT, language="en")
    db.session.commit()
    auth.login(user)
    client.set_cookie("lang", "ru")
    assert lang_of(client.get("/", headers={"Accept-Language": "kk"})) == "en"
    user.language = "de"  # a stale setting falls through to the cookie
    db.session.commit()
    assert lang_of(client.get("/", headers={"Accept-Language": "kk"})) == "ru"
    user.language = None
    db.session.commit()
    client.delete_cookie("lang")
    assert lang_of(client.get("/", headers={"Accept-Language": "kk"})) == "kk"


def test_language_switch_is_remembered_for_visitors_and_users(app, client, auth):
    response = client.post("/language", data={"lang": "ru", "next": "/auth/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    page = client.get("/auth/login", headers={"Accept-Language": "kk"})
    assert lang_of(page) == "ru" and "Вход в Tizim" in page.get_data(as_text=True)

    user = f.user(Role.COORDINATOR)
    db.session.commit()
    auth.login(user)
    client.post("/language", data={"lang": "kk"})
    db.session.refresh(user)
    assert user.language == "kk"
    client.set_cookie("lang", "en")  # another browser's cookie does not override the setting
    assert lang_of(client.get("/")) == "kk"
    client.post("/language", data={"lang": "zz"})  # unknown: the configured default
    db.session.refresh(user)
    assert user.language == app.config["BABEL_DEFAULT_LOCALE"]


def test_outside_a_request_the_default_language_is_used(app):
    from workflow.setup import select_locale

    with app.app_context():
        assert select_locale() == app.config["BABEL_DEFAULT_LOCALE"]


# --- errors and forms speak the reader's language -----------------------------------------------


def test_json_error_message_follows_the_language_cookie(app, client, auth):
    auth.login(f.user(Role.SECRETARIAT))
    client.set_cookie("lang", "ru")
    response = client.get("/nominations/999999", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.is_json
    assert response.json["title"] == "Не найдено"
    assert response.json["message"].startswith("По этому адресу ничего нет")

    auth.logout()
    auth.login(f.user(Role.MEMBER))
    client.set_cookie("lang", "kk")
    response = client.get("/nominations/", headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert response.json["title"] == "Сізге қолжетімсіз"


def test_rate_limit_message_is_the_catalogs_not_the_limiters(app):
    from werkzeug.exceptions import TooManyRequests

    # Flask-Limiter raises 429 with an English description such as "10 per 5 minute".
    headers = {"Accept": "application/json", "Cookie": "lang=ru"}
    with app.test_request_context("/auth/login", method="POST", headers=headers):
        response = app.make_response(
            app.handle_user_exception(TooManyRequests(description="10 per 5 minute")))
    assert response.status_code == 429
    assert response.json["title"] == "Слишком много попыток"
    assert response.json["message"] == "Подождите несколько минут и повторите попытку."


@pytest.mark.parametrize(("lang", "required"), [("ru", "Обязательное поле."),
                                                 ("kk", "Бұл өріс міндетті")])
def test_form_errors_are_in_the_language(client, lang, required):
    client.set_cookie("lang", lang)
    html = client.post("/auth/login", data={"email": "", "password": ""}).get_data(as_text=True)
    assert "This field is required" not in html
    assert required in html


def test_transition_messages_are_flashed_in_the_language(app, client, auth):
    nomination = f.nomination(State.DRAFT)
    coordinator = f.user(Role.COORDINATOR)
    db.session.commit()
    auth.login(coordinator)
    client.set_cookie("lang", "ru")
    response = client.post(f"/nominations/{nomination.id}/actions/submit",
                           data={"version": nomination.version}, follow_redirects=True)
    assert "Выполнено: «Подать»." in response.get_data(as_text=True)


# --- scripts/po_merge.py ------------------------------------------------------------------------


def po(tmp_path, name: str, entries: dict, lang: str = "ru", fuzzy: tuple = ()) -> Path:
    cat = Catalog(locale=lang)
    for msgid, msgstr in entries.items():
        cat.add(msgid, msgstr, flags=("fuzzy",) if msgid in fuzzy else ())
    path = tmp_path / name
    with path.open("wb") as fh:
        write_po(fh, cat)
    return path


def run_merge(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "po_merge.py"), *map(str, args)],
                          capture_output=True, text=True, check=False)


def test_po_merge_keeps_the_first_confirmed_translation(tmp_path):
    ours = po(tmp_path, "ours.po", {"Log in": "", "Log out": "Выйти", "Draft": "Черн.",
                                    ("%(num)s day", "%(num)s days"): ("", "", "")},
              fuzzy=("Draft",))
    theirs = po(tmp_path, "theirs.po", {"Log in": "Войти", "Log out": "Выход",
                                        "Draft": "Черновик", "Session": "Сессия",
                                        ("%(num)s day", "%(num)s days"): ("%(num)s день",
                                                                          "%(num)s дня",
                                                                          "%(num)s дней")})
    out = tmp_path / "merged.po"
    result = run_merge("-o", out, ours, theirs)
    assert result.returncode == 0, result.stderr
    assert "conflict for 'Log out'" in result.stderr
    with out.open("rb") as fh:
        merged = {m.id if isinstance(m.id, str) else m.id[0]: m for m in read_po(fh) if m.id}
    assert merged["Log in"].string == "Войти"
    assert merged["Log out"].string == "Выйти"  # the first confirmed one wins
    assert merged["Draft"].string == "Черновик" and not merged["Draft"].fuzzy
    assert merged["Session"].string == "Сессия"
    assert merged["%(num)s day"].string == ("%(num)s день", "%(num)s дня", "%(num)s дней")


def test_po_merge_refuses_catalogs_of_different_languages(tmp_path):
    result = run_merge("-o", tmp_path / "x.po", po(tmp_path, "a.po", {"Yes": "Да"}),
                       po(tmp_path, "b.po", {"Yes": "Иә"}, lang="kk"))
    assert result.returncode == 2 and "different languages" in result.stderr


def test_kazakh_says_onir_for_region_everywhere():
    """Pages say «өңір(лік)» for region(al); e-mails and messages must not say «облыс(тық)»
    (region names, which do, come from the regions table, not the catalog)."""
    said = [m.id for m in catalog("kk") if m.id and "облыс" in str(m.string).lower()]
    assert said == []
