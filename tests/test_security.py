"""Issue 11: what Tizim promises about personal data, sessions, limits, headers and input.

docs/security.md lists each promise with the test here that proves it.
"""

from __future__ import annotations

import contextlib
import logging
import re
from datetime import date

import pytest

from tests import factories as f
from workflow import create_app
from workflow.domain import LOGIN_ROLES, Role, State
from workflow.extensions import db

IIN = "850315400015"
SPELLINGS = ["850315400015", "850315 400015", "8503-1540-0015", "850315\u00a0400015",
             "850315%20400015", "850315+400015"]


def app_like(config_name: str, database_url: str, **overrides):
    """An app with a non-test configuration's settings, on the test database."""
    settings = {"TIZIM_CONFIG": config_name, "SQLALCHEMY_DATABASE_URI": database_url,
                "DEBUG": False, "RATELIMIT_ENABLED": False, "MAIL_BACKEND": "memory",
                **overrides}
    return create_app(settings)


SECRET = "5f0c9a4e8d2b7f13e6a0c4d9b8f2e7a1c3d5b9e0f4a8c2d6"  # noqa: S105 - tests only


def production_environment(monkeypatch, database_url: str = "postgresql://db/tizim") -> None:
    monkeypatch.setenv("SECRET_KEY", SECRET)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/14")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")


@pytest.fixture
def production(_app, app, monkeypatch):
    """The production configuration, on the test database (tasks are never run by it)."""
    from workflow.extensions import limiter

    production_environment(monkeypatch, _app.config["SQLALCHEMY_DATABASE_URI"])
    web = create_app("production")
    yield web
    with web.app_context():
        db.engine.dispose()
    limiter.init_app(_app)  # the limiter is one object: give it back to the suite's app


# --- 1. No personal data in logs. ---------------------------------------------------------------


def test_every_configuration_but_testing_hides_sql_parameters(monkeypatch):
    import config

    production_environment(monkeypatch)
    for name in ("production", "development"):
        assert config.load(name).SQLALCHEMY_ENGINE_OPTIONS["hide_parameters"] is True
    assert config.load("testing").SQLALCHEMY_ENGINE_OPTIONS["hide_parameters"] is False


@pytest.mark.backends("postgresql")
def test_a_database_error_logs_no_iin_and_no_name(_app, app, caplog):
    """A NUL byte in a surname fails the INSERT on PostgreSQL; the log shows neither the IIN
    nor the name that were being saved."""
    from workflow.models import Candidate, Region

    web = app_like("development", _app.config["SQLALCHEMY_DATABASE_URI"])
    surname = "Жақсылықов\x00"

    @web.route("/_save-candidate")
    def save_candidate():
        region = db.session.scalar(db.select(Region).limit(1))
        db.session.add(Candidate(iin=IIN, surname=surname, given_name="Ерлан",
                                 birth_date=date(1985, 3, 15), sex="male", ethnicity="қазақ",
                                 region_id=region.id))
        db.session.commit()
        return "saved"

    save_candidate.permission = None
    try:
        with caplog.at_level(logging.INFO):
            response = web.test_client().get("/_save-candidate")
        assert response.status_code == 500
        logged = caplog.text
        assert "unhandled error" in logged and "NUL" in logged  # the error itself is there
        assert IIN not in logged
        assert "Жақсылықов" not in logged
        assert "1985-03-15" not in logged
    finally:
        with web.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("logger_name", ["", "werkzeug", "gunicorn.access", "gunicorn.error",
                                         "celery", "celery.app.trace", "workflow",
                                         "workflow.mail.console", "tasks.notifications"])
@pytest.mark.parametrize("spelled", SPELLINGS)
def test_every_logger_redacts_iins_however_written(_app, caplog, logger_name, spelled):
    logger = logging.getLogger(logger_name)
    with caplog.at_level(logging.INFO, logger=logger_name):
        logger.warning("GET /nominations/?q=%s HTTP/1.1", spelled)
        try:
            raise ValueError(f"candidate {spelled} refused")
        except ValueError:
            logger.exception("while saving %s", "a candidate")
    assert caplog.records, "nothing was captured"
    assert "[IIN]" in caplog.text
    assert spelled not in caplog.text and IIN not in caplog.text.replace(" ", "")


def test_the_access_log_of_a_real_server_holds_no_iin(app, caplog):
    """Werkzeug's server logs each request line with its query string."""
    import threading
    import urllib.request

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            for spelled in ("850315%20400015", "8503-1540-0015", IIN):
                with contextlib.suppress(OSError):
                    urllib.request.urlopen(  # noqa: S310 - our own loopback server
                        f"http://127.0.0.1:{server.port}/status?code={spelled}", timeout=5)
    finally:
        server.shutdown()
        thread.join()
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("/status?code=" in line for line in lines), lines
    for line in lines:
        assert "0015" not in line, line


