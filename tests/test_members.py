"""A member sees their own membership and certificate, and nobody else's."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from pypdf import PdfReader

from tests import factories as f
from workflow.auth.services import set_password
from workflow.domain import Role, State
from workflow.extensions import db

KAZAKH_LETTERS = "әғқңөұүһі"


@pytest.fixture(autouse=True)
def english(client):
    """Assert on the English source strings, whatever the default language."""
    client.set_cookie("lang", "en")


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def two_members(app):
    """Two members of different regions, each able to log in."""
    mine = f.membership(region_code="KZ-75")
    theirs = f.membership(region_code="KZ-71")
    for m in (mine, theirs):
        set_password(m.user, f.PASSWORD)
    db.session.commit()
    return SimpleNamespace(mine=mine, theirs=theirs)


def test_member_home_shows_the_membership_and_its_history(client, auth, two_members):
    mine = two_members.mine
    auth.login(mine.user)
    html = client.get("/").get_data(as_text=True)
    assert mine.member_number in html
    assert mine.region.name_en in html
    assert mine.nomination.association.name in html
    assert "timeline" in html and "Approved by the Chairman" in html
    assert two_members.theirs.member_number not in html
    assert mine.candidate.iin not in html
    assert client.get(f"/members/{mine.id}").status_code == 200


def test_member_cannot_reach_another_members_page_or_certificate(client, auth, two_members):
    auth.login(two_members.mine.user)
    other = two_members.theirs.id
    assert client.get(f"/members/{other}").status_code == 404
    assert client.get(f"/members/{other}/certificate.pdf").status_code == 404
    assert client.get(f"/members/{two_members.mine.id}/certificate.pdf").status_code == 200


def test_staff_see_members_in_their_scope_only(client, auth, two_members):
    auth.login(f.user(Role.COORDINATOR, "KZ-75"))
    mine = two_members.mine
    assert client.get(f"/members/{mine.id}").status_code == 200
    assert client.get(f"/members/{two_members.theirs.id}").status_code == 404
    # From the nomination's page to the membership issued from it.
    assert f"/members/of-nomination/{mine.nomination_id}" in client.get(
        f"/nominations/{mine.nomination_id}").get_data(as_text=True)
    assert client.get(f"/members/of-nomination/{mine.nomination_id}"
                      ).headers["Location"] == f"/members/{mine.id}"
    assert client.get(f"/members/of-nomination/{two_members.theirs.nomination_id}"
                      ).status_code == 404
    auth.logout()
    auth.login(f.user(Role.SECRETARIAT))
    assert client.get(f"/members/{two_members.theirs.id}").status_code == 200
    # Only the Secretariat invites; a member never.
    auth.logout()
    auth.login(two_members.mine.user)
    assert client.post(f"/members/{two_members.mine.id}/invite").status_code == 403


def test_certificate_prints_kazakh_and_russian_with_the_kazakh_letters(client, auth, two_members):
    mine = two_members.mine
    auth.login(mine.user)
    response = client.get(f"/members/{mine.id}/certificate.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    missing = [letter for letter in KAZAKH_LETTERS if letter not in text]
    assert missing == [], f"not in the certificate's text: {missing}"
    assert "МҮШЕЛІК КУӘЛІГІ" in text and "УДОСТОВЕРЕНИЕ" in text
    assert mine.member_number in text and mine.candidate.full_name in text
    assert mine.candidate.iin not in text


def test_certificate_embeds_its_font(client, auth, two_members):
    auth.login(two_members.mine.user)
    reader = PdfReader(io.BytesIO(client.get(f"/members/{two_members.mine.id}/certificate.pdf").data))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    descriptors = [font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
                   for font in fonts.values()]
    assert descriptors and all("/FontFile2" in d for d in descriptors)
    assert all("DejaVu" in str(d["/FontName"]) for d in descriptors)


def test_basis_shows_the_chairmans_order_when_the_membership_has_one(app, two_members):
    from datetime import date

    from workflow.members.services import basis
    from workflow.orders import services as orders

    # Every membership rests on the order that approved it, from that order's date.
    mine = basis(two_members.mine)
    assert mine["number"] and mine["date"] == two_members.mine.started_on
    officer = f.user(Role.SECRETARIAT)
    nomination = f.nomination(State.RECOMMENDED)
    order = orders.record_order(officer, number="47", order_date=date(2026, 12, 20),
                                document=f.pdf("order.pdf"), decisions={nomination.id: "approve"})
    (membership,) = orders.memberships_of_order(order.id).values()
    assert basis(membership) == {"number": "47", "date": date(2026, 12, 20)}


def test_member_without_membership_sees_a_helpful_page(client, auth, app):
    user = f.user(Role.MEMBER)
    auth.login(user)
    response = client.get("/")
    assert response.status_code == 200 and b"No membership is linked" in response.data
