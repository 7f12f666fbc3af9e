"""The whole journey in Debian's Chromium, on `make serve`'s processes (issue 16, item 1).

gunicorn with two workers, a Celery worker, beat and the mail sink run on a fresh PostgreSQL
database with the demo data, as `make serve` starts them. Playwright drives Chromium through
what people do, once in Kazakh and once in Russian, at 1366×768:

a coordinator logs in (by keyboard alone), adds an association, enters a nomination with its
documents, plans a session, records attendance and votes, prints the protocol, closes the
session and forwards; the Secretariat accepts and returns it with one reason; the coordinator
corrects and forwards again; the Secretariat puts it on a Council meeting, records the votes and
the Chairman's order; the worker issues the membership and e-mails the invitation; the member
opens it (taken from the real SMTP server), sets a password, sees the membership and downloads
the certificate; the nominee checks `/status`; anyone verifies the certificate at `/verify`.

Every main page is kept as a screenshot under ``test-artifacts/journey/<language>/`` (or
``$TIZIM_ARTIFACTS/journey/<language>/``).
"""

from __future__ import annotations

import io
import mailbox
import os
import re
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import redis
from sqlalchemy import create_engine, text

from tests.conftest import REDIS_URL, postgres_database, reachable, unavailable
from tests.livekit import wait_for
from tests.serving import ROOT, Processes, base_url, prepare, serve_env, wait_ready, write_env
from workflow.demo import DEMO_PASSWORD
from workflow.iin import make_iin

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.redis, pytest.mark.postgres,
              pytest.mark.slow, pytest.mark.backends("sqlite")]  # its own database: run once

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]
VIEWPORT = {"width": 1366, "height": 768}
ARTIFACTS = Path(os.environ.get("TIZIM_ARTIFACTS", ROOT / "test-artifacts")) / "journey"
# A one-page PDF, as a scanner would give it (the documents store checks the type only).
SCAN = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

# Each language's journey runs in a region of its own, with names of its own.
JOURNEYS = {
    "kk": {"region": "KZ-75", "association": "Дүнген мәдени орталығы (сапар)",
           "surname": "Сүлейменова", "given": "Әйгерім", "ethnicity": "дүнген",
           "serial": 4401, "place": "Алматы, Достық үйі"},
    "ru": {"region": "KZ-71", "association": "Общество дунган Астаны (путь)",
           "surname": "Ли", "given": "Светлана", "ethnicity": "кореянка",
           "serial": 4402, "place": "Астана, Дом дружбы"},
}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`make serve`'s processes on a fresh database with the demo data."""
    if not reachable("127.0.0.1", 6379):
        unavailable("Redis is not reachable at 127.0.0.1:6379")
    if not shutil.which("chromium"):
        unavailable("Debian's chromium is not installed (apt-get install chromium)")
    if os.environ.get("TIZIM_JOURNEY_SERVE_ENV"):  # a run of `make serve` already up (debugging)
        from dotenv import dotenv_values

        env = dotenv_values(os.environ["TIZIM_JOURNEY_SERVE_ENV"])
        engine = create_engine(env["DATABASE_URL"])
        yield {"env": env, "url": base_url(env), "engine": engine, "again": os.getpid() % 1000}
        engine.dispose()
        return
    folder = tmp_path_factory.mktemp("journey")
    broker = redis.Redis.from_url(REDIS_URL)
    broker.flushdb()
    with postgres_database() as database_url:
        env = serve_env(folder, database_url, REDIS_URL)
        prepare(write_env(folder / "serve.env", env))
        processes = Processes(env, folder / "logs").start("web", "worker", "beat", "mail")
        engine = create_engine(database_url)
        try:
            try:
                wait_ready(base_url(env), timeout=120)
            except TimeoutError:
                raise AssertionError("\n".join(f"--- {n}\n{processes.log(n)[-1500:]}"
                                               for n in processes.commands)) from None
            yield {"env": env, "url": base_url(env), "engine": engine, "again": 0}
        finally:
            processes.stop_all()
            engine.dispose()
            broker.flushdb()


@pytest.fixture(scope="module")
def chromium():
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


