"""The papers: generated from the record in Kazakh and Russian, sealed, verifiable by anyone.

Each paper is built from a known session, meeting or order and its figures are read back out
of the PDF with pypdf; the seal is checked, a byte is flipped and the check fails; the same
record gives the same bytes apart from the seal's time; long papers are made in the background
with progress; /verify answers by code and by file, within the limits of /status.
"""

from __future__ import annotations

import io
import re
import secrets
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from tests import factories as f
from workflow.council import services as council
from workflow.domain import Role, Route, State
from workflow.extensions import db
from workflow.models import IssuedPaper, PaperKind, PaperStatus, RegionalSession
from workflow.papers import seal, services
from workflow.sessions import services as sessions
from workflow.sessions.services import Votes


def text_of(data: bytes) -> str:
    """Every page's text, whitespace folded (tables wrap names across lines)."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def pdf_of(paper: IssuedPaper) -> bytes:
    return services.file_path(paper).read_bytes()


@pytest.fixture
def coordinator(app):
    user = f.user(Role.COORDINATOR, "KZ-75")
    db.session.commit()
    return user


@pytest.fixture
def officer(app):
    user = f.user(Role.SECRETARIAT)
    db.session.commit()
    return user


def recorded_session(user, *, members_total=40, present=25) -> tuple[RegionalSession, list]:
    """Session 7 of Almaty: three candidates; 20-3-2 for, 5-15-5 against, one deferred."""
    session = sessions.plan_session(user, {"number": "7", "held_on": date(2026, 4, 1),
                                           "place": "Akimat, hall 2",
                                           "members_total": members_total})
    nominations = [f.nomination(State.SUBMITTED) for _ in range(3)]
    db.session.commit()
    sessions.add_to_agenda(user, session.id, [n.id for n in nominations])
    items = {i.nomination_id: i.id for i in session.items}
    sessions.record(user, session.id, present, {
        items[nominations[0].id]: Votes(20, 3, 2),
        items[nominations[1].id]: Votes(5, 15, 5),
        items[nominations[2].id]: Votes(deferred=True, reason="The consent form is unsigned"),
    })
    return db.session.get(RegionalSession, session.id), nominations


# --- 1. the papers and their figures --------------------------------------------------------


def test_session_protocol_prints_the_record_in_russian_and_kazakh(coordinator):
    session, nominations = recorded_session(coordinator)
    names = [n.candidate.full_name for n in nominations]
    ru = text_of(pdf_of(services.request_paper(coordinator, PaperKind.SESSION_PROTOCOL,
                                               session.id, "ru")))
    assert "ПРОТОКОЛ СЕССИИ РЕГИОНАЛЬНОЙ АССАМБЛЕИ" in ru
    assert "АССАМБЛЕЯ НАРОДА КАЗАХСТАНА" in ru and "ҚАЗАҚСТАН ХАЛҚЫ АССАМБЛЕЯСЫ" in ru
    assert "Сессия № 7" in ru and "01.04.2026" in ru
    # The quorum check: >1/2 of 40 needs 21; 25 were present. A decision needs 13 of 25.
    assert "из 40 членов должны присутствовать не менее 21; присутствовали 25" in ru
    assert "Кворум имеется" in ru
    assert "не менее 13 голосов «за» из 25 присутствующих" in ru
    assert re.search(rf"1 {re.escape(names[0])} 20 3 2 Поддержана", ru), ru
    assert re.search(rf"2 {re.escape(names[1])} 5 15 5 Не поддержана", ru), ru
    assert re.search(rf"3 {re.escape(names[2])} — — — Отложена", ru), ru
    assert f"3. {names[2]}. Причина: The consent form is unsigned" in ru
    assert "Итого: поддержано — 1, не поддержано — 1, отложено — 1." in ru
    assert "Страница 1 из 1" in ru
    kk = text_of(pdf_of(services.request_paper(coordinator, PaperKind.SESSION_PROTOCOL,
                                               session.id, "kk")))
    assert "ӨҢІРЛІК АССАМБЛЕЯ СЕССИЯСЫНЫҢ ХАТТАМАСЫ" in kk
    assert "40 мүшенің кемінде 21 мүшесі қатысуы тиіс; 25 мүше қатысты. Кворум бар" in kk
    assert re.search(rf"1 {re.escape(names[0])} 20 3 2 Қолдау көрсетілді", kk), kk
    assert "1-бет, барлығы 1" in kk


def test_session_agenda_lists_the_candidates_before_the_session(coordinator):
    session = sessions.plan_session(coordinator, {"number": "8", "held_on": date(2026, 5, 6),
                                                  "place": "Akimat", "members_total": 31})
    nominations = [f.nomination(State.SUBMITTED) for _ in range(2)]
    db.session.commit()
    sessions.add_to_agenda(coordinator, session.id, [n.id for n in nominations])
    text = text_of(pdf_of(services.request_paper(coordinator, PaperKind.SESSION_AGENDA,
                                                 session.id, "ru")))
    assert "ПОВЕСТКА ДНЯ СЕССИИ РЕГИОНАЛЬНОЙ АССАМБЛЕИ" in text and "Сессия № 8" in text
    assert "06.05.2026" in text and "Число членов ассамблеи 31" in text
    assert ">1/2 членов, то есть не менее 16" in text
    assert "(всего 2)" in text
    for n in nominations:
        assert n.candidate.full_name in text and n.association.name in text


def council_meeting(officer, members_total=9, present=7):
    meeting = f.council_meeting(members_total)
    noms = [f.nomination(State.UNDER_REVIEW, route=Route.COUNCIL) for _ in range(2)]
    db.session.commit()
    council.add_to_agenda(officer, meeting.id, [n.id for n in noms])
    items = {i.nomination_id: i.id for i in council.get_meeting(officer, meeting.id).items}
    return meeting, noms, items


def test_council_minutes_check_two_thirds_and_print_the_votes(officer):
    meeting, noms, items = council_meeting(officer)
    agenda = text_of(pdf_of(services.request_paper(officer, PaperKind.COUNCIL_AGENDA,
                                                   meeting.id, "ru")))
    assert "ПОВЕСТКА ДНЯ ЗАСЕДАНИЯ СОВЕТА" in agenda and "Число членов Совета 9" in agenda
    assert ">=2/3 членов, то есть не менее 6" in agenda
    council.record_meeting(officer, meeting.id, present=7, votes={
        items[noms[0].id]: council.Votes(5, 1, 1), items[noms[1].id]: council.Votes(4, 3, 0)})
    text = text_of(pdf_of(services.request_paper(officer, PaperKind.COUNCIL_MINUTES,
                                                 meeting.id, "ru")))
    assert "ПРОТОКОЛ ЗАСЕДАНИЯ СОВЕТА АССАМБЛЕИ НАРОДА КАЗАХСТАНА" in text
    assert "из 9 членов должны присутствовать не менее 6; присутствовали 7" in text
    # Two thirds of 7 present: 4.67, so five votes for.
    assert "не менее 5 голосов «за» из 7 присутствующих" in text
    names = [n.candidate.full_name for n in noms]
    assert re.search(rf"{re.escape(names[0])} .*? 5 1 1 Рекомендована Председателю", text)
    assert re.search(rf"{re.escape(names[1])} .*? 4 3 0 Не рекомендована", text)
    assert "Итого: рекомендовано Председателю — 1, не рекомендовано — 1." in text


def test_the_minutes_wait_for_the_record(client, auth, officer):
    meeting, _, _ = council_meeting(officer)
    auth.login(officer)
    response = client.get(f"/papers/council_minutes/{meeting.id}?lang=ru")
    assert response.status_code == 302 and f"/council/meetings/{meeting.id}" in response.location
    assert db.session.scalar(select(func.count()).select_from(IssuedPaper)) == 0


def test_order_extract_lists_the_approved_and_the_rejected(officer):
    from workflow.orders import services as orders

    noms = [f.nomination(State.RECOMMENDED, route=Route.COUNCIL) for _ in range(3)]
    db.session.commit()
    order = orders.record_order(officer, number="12-р", order_date=date(2026, 12, 20),
                                document=f.pdf("order.pdf"), decisions={
                                    noms[0].id: "approve", noms[1].id: "approve",
                                    noms[2].id: "reject"})
    text = text_of(pdf_of(services.request_paper(officer, PaperKind.ORDER_EXTRACT, order.id,
                                                 "kk")))
    assert "ТӨРАҒАСЫНЫҢ ӨКІМІНЕН ҮЗІНДІ" in text and "№ 12-р өкім" in text
    assert "20.12.2026" in text
    assert "мүшелігіне бекітілді (2):" in text and "Бекітілмеді (1):" in text
    for n in noms:
        assert n.candidate.full_name in text
    members = orders.memberships_of_order(order.id)
    for n in noms[:2]:
        assert members[n.id].member_number in text
    assert "Барлығы: бекітілді — 2, бекітілмеді — 1." in text


def test_certificate_and_acknowledgement_are_sealed_papers_too(client, auth, app):
    membership = f.membership()
    member = f.user(Role.MEMBER)
    membership.user_id = member.id
    db.session.commit()
    auth.login(member)
    response = client.get(f"/members/{membership.id}/certificate.pdf")
    assert response.mimetype == "application/pdf"
    text = text_of(response.data)
    assert membership.member_number in text and membership.candidate.full_name in text
    paper = db.session.scalar(select(IssuedPaper).where(IssuedPaper.kind == "certificate"))
    assert paper.code in text and seal.check_pdf(response.data).intact


# --- 2. the registry, the code, /verify -------------------------------------------------------


def test_codes_are_long_random_and_read_back_in_any_spelling():
    codes = {services.new_code() for _ in range(500)}
    assert len(codes) == 500
    assert all(re.fullmatch(r"[ACDEFHJKMNPQRTWXY3479]{4}(-[ACDEFHJKMNPQRTWXY3479]{4}){2}", c)
               for c in codes)
    assert services.normalise_code(" acde fhjk-mnpq ") == "ACDE-FHJK-MNPQ"


def test_printing_again_gives_the_same_paper_and_code(coordinator):
    session, _ = recorded_session(coordinator)
    first = services.request_paper(coordinator, PaperKind.SESSION_PROTOCOL, session.id, "ru")
    again = services.request_paper(coordinator, PaperKind.SESSION_PROTOCOL, session.id, "ru")
    assert again.id == first.id and again.code == first.code
    assert db.session.scalar(select(func.count()).select_from(IssuedPaper)) == 1


def test_verify_page_says_what_the_paper_is_and_shows_nothing_else(client, coordinator):
    session, nominations = recorded_session(coordinator)
    paper = services.request_paper(coordinator, PaperKind.SESSION_PROTOCOL, session.id, "ru")
    page = client.get(f"/verify/{paper.code.lower().replace('-', ' ')}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="verify-valid"' in html
    assert "Protocol of the regional session" in html
    for n in nominations:  # the protocol's names are not shown to whoever has a code
        assert n.candidate.full_name not in html and n.candidate.iin not in html
    miss = client.get("/verify/ACDE-FHJK-MNPQ").get_data(as_text=True)
    assert 'data-testid="verify-miss"' in miss


def test_an_ended_membership_certificate_says_it_is_no_longer_valid(client, officer):
    from workflow.domain import EndGround
    from workflow.register.services import end_membership_in_transaction

    membership = f.membership()
    db.session.commit()
    paper = services.request_paper(officer, PaperKind.CERTIFICATE, membership.id, "kk+ru")
    assert services.find_by_code(paper.code).valid
    end_membership_in_transaction(membership, ground=EndGround.OWN_INITIATIVE,
                                  ended_on=date(2027, 2, 1), document_id=None, comment="")
    db.session.commit()
    found = services.find_by_code(paper.code)
    assert not found.valid and "01.02.2027" in str(found.reasons[0])
    html = client.get(f"/verify/{paper.code}").get_data(as_text=True)
    assert 'data-testid="verify-invalid"' in html and membership.candidate.full_name in html


def test_verification_shares_the_limits_of_the_status_check(limited, app):
    client = limited.test_client()
    codes = [client.get("/verify/ACDE-FHJK-MNPQ").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]  # 3 per hour per code in the limited app
    other = [client.get(f"/verify/{services.new_code()}").status_code for _ in range(6)]
    assert other[0] == 200 and other[-1] == 429  # 6 per hour per address, whatever the code


# --- 3. the seal --------------------------------------------------------------------------------


def test_the_seal_verifies_and_a_flipped_byte_breaks_it(client, coordinator):
    session, _ = recorded_session(coordinator)
    paper = services.request_paper(coordinator, PaperKind.SESSION_PROTOCOL, session.id, "kk")
    data = pdf_of(paper)
    check = seal.check_pdf(data)
    assert check.signed and check.intact and check.fingerprint == paper.seal_fingerprint
    verdict = services.check_upload(data)
    assert verdict.issued_by_tizim and verdict.intact and verdict.identical
    for position in (len(data) // 3, len(data) - 200):  # in the paper, in the signature's part
        flipped = bytearray(data)
        flipped[position] ^= 0x01
        assert not seal.check_pdf(bytes(flipped)).intact
        assert not services.check_upload(bytes(flipped)).intact
    appended = data + b"\n% one more line\n"
    assert not services.check_upload(appended).intact
    upload = client.post("/verify", data={"document": (io.BytesIO(data), "p.pdf")},
                         content_type="multipart/form-data").get_data(as_text=True)
    assert 'data-testid="upload-intact"' in upload
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x01
    upload = client.post("/verify", data={"document": (io.BytesIO(bytes(flipped)), "p.pdf")},
                         content_type="multipart/form-data").get_data(as_text=True)
    assert 'data-testid="upload-intact"' not in upload


def test_a_file_sealed_with_another_key_is_not_tizims(coordinator, app, tmp_path):
    session, _ = recorded_session(coordinator)
    paper = services.request_paper(coordinator, PaperKind.SESSION_PROTOCOL, session.id, "kk")
    facts = services.content.facts(paper.kind, session)
    unsealed = services.render_unsealed(paper, facts)
    other = tmp_path / "other.p12"
    seal.create_development_seal(other, "pw", label="SOMEONE ELSE")
    previous = app.config["SEAL_PKCS12_PATH"], app.config["SEAL_PKCS12_PASSWORD"]
    app.config.update(SEAL_PKCS12_PATH=str(other), SEAL_PKCS12_PASSWORD="pw")
    try:
        forged, _ = seal.seal_pdf(unsealed, reason="x", location="y")
    finally:
        app.config.update(SEAL_PKCS12_PATH=previous[0], SEAL_PKCS12_PASSWORD=previous[1])
    assert seal.check_pdf(forged).intact  # a valid signature, but not Tizim's key
    verdict = services.check_upload(forged)
    assert not verdict.issued_by_tizim and not verdict.intact


def test_without_a_seal_no_paper_is_issued(coordinator, app):
    from workflow.refusal import Refusal

    session, _ = recorded_session(coordinator)
    previous = app.config["SEAL_PKCS12_PATH"], app.config["SEAL_DEVELOPMENT"]
    app.config.update(SEAL_PKCS12_PATH="/nonexistent/seal.p12", SEAL_DEVELOPMENT=False)
    try:
        with pytest.raises(Refusal) as refused:
            services.request_paper(coordinator, PaperKind.SESSION_AGENDA, session.id, "kk")
    finally:
        app.config.update(SEAL_PKCS12_PATH=previous[0], SEAL_DEVELOPMENT=previous[1])
    assert refused.value.code == "failed"
    paper = db.session.scalar(select(IssuedPaper))
    assert paper.status == PaperStatus.FAILED and paper.error == "seal"


# --- 5. the same bytes, and the background ----------------------------------------------------


PDF_DATE = re.compile(rb"\(D(?::|\\072)\d{14}[^)]*\)")
XMP_DATE = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)?")
CONTENTS = re.compile(rb"/Contents <[0-9a-fA-F]+>")
# The file identifier's second half changes with each update (PDF 32000 14.4); the first stays.
UPDATE_ID = re.compile(rb"(/ID \[ ?<[0-9a-fA-F]+> ?)<[0-9a-fA-F]+>")


def without_seal_time(data: bytes) -> bytes:
    """The file with the seal's time, its signature value and the update's identifier blanked:
    what may differ between two seals of the same paper."""
    for pattern, blank in ((CONTENTS, b"/Contents <>"), (PDF_DATE, b"(D:)"), (XMP_DATE, b"T"),
                           (UPDATE_ID, rb"\1<>")):
        data = pattern.sub(blank, data)
    return data


def test_the_same_paper_made_twice_differs_only_in_the_seals_time(coordinator):
    session, _ = recorded_session(coordinator)
    paper = services.request_paper(coordinator, PaperKind.SESSION_PROTOCOL, session.id, "ru")
    first = pdf_of(paper)
    facts = services.content.facts(paper.kind, session)
    unsealed = services.render_unsealed(paper, facts)
    assert unsealed == services.render_unsealed(paper, facts)
    assert first.startswith(unsealed)  # the seal is an update appended to the same bytes
    services.file_path(paper).unlink()  # the file lost: it is made again
    import time

    time.sleep(1.1)  # a later second on the seal
    again = services.request_paper(coordinator, PaperKind.SESSION_PROTOCOL, session.id, "ru")
    second = pdf_of(again)
    assert again.code == paper.code and second != first
    assert second.startswith(unsealed)
    assert without_seal_time(second) == without_seal_time(first)


def test_a_long_paper_is_made_in_the_background_with_progress(client, auth, coordinator, app,
                                                              monkeypatch):
    from workflow.outbox import OutboxMessage

    session, _ = recorded_session(coordinator)
    monkeypatch.setitem(app.config, "PAPERS_INLINE_ROWS", 2)  # three rows: too long to wait
    published = []
    monkeypatch.setattr("workflow.outbox.publish", lambda ids: published.extend(ids) or 0)
    auth.login(coordinator)
    response = client.get(f"/papers/session_protocol/{session.id}?lang=kk")
    paper = db.session.scalar(select(IssuedPaper))
    assert response.status_code == 302 and response.location.endswith(f"/papers/{paper.id}")
    assert paper.status == PaperStatus.PENDING
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.id.in_(published)))
    assert message.task == "tasks.papers.make_paper" and message.payload == {"paper_id": paper.id}
    page = client.get(f"/papers/{paper.id}").get_data(as_text=True)
    assert "progress-bar" in page and paper.code in page
    assert client.get(f"/papers/{paper.id}/progress").get_json()["ready"] is False
    from tasks.papers import make_paper

    assert make_paper.run(paper.id) == "ready"
    state = client.get(f"/papers/{paper.id}/progress").get_json()
    assert state["ready"] and state["progress"] == 100 and state["file"]
    assert make_paper.run(paper.id) == "ready"  # delivered twice: nothing more happens
    assert seal.check_pdf(client.get(state["file"]).data).intact


# --- 4. the session's protocol, generated or scanned ------------------------------------------


def test_the_generated_protocol_becomes_the_sessions_protocol_and_a_scan_says_so(
        client, auth, coordinator):
    session, _ = recorded_session(coordinator)
    auth.login(coordinator)
    page = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert "/papers/session_protocol/" in page and "/papers/session/" in page
    response = client.post(f"/papers/session/{session.id}/attach", data={"language": "ru"})
    assert response.status_code == 302
    page = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert 'data-testid="protocol-generated"' in page
    assert client.post(f"/sessions/{session.id}/close").status_code == 302
    db.session.expire_all()
    assert db.session.get(RegionalSession, session.id).status == "closed"


def test_an_uploaded_scan_is_marked_as_a_scan(client, auth, coordinator):
    session, _ = recorded_session(coordinator)
    auth.login(coordinator)
    client.post(f"/sessions/{session.id}/protocol",
                data={"protocol": (io.BytesIO(f.PDF), "scan.pdf")},
                content_type="multipart/form-data")
    page = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert 'data-testid="protocol-scan"' in page


def test_another_regions_coordinator_gets_404_for_the_papers(client, auth, coordinator):
    session, _ = recorded_session(coordinator)
    paper = services.request_paper(coordinator, PaperKind.SESSION_PROTOCOL, session.id, "kk")
    astana = f.user(Role.COORDINATOR, "KZ-71")
    member = f.user(Role.MEMBER)
    db.session.commit()
    for user in (astana, member):
        auth.login(user)
        assert client.get(f"/papers/session_protocol/{session.id}?lang=kk").status_code == 404
        assert client.get(f"/papers/{paper.id}").status_code == 404
        assert client.get(f"/papers/{paper.id}/file").status_code == 404
        auth.logout()


def test_a_long_protocol_breaks_pages_like_a_paper(coordinator):
    """Twenty candidates: the table's heading repeats, every page is numbered "of N", and the
    signatures never stand alone on the last page: the closing line is with them."""
    from workflow.models import SessionItem, SessionStatus

    # Written as the record holds it after the votes (the pipeline's walk is tested elsewhere).
    session = f.regional_session(members_total=40, status=SessionStatus.RECORDED,
                                 members_present=30)
    nominations = [f.nomination(State.DRAFT, documents=False) for _ in range(20)]
    for position, n in enumerate(nominations, start=1):
        db.session.add(SessionItem(session=session, nomination=n, position=position,
                                   votes_for=16 + position % 3, votes_against=10,
                                   votes_abstain=2, outcome="support"))
    db.session.commit()
    paper = services.request_paper(coordinator, PaperKind.SESSION_PROTOCOL, session.id, "ru")
    reader = PdfReader(io.BytesIO(pdf_of(paper)))
    pages = [" ".join((page.extract_text() or "").split()) for page in reader.pages]
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert f"Страница {number} из {len(pages)}" in text and paper.code in text
        assert "№ Кандидат За Против Возд. Решение" in text or "Председательствующий" in text
    for n in nominations:
        assert sum(n.candidate.full_name in text for text in pages) == 1
    closing = [text for text in pages if "Председательствующий" in text]
    assert len(closing) == 1 and "Итого: поддержано — 20, не поддержано — 0" in closing[0]
    assert "Секретарь сессии" in closing[0]


def test_the_code_form_leads_to_the_codes_page(client):
    response = client.get("/verify?code=acde fhjk mnpq")
    assert response.status_code == 302 and response.location.endswith("/verify/ACDE-FHJK-MNPQ")
    assert 'name="code"' in client.get("/verify").get_data(as_text=True)


def test_an_attached_protocol_whose_record_changed_says_so(client, auth, coordinator):
    session, nominations = recorded_session(coordinator)
    services.attach_generated_protocol(coordinator, session.id, "kk")
    state = services.protocol_state(db.session.get(RegionalSession, session.id))
    assert state.attached == "generated" and state.matches_record
    items = {i.nomination_id: i.id for i in session.items}
    sessions.record(coordinator, session.id, 26, {  # the votes entered again, differently
        items[nominations[0].id]: Votes(20, 4, 2), items[nominations[1].id]: Votes(5, 15, 5),
        items[nominations[2].id]: Votes(deferred=True, reason="The consent form is unsigned")})
    state = services.protocol_state(db.session.get(RegionalSession, session.id))
    assert state.attached == "generated" and not state.matches_record
    auth.login(coordinator)
    page = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert "The record changed after this protocol was made" in page
    paper = state.attached_paper
    assert not services.find_by_code(paper.code).valid  # /verify says the same to anyone


def test_the_vote_form_keeps_the_reason_for_a_deferral(client, auth, coordinator):
    from workflow.models import SessionItem

    session = sessions.plan_session(coordinator, {"number": "10", "held_on": date(2026, 7, 1),
                                                  "place": "Akimat", "members_total": 10})
    nominations = [f.nomination(State.SUBMITTED) for _ in range(2)]
    db.session.commit()
    sessions.add_to_agenda(coordinator, session.id, [n.id for n in nominations])
    first, second = sorted(session.items, key=lambda i: i.position)
    auth.login(coordinator)
    response = client.post(f"/sessions/{session.id}/record", data={
        "members_present": 8,
        "items-0-item_id": first.id, "items-0-votes_for": 6, "items-0-votes_against": 2,
        "items-0-votes_abstain": 0, "items-0-deferral_reason": "typed but not deferred",
        "items-1-item_id": second.id, "items-1-deferred": "y",
        "items-1-deferral_reason": "  The association asked for a month  "})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(SessionItem, second.id).deferral_reason == \
        "The association asked for a month"
    assert db.session.get(SessionItem, first.id).deferral_reason is None


def test_a_file_without_a_seal_or_from_elsewhere_is_not_tizims(client):
    upload = client.post("/verify", data={"document": (io.BytesIO(f.PDF), "scan.pdf")},
                         content_type="multipart/form-data").get_data(as_text=True)
    assert 'data-testid="upload-unsealed"' in upload
    verdict = services.check_upload(b"not a pdf at all")
    assert not verdict.sealed and not verdict.issued_by_tizim and verdict.verdict is None


def test_the_relay_publishes_again_a_paper_whose_task_was_lost(coordinator, app, monkeypatch):
    from datetime import timedelta

    from workflow.models import utcnow
    from workflow.outbox import OutboxMessage

    session, _ = recorded_session(coordinator)
    monkeypatch.setitem(app.config, "PAPERS_INLINE_ROWS", 0)
    monkeypatch.setattr("workflow.outbox.publish", lambda ids: 0)  # the broker lost it
    paper = services.request_paper(coordinator, PaperKind.SESSION_AGENDA, session.id, "kk")
    assert paper.status == PaperStatus.PENDING
    assert services.requeue_stale() == 0  # not stale yet
    paper.updated_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert services.requeue_stale() == 1
    tasks = db.session.scalars(select(OutboxMessage.task).where(
        OutboxMessage.task == "tasks.papers.make_paper")).all()
    assert len(tasks) == 2  # the first request's, and the relay's
    assert services.requeue_stale() == 0  # re-published at most once per period


def test_production_refuses_a_seal_path_that_is_not_a_file(monkeypatch, tmp_path):
    import config

    monkeypatch.setenv("DATABASE_URL", "postgresql://x/y")
    monkeypatch.setenv("REDIS_URL", "redis://localhost/0")
    monkeypatch.setenv("SECRET_KEY", secrets.token_hex(32))
    monkeypatch.setenv("SEAL_PKCS12_PATH", str(tmp_path / "missing.p12"))
    with pytest.raises(config.ConfigError, match="SEAL_PKCS12_PATH"):
        config.load("production")
    (tmp_path / "missing.p12").write_bytes(b"")
    assert config.load("production").SEAL_DEVELOPMENT is False  # never makes its own


def test_the_councils_and_the_chairmans_papers_name_the_body_served(officer, app, monkeypatch):
    """Under the People's Council no Council agenda, minutes or order extract names the
    Assembly: the titles name its Presidium, the items its members and its Chairman. A
    meeting's own title stays under the paper's title, not in its running head."""
    from workflow import bodies
    from workflow.orders import services as orders

    monkeypatch.setitem(app.config, "BODY_CONFIG", bodies.load("peoples_council"))
    meeting, noms, items = council_meeting(officer)
    meeting.title = "Очередное заседание"
    db.session.commit()
    council.record_meeting(officer, meeting.id, present=7, votes={
        items[noms[0].id]: council.Votes(5, 1, 1), items[noms[1].id]: council.Votes(5, 1, 1)})
    order = orders.record_order(officer, number="7-р", order_date=date(2026, 12, 20),
                                document=f.pdf("order.pdf"),
                                decisions={noms[0].id: "approve", noms[1].id: "reject"})
    said = {}
    for kind, subject in ((PaperKind.COUNCIL_AGENDA, meeting.id),
                          (PaperKind.COUNCIL_MINUTES, meeting.id),
                          (PaperKind.ORDER_EXTRACT, order.id)):
        for language in ("kk", "ru"):
            data = pdf_of(services.request_paper(officer, kind, subject, language))
            said[kind, language] = text = text_of(data)
            assert "народа Казахстана" not in text and "халқы" not in text, (kind, language)
            title = PdfReader(io.BytesIO(data)).metadata.title
            assert title.startswith(("ПОВЕСТКА", "ПРОТОКОЛ", "ВЫПИСКА", "ХАЛЫҚ")), title
    assert "ПОВЕСТКА ДНЯ ЗАСЕДАНИЯ ПРЕЗИДИУМА НАРОДНОГО СОВЕТА" in said[
        PaperKind.COUNCIL_AGENDA, "ru"]
    assert ("О рекомендации кандидатур в члены Народного совета на рассмотрение Председателя "
            "Народного совета") in said[PaperKind.COUNCIL_MINUTES, "ru"]
    assert "ХАЛЫҚ КЕҢЕСІНІҢ ТӨРАЛҚАСЫ ОТЫРЫСЫНЫҢ ХАТТАМАСЫ" in said[
        PaperKind.COUNCIL_MINUTES, "kk"]
    assert "Халық кеңесі Төрағасының қарауына" in said[PaperKind.COUNCIL_AGENDA, "kk"]
    assert "ВЫПИСКА ИЗ РАСПОРЯЖЕНИЯ ПРЕДСЕДАТЕЛЯ НАРОДНОГО СОВЕТА" in said[
        PaperKind.ORDER_EXTRACT, "ru"]
    assert "Утверждены членами Народного совета (1):" in said[PaperKind.ORDER_EXTRACT, "ru"]
    assert "ХАЛЫҚ КЕҢЕСІ ТӨРАҒАСЫНЫҢ ӨКІМІНЕН ҮЗІНДІ" in said[PaperKind.ORDER_EXTRACT, "kk"]
    assert "Очередное заседание" in said[PaperKind.COUNCIL_AGENDA, "ru"]
