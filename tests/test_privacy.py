"""Personal data for as long as the purpose lasts (Law No. 94-V): consent withdrawn withdraws
the open nomination; the daily job, run over a clock moved forward, destroys what reached its
end — nothing personal remains in the database or the documents store — and records it; the
audit chain still verifies; the subject-access export holds everything about one person."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from tests import factories as f
from workflow import audit, pipeline, validators
from workflow.candidates.services import withdraw_consent
from workflow.database import transaction
from workflow.domain import DocumentKind, EndGround, Role, State
from workflow.extensions import db
from workflow.models import (
    AuditEvent,
    Candidate,
    DestructionRecord,
    Document,
    IssuedPaper,
    Membership,
    Nomination,
)
from workflow.privacy import services as privacy
from workflow.refusal import Refusal
from workflow.register.services import end_membership_in_transaction

TODAY = date.today()  # set again before each test (the fixture below)


@pytest.fixture(autouse=True)
def _the_assemblys_today(app):
    """Today as the code reads it (``validators.today``: the Assembly's calendar), read for
    each test: a module-level ``date.today()`` is the server's UTC date, another day in Astana
    from 19:00 UTC, and a run that crosses midnight would compare with yesterday."""
    global TODAY
    TODAY = validators.today()


def person(n: int, region: str = "KZ-75") -> Candidate:
    """A candidate with a name and contacts found nowhere else (so a scan can look for them)."""
    return f.CandidateFactory(region=f.region(region), surname=f"Жоғалтбаев{n}qz",
                              given_name=f"Есім{n}qz", phone=f"+7 701 555 {n:04d}",
                              email=f"person{n}qz@mail.kz")


def personal_values(candidate: Candidate) -> list[str]:
    return [candidate.iin, candidate.surname, candidate.given_name, candidate.email,
            candidate.phone]


def database_text() -> str:
    """Every value of every row of every table, as text."""
    parts = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).all():
            parts.append(" ".join(str(v) for v in row))
    return "\n".join(parts)


def store_bytes(app) -> bytes:
    root = Path(app.config["UPLOAD_DIR"])
    return b"\n".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


def files_of(document_ids) -> list[Path]:
    from workflow.documents.services import storage_path

    return [storage_path(d) for d in db.session.scalars(
        select(Document).where(Document.id.in_(document_ids)))]


def test_withdrawing_consent_withdraws_the_open_nomination(app):
    nomination = f.nomination(State.SUBMITTED)
    officer = f.user(Role.SECRETARIAT)
    db.session.commit()
    with transaction(actor=officer):
        withdraw_consent(officer, nomination.candidate, withdrawn_on=TODAY - timedelta(days=1),
                         document=f.pdf("withdrawal.pdf"))
    db.session.expire_all()
    assert nomination.status == State.WITHDRAWN
    event = nomination.events[-1]
    assert (event.action, event.to_status) == ("withdraw_consent", "withdrawn")
    document = db.session.get(Document, event.data["document_id"])
    assert document.kind == DocumentKind.WITHDRAWAL and document.nomination_id == nomination.id
    candidate = nomination.candidate
    assert candidate.consent_withdrawn_on == TODAY - timedelta(days=1)
    assert candidate.consent_withdrawal_document_id == document.id
    assert audit.verify()[1] is None
    with pytest.raises(Refusal) as refused, transaction(actor=officer):
        withdraw_consent(officer, candidate, withdrawn_on=TODAY, document=f.pdf())
    assert refused.value.code == "wrong_state"


def test_the_channel_is_the_withdrawal_record(app):
    nomination = f.nomination(State.SUBMITTED)
    officer = f.user(Role.SECRETARIAT)
    with pytest.raises(Refusal) as refused:
        pipeline.apply(nomination, "withdraw_consent", officer, channel=pipeline.Channel.FORM,
                       data={"withdrawn_on": TODAY, "document_id": 1})
    assert refused.value.code == "wrong_channel"
    with pytest.raises(Refusal) as refused:  # no signed withdrawal on file
        pipeline.apply(nomination, "withdraw_consent", officer,
                       channel=pipeline.Channel.CONSENT_WITHDRAWAL,
                       data={"withdrawn_on": TODAY, "document_id": 10**6})
    assert refused.value.code == "guard"


def test_a_coordinator_of_another_region_cannot_withdraw_and_nothing_changes(app):
    nomination = f.nomination(State.SUBMITTED, region_code="KZ-75")
    other = f.user(Role.COORDINATOR, "KZ-71")
    db.session.commit()
    documents_before = db.session.scalar(select(Document.id).order_by(Document.id.desc()))
    with pytest.raises(Refusal), transaction(actor=other):
        withdraw_consent(other, nomination.candidate, withdrawn_on=TODAY, document=f.pdf())
    db.session.expire_all()
    assert nomination.status == State.SUBMITTED
    assert nomination.candidate.consent_withdrawn_on is None
    assert db.session.scalar(select(Document.id).order_by(Document.id.desc())) == documents_before


@pytest.fixture
def people(app):
    """People at every end, and two whose purpose lasts (a member, a nomination in progress)."""
    coordinator = f.user(Role.COORDINATOR, "KZ-75")
    officer = f.user(Role.SECRETARIAT)
    declined = f.nomination(State.DECLINED_REGIONALLY, candidate=person(1))
    withdrawn = f.nomination(State.SUBMITTED, candidate=person(2))
    pipeline.apply(withdrawn, "withdraw", coordinator, channel=pipeline.Channel.FORM,
                   comment=f"{withdrawn.candidate.surname} has moved abroad.")
    ended = f.membership("KZ-75", candidate=person(3))
    end_membership_in_transaction(ended, ground=EndGround.OWN_INITIATIVE, ended_on=TODAY,
                                  document_id=f.document(ended.nomination, "other").id,
                                  comment=f"Letter of {ended.candidate.surname}", actor=officer)
    # The member's own paper (a certificate) is in the store too.
    key = "ab" + "0" * 30
    paper_file = Path(app.config["UPLOAD_DIR"]) / "papers" / key[:2] / key
    paper_file.parent.mkdir(parents=True, exist_ok=True)
    paper_file.write_bytes(f"certificate of {ended.candidate.surname}".encode())
    db.session.add(IssuedPaper(code="ABCDEFHJKMNP", kind="certificate", subject_id=ended.id,
                               language="kk", number=ended.member_number, facts_digest="0" * 64,
                               summary={"name": ended.candidate.full_name}, status="ready",
                               storage_key=key))
    member = f.membership("KZ-75", candidate=person(4))
    open_ = f.nomination(State.SUBMITTED, candidate=person(5))
    db.session.commit()
    return {"declined": declined.candidate, "withdrawn": withdrawn.candidate,
            "ended": ended.candidate, "member": member.candidate, "open": open_.candidate,
            "paper_file": paper_file}


def snapshot(candidate: Candidate) -> dict:
    return {"values": personal_values(candidate), "documents": [d.id for d in db.session.scalars(
        select(Document).join(Nomination, Document.nomination_id == Nomination.id)
        .where(Nomination.candidate_id == candidate.id))]}


def test_the_daily_job_destroys_what_reached_its_end_and_nothing_else(app, people):
    days = app.config["RETENTION_DAYS"]
    before = {k: snapshot(c) for k, c in people.items() if isinstance(c, Candidate)}
    files = {k: files_of(v["documents"]) for k, v in before.items()}
    assert all(p.exists() for paths in files.values() for p in paths)

    # The day before the first period runs out: nothing.
    assert privacy.destroy_due(TODAY + timedelta(days=days["withdrawn"] - 1)) == 0
    # The day it runs out: the declined and the withdrawn nominations' people.
    assert privacy.destroy_due(TODAY + timedelta(days=days["withdrawn"])) == 2
    db.session.expire_all()
    everything = database_text()
    stored = store_bytes(app)
    for key in ("declined", "withdrawn"):
        for value in before[key]["values"]:
            assert value not in everything, (key, "database")
            assert value.encode() not in stored, (key, "store")
        assert not any(p.exists() for p in files[key])
        assert people[key].erased_at is not None
    for key in ("ended", "member", "open"):  # their purpose lasts, or its period does
        assert people[key].erased_at is None
        assert all(value in everything for value in before[key]["values"])
        assert all(p.exists() for p in files[key])
    # Running again the same day finds nothing more.
    assert privacy.destroy_due(TODAY + timedelta(days=days["withdrawn"])) == 0

    # The ended membership's period.
    assert privacy.destroy_due(TODAY + timedelta(days=days["membership_ended"])) == 1
    db.session.expire_all()
    everything = database_text()
    stored = store_bytes(app)
    for value in before["ended"]["values"]:
        assert value not in everything and value.encode() not in stored
    assert not any(p.exists() for p in files["ended"])
    assert not people["paper_file"].exists()
    assert db.session.scalar(select(IssuedPaper)) is None
    ended = db.session.scalar(select(Membership).where(
        Membership.candidate_id == people["ended"].id))
    assert ended.status == "ended" and ended.end_comment is None  # what happened stays
    for key in ("member", "open"):
        assert all(value in everything for value in before[key]["values"])

    # What happened stays, without who; the destruction is recorded; the chain holds.
    records = db.session.scalars(select(DestructionRecord).order_by(DestructionRecord.id)).all()
    assert [(r.ground, r.outcome) for r in records] == [
        ("nomination_closed", "declined_regionally"), ("nomination_closed", "withdrawn"),
        ("membership_ended", "membership_ended")]
    assert records[1].destroyed["comments_erased"] >= 1
    withdrawn = db.session.scalar(select(Nomination).where(
        Nomination.candidate_id == people["withdrawn"].id))
    assert withdrawn.status == State.WITHDRAWN
    assert [e.action for e in withdrawn.events][-2:] == ["withdraw", "erase"]
    checked, broken = audit.verify()
    assert broken is None, str(broken)


def test_consent_withdrawn_shortens_the_period(app):
    nomination = f.nomination(State.SUBMITTED, candidate=person(7))
    officer = f.user(Role.SECRETARIAT)
    db.session.commit()
    values = personal_values(nomination.candidate)
    with transaction(actor=officer):
        withdraw_consent(officer, nomination.candidate, withdrawn_on=TODAY, document=f.pdf())
    days = app.config["RETENTION_DAYS"]["consent_withdrawn"]
    assert privacy.destroy_due(TODAY + timedelta(days=days - 1)) == 0
    assert privacy.destroy_due(TODAY + timedelta(days=days)) == 1
    record = db.session.scalar(select(DestructionRecord))
    assert record.ground == "consent_withdrawn" and record.retention_days == days
    everything, stored = database_text(), store_bytes(app)
    assert not [v for v in values if v in everything or v.encode() in stored]
    assert audit.verify()[1] is None


def test_an_erased_comment_is_accepted_only_where_an_erasure_names_it(app, people):
    event_id = db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "withdraw"))
    db.session.execute(update(AuditEvent).where(AuditEvent.id == event_id)
                       .values(comment="someone else moved abroad"))
    db.session.commit()
    assert audit.verify()[1].problem == "changed"  # the digest no longer matches
    db.session.execute(update(AuditEvent).where(AuditEvent.id == event_id)
                       .values(comment="", comment_salt=None))
    db.session.commit()
    assert audit.verify()[1].problem == "changed"  # blanked, but by no recorded erasure


def test_the_subject_access_export_holds_everything_about_the_person(app, people):
    candidate = people["ended"]
    export = privacy.subject_access(candidate)
    assert export["person"]["iin"] == candidate.iin
    assert export["person"]["surname"] == candidate.surname
    assert export["consent"]["consent_form"] == "written"
    assert export["memberships"][0]["end_comment"].startswith("Letter of")
    assert export["nominations"][0]["documents"]
    assert [h["action"] for h in export["nominations"][0]["history"]][:2] == ["create", "submit"]
    json.dumps(export)  # plain data
    assert other_people_absent(export, people, candidate)


def other_people_absent(export: dict, people: dict, candidate: Candidate) -> bool:
    dumped = json.dumps(export, ensure_ascii=False)
    return all(other.surname not in dumped for other in people.values()
               if isinstance(other, Candidate) and other.id != candidate.id)


def test_the_secretariat_finds_a_person_and_exports_everything(app, client, auth, people):
    from pypdf import PdfReader

    officer = f.user(Role.SECRETARIAT)
    auth.login(officer)
    candidate = people["ended"]
    found = client.post("/privacy/", data={"iin": candidate.iin})
    assert found.status_code == 302 and candidate.iin not in found.headers["Location"]
    page = client.get(found.headers["Location"], headers={"Accept-Language": "ru"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and candidate.surname in html and candidate.iin not in html
    exported = client.get(f"/privacy/people/{candidate.id}/export.json")
    assert exported.headers["Cache-Control"] == "private, no-store"
    data = json.loads(exported.get_data())
    assert data["person"]["iin"] == candidate.iin
    assert data["memberships"][0]["member_number"]
    paper = client.get(f"/privacy/people/{candidate.id}/export.pdf")
    assert paper.headers["Content-Type"] == "application/pdf"
    words = "".join(p.extract_text() for p in PdfReader(io.BytesIO(paper.data)).pages)
    assert candidate.surname in words and candidate.iin in words
    missing = client.post("/privacy/", data={"iin": "850315400015"})
    assert missing.status_code == 200 and "850315400015" not in missing.get_data(as_text=True)


def test_the_page_records_a_withdrawal_of_consent(app, client, auth):
    nomination = f.nomination(State.SUBMITTED, candidate=person(8))
    officer = f.user(Role.SECRETARIAT)
    auth.login(officer)
    form = {"withdrawn_on": TODAY.isoformat(),
            "document": (io.BytesIO(f.PDF), "withdrawal.pdf")}
    done = client.post(f"/privacy/people/{nomination.candidate_id}/consent-withdrawal", data=form)
    assert done.status_code == 302
    db.session.expire_all()
    assert nomination.status == State.WITHDRAWN
    # Without the document: refused, nothing recorded.
    other = f.nomination(State.SUBMITTED, candidate=person(9))
    db.session.commit()
    client.post(f"/privacy/people/{other.candidate_id}/consent-withdrawal",
                data={"withdrawn_on": TODAY.isoformat()})
    db.session.expire_all()
    assert other.status == State.SUBMITTED and other.candidate.consent_withdrawn_on is None


def test_the_destruction_record_is_shown_to_print(app, client, auth, people):
    surname = people["declined"].surname
    privacy.destroy_due(TODAY + timedelta(days=app.config["RETENTION_DAYS"]["withdrawn"]))
    record = db.session.scalar(select(DestructionRecord))
    auth.login(f.user(Role.SECRETARIAT))
    listing = client.get("/privacy/", headers={"Accept-Language": "kk"})
    assert f"/privacy/destructions/{record.id}" in listing.get_data(as_text=True)
    page = client.get(f"/privacy/destructions/{record.id}", headers={"Accept-Language": "ru"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-action="print"' in html and "94-V" in html
    assert surname not in html
    erased = client.get(f"/privacy/people/{record.candidate_id}")
    assert erased.status_code == 200


def test_personal_data_pages_are_the_secretariats(app, client, auth, people):
    auth.login(f.user(Role.COORDINATOR, "KZ-75"))
    assert client.get("/privacy/").status_code == 403
    assert client.get(f"/privacy/people/{people['open'].id}/export.json").status_code == 403


def test_a_nomination_after_a_withdrawal_needs_consent_given_again(app):
    first = f.nomination(State.SUBMITTED, candidate=person(10))
    officer = f.user(Role.SECRETARIAT)
    db.session.commit()
    with transaction(actor=officer):
        withdraw_consent(officer, first.candidate, withdrawn_on=TODAY - timedelta(days=2),
                         document=f.pdf())
    with pytest.raises(Refusal) as refused:  # the old consent no longer holds
        f.nomination(State.SUBMITTED, candidate=first.candidate)
    assert "withdrew consent" in str(refused.value.message) or refused.value.code == "guard"
    db.session.rollback()
    candidate = db.session.get(Candidate, first.candidate_id)
    candidate.consent_given_on = TODAY - timedelta(days=1)  # given anew, after the withdrawal
    again = f.nomination(State.SUBMITTED, candidate=candidate)
    assert again.status == State.SUBMITTED
    assert privacy.due(candidate) is None  # open again: nothing is due


def test_the_beat_job_runs_daily_and_destroys_over_a_clock_moved_forward(app, people,
                                                                       monkeypatch):
    from celery.schedules import crontab

    from config import beat_schedule
    from tasks.privacy import destroy_personal_data

    entry = beat_schedule()["destroy-personal-data"]
    assert entry["task"] == "tasks.privacy.destroy_personal_data"
    assert entry["schedule"] == crontab(hour=3, minute=0)
    values = personal_values(people["declined"])
    assert destroy_personal_data.run() == 0  # today: every period still runs
    later = TODAY + timedelta(days=app.config["RETENTION_DAYS"]["declined_regionally"])
    monkeypatch.setattr("workflow.validators.today", lambda: later)
    assert destroy_personal_data.run() == 2
    everything = database_text()
    assert not [v for v in values if v in everything]
    assert audit.verify()[1] is None


def test_a_withdrawal_with_nothing_open_is_kept_on_the_person_and_destroyed_with_them(app):
    closed = f.nomination(State.DECLINED_REGIONALLY, candidate=person(11))
    officer = f.user(Role.SECRETARIAT)
    db.session.commit()
    with transaction(actor=officer):
        withdraw_consent(officer, closed.candidate, withdrawn_on=TODAY, document=f.pdf())
    candidate = closed.candidate
    document = db.session.get(Document, candidate.consent_withdrawal_document_id)
    assert document.nomination_id is None and document.region_id == candidate.region_id
    assert [d["kind"] for d in privacy.subject_access(candidate)["documents"]] == ["withdrawal"]
    from workflow.documents.services import storage_path

    path = storage_path(document)
    assert path.exists()
    days = app.config["RETENTION_DAYS"]["consent_withdrawn"]
    assert privacy.destroy_due(TODAY + timedelta(days=days)) == 1
    assert not path.exists() and db.session.get(Document, document.id) is None
