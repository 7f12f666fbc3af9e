"""In Debian's Chromium, driven by Playwright: what a coordinator and an officer actually do."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy import select, update
from werkzeug.serving import make_server

from tests import factories as f
from tests.conftest import unavailable
from workflow.domain import DocumentKind, Role, State
from workflow.extensions import db
from workflow.models import Nomination, User

# One backend is enough for the browser; the pipeline itself is tested on both.
pytestmark = [pytest.mark.browser, pytest.mark.backends("sqlite")]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def browser():
    if not shutil.which("chromium"):
        unavailable("Debian's chromium is not installed (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def log_in(page, base, user):
    page.goto(f"{base}/auth/login")
    page.fill("#email", user.email)
    page.fill("#password", f.PASSWORD)
    page.click("input[type=submit]")


def test_coordinator_submits_a_draft_in_kazakh(app, live_server, browser):
    coordinator = f.user(Role.COORDINATOR, "KZ-75")
    nomination = f.nomination(State.DRAFT, region_code="KZ-75")
    for kind in (DocumentKind.DECISION, DocumentKind.CONSENT, DocumentKind.CV):
        f.document(nomination, kind)
    db.session.commit()
    page = browser.new_page(locale="kk-KZ", extra_http_headers={"Accept-Language": "kk"})
    log_in(page, live_server, coordinator)
    assert page.locator("html").get_attribute("lang") == "kk"
    page.goto(f"{live_server}/nominations/{nomination.id}")
    page.click("form[action$=\"/actions/submit\"] button[type=submit]")
    assert page.locator(".alert-success").count() == 1, page.locator(".alert").all_inner_texts()
    db.session.expire_all()
    assert nomination.status == State.SUBMITTED
    # The language switch keeps the page and changes every label.
    page.click("#language-menu")
    page.click("button[name=lang][value=ru]")
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.url.endswith(f"/nominations/{nomination.id}")


def test_iin_is_masked_in_the_list_and_never_in_a_url(app, live_server, browser):
    officer = f.user(Role.SECRETARIAT)
    nomination = f.nomination(State.FORWARDED)
    iin = nomination.candidate.iin
    db.session.commit()
    page = browser.new_page()
    seen_urls: list[str] = []
    page.on("request", lambda request: seen_urls.append(request.url))
    log_in(page, live_server, officer)
    page.goto(f"{live_server}/nominations/")
    assert iin not in page.content()
    assert iin[-4:] in page.content()
    page.click(f"text={nomination.reference_code}")
    assert iin in page.content()  # the Secretariat's work needs the whole number
    assert not any(iin in url for url in seen_urls)


# --- The layout at the screens people have (issue 12): no page scrolls sideways. ---

SCREENS = [(1366, 768), (1280, 720)]
LAYOUT_LANGUAGES = ["kk", "ru"]
OVERFLOW = """() => {
  const root = document.documentElement, nav = document.querySelector("nav.navbar");
  const out = [];
  if (root.scrollWidth > root.clientWidth) out.push("page " + root.scrollWidth + " > " + root.clientWidth);
  if (nav && nav.offsetHeight > 72) out.push("menu on more than one line: " + nav.offsetHeight + " px");
  const bell = document.querySelector("nav.navbar .notification-bell");
  if (!bell || bell.getBoundingClientRect().width === 0) out.push("no notification bell");
  document.querySelectorAll("nav.navbar .nav-link, nav.navbar .btn").forEach(el => {
    const r = el.getBoundingClientRect();
    if (r.right > root.clientWidth + 0.5) out.push("off-screen: " + el.textContent.trim());
  });
  return out;
}"""


def main_pages(role) -> list[str]:
    """The pages each role works on: its menu (read from the page), and a record of each kind."""
    from workflow.models import ChairmanOrder, CouncilMeeting, RegionalSession
    pages = ["/notifications/", "/account/profile"]
    if role == Role.SECRETARIAT:
        review = db.session.scalar(select(Nomination.id).where(
            Nomination._status == State.UNDER_REVIEW).limit(1))
        meeting = db.session.scalar(select(CouncilMeeting.id).limit(1))
        order = db.session.scalar(select(ChairmanOrder.id).limit(1))
        pages += [f"/secretariat/nominations/{review}", f"/council/meetings/{meeting}",
                  f"/orders/{order}", "/orders/new", "/secretariat/nominations/new",
                  f"/nominations/{review}"]
    if role == Role.COORDINATOR:
        region = db.session.scalar(select(User.region_id).where(User.role == Role.COORDINATOR,
                                                                 User.email.like("%kz-75%")))
        nomination = db.session.scalar(select(Nomination.id).where(
            Nomination.region_id == region).limit(1))
        session = db.session.scalar(select(RegionalSession.id).where(
            RegionalSession.region_id == region).limit(1))
        pages += [f"/nominations/{nomination}", "/nominations/new", "/sessions/new",
                  "/associations/new"] + ([f"/sessions/{session}"] if session else [])
    return pages


def demo_logins() -> dict:
    """The demo data loaded; each role's demo account."""
    from workflow import demo
    demo.load()
    return {Role.ADMIN: "admin@tizim.kz", Role.SECRETARIAT: "secretariat@tizim.kz",
            Role.COORDINATOR: "coordinator.kz-75@tizim.kz", Role.MEMBER: demo.DEMO_MEMBER_EMAIL}