def test_the_console_mail_backend_writes_through_the_log(app, caplog, monkeypatch):
    from workflow import mail

    monkeypatch.setitem(app.config, "MAIL_BACKEND", "console")
    with caplog.at_level(logging.INFO):
        mail.send(mail.OutgoingEmail(to="a@test.kz", subject="Hello",
                                     text="Your IIN 850315 400015 is on file."))
    assert "Hello" in caplog.text
    assert "400015" not in caplog.text


# --- 2. No IIN in e-mails. ------------------------------------------------------------------------


def test_a_comment_with_an_iin_reaches_no_e_mail(app, client, auth):
    from workflow import mail
    from workflow.domain import State

    coordinator = f.user(Role.COORDINATOR, "KZ-75")
    officer = f.user(Role.SECRETARIAT)
    nomination = f.nomination(State.UNDER_REVIEW)
    db.session.commit()
    mail.sent().clear()
    auth.login(officer)
    response = client.post(f"/secretariat/nominations/{nomination.id}/actions/return", data={
        "reasons": ["iin"], "version": nomination.version,
        "comment": "ИИН 850315 400015 не совпадает с датой рождения; см. 8503-1540-0015."})
    assert response.status_code == 302
    to_coordinator = [m for m in mail.sent() if m["To"] == coordinator.email]
    assert to_coordinator, [m["To"] for m in mail.sent()]
    for message in to_coordinator:
        for part in ("plain", "html"):
            body = message.get_body((part,)).get_content()
            assert "400015" not in body and "1540" not in body
            assert "[IIN]" in body  # the comment is there, masked
            assert "IIN, date of birth or sex do not agree" in body  # the reason names the problem


# --- 3. Logging out ends the session. ------------------------------------------------------------


def cookies_of(client) -> dict[str, str]:
    return {c.key: c.value for c in client._cookies.values()}


def replay(app, cookies: dict[str, str]):
    """A second browser holding copies of the cookies: what does it open?"""
    thief = app.test_client()
    for name, value in cookies.items():
        thief.set_cookie(name, value)
    return thief.get("/account/profile")


def test_a_copied_session_or_remember_cookie_is_refused_after_logout(app, client):
    user = f.user(Role.SECRETARIAT)
    db.session.commit()
    client.post("/auth/login", data={"email": user.email, "password": f.PASSWORD,
                                     "remember": "y"})
    copied = cookies_of(client)
    assert {"session", "remember_token"} <= copied.keys()
    assert replay(app, copied).status_code == 200  # the copy works while the user is in
    only_remember = {"remember_token": copied["remember_token"]}
    assert replay(app, only_remember).status_code == 200

    client.post("/auth/logout")
    assert replay(app, copied).status_code == 302
    assert replay(app, only_remember).status_code == 302


@pytest.mark.parametrize("change", ["password", "role", "active", "login"])
def test_a_change_of_who_the_user_is_ends_their_sessions(app, client, change):
    from workflow.auth.services import authenticate, set_password

    user = f.user(Role.SECRETARIAT)
    db.session.commit()
    client.post("/auth/login", data={"email": user.email, "password": f.PASSWORD})
    assert client.get("/account/profile").status_code == 200
    if change == "password":
        set_password(user, "seven-lakes-of-kolsai")
    elif change == "role":
        user.role = Role.ADMIN
    elif change == "active":
        user.active = False
    db.session.commit()
    if change == "login":  # logging in elsewhere ends this session
        assert authenticate(user.email, f.PASSWORD) is not None
    assert client.get("/account/profile").status_code == 302


def test_remember_cookie_is_httponly_lax_and_secure_in_production(app, client, monkeypatch):
    import config

    user = f.user(Role.SECRETARIAT)
    db.session.commit()
    response = client.post("/auth/login", data={"email": user.email, "password": f.PASSWORD,
                                                "remember": "y"})
    remember = [h for h in response.headers.getlist("Set-Cookie")
                if h.startswith("remember_token=")]
    assert remember, response.headers
    attributes = remember[0].lower()
    assert "httponly" in attributes and "samesite=lax" in attributes

    production_environment(monkeypatch)
    production = config.load("production")
    assert production.REMEMBER_COOKIE_SECURE is True and production.SESSION_COOKIE_SECURE is True
    assert production.REMEMBER_COOKIE_SAMESITE == "Lax"


