"""Issuing papers from the record, sealing them, and telling anyone whether a paper is genuine.

``request_paper`` registers a paper (its verification code, the digest of its facts) and has it
made: at once when it is short, by a background task (through the outbox) when it is long.
``make_paper`` draws, seals and stores it; it is idempotent, so a task delivered twice, or a
page and a task at once, leave one file. The same record gives the same registry row and code,
so printing a paper again gives the same bytes apart from the seal's time.

Who may print a paper follows its object: a coordinator their region's sessions, the
Secretariat everything, a member their own certificate; anything else is "not found".
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from workflow.database import transaction
from workflow.documents.services import paper_path
from workflow.domain import MembershipStatus, Role, State
from workflow.extensions import db
from workflow.models import (
    REFERENCE_ALPHABET,
    ChairmanOrder,
    CouncilMeeting,
    Document,
    IssuedPaper,
    Membership,
    Nomination,
    PaperKind,
    PaperStatus,
    RegionalSession,
    utcnow,
)
from workflow.outbox import enqueue
from workflow.papers import content
from workflow.papers.seal import SealUnavailable, check_pdf, seal_pdf
from workflow.refusal import Refusal, not_found

log = logging.getLogger(__name__)

KIND_LABELS = {
    PaperKind.SESSION_AGENDA: _l("Agenda of the regional session"),
    PaperKind.SESSION_PROTOCOL: _l("Protocol of the regional session"),
    PaperKind.COUNCIL_AGENDA: _l("Agenda of the Council meeting"),
    PaperKind.COUNCIL_MINUTES: _l("Minutes of the Council meeting"),
    PaperKind.ORDER_EXTRACT: _l("Extract from the Chairman's order"),
    PaperKind.CERTIFICATE: _l("Membership certificate"),
    PaperKind.ACKNOWLEDGEMENT: _l("Acknowledgement of a nomination"),
}
# The certificate and the acknowledgement carry both languages on one page, as before.
BILINGUAL = frozenset({PaperKind.CERTIFICATE, PaperKind.ACKNOWLEDGEMENT})
SUBJECTS = {
    PaperKind.SESSION_AGENDA: RegionalSession, PaperKind.SESSION_PROTOCOL: RegionalSession,
    PaperKind.COUNCIL_AGENDA: CouncilMeeting, PaperKind.COUNCIL_MINUTES: CouncilMeeting,
    PaperKind.ORDER_EXTRACT: ChairmanOrder, PaperKind.CERTIFICATE: Membership,
    PaperKind.ACKNOWLEDGEMENT: Nomination,
}
VERIFY_PATH = "/verify/"
ERRORS = {
    "seal": _l("The seal is not configured on this server: no paper can be issued. Tell the "
               "administrator."),
    "changed": _l("The record changed while the paper was being made. Open it again."),
    "failed": _l("The paper could not be made. Try again; if it fails again, tell the "
                 "administrator."),
}


def languages(kind: str) -> tuple[str, ...]:
    return ("kk+ru",) if kind in BILINGUAL else ("kk", "ru")


# --- codes -------------------------------------------------------------------------------------

_NOT_CODE = re.compile(r"[^0-9A-Za-z]")


def new_code() -> str:
    """Twelve letters of the phone-safe alphabet (21^12, about 7·10^15): not guessable."""
    raw = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_code(raw: str | None) -> str:
    """``abcd efgh jkmn``, ``ABCDEFGHJKMN`` and the dashed form are all ``ABCD-EFGH-JKMN``."""
    compact = _NOT_CODE.sub("", raw or "").upper()[:32]
    return f"{compact[:4]}-{compact[4:8]}-{compact[8:]}" if len(compact) == 12 else compact


def qr_svg(data: str):
    """The QR code of ``data`` as inline SVG for a page (the PDF draws its own)."""
    import segno
    from markupsafe import Markup

    return Markup(segno.make(data, error="m").svg_inline(scale=4, border=2))  # noqa: S704


def verify_url(code: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + VERIFY_PATH + code


# --- scope -------------------------------------------------------------------------------------


def _region_of(kind: str, subject) -> int | None:
    if kind in (PaperKind.COUNCIL_AGENDA, PaperKind.COUNCIL_MINUTES, PaperKind.ORDER_EXTRACT):
        return None
    return subject.region_id


def may_see(user, kind: str, subject) -> bool:
    """The paper's scope is its object's: the region's coordinator, the Secretariat, the member."""
    if user.role == Role.SECRETARIAT:
        return True
    if kind == PaperKind.CERTIFICATE and user.role == Role.MEMBER:
        return subject.user_id == user.id
    if user.role == Role.COORDINATOR:
        region = _region_of(kind, subject)
        return region is not None and region == user.region_id
    return False