def signed_in(browser, live_server, email: str):
    """A browser of its own at 1366×768, signed in as ``email``; its menu's addresses."""
    from workflow.demo import DEMO_PASSWORD

    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(f"{live_server}/auth/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("input[type=submit]")
    menu = page.eval_on_selector_all("nav.navbar .navbar-nav a.nav-link",
                                     "links => links.map(a => a.getAttribute('href'))")
    assert menu, f"{email}: no menu"
    return context, page, menu


def test_no_main_page_scrolls_sideways_at_1366_or_1280_in_kk_and_ru(app, live_server, browser):
    logins = demo_logins()
    extra = {role: main_pages(role) for role in logins}
    problems: list[str] = []
    checked = 0
    for language in LAYOUT_LANGUAGES:
        db.session.execute(update(User).values(language=language))
        db.session.commit()
        for role, email in logins.items():
            context, page, menu = signed_in(browser, live_server, email)
            for width, height in SCREENS:
                page.set_viewport_size({"width": width, "height": height})
                for path in dict.fromkeys(menu + extra[role]):
                    response = page.goto(f"{live_server}{path}")
                    assert response.status == 200, (role, path, response.status)
                    assert page.locator("html").get_attribute("lang") == language
                    checked += 1
                    problems += [f"{role} {language} {width}px {path}: {p}"
                                 for p in page.evaluate(OVERFLOW)]
            context.close()
    assert checked > 60
    assert not problems, "\n".join(problems)


def test_a_file_over_the_limit_is_stopped_before_sending_and_nothing_typed_is_lost(
        app, live_server, browser):
    coordinator = f.user(Role.COORDINATOR, "KZ-75")
    db.session.commit()
    page = browser.new_page()
    log_in(page, live_server, coordinator)
    page.goto(f"{live_server}/nominations/new")
    page.fill("#surname", "Ахметова")
    big = {"name": "scan.pdf", "mimeType": "application/pdf",
           "buffer": b"%PDF-1.4\n" + b"0" * (app.config["MAX_DOCUMENT_BYTES"] + 1)}
    page.set_input_files("#cv_file", files=[big])
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.method) if r.method == "POST" else None)
    page.click("button[name=save_draft], input[name=save_draft]")
    page.wait_for_timeout(300)
    assert sent == []  # nothing left the browser
    assert page.locator(".js-size-error").count() == 1
    assert page.locator("#cv_file + .js-size-error").is_visible()
    assert page.input_value("#surname") == "Ахметова"


def test_the_iin_fills_the_birth_date_and_sex_and_a_wrong_check_digit_is_said_at_once(
        app, live_server, browser):
    coordinator = f.user(Role.COORDINATOR, "KZ-75")
    db.session.commit()
    page = browser.new_page()
    log_in(page, live_server, coordinator)
    page.goto(f"{live_server}/nominations/new")
    page.locator("#iin").press_sequentially("850315400016")  # the check digit is 5
    assert page.locator("#iin.is-invalid").count() == 1
    assert "check digit" in page.locator(".js-iin-feedback").inner_text()
    assert page.input_value("#birth_date") == ""
    page.fill("#iin", "")
    page.locator("#iin").press_sequentially("850315400015")
    assert page.locator("#iin.is-invalid").count() == 0
    assert page.input_value("#birth_date") == "1985-03-15"
    assert page.input_value("#sex") == "female"


def test_a_visitor_starts_with_what_tizim_is_the_login_and_the_status_check(live_server,
                                                                            browser):
    page = browser.new_page()
    response = page.goto(f"{live_server}/")
    assert response.status == 200 and page.url == f"{live_server}/"
    assert page.locator("form[action='/auth/login'] #password").count() == 1
    assert page.locator("form[action='/status'] #code").count() == 1
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(f"{live_server}{icon}").status == 200
    for width, height in SCREENS:
        page.set_viewport_size({"width": width, "height": height})
        assert page.evaluate("document.documentElement.scrollWidth <= "
                             "document.documentElement.clientWidth")


# --- Accessibility (issue 16): axe-core finds nothing serious on any main page. ------------

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
AXE_RUN = """async () => {
  const found = await axe.run(document, {resultTypes: ["violations"]});
  return found.violations.filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => v.id + " (" + v.impact + "): " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "));
}"""


def test_axe_finds_no_serious_violation_on_any_main_page_in_kk_and_ru(app, live_server, browser):
    """Every main page of every role, in Kazakh and Russian, through axe-core (vendored from
    npm, injected into the page; the page's CSP does not apply to Playwright's evaluate)."""
    logins = demo_logins()
    extra = {role: main_pages(role) for role in logins}
    problems: list[str] = []
    checked = 0
    for language in LAYOUT_LANGUAGES:
        db.session.execute(update(User).values(language=language))
        db.session.commit()
        public = browser.new_context(viewport={"width": 1366, "height": 768},
                                     extra_http_headers={"Accept-Language": language})
        pages = [(None, public.new_page(), ["/", "/auth/login", "/status", "/verify"])]
        contexts = [public]
        for role, email in logins.items():
            context, page, menu = signed_in(browser, live_server, email)
            contexts.append(context)
            pages.append((role, page, list(dict.fromkeys(menu + extra[role]))))
        for role, page, paths in pages:
            for path in paths:
                response = page.goto(f"{live_server}{path}")
                assert response.status == 200, (role, path, response.status)
                assert page.locator("html").get_attribute("lang") == language
                page.evaluate(AXE)
                checked += 1
                problems += [f"{role or 'anonymous'} {language} {path}: {p}"
                             for p in page.evaluate(AXE_RUN)]
        for context in contexts:
            context.close()
    assert checked > 60
    assert not problems, "\n".join(problems)
