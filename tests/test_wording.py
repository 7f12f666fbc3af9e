"""The words on the pages (issue 12): numbers, states, dates, countries and shares as people say
them, in the page's language — never an id, a code or a doubled operator."""

from __future__ import annotations

import csv
import io
from datetime import date

from sqlalchemy import select

from tests import factories as f
from workflow.database import transaction
from workflow.domain import Role, State
from workflow.extensions import db
from workflow.issuing import services as issuing
from workflow.models import ChairmanOrder


def speak(client, language: str) -> None:
    client.post("/language", data={"lang": language})


def test_the_issuing_page_names_the_order_by_its_number(app, client, auth):
    officer = f.user(Role.SECRETARIAT)
    with transaction():
        approved = f.nomination(State.APPROVED)  # approved by an order the walk records
        order = db.session.scalar(select(ChairmanOrder))
        order.number, order.order_date = "2026-15", date(2026, 11, 20)
        batch = issuing.start_issuing([approved.id], order_id=order.id)
    auth.login(officer)
    speak(client, "ru")
    page = client.get(f"/issuing/{batch.id}").get_data(as_text=True)
    assert "Распоряжение Председателя № 2026-15 от 20 нояб. 2026" in page
    assert f"no. {order.id}" not in page and f"№ {order.id} " not in page


def test_the_register_export_says_the_state_in_the_readers_language(app, client, auth):
    f.membership()
    db.session.commit()
    auth.login(f.user(Role.SECRETARIAT))
    speak(client, "ru")
    rows = list(csv.reader(io.StringIO(
        client.get("/register/export.csv").get_data(as_text=True).lstrip("\ufeff"))))
    status = rows[0].index("Статус")
    assert [r[status] for r in rows[1:]] == ["Активен"]


def test_the_council_list_shows_dates_as_the_locale_writes_them(app, client, auth):
    f.council_meeting(meeting_date=date(2026, 12, 10))
    db.session.commit()
    auth.login(f.user(Role.SECRETARIAT))
    speak(client, "kk")
    page = client.get("/council/").get_data(as_text=True)
    assert "10 жел." in page and "2026-12-10" not in page.split("<tbody>")[1]


def test_open_the_verb_and_open_the_state_are_two_words(app, client, auth):
    officer = f.user(Role.SECRETARIAT)
    nomination = f.nomination(State.FORWARDED)
    other = f.user(Role.SECRETARIAT)
    with transaction():
        f.fire(nomination, "accept", other)
    auth.login(officer)
    speak(client, "kk")
    assert ">Ашық<" in client.get("/").get_data(as_text=True)          # open nominations
    notifications = client.get("/notifications/").get_data(as_text=True)
    assert "Ашу" in notifications and "Ашық" not in notifications       # open the nomination
    speak(client, "ru")
    assert "Открыть" in client.get("/notifications/").get_data(as_text=True)


def test_an_association_has_a_name_not_a_persons_name(app, client, auth):
    auth.login(f.user(Role.COORDINATOR, "KZ-75"))
    speak(client, "kk")
    page = client.get("/associations/new").get_data(as_text=True)
    assert '<label class="form-label" for="name">Атауы</label>' in page
    speak(client, "ru")
    assert '<label class="form-label" for="name">Название</label>' in client.get(
        "/associations/new").get_data(as_text=True)


def test_citizenship_is_the_countrys_name(app, client, auth):
    nomination = f.nomination(State.SUBMITTED, region_code="KZ-75")
    db.session.commit()
    auth.login(f.user(Role.COORDINATOR, "KZ-75"))
    for language, name in (("kk", "Қазақстан"), ("ru", "Казахстан")):
        speak(client, language)
        page = client.get(f"/nominations/{nomination.id}").get_data(as_text=True)
        assert f'<dd class="col-sm-8">{name}</dd>' in page
        assert '<dd class="col-sm-8">KZ</dd>' not in page


def test_a_share_is_said_once_in_words(app, client, auth, english):
    auth.login(f.user(Role.SECRETARIAT))
    page = client.get("/council/").get_data(as_text=True)
    assert "at least 2/3 of its members" in page
    assert "&gt;=" not in page and ">=" not in page.split("<main")[1]
    speak(client, "ru")
    assert "не менее 2/3" in client.get("/council/").get_data(as_text=True)
