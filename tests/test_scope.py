"""Scope, generated from the route list: another region's objects are 404 on every route.

Every route a coordinator may open that takes an object id is requested by the coordinator of
another region; a route whose id argument this test cannot build fails it, so a new route
is covered the day it is added.
"""

from __future__ import annotations

import io

import pytest
from werkzeug.datastructures import FileStorage

from tests import factories as f
from workflow.documents.services import store
from workflow.domain import AssociationLevel, DocumentKind, Role, State
from workflow.extensions import db
from workflow.models import Nomination
from workflow.permissions import PERMISSIONS

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def objects_of_region(code: str) -> dict[str, int]:
    """One object of each kind in region ``code``, by the URL argument that names it."""
    nomination = f.nomination(State.DRAFT, region_code=code)
    session = f.regional_session(code)
    association = f.AssociationFactory(region=f.region(code))
    document = store(FileStorage(io.BytesIO(PDF), "cv.pdf"), DocumentKind.CV,
                     nomination_id=nomination.id, region_id=nomination.region_id)
    membership = f.membership(code)
    return {"nomination_id": nomination.id, "session_id": session.id,
            "association_id": association.id, "document_id": document.id,
            "membership_id": membership.id, "member_nomination_id": membership.nomination_id}


# Arguments that choose a listing, not an object: such routes must answer, but show none of
# the other region's rows (checked by the nomination's reference code).
LISTING_ARGUMENTS = {"state": "draft", "fmt": "csv"}


def coordinator_routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        permission = getattr(app.view_functions[rule.endpoint], "permission", None)
        if permission and Role.COORDINATOR in PERMISSIONS[permission] and rule.arguments:
            yield rule


def method(rule) -> str:
    return "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]


def test_another_regions_objects_are_404_on_every_route(app, client, auth):
    from flask import url_for

    from workflow.notifications.models import Notification

    ids = objects_of_region("KZ-75")
    outsider = f.user(Role.COORDINATOR, "KZ-71")
    owner = f.user(Role.COORDINATOR, "KZ-75")
    notice = Notification(user_id=owner.id, key="scope-test", kind="transition")
    db.session.add(notice)
    db.session.flush()
    ids["notification_id"] = notice.id  # a person's own notification: nobody else's to read
    db.session.commit()
    rules = list(coordinator_routes(app))
    uncovered = [f"{r.rule} ({a})" for r in rules for a in r.arguments
                 if a not in ids and a not in LISTING_ARGUMENTS]
    assert uncovered == [], "add these URL arguments to objects_of_region()"
    assert len(rules) >= 10  # the test walks the real routes, not an empty list
    listings = [r for r in rules if set(r.arguments) <= set(LISTING_ARGUMENTS)]
    rules = [r for r in rules if r not in listings]
    reference = db.session.get(Nomination, ids["nomination_id"]).reference_code

    def urls(chosen):
        for rule in chosen:
            values = {a: ids.get(a, LISTING_ARGUMENTS.get(a)) for a in rule.arguments}
            if rule.endpoint == "members.of_nomination":  # a nomination that became a member
                values["nomination_id"] = ids["member_nomination_id"]
            with app.test_request_context():
                yield rule, url_for(rule.endpoint, **values)

    auth.login(outsider)
    leaks = [f"{method(r)} {u} -> {code}" for r, u in urls(rules)
             if (code := client.open(u, method=method(r)).status_code) != 404]
    leaks += [f"GET {u} shows {reference}" for r, u in urls(listings)
              if reference in client.get(u).get_data(as_text=True)]
    assert leaks == []

    # The same requests by the region's own coordinator find the objects: the test can fail.
    auth.logout()
    auth.login(owner)
    missing = [f"GET {u}" for r, u in urls(rules)
               if method(r) == "GET" and client.get(u).status_code == 404]
    missing += [f"GET {u} lacks {reference}" for r, u in urls(listings)
                if reference not in client.get(u).get_data(as_text=True)]
    assert missing == []


def test_a_republican_association_is_seen_everywhere_but_edited_by_the_secretariat(
        app, client, auth):
    republican = f.AssociationFactory(name="Republican centre", level=AssociationLevel.REPUBLICAN,
                                      region=f.region("KZ-75"))
    coordinator = f.user(Role.COORDINATOR, "KZ-71")
    officer = f.user(Role.SECRETARIAT)
    db.session.commit()
    auth.login(coordinator)
    assert "Republican centre" in client.get("/associations/").get_data(as_text=True)
    assert client.get(f"/associations/{republican.id}/edit").status_code == 404
    assert client.post(f"/associations/{republican.id}/active").status_code == 404
    auth.logout()
    auth.login(officer)
    assert client.get(f"/associations/{republican.id}/edit").status_code == 200
    client.post(f"/associations/{republican.id}/active")
    db.session.refresh(republican)
    assert republican.active is False


@pytest.mark.parametrize(("bin_", "ok"), [("", True), ("080540000009", None), ("123", False)])
def test_an_association_bin_is_optional_but_checked(app, client, auth, bin_, ok):
    from workflow.iin import check_digit

    if ok is None:  # build a valid BIN: 2008-05, type 4
        body = "08054000000"
        bin_, ok = body + str(check_digit(body)), True
    auth.login(f.user(Role.COORDINATOR, "KZ-75"))
    response = client.post("/associations/new", data={
        "name": "Uzbek centre", "kind": "ethno_cultural", "bin": bin_})
    assert (response.status_code == 302) is ok