def test_the_csrf_token_is_renewed_at_login(_app, app):
    import re

    user = f.user(Role.SECRETARIAT)
    db.session.commit()
    web = create_app({"TIZIM_CONFIG": "testing", "WTF_CSRF_ENABLED": True,
                      "SQLALCHEMY_DATABASE_URI": _app.config["SQLALCHEMY_DATABASE_URI"]})
    client = web.test_client()

    def token(page) -> str:
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                         r'name="csrf_token" value="([^"]+)"',
                         page.get_data(as_text=True)).group(0).rsplit('"', 2)[-2]

    before = token(client.get("/auth/login"))
    response = client.post("/auth/login", data={"email": user.email, "password": f.PASSWORD,
                                                "csrf_token": before})
    assert response.status_code == 302
    after = token(client.get("/account/profile"))
    assert after != before
    # The token of before the login no longer sends a form.
    assert client.post("/language", data={"lang": "ru", "csrf_token": before}).status_code == 400
    assert client.post("/language", data={"lang": "ru", "csrf_token": after}).status_code == 302
    with web.app_context():
        db.engine.dispose()


# --- 4. No account oracle. -----------------------------------------------------------------------


def test_a_reset_for_an_unknown_address_voids_nothing_and_sends_nothing(app, client):
    from workflow import mail
    from workflow.models import AccountToken, TokenPurpose

    member = f.user(Role.MEMBER, None)
    db.session.commit()
    client.post("/account/password/forgot", data={"email": member.email})
    pending = db.session.scalars(db.select(AccountToken)).all()
    assert [t.purpose for t in pending] == [TokenPurpose.PASSWORD_RESET]
    assert pending[0].used_at is None
    mail.sent().clear()

    client.post("/account/password/forgot", data={"email": "nobody@test.kz"})
    db.session.expire_all()
    assert db.session.scalars(db.select(AccountToken)).all() == pending
    assert pending[0].used_at is None  # the known user's link still works
    assert mail.sent() == []


def production_like_queue(_app):
    """Tasks published to a broker, not run inside the request: as on a server."""
    from config import celery_settings

    return create_app({"TIZIM_CONFIG": "testing",
                       "SQLALCHEMY_DATABASE_URI": _app.config["SQLALCHEMY_DATABASE_URI"],
                       "CELERY": celery_settings(None, eager=False)})


def test_a_reset_request_does_the_same_work_for_known_and_unknown_addresses(_app, app):
    from sqlalchemy import event

    member = f.user(Role.MEMBER, None)
    db.session.commit()
    web = production_like_queue(_app)
    client = web.test_client()
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    def work_for(email: str) -> list[str]:
        statements.clear()
        with web.app_context():
            event.listen(db.engine, "before_cursor_execute", record)
            try:
                client.post("/account/password/forgot", data={"email": email})
            finally:
                event.remove(db.engine, "before_cursor_execute", record)
        return list(statements)

    known, unknown = work_for(member.email), work_for("nobody@test.kz")
    assert known and known == unknown
    with web.app_context():
        db.engine.dispose()


def test_a_reset_request_takes_the_same_time_for_known_and_unknown_addresses(_app, app):
    import statistics
    import time

    member = f.user(Role.MEMBER, None)
    db.session.commit()
    web = production_like_queue(_app)
    client = web.test_client()
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    addresses = {"known": member.email, "unknown": "nobody@test.kz"}
    client.post("/account/password/forgot", data={"email": "warm@test.kz"})
    for _round in range(15):
        for kind in ("known", "unknown"):
            started = time.perf_counter()
            client.post("/account/password/forgot", data={"email": addresses[kind]})
            timings[kind].append(time.perf_counter() - started)

    def middle(values):  # the inter-quartile range: what one request usually costs
        q = statistics.quantiles(values, n=4)
        return q[0], q[2]

    (k_low, k_high), (u_low, u_high) = middle(timings["known"]), middle(timings["unknown"])
    assert k_low <= u_high and u_low <= k_high, timings
    with web.app_context():
        db.engine.dispose()


# --- 5. Limits that hold behind a proxy and cannot be turned against people. --------------------


@pytest.fixture
def limited_app(_app, app):
    """Rate limits on, counted in memory, behind one trusted proxy."""
    from workflow.extensions import limiter

    web = create_app({
        "TIZIM_CONFIG": "testing",
        "SQLALCHEMY_DATABASE_URI": _app.config["SQLALCHEMY_DATABASE_URI"],
        "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
        "PROXY_HOPS": 1,
        "LOGIN_RATE_LIMIT": "3 per minute", "LOGIN_ACCOUNT_RATE_LIMIT": "4 per minute",
        "STATUS_CHECK_RATE_LIMIT": "50 per hour", "STATUS_CHECK_CODE_RATE_LIMIT": "3 per hour",
    })
    yield web
    with web.app_context():
        db.engine.dispose()
    limiter.init_app(_app)


