"""The nominee's status check: a reference code and a birth date, and nothing about anybody.

Every check does the same work whatever the outcome: one indexed query by code, then a
constant-time comparison of the birth date (against a stand-in when no code matched), so a
wrong code, a wrong date and another person's pair look alike in answer and in time.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from workflow.domain import State, body_text
from workflow.extensions import db
from workflow.models import Candidate, ChairmanOrder, ChairmanOrderItem, Membership, Nomination

_NOT_CODE = re.compile(r"[\s\-\u2010-\u2015]")
_STAND_IN = date(1, 1, 1)

# What a nominee reads: the stage in plain words, and what happens next.
STAGES = {
    State.DRAFT: (
        _l("Being prepared by your region's coordinator"),
        _l("The coordinator completes the documents and submits the nomination to the regional "
           "assembly.")),
    State.SUBMITTED: (
        _l("Registered, waiting for a session of the regional assembly"),
        _l("The regional assembly will consider it at one of its sessions.")),
    State.ON_AGENDA: (
        _l("On the agenda of the regional assembly's session"),
        _l("The session votes on it; the result is known soon after the session.")),
    State.SUPPORTED: (
        _l("Supported by the regional assembly"),
        body_text("The region sends it to the Secretariat of %(body_short)s.")),
    State.DECLINED_REGIONALLY: (
        _l("Not supported by the regional assembly"),
        _l("The nomination has ended here. Your region's coordinator can explain the decision.")),
    State.FORWARDED: (
        body_text("Received by the Secretariat of %(body_short)s"),
        _l("The Secretariat checks the documents.")),
    State.RETURNED: (
        _l("Returned to the region to complete the documents"),
        _l("The region corrects what was asked and sends it to the Secretariat again.")),
    State.UNDER_REVIEW: (
        _l("The Secretariat is checking the documents"),
        _l("Then it goes on the agenda of the Council.")),
    State.COUNCIL_AGENDA: (
        _l("On the agenda of the Council"),
        body_text("The Council decides whether to recommend it to the Chairman of "
                  "%(body_short)s.")),
    State.RECOMMENDED: (
        body_text("Recommended by the Council to the Chairman of %(body_short)s"),
        body_text("The Chairman of %(body_short)s decides.")),
    State.COUNCIL_DECLINED: (
        _l("Not recommended by the Council"),
        _l("The nomination has ended here. Your region's coordinator can explain the decision.")),
    State.APPROVED: (
        body_text("Approved by the Chairman of %(body_short)s"),
        _l("The membership is being registered. If you gave an e-mail, an invitation to your "
           "member account will come to it.")),
    State.REJECTED: (
        body_text("Not approved by the Chairman of %(body_short)s"),
        _l("The nomination has ended here. Your region's coordinator can explain the decision.")),
    State.WITHDRAWN: (
        _l("Withdrawn"),
        _l("The nomination has ended here. Your region's coordinator can tell you more.")),
    State.MEMBER: (
        body_text("You are a member of %(body_short)s"),
        _l("If you gave an e-mail, an invitation to your member account was sent to it. The "
           "Secretariat can send it again.")),
}


def normalise_code(raw: str | None) -> str:
    """``abcd efgh``, ``ABCDEFGH`` and ``abcd-efgh`` are all ``ABCD-EFGH``."""
    compact = _NOT_CODE.sub("", raw or "").upper()[:32]
    return f"{compact[:4]}-{compact[4:]}" if len(compact) == 8 else compact


@dataclass(frozen=True)
class PublicStatus:
    stage: object
    since: datetime | date
    next_step: object
    state: State


def check_status(code: str, birth_date: date) -> PublicStatus | None:
    """The stage of the nomination with this code, if the birth date is the nominee's; else None."""
    # The Chairman's decision and the membership date from the order itself (the date its
    # memberships start), not from when Tizim recorded them: every page says that one date.
    order_date = (select(func.max(ChairmanOrder.order_date))
                  .join(ChairmanOrderItem, ChairmanOrderItem.order_id == ChairmanOrder.id)
                  .where(ChairmanOrderItem.nomination_id == Nomination.id)
                  .correlate(Nomination).scalar_subquery())
    row = db.session.execute(
        select(Nomination.status.label("status"), Nomination.status_changed_at,
               Candidate.birth_date, Membership.started_on, order_date.label("order_date"))
        .join(Candidate, Candidate.id == Nomination.candidate_id)
        .outerjoin(Membership, Membership.nomination_id == Nomination.id)
        .where(Nomination.reference_code == normalise_code(code))
    ).first()
    stored = row.birth_date if row is not None else _STAND_IN
    same = hmac.compare_digest(stored.isoformat().encode(), birth_date.isoformat().encode())
    if row is None or not same:
        return None
    state = State(row.status)
    stage, next_step = STAGES[state]
    since = row.status_changed_at
    if state == State.MEMBER and row.started_on is not None:
        since = row.started_on
    elif state in (State.APPROVED, State.REJECTED) and row.order_date is not None:
        since = row.order_date
    return PublicStatus(stage=stage, since=since, next_step=next_step, state=state)


# --- The acknowledgement handed to the nominee. -------------------------------------------------