def subject_for(user, kind: str, subject_id: int):
    """The paper's object if ``user`` may see it; None otherwise (the view answers 404)."""
    model = SUBJECTS.get(kind)
    subject = db.session.get(model, subject_id) if model is not None else None
    return subject if subject is not None and may_see(user, kind, subject) else None


def not_ready(kind: str, subject) -> Refusal | None:
    """Why the record cannot give this paper yet, or None."""
    if kind == PaperKind.SESSION_PROTOCOL and subject.members_present is None:
        return Refusal(_l("Record the attendance and the votes first: the protocol prints "
                          "them."), code="wrong_state", status=409)
    if kind == PaperKind.COUNCIL_MINUTES and not subject.is_recorded:
        return Refusal(_l("Record the meeting's attendance and votes first: the minutes print "
                          "them."), code="wrong_state", status=409)
    if kind == PaperKind.ACKNOWLEDGEMENT and subject.status == State.DRAFT:
        return Refusal(_l("Submit the nomination first: the acknowledgement is given on "
                          "submission."), code="wrong_state", status=409)
    return None


# --- issuing -----------------------------------------------------------------------------------


def digest(kind: str, facts: dict) -> str:
    text = json.dumps({"kind": kind, "facts": facts}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def summary_of(kind: str, facts: dict) -> dict:
    """What /verify may show: what the paper prints about itself, and a name where it prints one."""
    when = facts.get("held_on") or facts.get("order_date") or facts.get("started_on") \
        or facts.get("submitted_on")
    shown = {"body": list(content.body_of(kind, facts)), "date": when}
    if kind != PaperKind.ACKNOWLEDGEMENT:  # the reference code opens the status page: not shown
        shown["number"] = facts.get("number", "")
    if kind in BILINGUAL:
        shown["name"] = facts["name"]
    return shown


def request_paper(user, kind: str, subject_id: int, language: str) -> IssuedPaper:
    """The paper of this object in this language, registered and made (or being made).

    :raise Refusal: unknown kind or language, or an object the user may not see (404); a
        record that cannot give the paper yet (409); the seal is not configured.
    """
    if kind not in SUBJECTS or language not in languages(kind):
        raise not_found()
    subject = subject_for(user, kind, subject_id)
    if subject is None:
        raise not_found()
    refusal = not_ready(kind, subject)
    if refusal is not None:
        raise refusal
    facts = content.facts(kind, subject)
    key = digest(kind, facts)
    inline = content.rows_of(facts) <= current_app.config["PAPERS_INLINE_ROWS"]
    try:
        paper, fresh = _register(user, kind, subject, language, facts, key, inline)
    except IntegrityError:  # the same paper registered a moment ago by another request
        db.session.rollback()
        paper, fresh = _find(kind, subject_id, language, key), False
    if fresh and inline:
        make_paper(paper.id)
        db.session.refresh(paper)
        if paper.status == PaperStatus.FAILED:
            raise Refusal(ERRORS.get(paper.error, ERRORS["failed"]), code="failed", status=503)
    return paper


def _find(kind: str, subject_id: int, language: str, key: str) -> IssuedPaper | None:
    return db.session.scalar(select(IssuedPaper).where(
        IssuedPaper.kind == kind, IssuedPaper.subject_id == subject_id,
        IssuedPaper.language == language, IssuedPaper.facts_digest == key))


def _register(user, kind, subject, language, facts, key, inline) -> tuple[IssuedPaper, bool]:
    with transaction():
        paper = _find(kind, subject.id, language, key)
        fresh = paper is None
        if paper is None:
            paper = IssuedPaper(code=new_code(), kind=kind, subject_id=subject.id,
                                region_id=_region_of(kind, subject), language=language,
                                number=str(facts.get("number", ""))[:64], facts_digest=key,
                                summary=summary_of(kind, facts), status=PaperStatus.PENDING,
                                progress=0, issued_by_id=getattr(user, "id", None))
            db.session.add(paper)
            db.session.flush()
        elif paper.status == PaperStatus.FAILED or (
                paper.status == PaperStatus.READY and not file_path(paper).exists()):
            paper.status, paper.progress, paper.error = PaperStatus.PENDING, 0, None
            fresh = True
        # The record now gives this paper: any other version of it is superseded.
        now = utcnow()
        db.session.execute(update(IssuedPaper).where(
            IssuedPaper.kind == kind, IssuedPaper.subject_id == subject.id,
            IssuedPaper.language == language, IssuedPaper.id != paper.id,
            IssuedPaper.superseded_at.is_(None)).values(superseded_at=now))
        paper.superseded_at = None
        if fresh and not inline:
            enqueue("tasks.papers.make_paper", paper_id=paper.id)
    return paper, fresh


def file_path(paper: IssuedPaper) -> Path:
    return paper_path(paper.storage_key)


def _set_progress(paper_id: int, progress: int) -> None:
    with transaction():
        db.session.execute(update(IssuedPaper).where(
            IssuedPaper.id == paper_id, IssuedPaper.status == PaperStatus.PENDING)
            .values(progress=progress, updated_at=utcnow()))


def _fail(paper_id: int, error: str) -> None:
    with transaction():
        db.session.execute(update(IssuedPaper).where(
            IssuedPaper.id == paper_id, IssuedPaper.status == PaperStatus.PENDING)
            .values(status=PaperStatus.FAILED, error=error, updated_at=utcnow()))


def render_unsealed(paper: IssuedPaper, facts: dict) -> bytes:
    """The paper's PDF before the seal: a function of its facts and its registry row only."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return content.render(paper.kind, facts, language=paper.language, code=paper.code,
                          verify_url=verify_url(paper.code),
                          issued_on=paper.issued_at.astimezone(zone))


def make_paper(paper_id: int) -> str:
    """Draw, seal and store a registered paper; return its status. Idempotent.

    A paper whose record changed since it was registered is not made (``changed``): what it
    would print is no longer what its code promises.
    """
    paper = db.session.get(IssuedPaper, paper_id)
    if paper is None:
        return "missing"
    if paper.status == PaperStatus.READY and file_path(paper).exists():
        return paper.status
    if paper.status != PaperStatus.PENDING:
        return paper.status
    _set_progress(paper.id, 10)
    try:
        subject = db.session.get(SUBJECTS[paper.kind], paper.subject_id)
        facts = content.facts(paper.kind, subject) if subject is not None else None
        if facts is None or digest(paper.kind, facts) != paper.facts_digest:
            _fail(paper.id, "changed")
            return PaperStatus.FAILED
        _set_progress(paper.id, 30)
        unsealed = render_unsealed(paper, facts)
        _set_progress(paper.id, 70)
        title = content.TITLES[paper.kind][1]
        sealed, seal = seal_pdf(unsealed, reason=f"{title} № {paper.number}".strip(),
                                location=current_app.config["PUBLIC_BASE_URL"])
    except SealUnavailable as error:
        log.error("paper %s not sealed: %s", paper_id, error)
        _fail(paper_id, "seal")
        return PaperStatus.FAILED
    except Exception:
        log.exception("paper %s could not be made", paper_id)
        db.session.rollback()
        _fail(paper_id, "failed")
        return PaperStatus.FAILED
    key = uuid.uuid4().hex
    path = paper_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(sealed)
    with transaction():
        done = db.session.execute(update(IssuedPaper).where(
            IssuedPaper.id == paper_id, IssuedPaper.status == PaperStatus.PENDING).values(
            status=PaperStatus.READY, progress=100, storage_key=key, size=len(sealed),
            sha256=hashlib.sha256(sealed).hexdigest(), seal_fingerprint=seal.fingerprint,
            sealed_at=utcnow(), updated_at=utcnow(), error=None)).rowcount
    if not done:  # another worker finished it first: its file stands
        path.unlink(missing_ok=True)
    db.session.expire_all()
    return PaperStatus.READY if done else db.session.get(IssuedPaper, paper_id).status


def requeue_stale(limit: int = 200) -> int:
    """Publish again the papers still pending long after they were asked for (a lost task)."""
    from datetime import timedelta

    cutoff = utcnow() - timedelta(seconds=current_app.config["NOTIFY_STALE_SECONDS"])
    with transaction():
        ids = list(db.session.scalars(select(IssuedPaper.id).where(
            IssuedPaper.status == PaperStatus.PENDING, IssuedPaper.updated_at < cutoff)
            .order_by(IssuedPaper.id).limit(limit)))
        for paper_id in ids:
            enqueue("tasks.papers.make_paper", paper_id=paper_id)
        if ids:
            db.session.execute(update(IssuedPaper).where(IssuedPaper.id.in_(ids))
                               .values(updated_at=utcnow()))
    return len(ids)


def get_paper(user, paper_id: int) -> IssuedPaper | None:
    """The registered paper, if ``user`` may see its object; None otherwise."""
    paper = db.session.get(IssuedPaper, paper_id)
    if paper is None or subject_for(user, paper.kind, paper.subject_id) is None:
        return None
    return paper


def progress(paper: IssuedPaper) -> dict:
    return {"id": paper.id, "status": paper.status, "progress": paper.progress,
            "ready": paper.status == PaperStatus.READY,
            "failed": paper.status == PaperStatus.FAILED,
            "error": str(ERRORS.get(paper.error, ERRORS["failed"])) if paper.error else None}


def papers_of(kind: str, subject_id: int) -> list[IssuedPaper]:
    """The current (not superseded) papers of an object, one per language at most."""
    return list(db.session.scalars(select(IssuedPaper).where(
        IssuedPaper.kind == kind, IssuedPaper.subject_id == subject_id,
        IssuedPaper.superseded_at.is_(None)).order_by(IssuedPaper.language)))


# --- verification ------------------------------------------------------------------------------


@dataclass
class Verdict:
    """What /verify says about one paper: what it is, when issued, whether it still holds."""

    paper: IssuedPaper
    label: object
    valid: bool
    reasons: list = field(default_factory=list)
    summary: dict = field(default_factory=dict)

    @property
    def date(self) -> date | None:
        """The date the paper prints (the session's, the order's, the membership's start)."""
        when = self.summary.get("date")
        return date.fromisoformat(when[:10]) if when else None


def verdict(paper: IssuedPaper) -> Verdict:
    """Whether the paper still holds: not replaced by a later version, its record unchanged,
    and for a certificate, the membership not ended."""
    reasons = []
    if paper.superseded_at is not None:
        reasons.append(_l("A later version replaced it: the record changed after it was "
                          "issued."))
    subject = db.session.get(SUBJECTS[paper.kind], paper.subject_id)
    if subject is None:
        reasons.append(_l("The record it was made from no longer exists."))
    else:
        if paper.kind == PaperKind.CERTIFICATE and subject.status == MembershipStatus.ENDED:
            reasons.append(_l("The membership ended on %(date)s: the certificate is no longer "
                              "valid.", date=content.numeric(subject.ended_on)))
        elif (paper.superseded_at is None and paper.kind != PaperKind.ACKNOWLEDGEMENT
              and not_ready(paper.kind, subject) is None
              and digest(paper.kind, content.facts(paper.kind, subject)) != paper.facts_digest):
            reasons.append(_l("The record has changed since it was issued: it no longer shows "
                              "the record as it is."))
    return Verdict(paper=paper, label=KIND_LABELS[paper.kind], valid=not reasons,
                   reasons=reasons, summary=paper.summary or {})


def find_by_code(code: str) -> Verdict | None:
    """The verdict on the issued paper with this code; None for any code that is not one."""
    paper = db.session.scalar(select(IssuedPaper).where(
        IssuedPaper.code == normalise_code(code), IssuedPaper.status == PaperStatus.READY))
    return verdict(paper) if paper is not None else None


@dataclass
class UploadVerdict:
    """What /verify says about an uploaded file."""

    sealed: bool  # it carries a signature
    issued_by_tizim: bool  # the signature is the one Tizim's registry records for its code
    intact: bool  # not a byte changed since it was sealed
    identical: bool  # byte for byte the file Tizim stored
    verdict: Verdict | None  # the paper it claims to be, when its code is Tizim's


_CODE_IN_KEYWORDS = re.compile(r"tizim-verify:([A-Z0-9-]{14})")


def check_upload(data: bytes) -> UploadVerdict:
    """Whether Tizim issued this PDF and whether any byte changed since."""
    check = check_pdf(data)
    match = _CODE_IN_KEYWORDS.search(check.keywords or "")
    found = find_by_code(match[1]) if match else None
    if found is None:
        return UploadVerdict(check.signed, False, False, False, None)
    ours = check.fingerprint is not None and check.fingerprint == found.paper.seal_fingerprint
    identical = hashlib.sha256(data).hexdigest() == found.paper.sha256
    return UploadVerdict(sealed=check.signed, issued_by_tizim=ours, intact=ours and check.intact,
                         identical=identical, verdict=found)


# --- the session's protocol: generated and sealed, or a scan ---------------------------------


@dataclass
class ProtocolState:
    can_generate: bool
    papers: list  # current protocol papers (kk, ru)
    attached: str | None  # "generated", "scan" or None
    attached_paper: IssuedPaper | None
    matches_record: bool


def protocol_state(session: RegionalSession) -> ProtocolState:
    """Whether the session's protocol is the one Tizim generated (and still matches the
    record) or an uploaded scan that nobody checked against it."""
    papers = [p for p in papers_of(PaperKind.SESSION_PROTOCOL, session.id)
              if p.status == PaperStatus.READY]
    attached, match, matches = None, None, False
    if session.protocol_document_id is not None:
        document = db.session.get(Document, session.protocol_document_id)
        match = db.session.scalar(select(IssuedPaper).where(
            IssuedPaper.kind == PaperKind.SESSION_PROTOCOL, IssuedPaper.subject_id == session.id,
            IssuedPaper.sha256 == document.sha256)) if document is not None else None
        attached = "generated" if match is not None else "scan"
        if match is not None:
            matches = match.facts_digest == digest(
                PaperKind.SESSION_PROTOCOL, content.facts(PaperKind.SESSION_PROTOCOL, session))
    return ProtocolState(can_generate=session.members_present is not None, papers=papers,
                         attached=attached, attached_paper=match, matches_record=matches)


def attach_generated_protocol(user, session_id: int, language: str) -> IssuedPaper:
    """Make the sealed protocol the session's protocol, as if its file had been uploaded.

    :raise Refusal: not the coordinator's session, votes not recorded, the paper still being
        made, or the session's own refusal (closed already).
    """
    from werkzeug.datastructures import FileStorage

    from workflow.sessions import services as sessions

    if user.role != Role.COORDINATOR:
        raise not_found()
    paper = request_paper(user, PaperKind.SESSION_PROTOCOL, session_id, language)
    if paper.status != PaperStatus.READY:
        raise Refusal(_l("The protocol is still being made. Wait for it, then try again."),
                      code="wrong_state", status=409)
    data = file_path(paper).read_bytes()
    upload = FileStorage(stream=io.BytesIO(data), filename=f"protocol-{paper.code}.pdf",
                         content_type="application/pdf")
    sessions.attach_protocol(user, session_id, upload)
    return paper