class Person:
    """One person at a browser of their own (cookies, language), at 1366×768."""

    def __init__(self, chromium, base: str, language: str, folder: Path, who: str):
        self.base, self.language, self.folder, self.who = base, language, folder, who
        self.context = chromium.new_context(
            viewport=VIEWPORT, locale={"kk": "kk-KZ", "ru": "ru-RU"}[language],
            extra_http_headers={"Accept-Language": language}, accept_downloads=True)
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.page.on("dialog", self._confirm)

    def _confirm(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.accept()

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.check_page()

    def check_page(self) -> None:
        assert self.page.locator("html").get_attribute("lang") == self.language, self.page.url
        assert self.page.locator(".alert-danger").count() == 0, self.alerts()

    def alerts(self) -> list[str]:
        return self.page.locator(".alert").all_inner_texts()

    def press(self, form: str, button: str = "[type=submit]:not([form])") -> None:
        """Press the form's own submit button (not one inside it that sends another form, as
        a row's "Take off the agenda" does) and wait for the page it leads to."""
        with self.page.expect_navigation():
            self.page.click(f"{form} {button}")
        self.check_page()

    def click(self, selector: str) -> None:
        """Press a button that leads to another page (one outside its form, say)."""
        with self.page.expect_navigation():
            self.page.click(selector)
        self.check_page()

    def open_action(self, action: str) -> str:
        """Open a nomination page's folded action form; return its selector."""
        self.page.click(f"#form-{action} summary")
        return f"form[action$='/actions/{action}']"

    def fetch(self, href: str) -> bytes:
        """What following the link gives, with this person's cookies (a PDF opens as a file)."""
        response = self.context.request.get(self.base + href if href.startswith("/") else href)
        assert response.status == 200, (href, response.status)
        return response.body()

    def shot(self, name: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(self.folder / f"{self.who}-{name}.png"), full_page=True)

    def log_in(self, email: str, password: str = DEMO_PASSWORD) -> None:
        self.go("/auth/login")
        self.page.fill("#email", email)
        self.page.fill("#password", password)
        self.press("form:has(#password)")
        assert "/auth/login" not in self.page.url, self.alerts()

    def close(self) -> None:
        self.context.close()


def sql(served, query: str, **params):
    with served["engine"].connect() as conn:
        return conn.execute(text(query), params).all()


def one(served, query: str, **params):
    rows = sql(served, query, **params)
    assert len(rows) == 1, (query, rows)
    return rows[0][0]


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    assert data.startswith(b"%PDF"), data[:40]
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def invitation_link(served, address: str) -> str:
    """The newest invitation link in the mail the SMTP sink received for ``address``."""
    found: list[tuple[int, str]] = []
    folder = Path(served["env"]["MAIL_SINK_DIR"])
    if (folder / "new").exists():
        for _, message in mailbox.Maildir(folder, create=False).iteritems():
            if address not in (message["To"] or ""):
                continue
            for part in message.walk():
                if part.get_content_type() == "text/plain":
                    body = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
                    match = re.search(r"https?://\S+/account/invitation/[\w-]+", body)
                    key = re.match(r"token(\d+)", message["X-Tizim-Delivery"] or "")
                    if match and key:
                        found.append((int(key[1]), match[0]))
    return max(found)[1] if found else ""


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_the_whole_journey_in_chromium(served, chromium, language):
    data = dict(JOURNEYS[language])
    if served["again"]:  # the same database again: another person, another association
        data["serial"] += served["again"]
        data["association"] += f" {served['again']}"
    # Today where the Assembly sits, as the server's checks count it: from 19:00 UTC on,
    # Almaty's date is already tomorrow's.
    zone = ZoneInfo(served["env"].get("TIMEZONE", "Asia/Almaty"))
    base, folder, today = served["url"], ARTIFACTS / language, datetime.now(zone).date()
    iso = today.isoformat()
    birth = date(1990, 3, 15) + timedelta(days=served["again"])
    iin = make_iin(birth, "female", data["serial"])
    email = f"journey.{language}{served['again'] or ''}@example.kz"
    coordinator_email = f"coordinator.{data['region'].lower()}@tizim.kz"
    scan = folder.parent / "scan.pdf"
    folder.mkdir(parents=True, exist_ok=True)
    scan.write_bytes(SCAN)

    # --- The coordinator logs in by keyboard alone and enters the nomination. ----------------
    coordinator = Person(chromium, base, language, folder, "1-coordinator")
    page = coordinator.page
    coordinator.go("/auth/login")
    for _ in range(40):  # Tab from the top of the page to the e-mail field
        if page.evaluate("document.activeElement && document.activeElement.id") == "email":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "email", "e-mail not reachable by Tab"
    page.keyboard.type(coordinator_email)
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    coordinator.check_page()
    assert "/auth/login" not in page.url, coordinator.alerts()
    coordinator.shot("01-home")

    coordinator.go("/associations/new")
    page.fill("#name", data["association"])
    coordinator.shot("02-association-form")
    coordinator.press("form[method=post]:has(#name)")
    assert data["association"] in page.content()
    coordinator.shot("03-associations")

    coordinator.go("/nominations/new")
    page.fill("#surname", data["surname"])
    page.fill("#given_name", data["given"])
    page.fill("#iin", iin)
    page.fill("#birth_date", birth.isoformat())
    page.select_option("#sex", "female")
    page.fill("#ethnicity", data["ethnicity"])
    page.fill("#email", email)
    page.fill("#consent_given_on", iso)
    page.select_option("#consent_form", "written")
    page.fill("#consent_scope", "Tizim")
    page.select_option("#association_id", label=data["association"])
    page.fill("#justification", "Tizim")
    for field in ("decision_file", "consent_file", "cv_file"):
        page.set_input_files(f"#{field}", str(scan))
    coordinator.shot("04-nomination-form")
    coordinator.press("form[method=post]:has(#surname)", "#save_submit")
    assert re.search(r"/nominations/\d+$", page.url), (page.url, coordinator.alerts())
    nomination_id = int(page.url.rsplit("/", 1)[1])
    code, status = sql(served, "SELECT reference_code, status FROM nominations WHERE id = :id",
                       id=nomination_id)[0]
    assert status == "submitted"
    assert iin not in page.url
    coordinator.shot("05-nomination")

    # --- The regional session: plan, agenda, attendance and votes, protocol, close, forward. --
    coordinator.go("/sessions/new")
    page.fill("#number", f"J-{language}-{served['again']}")
    page.fill("#held_on", iso)
    page.fill("#place", data["place"])
    page.fill("#members_total", "40")
    coordinator.press("form[method=post]:has(#number)")
    assert re.search(r"/sessions/\d+$", page.url), coordinator.alerts()
    page.check(f"form[action$='/agenda'] input[value='{nomination_id}']")
    coordinator.press("form[action$='/agenda']")
    page.fill("#members_present", "30")
    row = page.locator("tr", has=page.locator(
        f"a[href='/nominations/{nomination_id}']"))
    row.locator("input[name$='votes_for']").fill("25")
    row.locator("input[name$='votes_against']").fill("3")
    row.locator("input[name$='votes_abstain']").fill("2")
    coordinator.press("form[action$='/record']")
    coordinator.shot("06-session-recorded")
    protocol = pdf_text(coordinator.fetch(
        page.locator(f"a[href*='/papers/session_protocol/'][href$='lang={language}']")
        .get_attribute("href")))
    assert "25" in protocol and "30" in protocol
    coordinator.press(f"form[action^='/papers/session/']:has(input[value='{language}'])")
    coordinator.press("form[action$='/close']")
    coordinator.press("form[action$='/forward']")
    assert len(coordinator.dialogs) == 2  # closing and forwarding each asked first
    assert one(served, "SELECT status FROM nominations WHERE id = :id",
               id=nomination_id) == "forwarded"
    coordinator.shot("07-session-closed")

    # --- The Secretariat accepts and returns it with one reason. ------------------------------
    officer = Person(chromium, base, language, folder, "2-secretariat")
    officer.log_in("secretariat@tizim.kz")
    officer.shot("01-home")
    officer.go(f"/secretariat/nominations/{nomination_id}")
    officer.press("form[action$='/actions/accept']")
    form = officer.open_action("return")
    officer.page.check(f"{form} input[name=reasons][value=cv_document]")
    officer.page.fill(f"{form} textarea[name=comment]", "CV")
    officer.shot("02-return")
    officer.press(form)
    assert one(served, "SELECT status FROM nominations WHERE id = :id",
               id=nomination_id) == "returned"

    # --- The coordinator reads why, corrects and forwards again. ------------------------------
    coordinator.go(f"/nominations/{nomination_id}")
    assert "cv_document" not in page.inner_text("main")  # the reason in words
    coordinator.shot("08-returned")
    coordinator.go(f"/nominations/{nomination_id}/edit")
    page.set_input_files("#cv_file", str(scan))
    coordinator.press("form[method=post]:has(#cv_file)", "#save_draft")
    form = coordinator.open_action("forward_again")
    page.fill(f"{form} textarea[name=comment]", "CV")
    coordinator.press(form)
    assert one(served, "SELECT status FROM nominations WHERE id = :id",
               id=nomination_id) == "forwarded"

    # --- The Council and the Chairman's order. ------------------------------------------------
    officer.go(f"/secretariat/nominations/{nomination_id}")
    officer.press("form[action$='/actions/accept']")
    officer.go("/council/")
    officer.page.fill("#meeting_date", iso)
    officer.page.fill("#members_total", "9")
    officer.page.fill("#title", f"J-{language}")
    officer.press("form[action='/council/meetings']")
    meeting_id = re.search(r"/council/meetings/(\d+)$", officer.page.url)[1]
    officer.go(f"/secretariat/nominations/{nomination_id}")
    officer.page.select_option("form[action$='/agenda'] select[name=meeting_id]", meeting_id)
    officer.press("form[action$='/agenda']")
    officer.go(f"/council/meetings/{meeting_id}")
    officer.page.fill("#present", "8")
    vote = officer.page.locator("tr", has=officer.page.locator(
        f"a[href$='/nominations/{nomination_id}']"))
    vote.locator("input[name$='votes_for']").fill("7")
    vote.locator("input[name$='votes_against']").fill("1")
    vote.locator("input[name$='votes_abstained']").fill("0")
    officer.page.check("#confirm")  # recording cannot be undone: the officer confirms
    officer.shot("03-council-votes")
    officer.click("button[type=submit][form=record-form]")
    assert one(served, "SELECT status FROM nominations WHERE id = :id",
               id=nomination_id) == "recommended"
    minutes = pdf_text(officer.fetch(officer.page.locator(
        f"a[href*='/papers/council_minutes/'][href$='lang={language}']").get_attribute("href")))
    assert "7" in minutes
    assert re.search(r"\b7 1 0\b", minutes), minutes  # the item's row: for, against, abstained
    officer.shot("04-council-recorded")

    officer.go("/orders/new")
    officer.page.fill("#number", f"J-{language}-{served['again']}")
    officer.page.fill("#order_date", iso)
    officer.page.set_input_files("#document", str(scan))
    item = officer.page.locator(f"input[value='{nomination_id}'][name$='-nomination_id']")
    decision = item.get_attribute("name").replace("nomination_id", "decision")
    officer.page.select_option(f"select[name='{decision}']", "approve")
    officer.shot("05-order-form")
    officer.press("form[method=post]:has(#number)")
    officer.shot("06-order")

    # --- The worker issues the membership and e-mails the invitation. ------------------------
    wait_for(lambda: sql(served, "SELECT 1 FROM memberships WHERE nomination_id = :id",
                         id=nomination_id), 120, "the worker to issue the membership", every=0.5)
    wait_for(lambda: invitation_link(served, email), 120,
             "the invitation at the SMTP sink", every=0.5)
    number = one(served, "SELECT member_number FROM memberships WHERE nomination_id = :id",
                 id=nomination_id)

    # --- The member opens the invitation, sets a password, sees the membership. ---------------
    member = Person(chromium, base, language, folder, "3-member")
    member.page.goto(invitation_link(served, email))
    member.check_page()
    member.page.fill("#password", "Zhol-Tizim-2026-qazaq!")
    member.page.fill("#confirm", "Zhol-Tizim-2026-qazaq!")
    member.shot("01-invitation")
    member.press("form[method=post]:has(#confirm)")
    assert number in member.page.inner_text("main"), member.page.inner_text("main")[:1200]
    member.shot("02-home")
    certificate = member.fetch(member.page.locator("a[href$='/certificate.pdf']")
                               .first.get_attribute("href"))
    assert number in pdf_text(certificate)

    # --- The nominee checks /status; anyone verifies the certificate. -------------------------
    anyone = Person(chromium, base, language, folder, "4-public")
    anyone.go("/status")
    anyone.page.fill("#code", code)
    anyone.page.fill("#birth_date", birth.isoformat())
    anyone.press("form[action='/status']")
    anyone.shot("01-status")
    assert anyone.page.locator("[data-testid=status-result]").count() == 1, \
        anyone.page.inner_text("main")
    anyone.go("/verify")
    upload = folder / "certificate.pdf"
    upload.write_bytes(certificate)
    anyone.page.set_input_files("form[method=post] input[type=file]", str(upload))
    anyone.press("form[method=post]:has(input[type=file])")
    assert anyone.page.locator("[data-testid=upload-intact]").count() == 1, \
        anyone.page.inner_text("main")[:800]
    assert number in anyone.page.inner_text("main")
    anyone.shot("02-verified")

    for person in (coordinator, officer, member, anyone):
        person.close()
