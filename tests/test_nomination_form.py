"""The nomination form: every refusal, with nothing written, and the duplicate-IIN rule."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import func, select

from tests import factories as f
from workflow.domain import Role, State
from workflow.extensions import db
from workflow.models import AuditEvent, Candidate, Document, Nomination

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
IIN = "850315400015"  # 15 March 1985, a woman (century digit 4; DESIGN.md §1)


def counts() -> tuple[int, int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(m))
                 for m in (Candidate, Nomination, Document, AuditEvent))


def form_data(association: int, **overrides) -> dict:
    data = {
        "surname": "Ахметова", "given_name": "Әсел", "patronymic": "Серікқызы", "iin": IIN,
        "birth_date": "1985-03-15", "sex": "female", "citizenship": "KZ", "ethnicity": "қазақ",
        "occupation": "School No. 5", "position": "Teacher", "phone": "", "email": "",
        "association_id": str(association),
        "justification": "Twenty years of work for inter-ethnic accord.",
        "consent_given_on": "2026-02-01", "consent_form": "written",
        "consent_scope": "The Assembly's Secretariat, for the term of membership.",
        "decision_file": (io.BytesIO(PDF), "decision.pdf"),
        "consent_file": (io.BytesIO(PNG), "consent.png"),
        "cv_file": (io.BytesIO(PDF), "cv.pdf"),
        "save_submit": "Save and submit",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def coordinator(app, auth):
    user = f.user(Role.COORDINATOR, "KZ-75")
    association = f.AssociationFactory(region=f.region("KZ-75"))
    db.session.commit()
    auth.login(user)
    auth.client.post("/language", data={"lang": "en"})  # the messages below are the English
    return user, association


def errors(response) -> str:
    import re

    body = response.get_data(as_text=True)
    return " | ".join(re.findall(r'(?:invalid-feedback[^>]*|alert-danger[^>]*)>([^<]*)', body))


def post(client, data):
    return client.post("/nominations/new", data=data, content_type="multipart/form-data")


def test_a_complete_nomination_is_submitted_with_its_documents(client, coordinator):
    _, association = coordinator
    response = post(client, form_data(association.id))
    assert response.status_code == 302, errors(response)
    nomination = db.session.scalar(select(Nomination))
    assert nomination.status == State.SUBMITTED
    assert nomination.candidate.iin == IIN and nomination.candidate.consent_form == "written"
    kinds = set(db.session.scalars(select(Document.kind)))
    assert kinds == {"decision", "consent", "cv"}
    assert [e.action for e in nomination.events] == ["create", "submit"]
    assert IIN not in response.headers["Location"]


def test_a_draft_needs_no_documents_or_consent(client, coordinator):
    _, association = coordinator
    data = form_data(association.id, decision_file=None, consent_file=None, cv_file=None,
                     consent_given_on="", consent_form="", save_submit=None,
                     save_draft="Save as draft")
    assert post(client, data).status_code == 302
    assert db.session.scalar(select(Nomination)).status == State.DRAFT


REFUSALS = {
    "bad_checksum": ({"iin": "850315400016"}, "check digit"),
    "bad_format": ({"iin": "12345"}, "twelve digits"),
    "birth_date_disagrees": ({"birth_date": "1985-03-16"}, "date of birth does not agree"),
    "sex_disagrees": ({"sex": "male"}, "sex does not agree"),
    "not_a_citizen": ({"citizenship": "other"}, "citizens of Kazakhstan"),
    # Files as bytes: each run opens its own stream (the test client closes what it sends).
    "renamed_non_pdf": ({"cv_file": (b"MZ\x90\x00 an executable", "cv.pdf")},
                        "PDF, JPEG or PNG"),
    "eleven_megabytes": ({"cv_file": (PDF + b"0" * (11 * 1024 * 1024), "cv.pdf")},
                         "larger than 10 MB"),
    "consent_date_missing": ({"consent_given_on": ""}, "when the candidate gave consent"),
    "consent_form_missing": ({"consent_form": ""}, "how the candidate gave consent"),
    "consent_document_missing": ({"consent_file": None}, "required to submit"),
    "no_association": ({"association_id": "0"}, "This field is required"),
}


@pytest.mark.parametrize("case", list(REFUSALS), ids=str)
def test_each_refusal_is_shown_and_writes_nothing(client, coordinator, case):
    _, association = coordinator
    overrides, message = REFUSALS[case]
    overrides = {k: (io.BytesIO(v[0]), v[1]) if isinstance(v, tuple) else v
                 for k, v in overrides.items()}
    before = counts()
    response = post(client, form_data(association.id, **overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert counts() == before


def test_a_file_refused_by_the_store_leaves_no_row(client, coordinator, monkeypatch):
    """Even past the form: a refusal inside the transaction rolls back everything."""
    from workflow.documents import services as documents

    _, association = coordinator
    calls = {"n": 0}
    real = documents.store

    def second_fails(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise documents.Refusal("refused")
        return real(*args, **kwargs)

    monkeypatch.setattr(documents, "store", second_fails)
    before = counts()
    assert post(client, form_data(association.id)).status_code == 422
    assert counts() == before


def test_the_same_iin_in_an_open_nomination_is_refused_with_a_link(client, coordinator):
    _, association = coordinator
    first = f.nomination(State.SUBMITTED, candidate=f.CandidateFactory(
        iin=IIN, birth_date=date(1985, 3, 15)))
    db.session.commit()
    before = counts()
    response = post(client, form_data(association.id))
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "already has a nomination in progress" in body
    assert f'href="/nominations/{first.id}"' in body
    assert counts() == before


def test_another_regions_duplicate_gets_the_message_without_a_link(client, coordinator):
    _, association = coordinator
    other = f.nomination(State.FORWARDED, region_code="KZ-71", candidate=f.CandidateFactory(
        iin=IIN, birth_date=date(1985, 3, 15), region=f.region("KZ-71")))
    db.session.commit()
    response = post(client, form_data(association.id))
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    # It says the person is known and where to ask — nothing of where, or in what state.
    assert "already registered in Tizim" in body and "Secretariat" in body
    assert "another region" not in body and other.reference_code not in body
    assert f"/nominations/{other.id}" not in body


def test_a_current_member_is_refused(client, coordinator):
    from workflow.members.services import issue_membership_in_transaction

    _, association = coordinator
    approved = f.nomination(State.APPROVED, candidate=f.CandidateFactory(
        iin=IIN, birth_date=date(1985, 3, 15)))
    issue_membership_in_transaction(approved.id)
    db.session.commit()
    response = post(client, form_data(association.id))
    assert "already a member of the Assembly" in response.get_data(as_text=True)


def test_a_person_whose_earlier_nomination_ended_may_be_nominated_again(client, coordinator):
    _, association = coordinator
    f.nomination(State.WITHDRAWN, candidate=f.CandidateFactory(
        iin=IIN, birth_date=date(1985, 3, 15)))
    db.session.commit()
    assert post(client, form_data(association.id)).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Candidate)) == 1


def test_another_regions_association_cannot_be_named(client, coordinator):
    foreign = f.AssociationFactory(region=f.region("KZ-71"))
    db.session.commit()
    response = post(client, form_data(foreign.id))
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Nomination)) == 0


def test_the_iin_is_never_in_a_url_of_the_pages(client, coordinator):
    _, association = coordinator
    post(client, form_data(association.id))
    nomination = db.session.scalar(select(Nomination))
    for url in ("/nominations/", f"/nominations/{nomination.id}", "/"):
        body = client.get(url).get_data(as_text=True)
        assert f"={IIN}" not in body and f"/{IIN}" not in body
    listing = client.get("/nominations/").get_data(as_text=True)
    assert IIN not in listing and "0015" in listing  # masked in lists
    searched = client.get(f"/nominations/?q={IIN}")
    assert searched.status_code == 302 and IIN not in searched.headers["Location"]


def test_a_returned_nomination_is_corrected_and_forwarded_again(client, coordinator):
    user, association = coordinator
    nomination = f.nomination(State.RETURNED)
    db.session.commit()
    page = client.get(f"/nominations/{nomination.id}").get_data(as_text=True)
    # The Secretariat's comment and its reasons in words, never their codes.
    assert "Returned by the Secretariat" in page and "Signed consent document" in page
    assert "consent_document" not in page
    c = nomination.candidate
    data = form_data(association.id, iin=c.iin, birth_date=c.birth_date.isoformat(),
                     sex=c.sex, surname="Corrected", save_submit=None,
                     save_draft="Save changes", version=str(nomination.version))
    response = client.post(f"/nominations/{nomination.id}/edit", data=data,
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    db.session.expire_all()
    assert nomination.candidate.surname == "Corrected"
    # Forwarding again needs a note of what was corrected.
    url = f"/nominations/{nomination.id}/actions/forward_again"
    act = {"version": str(nomination.version), "comment": ""}
    refused = client.post(url, data=act)
    assert refused.status_code == 422 and "This field is required" in refused.get_data(
        as_text=True)
    db.session.expire_all()
    assert nomination.status == State.RETURNED
    act["comment"] = "Surname corrected; consent re-attached."
    assert client.post(url, data=act).status_code == 302
    db.session.expire_all()
    assert nomination.status == State.FORWARDED
    assert nomination.events[-1].comment == "Surname corrected; consent re-attached."


def test_withdrawal_needs_a_reason_and_a_confirmation(client, coordinator):
    nomination = f.nomination(State.SUBMITTED)
    db.session.commit()
    url = f"/nominations/{nomination.id}/actions/withdraw"
    client.post(url, data={"reason": "", "confirm": "y"})
    client.post(url, data={"reason": "The association recalled him."})
    db.session.expire_all()
    assert nomination.status == State.SUBMITTED
    client.post(url, data={"reason": "The association recalled him.", "confirm": "y"})
    db.session.expire_all()
    assert nomination.status == State.WITHDRAWN
    assert nomination.events[-1].comment == "The association recalled him."


def test_the_detail_page_offers_no_session_decisions(client, coordinator):
    nomination = f.nomination(State.SUBMITTED)
    on_agenda = f.nomination(State.ON_AGENDA)
    db.session.commit()
    for n in (nomination, on_agenda):
        page = client.get(f"/nominations/{n.id}").get_data(as_text=True)
        for action in ("schedule", "support", "decline_regionally", "defer", "unschedule"):
            assert f"/actions/{action}" not in page
        response = client.post(f"/nominations/{n.id}/actions/schedule",
                               data={"version": str(n.version)})
        assert response.status_code == 422
        assert "is done through a regional session" in response.get_data(as_text=True)
    db.session.expire_all()
    assert nomination.status == State.SUBMITTED


def test_files_chosen_in_a_refused_form_are_kept_and_used_on_the_next_send(client, coordinator):
    import re
    from pathlib import Path

    user, association = coordinator
    refused = post(client, form_data(association.id, birth_date="1985-03-16"))  # disagrees
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    for name in ("decision.pdf", "consent.png", "cv.pdf"):
        assert f"Already attached: {name}" in page
    token = re.search(r'name="upload_token" type="hidden" value="([^"]+)"', page).group(1)
    # The second send corrects the date and chooses no file at all: the kept ones are used.
    again = post(client, form_data(association.id, upload_token=token, decision_file=None,
                                   consent_file=None, cv_file=None))
    assert again.status_code == 302, errors(again)
    nomination = db.session.scalar(select(Nomination))
    assert nomination.status == State.SUBMITTED
    stored = db.session.scalars(select(Document).where(Document.nomination_id == nomination.id))
    assert sorted(d.filename for d in stored) == ["consent.png", "cv.pdf", "decision.pdf"]
    # Nothing is left pending once saved.
    folder = Path(client.application.config["UPLOAD_DIR"]) / "pending" / str(user.id) / token
    assert not folder.exists()


def test_a_kept_file_can_be_replaced_and_is_only_the_users_own(client, coordinator, auth):
    import re

    _, association = coordinator
    refused = post(client, form_data(association.id, justification=""))
    token = re.search(r'name="upload_token" type="hidden" value="([^"]+)"',
                      refused.get_data(as_text=True)).group(1)
    again = post(client, form_data(association.id, upload_token=token,
                                   cv_file=(io.BytesIO(PDF), "cv-new.pdf"), justification=""))
    assert "Already attached: cv-new.pdf" in again.get_data(as_text=True)
    # Another coordinator with the same token finds nothing kept.
    auth.logout()
    other = f.user(Role.COORDINATOR, "KZ-75")
    db.session.commit()
    auth.login(other)
    client.post("/language", data={"lang": "en"})
    theirs = post(client, form_data(association.id, upload_token=token, decision_file=None,
                                    consent_file=None, cv_file=None))
    assert theirs.status_code == 422
    assert "Already attached" not in theirs.get_data(as_text=True)
    assert "required to submit" in theirs.get_data(as_text=True)


def test_a_request_over_the_size_limit_answers_with_the_form_and_says_why(app, client,
                                                                         coordinator):
    _, association = coordinator
    limit = app.config["MAX_CONTENT_LENGTH"]
    big = (io.BytesIO(b"%PDF-1.4\n" + b"0" * limit), "scan.pdf")
    response = post(client, form_data(association.id, cv_file=big))
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "at most 10 MB" in page
    assert 'name="justification"' in page  # the form itself, ready to be filled again
    # The limits the browser checks before sending (workflow/static/tizim.js).
    assert f'data-max-file-bytes="{app.config["MAX_DOCUMENT_BYTES"]}"' in page
    assert f'data-max-total-bytes="{limit}"' in page
