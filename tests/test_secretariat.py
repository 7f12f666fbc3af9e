"""The Secretariat's review: the national overview, the checklist, duplicates, returns with
reasons, other routes entered with their decision, and who may reach any of it."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests import factories as f
from workflow import create_app
from workflow.domain import RETURN_REASON_LABELS, DocumentKind, Role, Route, State
from workflow.extensions import db
from workflow.models import AuditEvent, Document, Nomination, utcnow
from workflow.permissions import PERMISSIONS
from workflow.secretariat import services

SECRETARIAT_ONLY = {p for p, roles in PERMISSIONS.items() if roles == {Role.SECRETARIAT}}


def test_the_overview_counts_by_state_and_region_and_marks_the_overdue(app):
    late = f.nomination(State.FORWARDED, region_code="KZ-75")
    f.nomination(State.FORWARDED, region_code="KZ-75")
    f.nomination(State.UNDER_REVIEW, region_code="KZ-71")
    f.region("KZ-71").expected_days = 3
    slow = f.nomination(State.RECOMMENDED, region_code="KZ-71")
    late.status_changed_at = utcnow() - timedelta(days=15)  # default 14 days
    slow.status_changed_at = utcnow() - timedelta(days=4)   # Astana expects 3
    db.session.commit()

    o = services.overview(f.user(Role.SECRETARIAT))
    funnel = dict(o.funnel)
    assert funnel[State.FORWARDED] == 2 and funnel[State.UNDER_REVIEW] == 1
    rows = {r.region.iso_code: r for r in o.regions}
    assert rows["KZ-75"].by_state == {State.FORWARDED: 2} and rows["KZ-75"].overdue == 1
    assert rows["KZ-71"].open == 2 and rows["KZ-71"].overdue == 1
    assert o.queue_totals[State.FORWARDED] == 2 and o.queue_overdue[State.FORWARDED] == 1
    assert o.queues[State.FORWARDED][0].id == late.id  # longest waiting first
    assert services.is_overdue(slow) and services.is_overdue(late)


def test_the_home_page_shows_the_queues(app, client, auth, english):
    nom = f.nomination(State.FORWARDED)
    auth.login(f.user(Role.SECRETARIAT))
    page = client.get("/").get_data(as_text=True)
    assert "Forwarded: to accept" in page and nom.candidate.full_name in page
    assert "progress-bar" in page  # the chart


def test_the_checklist_finds_missing_documents_and_passes_when_complete(app):
    # The association route enters at review without the regional submit's document guard.
    nom = f.nomination(State.UNDER_REVIEW, route=Route.ASSOCIATION)
    f.document(nom, DocumentKind.DECISION)
    checks = {c.key: c for c in services.checklist(nom)}
    assert not checks["documents"].ok
    f.document(nom, DocumentKind.CONSENT)
    f.document(nom, DocumentKind.CV)
    checks = {c.key: c for c in services.checklist(nom)}
    assert all(c.ok for c in checks.values()), checks


def test_duplicates_by_iin_in_open_nominations_and_among_members(app):
    nom = f.nomination(State.FORWARDED)
    assert not services.find_duplicates(nom).by_iin
    again = f.nomination(State.DRAFT, candidate=nom.candidate, region_code="KZ-71")
    found = services.find_duplicates(nom)
    assert [n.id for n in found.open_nominations] == [again.id]
    assert not {c.key: c for c in services.checklist(nom)}["duplicate_iin"].ok

    member = f.membership()
    renominated = f.nomination(State.DRAFT, candidate=member.candidate)
    assert [m.id for m in services.find_duplicates(renominated).memberships] == [member.id]


def test_possible_duplicate_by_name_and_birth_date_under_another_iin(app):
    nom = f.nomination(State.FORWARDED)
    c = nom.candidate
    twin = f.CandidateFactory(surname=c.surname, given_name=c.given_name,
                              birth_date=c.birth_date, region=f.region("KZ-71"))
    twin_nomination = f.nomination(State.SUBMITTED, candidate=twin, region_code="KZ-71")
    other_day = f.CandidateFactory(surname=c.surname, given_name=c.given_name,
                                   birth_date=date(1990, 1, 1))
    found = services.find_duplicates(nom)
    assert twin.iin != c.iin
    assert [x.id for x in found.possible] == [twin.id] and other_day.id not in found.possible
    assert [n.id for n in found.possible_nominations] == [twin_nomination.id]
    assert not found.by_iin
    check = {c.key: c for c in services.checklist(nom)}["duplicate_name"]
    assert not check.ok and check.warning


def test_review_page_links_the_possible_duplicate(app, client, auth):
    nom = f.nomination(State.FORWARDED)
    c = nom.candidate
    twin = f.CandidateFactory(surname=c.surname, given_name=c.given_name, birth_date=c.birth_date)
    twin_nomination = f.nomination(State.DRAFT, candidate=twin)
    auth.login(f.user(Role.SECRETARIAT))
    page = client.get(f"/secretariat/nominations/{nom.id}").get_data(as_text=True)
    assert f"/secretariat/nominations/{twin_nomination.id}" in page
    assert c.iin in page  # the Secretariat sees the full IIN on review
    assert twin.iin not in page  # the namesake's IIN only masked


def test_accept_then_return_with_structured_reasons_the_coordinator_sees(app, client, auth,
                                                                          english):
    nom = f.nomination(State.FORWARDED)
    db.session.commit()
    auth.login(f.user(Role.SECRETARIAT))
    client.post(f"/secretariat/nominations/{nom.id}/actions/accept",
                data={"version": nom.version})
    db.session.expire_all()
    nom = db.session.get(Nomination, nom.id)
    assert nom.status == State.UNDER_REVIEW

    refused = client.post(f"/secretariat/nominations/{nom.id}/actions/return",
                          data={"version": nom.version, "comment": "No reasons chosen"})
    # The review page again, the typed comment kept, the missing reason said by its field.
    assert refused.status_code == 422
    assert "No reasons chosen" in refused.get_data(as_text=True)
    assert "Choose at least one reason." in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Nomination, nom.id).status == State.UNDER_REVIEW

    client.post(f"/secretariat/nominations/{nom.id}/actions/return", data={
        "version": nom.version, "reasons": ["cv_document", "consent"],
        "comment": "Attach the CV and the signed consent."})
    db.session.expire_all()
    assert db.session.get(Nomination, nom.id).status == State.RETURNED
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "return"))
    assert event.data == {"reasons": ["cv_document", "consent"]}

    auth.logout()
    auth.login(f.user(Role.COORDINATOR, "KZ-75"))
    page = client.get(f"/nominations/{nom.id}").get_data(as_text=True)
    assert "Curriculum vitae" in page and "Attach the CV" in page


def test_one_return_reason_is_enough_for_the_browser(app, client, auth, english):
    """No reason checkbox carries ``required``: a browser would then ask for all of them."""
    nom = f.nomination(State.UNDER_REVIEW)
    db.session.commit()
    auth.login(f.user(Role.SECRETARIAT))
    page = client.get(f"/secretariat/nominations/{nom.id}").get_data(as_text=True)
    boxes = re.findall(r'<input[^>]*name="reasons"[^>]*>', page)
    assert len(boxes) == len(RETURN_REASON_LABELS)
    assert not [box for box in boxes if "required" in box]
    # One reason is enough for the server too.
    client.post(f"/secretariat/nominations/{nom.id}/actions/return", data={
        "version": nom.version, "reasons": ["cv_document"]})
    db.session.expire_all()
    assert db.session.get(Nomination, nom.id).status == State.RETURNED


def test_the_coordinator_reads_the_return_reasons_in_words_everywhere(app, client, auth,
                                                                      english):
    nom = f.nomination(State.UNDER_REVIEW, region_code="KZ-75")
    db.session.commit()
    auth.login(f.user(Role.SECRETARIAT))
    client.post(f"/secretariat/nominations/{nom.id}/actions/return", data={
        "version": nom.version, "reasons": ["cv_document", "consent_document"]})
    auth.logout()
    auth.login(f.user(Role.COORDINATOR, "KZ-75"))
    for path in ("/", f"/nominations/{nom.id}"):
        page = client.get(path).get_data(as_text=True)
        assert str(RETURN_REASON_LABELS["cv_document"]) in page, path
        assert str(RETURN_REASON_LABELS["consent_document"]) in page, path
        assert "cv_document" not in page and "reasons" not in page, path


def entry(route: str, **over) -> dict:
    data = {
        "route": route, "region_id": f.region("KZ-71").id, "association_id": 0,
        "replaces_membership_id": 0, "nominating_body": "Council decision No. 4 of 1 Dec 2026",
        "iin": "850315400015", "surname": "Сейткали", "given_name": "Айгерим",
        "birth_date": "1985-03-15", "sex": "female", "citizenship": "KZ",
        "ethnicity": "қазақ", "consent_given_on": "2026-11-01", "consent_form": "written",
        "justification": "Thirty years of public service.", "decision": f.pdf("decision.pdf"),
    }
    data.update(over)
    return data


def test_enter_on_the_council_route_with_its_decision(app, client, auth):
    auth.login(f.user(Role.SECRETARIAT))
    response = client.post("/secretariat/nominations/new", data=entry("council"),
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    nom = db.session.scalar(select(Nomination))
    assert nom.status == State.UNDER_REVIEW and nom.route == Route.COUNCIL
    assert nom.candidate.iin == "850315400015"
    kinds = list(db.session.scalars(select(Document.kind).where(Document.nomination_id == nom.id)))
    assert kinds == [DocumentKind.DECISION]


@pytest.mark.parametrize(("change", "error"), [
    ({"decision": None}, "Attach the decision."),
    ({"sex": "male"}, "The sex does not agree with the IIN."),
    ({"birth_date": "1985-03-16"}, "The date of birth does not agree with the IIN."),
    ({"iin": "850315400016"}, "check digit"),
    ({"citizenship": "RU"}, "Only citizens of Kazakhstan"),
    ({"route": "association"}, "Choose the association"),
    ({"route": "rotation"}, "Choose the member being replaced"),
])
def test_the_entry_form_refuses_what_is_wrong(app, client, auth, english, change, error):
    auth.login(f.user(Role.SECRETARIAT))
    data = entry(change.get("route", "council"),
                 **{k: v for k, v in change.items() if v is not None and k != "route"})
    if change.get("decision", 1) is None:
        del data["decision"]
    response = client.post("/secretariat/nominations/new", data=data,
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert error in response.get_data(as_text=True)
    assert db.session.scalar(select(Nomination)) is None


def test_enter_a_rotation_naming_the_member_replaced(app, client, auth):
    outgoing = f.membership()
    auth.login(f.user(Role.SECRETARIAT))
    response = client.post("/secretariat/nominations/new", content_type="multipart/form-data",
                           data=entry("rotation", replaces_membership_id=outgoing.id))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    nom = db.session.scalar(select(Nomination).where(Nomination.route == Route.ROTATION))
    assert nom.replaces_membership_id == outgoing.id and nom.status == State.UNDER_REVIEW


def test_enter_refuses_someone_already_a_member(app, client, auth, english):
    member = f.membership()
    auth.login(f.user(Role.SECRETARIAT))
    c = member.candidate
    response = client.post("/secretariat/nominations/new", content_type="multipart/form-data",
                           data=entry("council", iin=c.iin, birth_date=c.birth_date.isoformat(),
                                      sex=c.sex), follow_redirects=True)
    assert f"already a member of the Assembly ({member.member_number})" in response.get_data(
        as_text=True)


# --- Who may reach the Secretariat's pages. -------------------------------------------------

_app = create_app({"TIZIM_CONFIG": "testing"})
SECRETARIAT_RULES = sorted(
    (r for r in _app.url_map.iter_rules()
     if getattr(_app.view_functions[r.endpoint], "permission", None) in SECRETARIAT_ONLY),
    key=lambda r: r.rule)


def test_the_secretariat_has_its_own_permissions():
    assert {"secretariat.work", "council.manage", "orders.manage", "register.view",
            "register.manage"} <= SECRETARIAT_ONLY
    blueprints = {r.endpoint.split(".")[0] for r in SECRETARIAT_RULES}
    assert {"secretariat", "council", "orders", "register"} <= blueprints


def test_a_coordinator_reaches_no_secretariat_route(app, client, auth):
    """Real ids, not placeholders: a 403 that does not depend on the object being missing."""
    nom = f.nomination(State.FORWARDED, region_code="KZ-75")
    member = f.membership("KZ-75")
    meeting = f.council_meeting()
    auth.login(f.user(Role.COORDINATOR, "KZ-75"))
    ids = {"nomination_id": nom.id, "membership_id": member.id, "meeting_id": meeting.id,
           "order_id": 1, "batch_id": 1, "state": "forwarded", "fmt": "csv", "action": "accept",
           "candidate_id": nom.candidate_id, "record_id": 1}
    reached = []
    for rule in SECRETARIAT_RULES:
        with _app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **{a: ids[a] for a in rule.arguments})
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            code = client.open(url, method=method).status_code
            if code != 403:
                reached.append(f"{method} {url} -> {code}")
    assert reached == []
    assert len(SECRETARIAT_RULES) >= 15


def test_the_overview_query_count_does_not_grow_with_the_items(app):
    from sqlalchemy import event

    def count_queries() -> int:
        seen = []

        def record(*args):
            seen.append(1)

        event.listen(db.engine, "before_cursor_execute", record)
        officer = f.user(Role.SECRETARIAT)
        try:
            o = services.overview(officer)
            for items in o.queues.values():  # what the template touches
                for n in items:
                    _ = (n.candidate.full_name, n.region.name, services.is_overdue(n))
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        return len(seen)

    for state in services.QUEUES:
        f.nomination(state, route=Route.COUNCIL if state != State.FORWARDED else Route.REGIONAL)
    db.session.commit()
    few = count_queries()
    for state in services.QUEUES:
        for _ in range(3):
            f.nomination(state, route=Route.COUNCIL if state != State.FORWARDED else Route.REGIONAL)
    db.session.commit()
    db.session.expire_all()
    assert count_queries() == few


def test_a_long_queue_pages_on(app, client, auth, monkeypatch):
    from workflow.secretariat import views

    monkeypatch.setattr(views, "QUEUE_PAGE", 2)
    noms = [f.nomination(State.UNDER_REVIEW, route=Route.COUNCIL) for _ in range(3)]
    auth.login(f.user(Role.SECRETARIAT))
    first = client.get("/secretariat/queues/under_review").get_data(as_text=True)
    assert noms[0].reference_code in first and noms[2].reference_code not in first
    import re

    more = re.search(r'href="(/secretariat/queues/under_review\?[^"]+)"', first)
    second = client.get(more.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert noms[2].reference_code in second and noms[0].reference_code not in second


def test_the_bell_is_on_the_review_page_whatever_happens_there(app, client, auth, english):
    nom = f.nomination(State.UNDER_REVIEW)
    db.session.commit()
    auth.login(f.user(Role.SECRETARIAT))
    bell = 'href="/notifications/"'
    assert bell in client.get(f"/secretariat/nominations/{nom.id}").get_data(as_text=True)
    refused = client.post(f"/secretariat/nominations/{nom.id}/actions/return",
                          data={"version": nom.version})
    assert refused.status_code == 422
    assert bell in refused.get_data(as_text=True)
    stale = client.post(f"/secretariat/nominations/{nom.id}/actions/return",
                        data={"version": nom.version - 1, "reasons": ["cv_document"]})
    assert bell in stale.get_data(as_text=True)


@pytest.mark.parametrize("rows", [2, 6])
def test_a_queue_costs_the_same_statements_however_many_rows(app, rows):
    """A queue's table (its page, the home page's four) reads ROW_COLUMNS in one statement;
    its export reads whole records, date of birth included, in one statement too."""
    from sqlalchemy import event

    from workflow.secretariat import exports

    officer = f.user(Role.SECRETARIAT)
    for _ in range(rows):
        f.nomination(State.FORWARDED)
    db.session.commit()
    db.session.expire_all()
    assert officer.role
    statements = []

    def listener(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        now = utcnow()
        shown = [(n.candidate.full_name, n.reference_code, n.candidate.iin, n.region.name,
                  n.route, n.association.name, n.version, services.age_days(n, now),
                  services.is_overdue(n, now))
                 for n in services.queue(officer, State.FORWARDED, rows_only=True)]
        page = statements[:]
        db.session.expire_all()
        assert officer.role
        statements.clear()
        _, exported = exports.queue_table(officer, services.queue(officer, State.FORWARDED), now)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(shown) == len(exported) == rows
    assert len(page) == 1 and len(statements) == 1, (page, statements)
    assert ".birth_date" not in page[0] and ".birth_date" in statements[0]