def from_address(address: str) -> dict:
    """What the trusted proxy adds: the client's address, after anything the client wrote."""
    return {"environ_base": {"REMOTE_ADDR": "10.0.0.2"},
            "headers": {"X-Forwarded-For": f"203.0.113.66, {address}"}}


def login(client, email, password="wrong-password-1", address="198.51.100.1"):
    return client.post("/auth/login", data={"email": email, "password": password},
                       **from_address(address)).status_code


def test_the_proxy_hops_come_from_configuration(limited_app, app):
    assert limited_app.config["PROXY_HOPS"] == 1

    @limited_app.route("/_whoami")
    def whoami():
        from flask import request

        return f"{request.remote_addr} {request.scheme}"

    whoami.permission = None
    answer = limited_app.test_client().get(
        "/_whoami", environ_base={"REMOTE_ADDR": "10.0.0.2"},
        headers={"X-Forwarded-For": "203.0.113.66, 198.51.100.7", "X-Forwarded-Proto": "https"})
    # The proxy's own entry (the last) is believed; the one the client wrote is not.
    assert answer.get_data(as_text=True) == "198.51.100.7 https"


def test_failed_logins_are_limited_per_address(limited_app, app):
    client = limited_app.test_client()
    emails = [f"someone{n}@test.kz" for n in range(4)]
    assert [login(client, e, address="198.51.100.1") for e in emails] == [200, 200, 200, 429]
    # Another address behind the same proxy is not blocked by the first one's failures.
    assert login(client, "someone9@test.kz", address="198.51.100.2") == 200


def test_failed_logins_are_limited_per_account_from_any_address(limited_app, app):
    client = limited_app.test_client()
    spellings = ["target@test.kz", "Target@Test.kz", "TARGET@test.kz", "target@TEST.KZ",
                 "target@test.kz"]
    answers = [login(client, email, address=f"198.51.100.{n}")
               for n, email in enumerate(spellings, start=1)]
    assert answers == [200, 200, 200, 200, 429]


def test_good_logins_never_count(limited_app, app):
    user = f.user(Role.SECRETARIAT)
    db.session.commit()
    client = limited_app.test_client()
    for _ in range(6):
        assert login(client, user.email, f.PASSWORD) == 302
        client.post("/auth/logout", **from_address("198.51.100.1"))
    # The tries are all still there for a mistyped password.
    assert [login(client, user.email) for _ in range(3)] == [200, 200, 200]


def test_checking_ones_own_code_never_locks_the_nominee_out(limited_app, app):
    from workflow.domain import State

    nomination = f.nomination(State.SUBMITTED,
                              candidate=f.CandidateFactory(birth_date=date(1985, 3, 15)))
    db.session.commit()
    client = limited_app.test_client()

    def check(born: str, address: str):
        return client.post("/status", data={"code": nomination.reference_code,
                                            "birth_date": born}, **from_address(address))

    # Anyone who knows the code and the birth date checks as often as they like.
    for n in range(6):
        assert check("1985-03-15", f"198.51.100.{n}").status_code == 200
    # Failures count per code, from any address: guessing the birth date is limited.
    assert [check("1970-01-01", f"192.0.2.{n}").status_code for n in range(4)] == [
        200, 200, 200, 429]


# --- 6. No demo accounts in production. ----------------------------------------------------------


def test_demo_load_refuses_under_production(production):
    from workflow.models import User

    with production.app_context():  # the command runs in this app, not in the test's
        result = production.test_cli_runner().invoke(args=["demo", "load"])
        assert db.session.scalar(db.select(db.func.count(User.id))) == 0
    assert result.exit_code != 0
    assert "production" in result.output


# --- 7. Security headers on every response. -----------------------------------------------------

INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=", re.I)


def get_rules(app):
    return sorted((r for r in app.url_map.iter_rules() if "GET" in r.methods),
                  key=lambda r: r.rule)


def logged_in_client(app, user):
    client = app.test_client()
    client.set_cookie("lang", "en")
    if user is not None:
        db.session.commit()
        response = client.post("/auth/login", data={"email": user.email, "password": f.PASSWORD})
        assert response.status_code == 302, user
    return client


def check_headers(response, where: str, failures: list[str], static: bool = False) -> None:
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    if "frame-ancestors 'none'" not in policy:
        failures.append(f"{where}: no frame-ancestors 'none' ({policy!r})")
    if response.mimetype == "text/html":
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if " " in d.strip())
        for name in ("script-src", "style-src"):
            source = directives.get(name, directives.get("default-src", "*"))
            if "'unsafe-inline'" in source or "*" in source.split():
                failures.append(f"{where}: {name} allows inline code ({source!r})")
        inline = INLINE.search(response.get_data(as_text=True))
        if inline:
            failures.append(f"{where}: inline script or style in the page: {inline.group(0)!r}")
    if headers.get("X-Content-Type-Options") != "nosniff":
        failures.append(f"{where}: no nosniff")
    if not headers.get("Referrer-Policy"):
        failures.append(f"{where}: no Referrer-Policy")
    if not static and "no-store" not in headers.get("Cache-Control", ""):
        failures.append(f"{where}: may be cached ({headers.get('Cache-Control')!r})")


