"""The register: filters, the member page, ending a membership, and exports (masked or not)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests import factories as f
from workflow.domain import EndGround, MembershipStatus, Role, Route, State
from workflow.extensions import db
from workflow.iin import mask
from workflow.models import Membership
from workflow.refusal import Refusal
from workflow.register import services
from workflow.register.services import Filters


@pytest.fixture
def members(app):
    """Four members varied on every filter."""
    young = f.CandidateFactory(birth_date=date(2000, 5, 1), sex="female", ethnicity="орыс",
                               region=f.region("KZ-71"))
    old = f.CandidateFactory(birth_date=date(1950, 5, 1), ethnicity="корей")
    m = {
        "almaty": f.membership("KZ-75"),
        "astana_young": f.membership("KZ-71", candidate=young),
        "council_old": f.membership("KZ-75", candidate=old, route=Route.COUNCIL),
        "ended": f.membership("KZ-75"),
    }
    m["ended"].status = MembershipStatus.ENDED
    for key in ("almaty", "council_old", "ended"):
        m[key].started_on = date(2021, 1, 15)
    m["astana_young"].started_on = date(2026, 10, 1)
    db.session.commit()
    return m


def found(**kw) -> set[int]:
    return {x.id for x in services.search(f.user(Role.SECRETARIAT), Filters(**kw)).items}


def test_filters_select_what_they_say(members, app):
    m = {k: v.id for k, v in members.items()}
    today = date(2026, 11, 24)
    assert found() == {m["almaty"], m["astana_young"], m["council_old"]}  # active by default
    assert found(status="all") == set(m.values())
    assert found(region_id=f.region("KZ-71").id) == {m["astana_young"]}
    assert found(route=Route.COUNCIL) == {m["council_old"]}
    assert found(sex="female") == {m["astana_young"]}
    assert found(ethnicity="корей") == {m["council_old"]}
    assert found(since=date(2026, 9, 1)) == {m["astana_young"]}
    officer = f.user(Role.SECRETARIAT)
    assert {x.id for x in services.all_matching(officer, Filters(age_band="under_30"))} == {
        m["astana_young"]}
    assert services.birth_date_range("under_30", today) == (date(1996, 11, 25), today)
    assert found(age_band="60_plus") == {m["council_old"]}
    association = members["almaty"].nomination.association_id
    assert found(association_id=association) == {m["almaty"]}
    assert found(text=members["almaty"].member_number) == {m["almaty"]}


def test_pages_are_bounded_and_continue(members, app):
    officer = f.user(Role.SECRETARIAT)
    first = services.search(officer, Filters(status="all"), limit=3)
    assert len(first.items) == 3 and first.next_after
    rest = services.search(officer, Filters(status="all"), after=first.next_after, limit=3)
    assert len(rest.items) == 1 and rest.next_after is None


def test_the_register_export_has_the_filtered_rows_with_full_iins(members, client, auth):
    auth.login(f.user(Role.SECRETARIAT))
    region = f.region("KZ-75").id
    response = client.get(f"/register/export.csv?region={region}")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    numbers = {r[0] for r in rows[1:]}
    assert numbers == {members["almaty"].member_number, members["council_old"].member_number}
    iins = {r[4] for r in rows[1:]}
    assert iins == {members["almaty"].candidate.iin, members["council_old"].candidate.iin}

    xlsx = client.get("/register/export.xlsx?sex=female")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 2 and values[1][0] == members["astana_young"].member_number
    assert values[1][4] == members["astana_young"].candidate.iin  # text, whole


def test_queue_exports_are_full_for_the_secretariat_masked_and_scoped_for_a_coordinator(
        app, client, auth):
    here = f.nomination(State.FORWARDED, region_code="KZ-75")
    there = f.nomination(State.FORWARDED, region_code="KZ-71")
    auth.login(f.user(Role.SECRETARIAT))
    rows = list(csv.reader(io.StringIO(
        client.get("/exports/queues/forwarded.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert {r[3] for r in rows[1:]} == {here.candidate.iin, there.candidate.iin}
    auth.logout()

    auth.login(f.user(Role.COORDINATOR, "KZ-75"))
    body = client.get("/exports/queues/forwarded.xlsx").data
    values = list(load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))
    assert [v[0] for v in values[1:]] == [here.reference_code]  # own region only
    assert values[1][3] == mask(here.candidate.iin)
    assert here.candidate.iin.encode() not in body
    assert client.get("/register/export.csv").status_code == 403


def test_the_member_page_shows_the_basis_order_and_history(app, client, auth):
    from workflow.models import ChairmanOrder
    from workflow.orders import services as orders

    officer = f.user(Role.SECRETARIAT)
    nom = f.nomination(State.RECOMMENDED)
    db.session.commit()
    order = orders.record_order(officer, number="45-р", order_date=date(2026, 12, 5),
                                document=f.pdf(), decisions={nom.id: "approve"})
    [membership] = orders.memberships_of_order(order.id).values()
    auth.login(officer)
    page = client.get(f"/register/{membership.id}").get_data(as_text=True)
    assert "45-р" in page and membership.member_number in page
    assert nom.candidate.iin in page
    assert db.session.get(ChairmanOrder, order.id).items[0].nomination_id == nom.id


def test_ending_a_membership_takes_a_ground_a_date_and_a_document(app, client, auth):
    member = f.membership()
    auth.login(f.user(Role.SECRETARIAT))
    refused = client.post(f"/register/{member.id}/end", content_type="multipart/form-data",
                          data={"ground": EndGround.OWN_INITIATIVE, "ended_on": "2026-12-01"})
    assert refused.status_code == 302
    db.session.expire_all()
    assert db.session.get(Membership, member.id).status == MembershipStatus.ACTIVE

    client.post(f"/register/{member.id}/end", content_type="multipart/form-data",
                data={"ground": EndGround.OWN_INITIATIVE, "ended_on": member.started_on.isoformat(),
                      "document": f.pdf("statement.pdf"), "comment": "Statement of 1 Dec."})
    db.session.expire_all()
    ended = db.session.get(Membership, member.id)
    assert ended.status == MembershipStatus.ENDED and ended.end_ground == "own_initiative"
    assert ended.end_document_id is not None

    again = Refusal
    with pytest.raises(again):
        services.end_membership_in_transaction(ended, ground="death", ended_on=date.today(),
                                               document_id=ended.end_document_id)


def test_a_membership_does_not_end_before_it_started(app):
    member = f.membership()
    with pytest.raises(Refusal):
        services.end_membership_in_transaction(member, ground="death", ended_on=date(2000, 1, 1),
                                               document_id=1)
    assert db.session.scalar(select(Membership.status)) == MembershipStatus.ACTIVE
