"""Member accounts: the invitation link, password reset by e-mail, the profile, login limits."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests import factories as f
from workflow import mail
from workflow.domain import Role
from workflow.extensions import db
from workflow.models import AccountToken, Membership, TokenPurpose, User, utcnow

NEW_PASSWORD = "a-long-new-password-7"  # noqa: S105


@pytest.fixture(autouse=True)
def english(client):
    """Assert on the English source strings, whatever the default language."""
    client.set_cookie("lang", "en")


class AccountMail:
    """The e-mails carrying an account link; the pipeline's own notifications (the nominee hears
    of each step of their nomination too) are not what these tests are about."""

    def __init__(self, sent):
        self.sent = sent

    def _account(self):
        return [m for m in self.sent if "/account/" in text_of(m)]

    def __iter__(self):
        return iter(self._account())

    def __len__(self):
        return len(self._account())

    def __getitem__(self, index):
        return self._account()[index]

    def clear(self):
        self.sent.clear()


@pytest.fixture
def outbox(app):
    sent = mail.sent()
    sent.clear()
    return AccountMail(sent)


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()


def link_path(message, kind: str) -> str:
    """The path of the one-time link the e-mail carries."""
    match = re.search(rf"https?://[^/\s]+(/account/{kind}/[A-Za-z0-9_\-]+)", text_of(message))
    assert match, text_of(message)
    return match.group(1)


def set_password(client, path: str, password: str = NEW_PASSWORD):
    return client.post(path, data={"password": password, "confirm": password})


# --- Invitation. --------------------------------------------------------------------------------


def test_issuing_a_membership_opens_an_account_and_sends_the_invitation(app, outbox):
    membership = f.membership(email="Aigerim@Test.kz")
    db.session.commit()

    user = db.session.get(User, membership.user_id)
    assert user.role == Role.MEMBER and user.email == "aigerim@test.kz"
    assert user.password_hash is None
    token = db.session.scalar(select(AccountToken).where(AccountToken.user_id == user.id))
    assert token.purpose == TokenPurpose.INVITATION
    assert token.expires_at - utcnow() > timedelta(days=13)

    [message] = outbox
    assert message["To"] == "aigerim@test.kz"
    raw = link_path(message, "invitation").rsplit("/", 1)[1]
    # Stored hashed: the link's token is not in the database, its SHA-256 is.
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in (token.nonce, token.token_hash)
    assert raw in html_of(message)
    assert membership.candidate.iin not in message.as_string()


def test_no_email_no_account_until_the_secretariat_invites(app, client, auth, outbox):
    membership = f.membership(email=None)
    db.session.commit()
    assert membership.user_id is None and list(outbox) == []

    auth.login(f.user(Role.SECRETARIAT))
    membership.candidate.email = "later@test.kz"
    db.session.commit()
    response = client.post(f"/members/{membership.id}/invite")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Membership, membership.id).user.email == "later@test.kz"
    assert [m["To"] for m in outbox] == ["later@test.kz"]


def test_invitation_sets_the_password_and_logs_in(app, client, outbox):
    membership = f.membership()
    db.session.commit()
    path = link_path(outbox[0], "invitation")

    page = client.get(path)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    response = set_password(client, path)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/")
    assert membership.member_number in home.get_data(as_text=True)


def test_invitation_refuses_a_short_or_mismatched_password(app, client, outbox):
    f.membership()
    db.session.commit()
    path = link_path(outbox[0], "invitation")
    short = set_password(client, path, "short")
    assert short.status_code == 200 and b"at least 12 characters" in short.data
    mismatch = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert b"The two passwords differ" in mismatch.data
    # Nothing was spent: the link still works.
    assert set_password(client, path).status_code == 302


def test_invitation_used_twice_is_refused(app, client, auth, outbox):
    f.membership()
    db.session.commit()
    path = link_path(outbox[0], "invitation")
    assert set_password(client, path).status_code == 302
    auth.logout()

    again = client.get(path)
    assert again.status_code == 410
    assert b"already been used" in again.data
    assert set_password(client, path, "another-password-99").status_code == 410


def test_expired_invitation_is_refused(app, client, outbox):
    membership = f.membership()
    db.session.commit()
    path = link_path(outbox[0], "invitation")
    token = db.session.scalar(select(AccountToken).where(AccountToken.user_id == membership.user_id))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    response = set_password(client, path)
    assert response.status_code == 410 and b"expired" in response.data
    db.session.refresh(membership.user)
    assert membership.user.password_hash is None


@pytest.mark.parametrize("alter", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
    lambda t: t[:20],
    lambda t: t + "x",
])
def test_altered_invitation_is_refused(app, client, outbox, alter):
    f.membership()
    db.session.commit()
    prefix, raw = link_path(outbox[0], "invitation").rsplit("/", 1)
    response = client.get(f"{prefix}/{alter(raw)}")
    assert response.status_code == 404 and b"not valid" in response.data
    assert set_password(client, f"{prefix}/{alter(raw)}").status_code == 404


def test_a_new_invitation_voids_the_earlier_link(app, client, auth, outbox):
    membership = f.membership()
    db.session.commit()
    first = link_path(outbox[0], "invitation")
    auth.login(f.user(Role.SECRETARIAT))
    client.post(f"/members/{membership.id}/invite")
    auth.logout()
    second = link_path(outbox[1], "invitation")
    assert first != second
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200


# --- Password reset. ----------------------------------------------------------------------------


def test_password_reset_end_to_end(app, client, auth, outbox):
    from workflow.auth.services import set_password as set_pw

    membership = f.membership(email="member.reset@test.kz")
    user, iin = membership.user, membership.candidate.iin
    set_pw(user, f.PASSWORD)
    db.session.commit()
    outbox.clear()  # the invitation
    other_device = create_client(app)
    auth.login(user)
    Auth(other_device).login(user)

    response = client.post("/account/password/forgot", data={"email": "Member.Reset@test.kz"})
    assert response.status_code == 302
    [message] = outbox
    assert message["To"] == "member.reset@test.kz"
    assert iin not in text_of(message) and iin not in html_of(message)  # a link, never the IIN
    path = link_path(message, "password/reset")

    assert set_password(client, path).status_code == 302
    # The reset ended the other session; the new password logs in, the old one does not.
    assert other_device.get("/account/profile").status_code == 302
    auth.logout()
    old = client.post("/auth/login", data={"email": user.email, "password": f.PASSWORD})
    assert old.status_code == 200
    new = client.post("/auth/login", data={"email": user.email, "password": NEW_PASSWORD})
    assert new.status_code == 302
    # One-time: the same link again is refused.
    auth.logout()
    assert client.get(path).status_code == 410


def without_csrf(response) -> str:
    """The page without its CSRF tokens (the language switch's and the form's), which carry the
    second they were made in."""
    return re.sub(r'name="csrf_token"[^>]*value="[^"]*"', "", response.get_data(as_text=True))


def test_reset_answers_the_same_for_unknown_addresses(app, client, outbox):
    f.user(Role.SECRETARIAT, email="known@test.kz")
    db.session.commit()
    known = client.post("/account/password/forgot", data={"email": "known@test.kz"},
                        follow_redirects=True)
    unknown = client.post("/account/password/forgot", data={"email": "nobody@test.kz"},
                          follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    # The pages differ only in the CSRF token, which carries the time of the request.
    assert without_csrf(known) == without_csrf(unknown)
    assert [m["To"] for m in outbox] == ["known@test.kz"]
    assert db.session.scalar(select(func.count()).select_from(AccountToken)) == 1


def test_expired_and_altered_reset_links_are_refused(app, client, outbox):
    user = f.user(Role.SECRETARIAT)
    db.session.commit()
    client.post("/account/password/forgot", data={"email": user.email})
    path = link_path(outbox[0], "password/reset")
    assert client.get(path[:-2]).status_code == 404
    # An invitation link is not a reset link, nor the other way round.
    assert client.get(path.replace("/password/reset/", "/invitation/")).status_code == 404
    token = db.session.scalar(select(AccountToken))
    token.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert set_password(client, path).status_code == 410


# --- Profile. -----------------------------------------------------------------------------------


def test_member_keeps_contacts_and_language(app, client, auth, outbox):
    membership = f.membership()
    from workflow.auth.services import set_password as set_pw

    set_pw(membership.user, f.PASSWORD)
    db.session.commit()
    auth.login(membership.user)
    page = client.get("/account/profile")
    assert page.status_code == 200
    response = client.post("/account/profile", data={
        "phone": "+7 701 555 12 34", "contact_email": "New@Test.kz", "language": "ru"})
    assert response.status_code == 302
    db.session.expire_all()
    candidate = db.session.get(Membership, membership.id).candidate
    assert (candidate.phone, candidate.email) == ("+7 701 555 12 34", "new@test.kz")
    assert db.session.get(User, membership.user_id).language == "ru"
    # The log-in e-mail is not changed from the profile.
    assert db.session.get(User, membership.user_id).email == membership.user.email


def test_profile_refuses_a_bad_phone_and_staff_set_only_their_language(app, client, auth):
    from workflow.auth.services import set_password as set_pw

    membership = f.membership()
    set_pw(membership.user, f.PASSWORD)
    auth.login(membership.user)
    response = client.post("/account/profile", data={"phone": "call me", "language": "kk"})
    assert response.status_code == 200 and b"is-invalid" in response.data
    auth.logout()

    officer = f.user(Role.SECRETARIAT)
    auth.login(officer)
    assert b'name="phone"' not in client.get("/account/profile").data
    assert client.post("/account/profile", data={"language": "en"}).status_code == 302
    db.session.refresh(officer)
    assert officer.language == "en"


# --- Login attempts limited. --------------------------------------------------------------------


def create_client(app):
    from tests.conftest import FreshContextClient

    app.test_client_class = FreshContextClient
    return app.test_client()


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, user):
        response = self.client.post("/auth/login",
                                    data={"email": user.email, "password": f.PASSWORD})
        assert response.status_code == 302


def test_login_attempts_are_limited_with_a_time_to_try_again(limited):
    client = limited.test_client()
    client.set_cookie("lang", "en")
    for _ in range(3):
        assert client.post("/auth/login", data={"email": "x@test.kz", "password": "nope"}
                           ).status_code == 200
    blocked = client.post("/auth/login", data={"email": "x@test.kz", "password": "nope"})
    assert blocked.status_code == 429
    assert "Retry-After" in blocked.headers
    assert b"Try again after" in blocked.data
    # The page speaks the user's language.
    client.set_cookie("lang", "ru")
    in_russian = client.post("/auth/login", data={"email": "x@test.kz", "password": "nope"})
    assert in_russian.status_code == 429
    assert "Повторите попытку" in in_russian.get_data(as_text=True)


@pytest.mark.redis
def test_login_limit_counts_in_redis_where_redis_runs(_app, app, redis_url):
    """Counted in Redis, the limit holds across web processes, not per process."""
    import uuid

    from workflow import create_app
    from workflow.extensions import limiter

    # A fresh address per run: its counters in Redis start from zero.
    address = "10." + ".".join(str(b) for b in uuid.uuid4().bytes[:3])
    attempt = {"data": {"email": "x@test.kz", "password": "nope"},
               "environ_base": {"REMOTE_ADDR": address}}

    def web_process():
        return create_app({
            "TIZIM_CONFIG": "testing",
            "SQLALCHEMY_DATABASE_URI": _app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": redis_url,
            "LOGIN_RATE_LIMIT": "2 per minute",
        })

    processes = [web_process()]
    try:
        client = processes[0].test_client()
        for _ in range(2):
            assert client.post("/auth/login", **attempt).status_code == 200
        processes.append(web_process())  # a second process: new limiter storage, same Redis
        blocked = processes[1].test_client().post("/auth/login", **attempt)
        assert blocked.status_code == 429
    finally:
        for web in processes:
            with web.app_context():
                db.engine.dispose()
        limiter.init_app(_app)