def test_every_response_carries_the_security_headers(app):
    from tests.security_world import build, not_ready, url_for_rule

    world = build(app)
    failures: list[str] = []
    for role in (None, *LOGIN_ROLES):
        client = logged_in_client(app, world.users.get(role))
        who = role or "anonymous"
        for rule in get_rules(app):
            path = url_for_rule(rule, world, {"filename": "tizim.css"})
            response = client.get(path)
            check_headers(response, f"{who} GET {path} ({response.status_code})", failures,
                          static=rule.endpoint == "static")
            if response.status_code >= 500 and not not_ready(rule, response):
                failures.append(f"{who} GET {path}: {response.status_code}")
        for path in ("/no-such-page", "/nominations/2147483648"):  # error pages too
            check_headers(client.get(path), f"{who} GET {path}", failures)
        check_headers(client.post("/auth/logout"), f"{who} POST /auth/logout", failures)
    assert failures == []


def test_the_pages_need_no_inline_code_to_work():
    """What the templates once did inline is in static files the policy allows."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    offenders = [str(p.relative_to(root)) for p in (root / "templates").rglob("*.html")
                 if "email" not in p.parts and INLINE.search(p.read_text())]
    assert offenders == []
    script = (root / "workflow" / "static" / "tizim.js").read_text()
    assert "data-confirm" in (root / "templates" / "sessions" / "detail.html").read_text()
    assert "dataset.confirm" in script and "progressUrl" in script


def test_hsts_in_production_only(app, production):
    assert "Strict-Transport-Security" not in app.test_client().get("/auth/login").headers
    response = production.test_client().get("/auth/login", base_url="https://tizim.test")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


# --- 8. No input yields a 500 (the cases the issue names; tests/test_fuzz.py does the rest). -----


@pytest.mark.parametrize("path", ["/nominations/2147483648", "/api/v1/nominations/2147483648",
                                  "/members/99999999999999999999", "/register/2147483648",
                                  "/documents/18446744073709551616"])
def test_ids_beyond_the_database_integer_are_not_found(app, client, auth, path):
    auth.login(f.user(Role.SECRETARIAT))
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("query", ["association=2147483648", "session=99999999999999999999",
                                   "after=2147483648", "before=9223372036854775808",
                                   "region=99999999999999999999", "region=%C2%B2"])
def test_query_numbers_beyond_the_database_integer_are_ignored(app, client, auth, query):
    auth.login(f.user(Role.SECRETARIAT))
    code = f.nomination(State.SUBMITTED).reference_code
    db.session.commit()
    for page in ("/nominations/", "/register/", "/notifications/"):
        assert client.get(f"{page}?{query}").status_code == 200, page
    # Ignored, not obeyed: a number no row can have does not empty the list.
    if query.startswith(("after=", "before=", "region=")):
        assert code in client.get(f"/nominations/?{query}").get_data(as_text=True), query


def test_an_order_naming_an_id_beyond_the_integer_is_refused(app, client, auth):
    """Found by the fuzz on PostgreSQL: the hidden id of an order's item reached an INSERT."""
    from workflow.models import ChairmanOrder

    auth.login(f.user(Role.SECRETARIAT))
    response = client.post("/orders/new", content_type="multipart/form-data", data={
        "number": "B-1", "order_date": "2026-01-15", "document": f.pdf("order.pdf"),
        "items-0-nomination_id": "2147483648", "items-0-decision": "approve"})
    assert response.status_code < 500
    assert db.session.scalar(db.select(db.func.count(ChairmanOrder.id))) == 0


@pytest.mark.parametrize("value", ["Ива\x00нов", "\x1b[31mred", "\u202eвонавИ", "a\x85b"])
def test_a_control_character_is_refused_with_a_message(app, client, auth, value):
    from workflow.models import Candidate

    auth.login(f.user(Role.COORDINATOR))
    association = f.AssociationFactory()
    db.session.commit()
    response = client.post("/nominations/new", data={
        "surname": value, "given_name": "Ерлан", "iin": f.next_iin(), "birth_date": "1985-03-15",
        "sex": "male", "citizenship": "KZ", "ethnicity": "қазақ",
        "association_id": association.id, "justification": "Долгая служба.",
        "save_draft": "y"})
    assert response.status_code == 400
    assert "cannot be kept" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Candidate.id))) == 0
    # The public status check, and query arguments, too.
    assert client.post("/status", data={"code": "AC\x00DE-FHJK", "birth_date": "1985-03-15"}
                       ).status_code == 400
    assert client.get("/nominations/", query_string={"q": value}).status_code == 400


