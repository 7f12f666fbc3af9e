"""The administrator: accounts, the regions' voting rules, the audit trail read back, the 403."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import factories as f
from workflow import audit, mail
from workflow.admin import services
from workflow.database import transaction
from workflow.domain import LOGIN_ROLES, Role
from workflow.errors import ADMIN_FORBIDDEN, MESSAGES
from workflow.extensions import db
from workflow.models import AuditEvent, Region, User, utcnow
from workflow.permissions import PERMISSIONS
from workflow.validators import today as local_today

NEW_PASSWORD = "a-long-new-password-7"  # noqa: S105


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("lang", "en")


@pytest.fixture
def sent(app):
    outbox = mail.sent()
    outbox.clear()
    return outbox


@pytest.fixture
def admin(app):
    return f.user(Role.ADMIN, name="Aigerim Admin")


def events_of(user: User, action: str | None = None) -> list[AuditEvent]:
    db.session.expire_all()
    stmt = select(AuditEvent).where(AuditEvent.entity_type == "user",
                                    AuditEvent.entity_id == user.id).order_by(AuditEvent.id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return list(db.session.scalars(stmt))


def links(sent, kind: str) -> list[str]:
    found = []
    for message in sent:
        text = message.get_body(("plain",)).get_content()
        found += re.findall(rf"https?://[^/\s]+(/account/{kind}/[A-Za-z0-9_\-]+)", text)
    return found


def other_client(app):
    return app.test_client()


# --- Who may open what. -------------------------------------------------------------------------

PAGES = [  # (method, path template, permission)
    ("GET", "/admin/users", "admin.users"),
    ("GET", "/admin/users/new", "admin.users"),
    ("GET", "/admin/users/{user}/edit", "admin.users"),
    ("POST", "/admin/users/{user}/active", "admin.users"),
    ("POST", "/admin/users/{user}/link", "admin.users"),
    ("GET", "/admin/regions", "admin.users"),
    ("GET", "/admin/regions/{region}/edit", "admin.users"),
    ("GET", "/admin/audit", "audit.view"),
    ("GET", "/admin/audit.csv", "audit.view"),
]


@pytest.mark.parametrize("role", LOGIN_ROLES)
def test_each_admin_page_opens_for_its_roles_only(app, client, auth, role):
    target = f.user(Role.COORDINATOR, name="Target")
    me = f.user(role)
    region = f.region("KZ-11")
    auth.login(me)
    for method, template, permission in PAGES:
        path = template.format(user=target.id, region=region.id)
        response = client.open(path, method=method, data={"active": "1"})
        if role in PERMISSIONS[permission]:
            assert response.status_code in (200, 302), (path, response.status_code)
        else:
            assert response.status_code == 403, (path, response.status_code)


def test_the_audit_trail_is_for_the_administrator_and_the_secretariat():
    assert PERMISSIONS["audit.view"] == {Role.ADMIN, Role.SECRETARIAT}


# --- Accounts. ----------------------------------------------------------------------------------


def test_create_a_coordinator_who_sets_their_password_from_the_invitation(
        app, client, auth, admin, sent):
    region = f.region("KZ-11")
    auth.login(admin)
    response = client.post("/admin/users/new", data={
        "name": "Dana Coordinator", "email": "Dana@Akimat.kz", "role": "coordinator",
        "region_id": region.id, "language": "kk"})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "dana@akimat.kz"))
    assert user.region_id == region.id and user.password_hash is None and user.language == "kk"
    assert [e.action for e in events_of(user)] == ["create", "invitation_sent"]
    assert all(e.actor_id == admin.id for e in events_of(user))

    auth.logout()
    [path] = links(sent, "invitation")
    assert client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
                       ).status_code == 302
    auth.logout()
    db.session.expire_all()
    auth.login(db.session.get(User, user.id), NEW_PASSWORD)


@pytest.mark.parametrize("fields, field, message", [
    ({"role": "coordinator", "region_id": 0}, "region_id", "A regional coordinator needs a region."),
    ({"email": "taken@test.kz"}, "email", "A user with this e-mail address exists already."),
    ({"email": "not an address"}, "email", "Invalid email address."),
    ({"name": ""}, "name", "This field is required."),
])
def test_a_bad_account_is_refused_beside_its_field_and_nothing_is_written(
        app, client, auth, admin, sent, fields, field, message):
    f.user(Role.SECRETARIAT, email="taken@test.kz")
    auth.login(admin)
    before = db.session.scalar(select(db.func.count(User.id)))
    data = {"name": "Somebody", "email": "new@test.kz", "role": "secretariat", "region_id": 0,
            "language": ""} | fields
    response = client.post("/admin/users/new", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(User.id))) == before
    assert links(sent, "invitation") == []


def test_editing_role_and_region_is_audited_and_ends_the_users_sessions(app, client, auth, admin):
    coordinator = f.user(Role.COORDINATOR, name="Old Name")
    db.session.commit()
    theirs = other_client(app)
    theirs.set_cookie("lang", "en")
    assert theirs.post("/auth/login", data={"email": coordinator.email,
                                            "password": "pw-test-1234"}).status_code == 302
    assert theirs.get("/sessions/").status_code == 200

    auth.login(admin)
    response = client.post(f"/admin/users/{coordinator.id}/edit", data={
        "name": "New Name", "email": coordinator.email, "role": "secretariat", "region_id": 0,
        "language": "ru"})
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, coordinator.id)
    assert (user.name, user.role, user.region_id, user.language) == (
        "New Name", "secretariat", None, "ru")
    [event] = events_of(user, "update")
    assert event.actor_id == admin.id
    assert {"name", "role", "region_id", "language"} <= set(event.changes)
    # Their old session no longer counts: the next page asks them to log in.
    assert theirs.get("/sessions/").status_code == 302


def test_a_name_only_change_keeps_the_users_session(app, client, auth, admin):
    coordinator = f.user(Role.COORDINATOR)
    db.session.commit()
    token = coordinator.session_token
    auth.login(admin)
    answer = client.post(f"/admin/users/{coordinator.id}/edit", data={
        "name": "Another Name", "email": coordinator.email, "role": "coordinator",
        "region_id": coordinator.region_id, "language": ""})
    assert answer.status_code == 302  # the change was made, not refused
    db.session.expire_all()
    assert db.session.get(User, coordinator.id).name == "Another Name"
    assert db.session.get(User, coordinator.id).session_token == token


def test_deactivated_user_is_logged_out_and_cannot_log_in_until_reactivated(
        app, client, auth, admin):
    officer = f.user(Role.SECRETARIAT)
    db.session.commit()
    theirs = other_client(app)
    theirs.post("/auth/login", data={"email": officer.email, "password": "pw-test-1234"})
    assert theirs.get("/").status_code == 200

    auth.login(admin)
    assert client.post(f"/admin/users/{officer.id}/active", data={"active": "0"}
                       ).status_code == 302
    assert theirs.get("/council/").status_code == 302  # the session ended
    login = theirs.post("/auth/login", data={"email": officer.email, "password": "pw-test-1234"})
    assert login.status_code == 200  # the form again: refused
    assert [e.changes for e in events_of(officer, "deactivate")] == [["active"]]
    assert events_of(officer, "update") == []  # one event, not two

    client.post(f"/admin/users/{officer.id}/active", data={"active": "1"})
    assert len(events_of(officer, "reactivate")) == 1
    assert theirs.post("/auth/login", data={"email": officer.email, "password": "pw-test-1234"}
                       ).status_code == 302


def test_the_last_active_administrator_cannot_lock_everyone_out(app, client, auth, admin):
    auth.login(admin)
    # Not their own account, and not a demotion while nobody else administers.
    client.post(f"/admin/users/{admin.id}/active", data={"active": "0"})
    response = client.post(f"/admin/users/{admin.id}/edit", data={
        "name": admin.name, "email": admin.email, "role": "secretariat", "region_id": 0,
        "language": ""})
    assert response.status_code == 422
    assert "last active administrator" in response.get_data(as_text=True)
    db.session.expire_all()
    me = db.session.get(User, admin.id)
    assert me.active and me.role == Role.ADMIN
    assert [e.action for e in events_of(me)] == ["create"]  # only its creation

    # With a second administrator, either may give up the role; the last one may not.
    second = f.user(Role.ADMIN)
    db.session.commit()
    services.update_account(admin, second.id, name=second.name, email=second.email,
                            role=Role.SECRETARIAT, region_id=None, language=None)
    with pytest.raises(services.Refusal) as refused:
        services.set_active(second, admin.id, False)
    assert refused.value.code == "last_admin"
    with pytest.raises(services.Refusal) as refused:
        services.set_active(admin, admin.id, False)
    assert refused.value.code == "own_account"


def test_an_inactive_administrator_does_not_count(app, admin):
    asleep = f.user(Role.ADMIN, active=False)
    db.session.commit()
    with pytest.raises(services.Refusal) as refused:
        services.update_account(admin, admin.id, name="x", email=admin.email,
                                role=Role.MEMBER, region_id=None, language=None)
    assert refused.value.code == "last_admin"  # the inactive one did not count as another
    db.session.expire_all()
    assert db.session.get(User, admin.id).role == Role.ADMIN
    assert asleep.active is False


def test_send_the_invitation_or_a_password_link_again(app, client, auth, admin, sent):
    invited = f.user(Role.SECRETARIAT, password_hash=None)
    with_password = f.user(Role.SECRETARIAT)
    auth.login(admin)
    client.post(f"/admin/users/{invited.id}/link")
    client.post(f"/admin/users/{with_password.id}/link")
    assert len(links(sent, "invitation")) == 1
    assert len(links(sent, "password/reset")) == 1
    assert len(events_of(invited, "invitation_sent")) == 1
    assert len(events_of(with_password, "password_link_sent")) == 1


def test_the_list_shows_last_login_and_the_actions(app, client, auth, admin):
    seen = f.user(Role.SECRETARIAT, name="Seen Before")
    seen.last_login_at = utcnow() - timedelta(days=3)
    f.user(Role.SECRETARIAT, name="Only Invited", password_hash=None)
    auth.login(admin)
    page = client.get("/admin/users").get_data(as_text=True)
    assert "Invited, no password yet" in page
    assert "Send the invitation again" in page and "Send a password link" in page
    assert "Deactivate" in page
    assert f"/admin/users/{admin.id}/active" not in page  # no button to lock oneself out


# --- The regions' rules. ------------------------------------------------------------------------


def test_a_regions_voting_rule_is_edited_and_audited(app, client, auth, admin):
    region = f.region("KZ-11")
    auth.login(admin)
    response = client.post(f"/admin/regions/{region.id}/edit", data={
        "session_quorum": ">=2/3", "session_majority": ">1/2", "expected_days": "21"})
    assert response.status_code == 302
    db.session.expire_all()
    region = db.session.get(Region, region.id)
    assert (region.session_quorum, region.session_majority, region.expected_days) == (
        ">=2/3", ">1/2", 21)
    [event] = db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "region", AuditEvent.entity_id == region.id,
        AuditEvent.action == "update"))
    assert event.actor_id == admin.id and set(event.changes) == {"session_quorum",
                                                                   "expected_days"}


@pytest.mark.parametrize("quorum", ["half", ">1/3", ">1/1", ">=0/1"])
def test_a_rule_nobody_should_keep_is_refused(app, client, auth, admin, quorum):
    region = f.region("KZ-11")
    auth.login(admin)
    response = client.post(f"/admin/regions/{region.id}/edit", data={
        "session_quorum": quorum, "session_majority": ">1/2", "expected_days": ""})
    assert response.status_code == 422
    assert "at least one half" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Region, region.id).session_quorum == ">1/2"


# --- The audit trail. ---------------------------------------------------------------------------


@pytest.fixture
def trail(app, admin):
    """Two nominations, one with an IIN written into a comment; an account change."""
    first = f.nomination()
    second = f.nomination()
    iin = first.candidate.iin
    with transaction():
        audit.record(first, "update", comment=f"Checked IIN {iin} against the passport",
                     actor=admin)
    with transaction(actor=admin):
        f.user(Role.SECRETARIAT, name="Renamed").name = "Renamed Again"
    db.session.commit()
    return first, second, iin


def test_the_trail_filters_by_nomination_actor_what_and_when(app, client, auth, admin, trail):
    first, second, iin = trail
    auth.login(admin)
    page = client.get("/admin/audit", query_string={"reference": first.reference_code})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and first.reference_code in text
    assert second.reference_code not in text

    events = services.audit_page(services.AuditFilter(reference=first.reference_code))[0]
    assert events and all(e.nomination_id == first.id for e in events)
    mine = services.audit_page(services.AuditFilter(actor_id=admin.id))[0]
    assert mine and all(e.actor_id == admin.id for e in mine)
    users = services.audit_page(services.AuditFilter(entity_type="user", action="create"))[0]
    assert users and all((e.entity_type, e.action) == ("user", "create") for e in users)
    today = local_today()
    assert services.audit_page(services.AuditFilter(until=today - timedelta(days=1)))[0] == []
    assert len(services.audit_page(services.AuditFilter(since=today))[0]) == len(
        services.audit_page(services.AuditFilter())[0])
    unknown = services.audit_page(services.AuditFilter(reference="XXXX-XXXX"))[0]
    assert unknown == []


def test_the_trail_never_shows_or_exports_an_iin(app, client, auth, admin, trail):
    first, _second, iin = trail
    auth.login(admin)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert iin not in page and "[IIN]" in page
    export = client.get("/admin/audit.csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    body = export.get_data(as_text=True)
    assert iin not in body and "[IIN]" in body
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][0] == "When" and len(rows) - 1 == db.session.scalar(
        select(db.func.count(AuditEvent.id)))
    filtered = client.get("/admin/audit.csv", query_string={"reference": first.reference_code})
    references = {row[6] for row in csv.reader(io.StringIO(
        filtered.get_data(as_text=True).lstrip("\ufeff")))} - {"Nomination"}
    assert references == {first.reference_code}


def test_free_text_in_an_events_data_is_redacted_too(app, client, auth, admin):
    nomination = f.nomination()
    iin = nomination.candidate.iin
    with transaction():
        event = audit.record(nomination, "update", actor=admin)
        event.from_status, event.to_status, event.action = "on_agenda", "submitted", "defer"
        event.data = {"session_number": "7", "held_on": "2026-03-01", "reason": f"IIN {iin}"}
    auth.login(admin)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert iin not in page
    assert iin not in client.get("/admin/audit.csv").get_data(as_text=True)


def test_the_filters_and_the_export_speak_in_words(app, client, auth, admin, trail):
    client.set_cookie("lang", "ru")
    auth.login(admin)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert ">Учётные записи<" in page and ">Деактивировано<" not in page  # no such event yet
    assert "Журнал аудита" in page
    body = client.get("/admin/audit.csv").get_data(as_text=True)
    assert "Учётные записи" in body and "Когда" in body


def test_the_trail_pages_newest_first_without_gaps(app, client, auth, admin, trail, monkeypatch):
    every = [e.id for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()))]
    seen, before = [], None
    while True:
        rows, before = services.audit_page(services.AuditFilter(), before=before, size=3)
        seen += [e.id for e in rows]
        if before is None:
            break
    assert seen == every
    monkeypatch.setattr(services, "PAGE_SIZE", 2)
    auth.login(admin)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Older events" in page and f"before={every[1]}" in page


def test_a_bad_filter_is_said_and_filters_nothing_silently(app, client, auth, admin, trail):
    auth.login(admin)
    response = client.get("/admin/audit", query_string={"since": "yesterday"})
    assert response.status_code == 422 and "Not a valid date value" in response.get_data(
        as_text=True)
    assert client.get("/admin/audit.csv", query_string={"reference": "85031540001'"}
                      ).status_code == 422
    # Midnight of 1 January of the year 1 where the Assembly sits is before any date a computer
    # holds in UTC; the 31 December 9999 has no next day. Both are a year mistyped.
    for since, until in (("0001-01-01", ""), ("", "9999-12-31")):
        response = client.get("/admin/audit", query_string={"since": since, "until": until})
        assert response.status_code == 422 and "check the year" in response.get_data(as_text=True)


# --- The 403 page. ------------------------------------------------------------------------------


def test_the_403_page_does_not_send_an_administrator_to_the_administrator(
        app, client, auth, admin):
    auth.login(admin)
    page = client.get("/nominations/").get_data(as_text=True)
    assert str(ADMIN_FORBIDDEN) in page and "ask an administrator" not in page
    auth.logout()
    auth.login(f.user(Role.COORDINATOR))
    page = client.get("/admin/users").get_data(as_text=True)
    assert str(MESSAGES[403][1]) in page


def _statements(run) -> tuple[object, int]:
    from sqlalchemy import event

    seen = []

    def record(*args):
        seen.append(args[2])

    db.session.expire_all()
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        result = run()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return result, len(seen)


@pytest.mark.parametrize("nominations", [1, 4])
def test_a_page_of_the_audit_trail_is_one_statement_however_many_actors(app, nominations):
    """Each row names its actor and its nomination: read with the events, not one per row."""
    for _ in range(nominations):
        with transaction(actor=f.user(Role.COORDINATOR)):
            f.nomination()
    admin_user = f.user(Role.ADMIN)
    db.session.commit()
    assert admin_user.role

    def read():
        rows, _ = services.audit_page(services.AuditFilter())
        return [(e.actor.name if e.actor else None,
                 e.nomination.reference_code if e.nomination else None) for e in rows]

    rows, statements = _statements(read)
    assert len({actor for actor, _ in rows if actor}) >= nominations
    assert len({code for _, code in rows if code}) == nominations
    assert statements == 1
