"""One home for the person: whoever's scope does not hold all of a person's open nominations
and memberships cannot change their record (and learns nothing of where they are); a decided
nomination keeps its person; a namesake is pointed out at entry."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from sqlalchemy import func, select
from wtforms.fields.core import UnboundField

from tests import factories as f
from workflow.candidates import services as candidates
from workflow.candidates.forms import PersonForm
from workflow.domain import Role, State
from workflow.extensions import db
from workflow.models import AuditEvent, Candidate, Nomination
from workflow.nominations.forms import NominationForm
from workflow.secretariat.forms import NominationEntryForm

IIN = "850315400015"  # valid; 15 March 1985, female
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def astana(app, client, auth, english):
    coordinator = f.user(Role.COORDINATOR, "KZ-71")
    association = f.AssociationFactory(region=f.region("KZ-71"))
    db.session.commit()
    auth.login(coordinator)
    return coordinator, association


def entry(association_id: int, **over) -> dict:
    data = {
        "surname": "Асанова", "given_name": "Айгүл", "patronymic": "", "iin": IIN,
        "birth_date": "1985-03-15", "sex": "female", "citizenship": "KZ",
        "ethnicity": "қазақ", "association_id": str(association_id),
        "justification": "Heads the Kazakh centre.", "phone": "+7 700 000 00 01",
        "email": "asanova@example.kz", "consent_form": "", "save_draft": "1",
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def almaty_person(**kw) -> Candidate:
    return f.CandidateFactory(iin=IIN, birth_date=date(1985, 3, 15), sex="female",
                              surname="Оригинал", region=f.region("KZ-75"), **kw)


def person_events(candidate: Candidate) -> int:
    return db.session.scalar(select(func.count()).where(
        AuditEvent.entity_type == "candidate", AuditEvent.entity_id == candidate.id))


@pytest.mark.parametrize("history", ["open nomination", "ended member", "active member"])
def test_another_regions_person_cannot_be_overwritten_and_nothing_is_revealed(
        client, astana, history):
    person = almaty_person()
    if history == "open nomination":
        f.nomination(State.FORWARDED, region_code="KZ-75", candidate=person)
    else:
        membership = f.membership("KZ-75", candidate=person)
        if history == "ended member":
            from workflow.register.services import end_membership_in_transaction

            end_membership_in_transaction(membership, ground="own_initiative",
                                          ended_on=membership.started_on,
                                          document_id=f.document(membership.nomination,
                                                                 "other").id)
    db.session.commit()
    before = (person.surname, person.region_id, person.phone, person_events(person))
    response = client.post("/nominations/new", data=entry(astana[1].id))
    body = response.get_data(as_text=True)
    assert response.status_code == 422, re.findall(r'invalid-feedback[^<]*<', body)
    assert "already registered in Tizim" in body and "Secretariat" in body
    for hint in ("another region", "member", "Almaty", "Алматы", "Оригинал"):
        assert hint not in body.split("<main", 1)[-1].split("</main>")[0], hint
    db.session.expire_all()
    person = db.session.get(Candidate, person.id)
    assert (person.surname, person.region_id, person.phone, person_events(person)) == before
    assert db.session.scalar(select(func.count()).where(Nomination.region_id ==
                                                        f.region("KZ-71").id)) == 0


def test_a_person_whose_nominations_elsewhere_are_closed_is_taken_over_with_an_event(
        client, astana):
    person = almaty_person()
    f.nomination(State.DECLINED_REGIONALLY, region_code="KZ-75", candidate=person)
    db.session.commit()
    assert client.post("/nominations/new", data=entry(astana[1].id)).status_code == 302
    db.session.expire_all()
    person = db.session.get(Candidate, person.id)
    assert person.surname == "Асанова" and person.region_id == f.region("KZ-71").id
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.entity_type == "candidate", AuditEvent.entity_id == person.id,
        AuditEvent.action == "update"))
    assert {"surname", "region_id", "phone"} <= set(event.changes)
    assert event.actor_id == astana[0].id


def test_the_secretariat_may_change_anyones_record(app):
    person = almaty_person()
    f.nomination(State.FORWARDED, region_code="KZ-75", candidate=person)
    officer = f.user(Role.SECRETARIAT)
    coordinator = f.user(Role.COORDINATOR, "KZ-71")
    assert candidates.can_change(officer, person)
    assert not candidates.can_change(coordinator, person)
    assert candidates.can_change(f.user(Role.COORDINATOR, "KZ-75"), person)


def supported_then_returned():
    """A nomination a regional session supported, then the Secretariat returned."""
    nomination = f.nomination(State.FORWARDED)
    officer = f.user(Role.SECRETARIAT)
    f.fire(nomination, "return", officer)
    db.session.commit()
    return nomination


def edit(client, nomination, association_id: int, **over):
    c = nomination.candidate
    data = entry(association_id, **{"iin": c.iin, "birth_date": c.birth_date.isoformat(),
                                    "sex": c.sex, "version": str(nomination.version), **over})
    return client.post(f"/nominations/{nomination.id}/edit", data=data,
                       content_type="multipart/form-data")


def test_the_iin_of_a_decided_nomination_cannot_change(client, auth, english):
    nomination = supported_then_returned()
    coordinator = f.user(Role.COORDINATOR, "KZ-75")
    db.session.commit()
    auth.login(coordinator)
    page = client.get(f"/nominations/{nomination.id}/edit").get_data(as_text=True)
    assert 'name="iin" readonly' in page or "readonly" in page.split('name="iin"', 1)[1][:200]
    person = nomination.candidate
    response = edit(client, nomination, nomination.association_id, iin=IIN,
                    birth_date="1985-03-15", sex="female")
    assert response.status_code == 422
    assert "the IIN of this nomination cannot change" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Nomination, nomination.id).candidate_id == person.id
    # The person's other details can still be corrected.
    assert edit(client, nomination, nomination.association_id,
                surname="Corrected").status_code == 302


def test_a_drafts_iin_may_change_and_the_change_is_an_event(client, auth, english):
    nomination = f.nomination(State.DRAFT)
    coordinator = f.user(Role.COORDINATOR, "KZ-75")
    db.session.commit()
    auth.login(coordinator)
    response = edit(client, nomination, nomination.association_id, iin=IIN,
                    birth_date="1985-03-15", sex="female")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    nomination = db.session.get(Nomination, nomination.id)
    assert nomination.candidate.iin == IIN
    changed = db.session.scalar(select(AuditEvent).where(
        AuditEvent.entity_type == "nomination", AuditEvent.entity_id == nomination.id,
        AuditEvent.action == "update"))
    assert "candidate_id" in changed.changes and IIN not in str(changed.data)


def test_a_namesake_is_pointed_out_before_saving(client, astana):
    twin = f.CandidateFactory(surname="Асанова", given_name="Айгүл",
                              birth_date=date(1985, 3, 15), sex="female",
                              region=f.region("KZ-75"))
    db.session.commit()
    first = client.post("/nominations/new", data=entry(astana[1].id))
    body = first.get_data(as_text=True)
    assert first.status_code == 422
    assert "another person with the same name and date of birth" in body
    assert twin.iin not in body and twin.iin[-4:] not in body  # nothing of the other person
    assert db.session.scalar(select(func.count()).select_from(Nomination)) == 0
    second = client.post("/nominations/new", data=entry(astana[1].id, namesake_checked="y"))
    assert second.status_code == 302


def fields_of(form_class) -> set[str]:
    return {name for name in dir(form_class)
            if isinstance(getattr(form_class, name), UnboundField)}


def test_both_entry_forms_are_built_on_the_one_person_form():
    person_fields = fields_of(PersonForm)
    assert {"iin", "surname", "consent_given_on"} <= person_fields
    for form in (NominationForm, NominationEntryForm):
        assert issubclass(form, PersonForm)
        assert person_fields <= fields_of(form)
        # …and no field of the person defined again below it.
        assert not any(name in vars(form) for name in person_fields)


def test_the_files_of_a_refused_entry_are_not_needed_to_refuse(client, astana):
    """A refusal of the person says so before anything is stored."""
    person = almaty_person()
    f.nomination(State.FORWARDED, region_code="KZ-75", candidate=person)
    db.session.commit()
    data = entry(astana[1].id, decision_file=(io.BytesIO(PDF), "decision.pdf"))
    response = client.post("/nominations/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    from workflow.models import Document

    assert db.session.scalar(select(func.count()).select_from(Document).where(
        Document.region_id == f.region("KZ-71").id)) == 0