def test_a_forged_queue_cursor_is_refused(app, client, auth):
    auth.login(f.user(Role.SECRETARIAT))
    for after_at in ("2026-01-01T10:00:00", "yesterday", "2026-01-01T10:00:00+00:00\x00"):
        response = client.get("/secretariat/queues/forwarded",
                              query_string={"after_at": after_at, "after_id": "5"})
        assert response.status_code == 400, after_at
    good = client.get("/secretariat/queues/forwarded",
                      query_string={"after_at": "2026-01-01T10:00:00+00:00", "after_id": "5"})
    assert good.status_code == 200


@pytest.mark.parametrize("cursor", [["2026-01-01T10:00:00", 5], ["2026-01-01T10:00:00+00:00", 2**40],
                                    ["x\u0000", 1, 2], ["\ud800", 1, 2]])
def test_a_forged_list_cursor_starts_from_the_first_page(app, client, auth, cursor):
    import base64
    import json

    auth.login(f.user(Role.SECRETARIAT))
    listed = [f.nomination(State.SUBMITTED).reference_code for _ in range(2)]
    db.session.commit()
    token = base64.urlsafe_b64encode(json.dumps(cursor).encode()).decode().rstrip("=")
    sort = "surname" if len(cursor) == 3 else "newest"
    forged = client.get(f"/nominations/?sort={sort}&after={token}")
    assert forged.status_code == 200
    first = client.get(f"/nominations/?sort={sort}").get_data(as_text=True)
    shown = [code for code in listed if code in forged.get_data(as_text=True)]
    assert sorted(shown) == sorted(listed)  # the first page, every row on it
    assert forged.get_data(as_text=True).count('class="refcode"') == first.count('class="refcode"')


def test_a_control_character_already_stored_does_not_break_an_export(app, client, auth):
    """A surname saved before this check (or through another way in) still exports."""
    import io

    import openpyxl

    from workflow.domain import State

    member = f.membership()
    member.candidate.surname = "Бек\x0bов"
    queued = f.nomination(State.FORWARDED)
    queued.candidate.surname = "Сер\x1fік"
    auth.login(f.user(Role.SECRETARIAT))
    for path in ("/register/export.xlsx", "/exports/queues/forwarded.xlsx",
                 "/register/export.csv", "/exports/queues/forwarded.csv"):
        response = client.get(path)
        assert response.status_code == 200, path
        if path.endswith(".xlsx"):
            sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
            surnames = [row[1].value for row in sheet.iter_rows(min_row=2)]
            assert surnames in (["Беков"], ["Серік"])


# --- 9. IINs stay out of addresses. --------------------------------------------------------------


@pytest.mark.parametrize("spelled", ["850315400015", "850315 400015", "8503-1540-0015",
                                     "Иванов 850315-400015"])
@pytest.mark.parametrize("page", ["/nominations/", "/register/", "/associations/"])
def test_an_iin_typed_into_a_search_box_leaves_the_address(app, client, auth, spelled, page):
    auth.login(f.user(Role.SECRETARIAT))
    response = client.get(page, query_string={"q": spelled, "status": "all"})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == f"{page}?status=all"
    assert "IIN is never put in an address" in client.get(location).get_data(as_text=True)


# --- 10. One safe redirect. ----------------------------------------------------------------------

OFF_SITE = ["//evil.example", "/%09/evil.example", "/\t/evil.example", "/\\evil.example",
            "\\\\evil.example", "https://evil.example", "/\r\n/evil.example", "javascript:alert(1)",
            " //evil.example", "/\x00/evil.example", "http:/evil.example", "/ /evil.example"]


def unquoted(value: str) -> str:
    from urllib.parse import unquote

    return unquote(value)


@pytest.mark.parametrize("target", OFF_SITE)
def test_every_next_lands_on_the_home_page(app, client, target):
    from workflow.security import safe_next

    with app.test_request_context():
        assert safe_next(target) == "/"
        assert safe_next(unquoted(target)) == "/"
        assert safe_next("/nominations/?state=forwarded") == "/nominations/?state=forwarded"

    user = f.user(Role.COORDINATOR)
    db.session.commit()
    login = client.post("/auth/login", query_string={"next": unquoted(target)},
                        data={"email": user.email, "password": f.PASSWORD})
    assert login.headers["Location"] == "/", target
    language = client.post("/language", data={"lang": "ru", "next": unquoted(target)})
    assert language.headers["Location"] == "/", target
    notification = f.user(Role.SECRETARIAT)  # something to read
    from workflow.models import Notification

    db.session.add(Notification(user_id=user.id, key=f"k-{target!r}", kind="transition"))
    db.session.commit()
    note = db.session.scalar(db.select(Notification.id).where(Notification.user_id == user.id))
    read = client.post(f"/notifications/{note}/read", data={"next": unquoted(target)})
    assert read.headers["Location"] == "/", target
    assert notification is not None


