"""Scope, generated from the route list: another region's objects are 404 on every route.

Every route a coordinator may open that takes an object id is requested by the coordinator of
another region; a route whose id argument this test cannot build fails it, so a new route
is covered the day it is added.
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from tests import factories as f
from workflow.account import tokens
from workflow.documents.services import store
from workflow.domain import AssociationLevel, DocumentKind, Role, State
from workflow.extensions import db
from workflow.models import CouncilMeeting, Membership, Nomination, PaperKind
from workflow.papers.services import request_paper
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
    paper = request_paper(f.user(Role.SECRETARIAT), PaperKind.SESSION_AGENDA, session.id, "kk")
    db.session.commit()
    token, _plain = tokens.create(f.user(Role.COORDINATOR, code), "a system", 30)
    return {"token_id": token.id,"nomination_id": nomination.id, "session_id": session.id,
            "association_id": association.id, "document_id": document.id,
            "membership_id": membership.id, "member_nomination_id": membership.nomination_id,
            "action": "withdraw", "kind": PaperKind.SESSION_AGENDA, "subject_id": session.id,
            "paper_id": paper.id}


# Arguments that choose a listing, not an object: such routes must answer, but show none of
# the other region's rows (checked by the nomination's reference code).
LISTING_ARGUMENTS = {"state": "draft", "fmt": "csv"}
# Pages of counts, not rows: no nomination is named on them (their scope: test_composition.py).
COUNTS_ONLY = {"register.composition", "register.composition_export"}


def coordinator_routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        permission = getattr(app.view_functions[rule.endpoint], "permission", None)
        if permission and Role.COORDINATOR in PERMISSIONS[permission] and rule.arguments:
            yield rule


def method(rule) -> str:
    return "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]


def test_another_regions_objects_are_404_on_every_route(app, client, auth):
    from flask import url_for

    from workflow.models import Notification

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
    member_number = db.session.get(Membership, ids["membership_id"]).member_number

    def shown(rule) -> str:
        """What a listing of the region shows: its nominations, or (the members' export) its
        members."""
        return member_number if rule.endpoint == "register.export_members" else reference

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
    leaks += [f"GET {u} shows {shown(r)}" for r, u in urls(listings)
              if shown(r) in client.get(u).get_data(as_text=True)]
    assert leaks == []

    # The same requests by the region's own coordinator find the objects: the test can fail.
    auth.logout()
    auth.login(owner)
    missing = [f"GET {u}" for r, u in urls(rules)
               if method(r) == "GET" and client.get(u).status_code == 404]
    missing += [f"GET {u} lacks {shown(r)}" for r, u in urls(listings)
                if r.endpoint not in COUNTS_ONLY
                and shown(r) not in client.get(u).get_data(as_text=True)]
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


# --- One scope function, generated from the models. -------------------------------------------


def rows_of_region(code: str) -> dict[type, int]:
    """One row of every region-scoped model in region ``code``."""
    from workflow.models import (
        Association,
        Candidate,
        Document,
        IssuedPaper,
        Membership,
        Nomination,
        RegionalSession,
        SessionItem,
    )

    on_agenda = f.nomination(State.ON_AGENDA, region_code=code)
    membership = f.membership(code)
    item = db.session.scalar(select(SessionItem).where(
        SessionItem.nomination_id == on_agenda.id))
    document = db.session.scalar(select(Document).where(
        Document.nomination_id == on_agenda.id).limit(1))
    paper = request_paper(f.user(Role.COORDINATOR, code), PaperKind.SESSION_AGENDA,
                          item.session_id, "kk")
    db.session.flush()
    return {Association: on_agenda.association_id, Candidate: on_agenda.candidate_id,
            Nomination: on_agenda.id, Membership: membership.id, Document: document.id,
            RegionalSession: item.session_id, SessionItem: item.id, IssuedPaper: paper.id}


def mapped_models() -> list[type]:
    return sorted((m.class_ for m in db.Model.registry.mappers), key=lambda c: c.__name__)


def test_every_model_says_whose_rows_it_holds(app):
    from workflow.models import RowScope

    for model in mapped_models():
        scope = getattr(model, "__scope__", None)
        assert isinstance(scope, RowScope), f"{model.__name__} needs a __scope__"
        if scope == RowScope.REGION:
            assert callable(getattr(model, "in_region", None)), model.__name__
        if scope == RowScope.OWN:
            assert callable(getattr(model, "owned_by", None)), model.__name__


def test_the_region_rows_cover_every_region_model(app):
    from workflow.models import RowScope

    region_models = {m for m in mapped_models() if m.__scope__ == RowScope.REGION}
    assert set(rows_of_region("KZ-75")) == region_models


def test_a_coordinator_sees_no_row_of_another_region_in_any_model(app):
    from workflow.permissions import scoped, visible

    rows = rows_of_region("KZ-75")
    owner, outsider = f.user(Role.COORDINATOR, "KZ-75"), f.user(Role.COORDINATOR, "KZ-71")
    officer, member = f.user(Role.SECRETARIAT), f.user(Role.MEMBER)
    db.session.commit()
    for model, row_id in rows.items():
        name = model.__name__
        assert visible(outsider, model, row_id) is None, name
        assert row_id not in set(db.session.scalars(scoped(select(model.id), outsider, model)))
        assert visible(owner, model, row_id) is not None, name
        assert visible(officer, model, row_id) is not None, name
        assert visible(member, model, row_id) is None, name  # not their own


def test_national_rows_are_the_national_roles_own(app):
    from workflow.models import RowScope
    from workflow.permissions import scoped

    coordinator, officer = f.user(Role.COORDINATOR, "KZ-75"), f.user(Role.SECRETARIAT)
    f.council_meeting()
    db.session.commit()
    for model in mapped_models():
        if model.__scope__ != RowScope.NATIONAL:
            continue
        stmt = scoped(select(model), coordinator, model)
        assert "false" in str(stmt.compile(compile_kwargs={"literal_binds": True})).lower(), (
            model.__name__)
    assert db.session.scalars(scoped(select(CouncilMeeting), officer)).first() is not None


@pytest.mark.parametrize("argument", ["session", "association"])
def test_another_regions_id_in_a_filter_is_404(app, client, auth, argument):
    rows = rows_of_region("KZ-75")
    from workflow.models import Association, RegionalSession

    target = rows[RegionalSession if argument == "session" else Association]
    owner, outsider = f.user(Role.COORDINATOR, "KZ-75"), f.user(Role.COORDINATOR, "KZ-71")
    db.session.commit()
    auth.login(outsider)
    assert client.get(f"/nominations/?{argument}={target}").status_code == 404
    assert client.get(f"/nominations/?{argument}=2147483647").status_code == 404
    auth.logout()
    auth.login(owner)
    page = client.get(f"/nominations/?{argument}={target}")
    assert page.status_code == 200


def test_the_coordinator_who_owns_an_association_can_open_its_edit_page(app, client, auth):
    """The edit page answered 500 to its owner: the coordinator's form has no region field."""
    owner = f.user(Role.COORDINATOR, "KZ-75")
    association = f.AssociationFactory(region=f.region("KZ-75"), name="Uzbek centre")
    db.session.commit()
    auth.login(owner)
    page = client.get(f"/associations/{association.id}/edit")
    assert page.status_code == 200 and "Uzbek centre" in page.get_data(as_text=True)
    saved = client.post(f"/associations/{association.id}/edit",
                        data={"name": "Uzbek cultural centre", "kind": "ethno_cultural"})
    assert saved.status_code == 302
    db.session.refresh(association)
    assert association.name == "Uzbek cultural centre"
