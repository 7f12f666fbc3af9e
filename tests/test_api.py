"""The JSON API v1 (issue 15): tokens, problems, scope, the pipeline through the API, retries
and the changes feed. The schema-driven run is tests/test_api_schema.py."""

from __future__ import annotations

import io
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from tests import factories as f
from workflow import pipeline
from workflow.account import tokens
from workflow.api.services import API_CHANNELS, channel_for
from workflow.domain import Role, State
from workflow.extensions import db
from workflow.models import (
    ApiToken,
    AuditEvent,
    IdempotentRequest,
    Nomination,
    User,
    utcnow,
)
from workflow.refusal import Refusal

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def bearer(user, days: int = 30) -> dict:
    db.session.commit()
    _row, plain = tokens.create(user, "the akimat's system", days)
    return {"Authorization": f"Bearer {plain}"}


# --- Reading one nomination (the endpoint bench/read_one.py uses). --------------------------------


def test_nomination_json_in_scope_with_iin_per_role(app, client, auth):
    nomination = f.nomination(State.FORWARDED, region_code="KZ-75")
    iin = nomination.candidate.iin
    auth.login(f.user(Role.SECRETARIAT))
    response = client.get(f"/api/v1/nominations/{nomination.id}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    data = response.get_json()
    assert data["reference_code"] == nomination.reference_code
    assert data["status"] == "forwarded" and data["candidate"]["iin"] == iin
    actions = {a["action"]: a for a in data["actions"]}
    assert set(actions) == {"accept", "return", "withdraw"}
    assert actions["accept"]["channel"] == "button"
    assert actions["return"]["channel"] == "form"
    assert actions["return"]["data"] == [{"name": "reasons", "kind": "reasons",
                                          "required": True}]
    auth.logout()

    auth.login(f.user(Role.COORDINATOR, "KZ-71"))
    response = client.get(f"/api/v1/nominations/{nomination.id}")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 404 and response.get_json()["code"] == "not_found"


# --- 1. Personal API tokens. ---------------------------------------------------------------------


def test_a_token_is_made_on_the_profile_page_shown_once_and_kept_hashed(app, client, auth):
    officer = f.user(Role.SECRETARIAT)
    auth.login(officer)
    page = client.post("/account/tokens", data={"name": "Akimat KZ-75", "days": "90"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == officer.id))
    assert row.name == "Akimat KZ-75"
    assert timedelta(days=89) < row.expires_at - utcnow() <= timedelta(days=90)
    start = html.index(f"tzm_{row.prefix}_")
    plain = html[start:start + len("tzm_") + 12 + 1 + 43]
    assert tokens.digest(plain) == row.token_hash and plain not in row.token_hash
    # Only the fingerprint is kept: the secret is in no column of the row.
    assert all(plain[17:] not in str(getattr(row, c.key))
               for c in ApiToken.__table__.columns)
    # Shown once: the profile page afterwards lists the prefix, not the token.
    again = client.get("/account/profile").get_data(as_text=True)
    assert f"tzm_{row.prefix}_…" in again and plain not in again
    assert client.get("/api/v1/regions", headers={"Authorization": f"Bearer {plain}"}
                      ).status_code == 200
    # The making is in the audit trail, as the user's.
    made = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api_token_created"))
    assert made.actor_id == officer.id and made.data["token"] == row.prefix


@pytest.mark.parametrize(("name", "days"), [("", "90"), ("x" * 101, "90"), ("ok", "7")])
def test_a_token_needs_a_name_and_an_offered_lifetime(app, client, auth, name, days):
    auth.login(f.user(Role.COORDINATOR))
    response = client.post("/account/tokens", data={"name": name, "days": days})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_members_and_administrators_make_no_tokens(app, client, auth):
    auth.login(f.user(Role.ADMIN))
    assert client.post("/account/tokens", data={"name": "x", "days": "30"}).status_code == 403
    with pytest.raises(Refusal):
        tokens.create(f.user(Role.MEMBER), "x", 30)


def test_revoked_expired_and_deactivated_tokens_stop_at_once(app, client, auth):
    coordinator = f.user(Role.COORDINATOR)
    headers = bearer(coordinator)
    assert client.get("/api/v1/regions", headers=headers).status_code == 200
    row = db.session.scalar(select(ApiToken))

    # Revoked on the profile page: the next call is refused.
    auth.login(coordinator)
    assert client.post(f"/account/tokens/{row.id}/revoke").status_code == 302
    auth.logout()
    refused = client.get("/api/v1/regions", headers=headers)
    assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
    assert refused.get_json()["code"] == "invalid_token"
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")

    # Expired.
    headers = bearer(coordinator)
    db.session.execute(update(ApiToken).where(ApiToken.revoked_at.is_(None))
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert client.get("/api/v1/regions", headers=headers).status_code == 401

    # The user deactivated: every live token stops with the account.
    headers = bearer(coordinator)
    assert client.get("/api/v1/regions", headers=headers).status_code == 200
    db.session.get(User, coordinator.id).active = False
    db.session.commit()
    assert client.get("/api/v1/regions", headers=headers).status_code == 401

    # Malformed and forged tokens.
    forged = headers["Authorization"][:-4] + "AAAA"
    for value in ("Bearer", "Bearer nope", "Basic abc", forged, "Bearer tzm_" + "a" * 80):
        assert client.get("/api/v1/regions", headers={"Authorization": value}
                          ).status_code == 401


def test_another_users_token_cannot_be_revoked(app, client, auth):
    owner = f.user(Role.COORDINATOR)
    headers = bearer(owner)
    row = db.session.scalar(select(ApiToken))
    auth.login(f.user(Role.COORDINATOR))
    assert client.post(f"/account/tokens/{row.id}/revoke").status_code == 404
    assert client.get("/api/v1/regions", headers=headers).status_code == 200


def test_a_token_acts_as_its_user_and_the_audit_trail_says_through_the_api(app, client):
    nomination = f.nomination(State.FORWARDED, region_code="KZ-75")
    officer = f.user(Role.SECRETARIAT)
    response = client.post(f"/api/v1/nominations/{nomination.id}/transitions",
                           headers=bearer(officer), json={"action": "accept"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["status"] == "under_review"
    event = db.session.get(AuditEvent, response.get_json()["event_id"])
    assert (event.actor_id, event.actor_role, event.via) == (officer.id, "secretariat", "api")
    assert (event.from_status, event.to_status) == ("forwarded", "under_review")


def test_csrf_binds_browser_writes_not_token_writes(app, client, auth):
    nomination = f.nomination(State.FORWARDED, region_code="KZ-75")
    officer = f.user(Role.SECRETARIAT)
    headers = bearer(officer)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        auth_response = client.get("/auth/login")  # a fresh CSRF-protected login form
        assert auth_response.status_code == 200
        app.config["WTF_CSRF_ENABLED"] = False
        auth.login(officer)
        app.config["WTF_CSRF_ENABLED"] = True
        # The session cookie alone cannot write through the API: CSRF applies.
        by_cookie = client.post(f"/api/v1/nominations/{nomination.id}/transitions",
                                json={"action": "accept"})
        assert by_cookie.status_code == 400 and by_cookie.get_json()["code"] == "csrf"
        assert db.session.get(Nomination, nomination.id).status == State.FORWARDED
        # A token needs no CSRF token: no cookie carries it.
        client.post("/auth/logout")
        by_token = client.post(f"/api/v1/nominations/{nomination.id}/transitions",
                               headers=headers, json={"action": "accept"})
        assert by_token.status_code == 200, by_token.get_data(as_text=True)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_without_a_token_or_session_the_api_answers_401_not_a_login_page(app, client):
    response = client.get("/api/v1/nominations")
    assert response.status_code == 401 and response.mimetype == "application/problem+json"


# --- 2. Problems. --------------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "title"), [("ru", "Не найдено"), ("kk", "Табылмады"),
                                                 ("en", "Not found")])
def test_problems_speak_the_requests_language(app, client, language, title):
    headers = {**bearer(f.user(Role.SECRETARIAT)), "Accept-Language": language}
    response = client.get("/api/v1/nominations/2147483000", headers=headers)
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["title"] == title and body["status"] == 404 and body["code"] == "not_found"


def test_the_pipelines_refusal_code_and_its_words_reach_the_caller(app, client):
    nomination = f.nomination(State.FORWARDED, region_code="KZ-75")
    headers = {**bearer(f.user(Role.SECRETARIAT)), "Accept-Language": "ru"}
    url = f"/api/v1/nominations/{nomination.id}/transitions"
    missing = client.post(url, headers=headers, json={"action": "return"})
    assert missing.status_code == 422
    assert missing.get_json()["code"] == "missing_data"
    assert missing.get_json()["field"] == "reasons"
    assert "причин" in missing.get_json()["detail"]
    wrong = client.post(url, headers=headers, json={"action": "recommend"})
    assert wrong.status_code == 409 and wrong.get_json()["code"] == "wrong_channel"
    unknown = client.post(url, headers=headers, json={"action": "fly"})
    assert unknown.status_code == 422 and unknown.get_json()["code"] == "unknown_action"


@pytest.mark.parametrize("body", [b"{", b"[]", b'{"action": 5}', b'{"action": "accept", '
                                  b'"data": []}', b'{"action":"accept","expected_version":-1}',
                                  b"\xff\xfe", b'{"action": "accept", "extra": 1}'])
def test_bad_input_is_a_problem_never_a_server_error(app, client, body):
    nomination = f.nomination(State.FORWARDED, region_code="KZ-75")
    response = client.post(f"/api/v1/nominations/{nomination.id}/transitions",
                           headers=bearer(f.user(Role.SECRETARIAT)), data=body,
                           content_type="application/json")
    assert response.status_code in (400, 422), response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert db.session.get(Nomination, nomination.id).status == State.FORWARDED


def test_an_iin_in_an_api_address_is_refused_not_redirected(app, client):
    response = client.get("/api/v1/nominations?after=850315400015",
                          headers=bearer(f.user(Role.SECRETARIAT)))
    assert response.status_code == 400 and response.get_json()["code"] == "iin_in_address"
    assert "850315400015" not in response.get_data(as_text=True)


def test_a_body_that_is_not_json_is_a_415_problem(app, client):
    headers = bearer(f.user(Role.COORDINATOR))
    for url in ("/api/v1/status", "/api/v1/sessions", "/api/v1/associations"):
        response = client.post(url, headers=headers, data={"code": "x", "name": "y"})
        assert response.status_code == 415, (url, response.get_data(as_text=True))
        assert response.get_json()["code"] == "unsupported_media_type"


# --- Scope: another region's objects are 404 through every endpoint. --------------------------------


def api_rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")]


def test_another_regions_objects_are_404_through_every_api_endpoint(app, client):
    nomination = f.nomination(State.ON_AGENDA, region_code="KZ-75")
    from werkzeug.datastructures import FileStorage

    from workflow.documents.services import store
    from workflow.domain import DocumentKind
    from workflow.models import SessionItem

    document = store(FileStorage(io.BytesIO(PDF), "cv.pdf"), DocumentKind.CV,
                     nomination_id=nomination.id, region_id=nomination.region_id)
    session_id = db.session.scalar(select(SessionItem.session_id).where(
        SessionItem.nomination_id == nomination.id))
    membership = f.membership("KZ-75")
    db.session.commit()
    ids = {"nomination_id": nomination.id, "document_id": document.id,
           "session_id": session_id, "membership_id": membership.id}
    bodies = {"api.transition": {"action": "withdraw", "comment": "x"},
              "api.session_decisions": {"members_present": 30, "items": []},
              "api.session_no_quorum": {"members_present": 1}}
    outsider, owner = bearer(f.user(Role.COORDINATOR, "KZ-71")), bearer(f.user(Role.COORDINATOR))
    rules = [r for r in api_rules(app) if r.arguments]
    assert {a for r in rules for a in r.arguments} <= set(ids), "add the argument to ids"
    assert len(rules) >= 6
    leaks, found = [], []
    for rule in rules:
        url = rule.rule
        for name, value in ids.items():
            url = url.replace(f"<int:{name}>", str(value))
        method = "POST" if "POST" in rule.methods else "GET"
        answer = client.open(url, method=method, headers=outsider,
                             json=bodies.get(rule.endpoint) if method == "POST" else None)
        if answer.status_code != 404:
            leaks.append(f"{method} {url} -> {answer.status_code}")
        if method == "GET" and client.get(url, headers=owner).status_code == 200:
            found.append(url)
    assert leaks == []
    assert len(found) >= 4  # the owner's calls find the same objects: the test can fail
    # Lists: none of the other region's rows, and its region or association in a filter is 404.
    listing = client.get("/api/v1/nominations", headers=outsider).get_json()
    assert nomination.id not in [n["id"] for n in listing["items"]]
    assert client.get("/api/v1/nominations?region=KZ-75", headers=outsider).status_code == 404
    assert client.get(f"/api/v1/nominations?association={nomination.association_id}",
                      headers=outsider).status_code == 404
    feed = client.get("/api/v1/events", headers=outsider).get_json()
    assert all(e["nomination_id"] != nomination.id for e in feed["items"])
    members = client.get("/api/v1/members", headers=outsider).get_json()
    assert membership.id not in [m["id"] for m in members["items"]]


# --- The API's actions are what apply() accepts: generated from the table. ----------------------


REFUSED_BY_ROLE_SCOPE_CHANNEL_OR_STATE = {"not_allowed", "out_of_scope", "wrong_channel",
                                          "wrong_state", "unknown_action"}


def accepted_by_apply(nomination_id: int, actor) -> set[str]:
    """The actions ``apply`` takes from ``actor`` through the API's channel for each: those it
    does not refuse for role, scope, channel or state (their data and guards are the caller's)."""
    accepted = set()
    for transition in pipeline.TRANSITIONS:
        savepoint = db.session.begin_nested()
        try:
            pipeline.apply(nomination_id, transition.action, actor,
                           channel=channel_for(transition.action))
        except Refusal as refusal:
            if refusal.code not in REFUSED_BY_ROLE_SCOPE_CHANNEL_OR_STATE:
                accepted.add(transition.action)
        else:
            accepted.add(transition.action)
        finally:
            savepoint.rollback()
    return accepted


REACHABLE = [s for s in State if s != State.MEMBER]  # a member's nomination: see below


@pytest.mark.parametrize("state", REACHABLE + [State.MEMBER], ids=str)
def test_the_apis_actions_are_exactly_what_apply_accepts(app, client, state):
    nomination = f.nomination(state, region_code="KZ-75")
    actors = {"coordinator": f.user(Role.COORDINATOR, "KZ-75"),
              "secretariat": f.user(Role.SECRETARIAT)}
    db.session.commit()
    for name, actor in actors.items():
        listed = client.get(f"/api/v1/nominations/{nomination.id}", headers=bearer(actor))
        assert listed.status_code == 200
        offered = {a["action"] for a in listed.get_json()["actions"]}
        assert offered == accepted_by_apply(nomination.id, actor), (state, name)
        assert all(pipeline.BY_ACTION[a].channel in API_CHANNELS for a in offered)


# --- 3. Endpoints. ----------------------------------------------------------------------------------


def test_a_stale_version_is_a_409_conflict_and_nothing_changes(app, client):
    nomination = f.nomination(State.FORWARDED, region_code="KZ-75")
    headers = bearer(f.user(Role.SECRETARIAT))
    seen = nomination.version
    url = f"/api/v1/nominations/{nomination.id}/transitions"
    first = client.post(url, headers=headers, json={"action": "accept", "expected_version": seen})
    assert first.status_code == 200
    second = client.post(url, headers=headers, json={"action": "return", "expected_version": seen,
                                                     "data": {"reasons": ["documents"]}})
    assert second.status_code == 409 and second.get_json()["code"] == "conflict"
    db.session.expire_all()
    assert db.session.get(Nomination, nomination.id).status == State.UNDER_REVIEW


def test_a_coordinator_enters_a_nomination_with_its_documents_through_the_api(app, client):
    from tests.test_nomination_form import form_data

    coordinator = f.user(Role.COORDINATOR, "KZ-75")
    association = f.AssociationFactory(region=f.region("KZ-75"))
    db.session.commit()
    fields = {k: v for k, v in form_data(association.id).items()
              if not k.endswith("_file") and k not in ("save_draft", "save_submit")}
    files = {name: (io.BytesIO(PDF), f"{name}.pdf") for name in
             ("decision_file", "consent_file", "cv_file")}
    response = client.post("/api/v1/nominations", headers=bearer(coordinator),
                           data={**fields, **files, "submit": "true"},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == "submitted" and response.headers["Location"].endswith(
        f"/api/v1/nominations/{body['id']}")
    from workflow.models import Document

    assert db.session.scalar(select(func.count()).where(
        Document.nomination_id == body["id"])) == 3
    created = db.session.scalar(select(AuditEvent).where(
        AuditEvent.nomination_id == body["id"], AuditEvent.action == "submit"))
    assert created.via == "api" and created.actor_id == coordinator.id

    # The same form's checks: a wrong IIN is refused beside its field, nothing written.
    before = db.session.scalar(select(func.count()).select_from(Nomination))
    bad = client.post("/api/v1/nominations", headers=bearer(coordinator),
                      data={**fields, "iin": "123456789012"},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and bad.get_json()["field"] == "iin"
    assert db.session.scalar(select(func.count()).select_from(Nomination)) == before


def test_lists_filter_and_page_with_a_cursor(app, client):
    made = [f.nomination(State.SUBMITTED, region_code="KZ-75") for _ in range(5)]
    f.nomination(State.DRAFT, region_code="KZ-75")
    headers = bearer(f.user(Role.COORDINATOR, "KZ-75"))
    seen, after = [], None
    while True:
        page = client.get("/api/v1/nominations", headers=headers, query_string={
            "state": "submitted", "limit": 2, **({"after": after} if after else {})}).get_json()
        seen += [n["id"] for n in page["items"]]
        after = page["next"]
        if after is None:
            break
    assert sorted(seen) == sorted(n.id for n in made) and len(seen) == len(set(seen))
    assert client.get("/api/v1/nominations?state=flying", headers=headers).status_code == 422
    assert client.get("/api/v1/nominations?after=%%%", headers=headers).status_code == 200


def test_associations_sessions_and_decisions_through_the_api(app, client):
    coordinator = f.user(Role.COORDINATOR, "KZ-75")
    headers = bearer(coordinator)
    made = client.post("/api/v1/associations", headers=headers,
                       json={"name": "Korean centre", "kind": "ethno_cultural"})
    assert made.status_code == 201, made.get_data(as_text=True)
    assert made.get_json()["region"] == "KZ-75" and made.get_json()["level"] == "regional"
    names = [a["name"] for a in client.get("/api/v1/associations", headers=headers
                                           ).get_json()["items"]]
    assert "Korean centre" in names
    planned = client.post("/api/v1/sessions", headers=headers, json={
        "number": "API-1", "held_on": "2026-12-01", "place": "Hall", "members_total": 40})
    assert planned.status_code == 201, planned.get_data(as_text=True)
    duplicate = client.post("/api/v1/sessions", headers=headers, json={
        "number": "API-1", "held_on": "2026-12-01", "place": "Hall", "members_total": 40})
    assert duplicate.status_code == 409 and duplicate.get_json()["code"] == "duplicate"

    nomination = f.nomination(State.ON_AGENDA, region_code="KZ-75")
    db.session.commit()
    session = next(s for s in client.get("/api/v1/sessions", headers=headers).get_json()["items"]
                   if any(i["nomination_id"] == nomination.id for i in s["items"]))
    item = next(i for i in session["items"] if i["nomination_id"] == nomination.id)
    no_quorum = client.post(f"/api/v1/sessions/{session['id']}/decisions", headers=headers,
                            json={"members_present": 1, "items": []})
    assert no_quorum.status_code == 422 and no_quorum.get_json()["field"] == "members_present"
    recorded = client.post(f"/api/v1/sessions/{session['id']}/decisions", headers=headers,
                           json={"members_present": session["members_total"], "items": [
                               {"item_id": item["item_id"], "votes_for": session["members_total"],
                                "votes_against": 0, "votes_abstain": 0}]})
    assert recorded.status_code == 200, recorded.get_data(as_text=True)
    outcome = next(i for i in recorded.get_json()["items"] if i["item_id"] == item["item_id"])
    assert outcome["outcome"] == "support"


def test_members_and_documents(app, client):
    membership = f.membership("KZ-75")
    nomination = f.nomination(State.DRAFT, region_code="KZ-75")
    from werkzeug.datastructures import FileStorage

    from workflow.documents.services import store
    from workflow.domain import DocumentKind

    document = store(FileStorage(io.BytesIO(PDF), "cv.pdf"), DocumentKind.CV,
                     nomination_id=nomination.id, region_id=nomination.region_id)
    db.session.commit()
    headers = bearer(f.user(Role.COORDINATOR, "KZ-75"))
    one = client.get(f"/api/v1/members/{membership.id}", headers=headers)
    assert one.status_code == 200 and one.get_json()["member_number"] == membership.member_number
    listed = client.get("/api/v1/members", headers=headers).get_json()
    assert membership.id in [m["id"] for m in listed["items"]]
    file = client.get(f"/api/v1/nominations/{nomination.id}/documents/{document.id}",
                      headers=headers)
    assert file.status_code == 200 and file.data == PDF
    # A document of another nomination is not found under this one.
    assert client.get(f"/api/v1/nominations/{membership.nomination_id}/documents/{document.id}",
                      headers=headers).status_code == 404


def test_the_status_check_answers_without_a_token(app, client):
    nomination = f.nomination(State.SUBMITTED, region_code="KZ-75")
    db.session.commit()
    birth = nomination.candidate.birth_date.isoformat()
    found = client.post("/api/v1/status", json={"code": nomination.reference_code.lower(),
                                                "birth_date": birth})
    assert found.status_code == 200 and found.get_json()["found"] is True
    assert found.get_json()["stage"]
    assert client.post("/api/v1/status", json={"code": nomination.reference_code,
                                               "birth_date": "1901-01-01"}
                       ).get_json() == {"found": False}


def test_the_status_check_shares_the_pages_limits(limited):
    client = limited.test_client()
    miss = {"code": "ZZZZ-ZZZZ", "birth_date": "1901-01-01"}
    # The code's budget (3 misses an hour) is one, whichever way the checks come.
    assert client.post("/status", data=miss).status_code == 200
    assert client.post("/api/v1/status", json={**miss, "code": "zzzzzzzz"}).status_code == 200
    assert client.post("/status", data=miss).status_code == 200
    blocked = client.post("/api/v1/status", json=miss, headers={"Accept-Language": "ru"})
    assert blocked.status_code == 429 and blocked.mimetype == "application/problem+json"
    assert blocked.get_json()["title"] == "Слишком много попыток"
    assert client.post("/status", data=miss).status_code == 429
    # The address's budget (6 an hour) too: 3 checks answered so far, 3 more, then no.
    answers = [client.post("/api/v1/status", json={**miss, "code": f"ACDE-{n:04d}"}).status_code
               for n in range(4)]
    assert answers == [200, 200, 200, 429]


# --- 4. Idempotency-Key. ------------------------------------------------------------------------------


def test_the_same_key_and_body_returns_the_first_answer_and_does_nothing_twice(app, client):
    nomination = f.nomination(State.FORWARDED, region_code="KZ-75")
    headers = {**bearer(f.user(Role.SECRETARIAT)), "Idempotency-Key": "accept-1"}
    url = f"/api/v1/nominations/{nomination.id}/transitions"
    first = client.post(url, headers=headers, json={"action": "accept"})
    again = client.post(url, headers=headers, json={"action": "accept"})
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(select(func.count()).where(
        AuditEvent.nomination_id == nomination.id, AuditEvent.action == "accept")) == 1
    other = client.post(url, headers=headers, json={"action": "return",
                                                    "data": {"reasons": ["documents"]}})
    assert other.status_code == 422 and other.get_json()["code"] == "idempotency_key_reused"
    # After 24 hours the key is free again.
    db.session.execute(update(IdempotentRequest).values(
        created_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    later = client.post(url, headers=headers, json={"action": "accept"})
    assert later.status_code == 409 and later.get_json()["code"] == "wrong_state"


@pytest.mark.backends("postgresql")
def test_two_concurrent_requests_with_one_key_do_the_work_once(app):
    nomination = f.nomination(State.FORWARDED, region_code="KZ-75")
    headers = {**bearer(f.user(Role.SECRETARIAT)), "Idempotency-Key": "race-1"}
    url = f"/api/v1/nominations/{nomination.id}/transitions"
    barrier = threading.Barrier(2)
    answers = []

    def send():
        with app.test_client() as own:
            barrier.wait()
            response = own.post(url, headers=headers, json={"action": "accept"})
            answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [code for code, _ in answers] == [200, 200], answers
    assert answers[0][1] == answers[1][1]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(
        AuditEvent.nomination_id == nomination.id, AuditEvent.action == "accept")) == 1


# --- 5. The changes feed. ------------------------------------------------------------------------------


def test_the_feed_lists_transitions_in_commit_order_from_a_cursor(app, client):
    first = f.nomination(State.FORWARDED, region_code="KZ-75")
    other_region = f.nomination(State.SUBMITTED, region_code="KZ-71")
    db.session.commit()
    coordinator = bearer(f.user(Role.COORDINATOR, "KZ-75"))
    officer = bearer(f.user(Role.SECRETARIAT))
    page = client.get("/api/v1/events", headers=coordinator).get_json()
    cursors = [int(e["cursor"]) for e in page["items"]]
    assert cursors == sorted(cursors) and len(cursors) == len(set(cursors))
    assert {e["nomination_id"] for e in page["items"]} == {first.id}
    assert [e["to_status"] for e in page["items"]][-1] == "forwarded"
    mark = page["next"]
    # Nothing new: the same cursor back.
    assert client.get(f"/api/v1/events?after={mark}", headers=coordinator).get_json() == {
        "items": [], "next": mark}
    client.post(f"/api/v1/nominations/{first.id}/transitions", headers=officer,
                json={"action": "accept"})
    new = client.get(f"/api/v1/events?after={mark}", headers=coordinator).get_json()
    assert [(e["action"], e["via"]) for e in new["items"]] == [("accept", "api")]
    everything = client.get("/api/v1/events?limit=500", headers=officer).get_json()
    assert {e["nomination_id"] for e in everything["items"]} == {first.id, other_region.id}
    assert client.get("/api/v1/events?after=abc", headers=officer).status_code == 422


def test_a_file_beside_fields_the_model_refuses_is_a_422_problem(app, client):
    """spectree writes the refused values into its own error body before our hook replaces it;
    an uploaded file among them once made that a server error (found by the fuzz test)."""
    coordinator = f.user(Role.COORDINATOR, "KZ-75")
    db.session.commit()
    response = client.post("/api/v1/nominations", headers=bearer(coordinator),
                           data={"members_total": "2147483648", "region_id": "NaN",
                                 "document": (io.BytesIO(PDF), "plausible.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert "plausible.pdf" not in response.get_data(as_text=True)