def test_every_view_that_redirects_to_a_next_uses_the_one_helper():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "workflow"
    readers = [p for p in root.rglob("*.py") if re.search(r"""get\(["']next["']""", p.read_text())]
    assert readers, "no view reads a next"
    for path in readers:
        assert "safe_next(" in path.read_text(), path


# --- 11. Spreadsheet cells cannot become formulas. -----------------------------------------------

FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-1+1", "@SUM(A1)",
            "\t=1+1", "\r=1+1", "＝1+1"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_cells_cannot_become_formulas(app, client, auth, fmt):
    import csv
    import io

    import openpyxl

    from tests.security_world import tasks_queued

    with tasks_queued(app):
        members = [f.membership() for _ in FORMULAS]
    for member, formula in zip(members, FORMULAS, strict=True):
        member.candidate.surname = formula
    auth.login(f.user(Role.SECRETARIAT))
    response = client.get(f"/register/export.{fmt}")
    assert response.status_code == 200
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))[1:]
        surnames = sorted(row[1] for row in rows)
        assert surnames == sorted("'" + s for s in FORMULAS)
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
        cells = [row[1] for row in sheet.iter_rows(min_row=2)]
        assert {c.data_type for c in cells} == {"s"}  # text, never "f" (a formula)
        # An XML writer may keep a carriage return as a line feed (or escape it, with lxml);
        # either way the text is the surname's.
        assert sorted(c.value.replace("\r", "\n") for c in cells) == sorted(
            v.replace("\r", "\n") for v in FORMULAS)


# --- 12. Secrets and passwords. ------------------------------------------------------------------


@pytest.mark.parametrize("secret", ["changeme" * 4, "a" * 64, "0123456789abcdef" * 2,
                                    "dev-only-not-secret-dev-only-not-secret",
                                    "0f1e2d3c4b5a69788796a5b4c3d2e1f0"])
def test_production_refuses_a_secret_key_with_too_little_entropy(monkeypatch, secret):
    import config

    production_environment(monkeypatch)
    monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(config.ConfigError, match="entropy"):
        config.load("production")


def test_production_accepts_a_random_secret_key(monkeypatch):
    import secrets

    import config

    production_environment(monkeypatch)
    for _ in range(5):
        monkeypatch.setenv("SECRET_KEY", secrets.token_hex(32))
        assert config.load("production").PRODUCTION is True


def test_production_refuses_the_debugger(production, monkeypatch):
    from werkzeug.debug import DebuggedApplication

    import config

    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(config.ConfigError, match="FLASK_DEBUG"):
        config.load("production")
    production.wsgi_app = DebuggedApplication(production.wsgi_app, evalex=True)  # --debugger
    assert production.test_client().get("/auth/login", base_url="https://t").status_code == 503
    production.debug = True  # app.run(debug=True)
    assert production.test_client().get("/auth/login", base_url="https://t").status_code == 503


@pytest.mark.parametrize("password", ["short-1", "passwordpassword", "qwertyuiop123",
                                      "iloveyou1234", "123456789012", "Almaty123456",
                                      "aaaaaaaaaaaaaaaa"])
def test_short_or_common_passwords_are_refused_everywhere(app, client, runner, password):
    from workflow.account.services import TokenPurpose, issue_token
    from workflow.models import User

    result = runner.invoke(args=["users", "create", "--email", "new@test.kz", "--name", "New",
                                 "--role", "admin", "--password", password])
    assert result.exit_code != 0
    assert db.session.scalar(db.select(User).where(User.email == "new@test.kz")) is None

    member = f.user(Role.MEMBER, None, password_hash=None)
    token = issue_token(member, TokenPurpose.INVITATION)
    db.session.commit()
    from workflow.account.services import _raw_token

    path = f"/account/invitation/{_raw_token(token.nonce)}"
    page = client.post(path, data={"password": password, "confirm": password})
    assert page.status_code == 200
    db.session.expire_all()
    assert db.session.get(User, member.id).password_hash is None


