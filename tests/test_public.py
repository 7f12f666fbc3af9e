"""The nominee's status check and the acknowledgement: the stage to the nominee, nothing to others."""

from __future__ import annotations

import io
import re
from datetime import date
from types import SimpleNamespace

import pytest
from pypdf import PdfReader

from tests import factories as f
from workflow.domain import Role, State
from workflow.extensions import db
from workflow.public.services import normalise_code

MISS = b"We found no nomination with this code and date of birth"


@pytest.fixture(autouse=True)
def english(client):
    """Assert on the English source strings, whatever the default language."""
    client.set_cookie("lang", "en")


@pytest.fixture
def nominations(app):
    """Two submitted nominations of different people, born on different days."""
    mine = f.nomination(State.SUBMITTED, candidate=f.CandidateFactory(birth_date=date(1985, 3, 15)))
    other = f.nomination(State.UNDER_REVIEW, region_code="KZ-71",
                         candidate=f.CandidateFactory(birth_date=date(1990, 7, 1),
                                                      region=f.region("KZ-71")))
    db.session.commit()
    return SimpleNamespace(mine=mine, other=other)


def check(client, code: str, born: date | str):
    born = born.isoformat() if isinstance(born, date) else born
    return client.post("/status", data={"code": code, "birth_date": born})


def test_normalise_code():
    assert normalise_code(" acde 7349 ") == "ACDE-7349"
    assert normalise_code("ACDE7349") == "ACDE-7349"
    assert normalise_code("acde-7349") == "ACDE-7349"
    assert normalise_code("ab") == "AB"


def test_nominee_sees_the_stage_since_when_and_what_next(client, nominations):
    mine = nominations.mine
    spelled = mine.reference_code.replace("-", " ").lower()
    response = check(client, spelled, date(1985, 3, 15))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="status-result"' in html
    assert "waiting for a session of the regional assembly" in html
    assert "The regional assembly will consider it" in html
    # Never the IIN, never the name, never another person's data.
    candidate = mine.candidate
    for secret in (candidate.iin, candidate.surname, candidate.given_name,
                   nominations.other.candidate.surname):
        assert secret not in html
    assert response.headers["Cache-Control"] == "no-store"


def test_every_miss_looks_the_same(client, nominations):
    mine, other = nominations.mine, nominations.other
    misses = {
        "wrong code": ("QQQQ-QQQQ", date(1985, 3, 15)),
        "wrong birth date": (mine.reference_code, date(1985, 3, 16)),
        "another nomination's pair": (mine.reference_code, other.candidate.birth_date),
        "a malformed code": ("'; drop", date(1985, 3, 15)),
    }
    pages = {}
    for why, (code, born) in misses.items():
        response = check(client, code, born)
        assert response.status_code == 200, why
        assert MISS in response.data, why
        assert b"status-result" not in response.data, why
        # The same page, but for the values the person typed in the form.
        pages[why] = re.sub(r'value="[^"]*"', 'value=""', response.get_data(as_text=True))
    assert len(set(pages.values())) == 1


def test_the_form_is_posted_and_the_get_shows_no_result(client, nominations):
    code = nominations.mine.reference_code
    response = client.get(f"/status?code={code}&birth_date=1985-03-15")
    assert response.status_code == 200
    assert b"status-result" not in response.data and MISS not in response.data


def test_status_check_is_limited_per_code(limited, nominations):
    client = limited.test_client()
    client.set_cookie("lang", "en")
    code = nominations.mine.reference_code
    spellings = [code, code.replace("-", ""), code.lower()]
    for spelled in spellings:  # one code, however it is typed: 3 per hour
        assert check(client, spelled, date(1970, 1, 1)).status_code == 200
    blocked = check(client, code.replace("-", " "), date(1985, 3, 15))
    assert blocked.status_code == 429
    assert b"Try again after" in blocked.data
    assert b"status-result" not in blocked.data
    # Other codes are still answered from this address, until the address limit.
    assert check(client, nominations.other.reference_code, date(1970, 1, 1)).status_code == 200


def test_status_check_is_limited_per_address(limited, app):
    client = limited.test_client()
    client.set_cookie("lang", "en")
    codes = [f"ACDE-{n:04d}" for n in range(7)]
    answers = [check(client, code, date(1970, 1, 1)).status_code for code in codes]
    assert answers == [200] * 6 + [429]


# --- The acknowledgement. -----------------------------------------------------------------------


def test_acknowledgement_holds_the_code_and_no_iin(client, auth, nominations):
    mine = nominations.mine
    auth.login(f.user(Role.COORDINATOR, "KZ-75"))
    response = client.get(f"/nominations/{mine.id}/acknowledgement.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert mine.reference_code in text
    assert mine.candidate.full_name in text
    assert "/status" in text
    assert mine.candidate.iin not in text.replace(" ", "")
    assert "Кандидатураның ұсынылғаны туралы растама" in text
    assert "Подтверждение о выдвижении кандидатуры" in text


def test_acknowledgement_is_for_staff_in_scope(client, auth, nominations):
    other = nominations.other  # KZ-71
    auth.login(f.user(Role.COORDINATOR, "KZ-75"))
    assert client.get(f"/nominations/{other.id}/acknowledgement.pdf").status_code == 404
    auth.logout()
    auth.login(f.user(Role.SECRETARIAT))
    assert client.get(f"/nominations/{other.id}/acknowledgement.pdf").status_code == 200
    auth.logout()
    auth.login(f.user(Role.MEMBER))
    assert client.get(f"/nominations/{other.id}/acknowledgement.pdf").status_code == 403


def test_acknowledgement_waits_for_submission(client, auth, app):
    draft = f.nomination(State.DRAFT)
    auth.login(f.user(Role.COORDINATOR, "KZ-75"))
    response = client.get(f"/nominations/{draft.id}/acknowledgement.pdf")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/nominations/{draft.id}")


def test_a_member_sees_the_date_of_the_order_everywhere_not_the_day_it_was_typed_in(
        app, client, auth):
    """The order's date is the date its memberships start: /status, the member's page and the
    certificate's facts say that one date, whenever Tizim recorded the order or issued it."""
    from flask_babel import format_date

    from workflow.models import ChairmanOrder, PaperKind
    from workflow.papers.content import facts

    membership = f.membership(candidate=f.CandidateFactory(birth_date=date(1985, 3, 15)))
    order = db.session.get(ChairmanOrder, membership.order_id)
    db.session.commit()
    assert membership.started_on == order.order_date != date.today()
    with app.test_request_context():
        from flask_babel import force_locale

        with force_locale("en"):
            said, short = format_date(order.order_date, "long"), format_date(order.order_date)
    page = check(client, membership.nomination.reference_code, date(1985, 3, 15))
    assert f"Since {said}" in page.get_data(as_text=True)
    assert facts(PaperKind.CERTIFICATE, membership)["started_on"] == order.order_date.isoformat()
    auth.login(f.user(Role.SECRETARIAT))
    member_page = client.get(f"/register/{membership.id}").get_data(as_text=True)
    assert f"Member since</dt><dd class=\"col-sm-8\">{short}</dd>" in member_page


def test_the_start_page_says_what_tizim_is_with_the_login_and_the_status_check(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "the register of members and nominations" in html
    assert 'action="/auth/login"' in html and 'name="password"' in html
    assert 'action="/status"' in html and 'name="code"' in html and 'name="birth_date"' in html
    assert "Please log in" not in html
