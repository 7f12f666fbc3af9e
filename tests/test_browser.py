"""In Debian's Chromium, driven by Playwright: what a coordinator and an officer actually do."""

from __future__ import annotations

import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests import factories as f
from tests.conftest import unavailable
from workflow.domain import DocumentKind, Role, State
from workflow.extensions import db

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
    page.click("button[name=action][value=submit]")
    assert page.locator(".alert-success").count() == 1, page.locator(".alert").all_inner_texts()
    db.session.expire_all()
    assert nomination.status == State.SUBMITTED
    # The language switch keeps the page and changes every label.
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