def test_a_long_uncommon_password_is_taken(runner, app):
    result = runner.invoke(args=["users", "create", "--email", "new@test.kz", "--name", "New",
                                 "--role", "admin", "--password", "steppe-wind-over-charyn"])
    assert result.exit_code == 0, result.output


# --- 13. Nothing left behind. --------------------------------------------------------------------


def test_a_refused_order_leaves_no_file(app, client, auth):
    from tests.security_world import files_in
    from workflow.domain import State

    officer = f.user(Role.SECRETARIAT)
    withdrawn = f.nomination(State.UNDER_REVIEW)
    db.session.commit()
    before = files_in(app.config["UPLOAD_DIR"])
    auth.login(officer)
    from workflow.orders import services as orders

    with pytest.raises(Exception):  # noqa: B017 - whatever the refusal is called, nothing stays
        orders.record_order(officer, number="R-1", order_date=date(2026, 1, 1),
                            document=f.pdf("order.pdf"), decisions={withdrawn.id: "approve"})
    db.session.rollback()
    assert files_in(app.config["UPLOAD_DIR"]) == before


def test_a_refused_membership_ending_leaves_no_file(app, client, auth):
    from tests.security_world import files_in
    from workflow.models import Document

    member = f.membership()
    db.session.commit()
    before = files_in(app.config["UPLOAD_DIR"])
    auth.login(f.user(Role.SECRETARIAT))
    # Refused by the service: before the membership started.
    response = client.post(f"/register/{member.id}/end", content_type="multipart/form-data",
                           data={"ground": "own_initiative", "ended_on": "2001-01-01",
                                 "document": f.pdf("statement.pdf")})
    assert response.status_code == 302
    assert files_in(app.config["UPLOAD_DIR"]) == before
    assert db.session.scalar(db.select(db.func.count(Document.id)).where(
        Document.filename == "statement.pdf")) == 0


def test_a_committed_upload_keeps_its_file(app):
    from workflow.database import transaction
    from workflow.documents.services import storage_path, store

    with transaction():
        document = store(f.pdf("kept.pdf"), "other")
    assert storage_path(document).read_bytes() == f.PDF


# --- 14. Rules and dates that make sense. --------------------------------------------------------


@pytest.mark.parametrize(("rule", "taken"), [
    (">=0/1", False), (">=0/5", False), (">1/3", False), (">1/1", False), (">=1/3", False),
    (">=1/2", True), (">1/2", True), (">=2/3", True), (">=1/1", True)])
def test_a_session_rule_is_at_least_half_and_can_be_met(app, client, auth, rule, taken):
    from workflow.models import RegionalSession

    auth.login(f.user(Role.COORDINATOR))
    response = client.post("/sessions/new", data={
        "number": "7", "held_on": "2026-12-10", "place": "Akimat", "members_total": "40",
        "quorum": rule, "majority": ">1/2", "rule_override_reason": "A test"})
    planned = db.session.scalar(db.select(db.func.count(RegionalSession.id)))
    if taken:
        assert response.status_code == 302 and planned == 1
    else:
        assert response.status_code == 200 and planned == 0
        assert "fewer than half decide, or could never be met" in response.get_data(as_text=True)


FAR = "2999-01-01"
FUTURE_SAYS = "This date is in the future"


def test_an_order_dated_in_the_future_is_refused(app, client, auth):
    from workflow.domain import Route, State
    from workflow.models import ChairmanOrder

    waiting = f.nomination(State.RECOMMENDED, route=Route.COUNCIL)
    auth.login(f.user(Role.SECRETARIAT))
    response = client.post("/orders/new", content_type="multipart/form-data", data={
        "number": "F-1", "order_date": FAR, "document": f.pdf("order.pdf"),
        "items-0-nomination_id": waiting.id, "items-0-decision": "approve"})
    assert FUTURE_SAYS in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(ChairmanOrder.id))) == 0


def test_a_membership_ending_in_the_future_is_refused(app, client, auth):
    from workflow.models import Membership

    member = f.membership()
    auth.login(f.user(Role.SECRETARIAT))
    response = client.post(f"/register/{member.id}/end", content_type="multipart/form-data",
                           data={"ground": "own_initiative", "ended_on": FAR,
                                 "document": f.pdf("statement.pdf")}, follow_redirects=True)
    assert FUTURE_SAYS in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Membership, member.id).status == "active"


@pytest.mark.parametrize("page", ["/nominations/new", "/secretariat/nominations/new"])
def test_a_consent_given_in_the_future_is_refused(app, client, auth, page):
    role = Role.COORDINATOR if page.startswith("/nominations") else Role.SECRETARIAT
    auth.login(f.user(role))
    response = client.post(page, data={"consent_given_on": FAR, "surname": "Тест"})
    assert FUTURE_SAYS in response.get_data(as_text=True)
