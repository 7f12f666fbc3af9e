"""What an audit event says, in the reader's language, rendered when it is read.

Events store what happened as data — the action, the numbers, the ids, the numbers and
dates of the session, meeting or order — never a sentence in the language of whoever acted.
The timeline, the notifications and the e-mails all say it through ``describe`` under the
reader's locale (``flask_babel.force_locale`` for e-mails).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import format_date, gettext, lazy_pgettext
from flask_babel import lazy_gettext as _l

from workflow import bodies
from workflow.domain import (
    END_GROUND_LABELS,
    RECUSAL_REASON_LABELS,
    RETURN_REASON_LABELS,
    STATE_LABELS,
    EndGround,
    State,
)
from workflow.models import AuditEvent
from workflow.pipeline import BY_ACTION, IMPORTED

# The names of the fields a change may touch, for "what changed" lines.
FIELD_LABELS = {
    "surname": _l("Surname"),
    "given_name": _l("Given name"),
    "patronymic": _l("Patronymic"),
    "iin": _l("IIN"),
    "birth_date": _l("Date of birth"),
    "sex": _l("Sex"),
    "citizenship": _l("Citizenship"),
    "ethnicity": _l("Ethnicity"),
    "occupation": _l("Place of work"),
    "position": _l("Position"),
    "phone": _l("Phone"),
    "email": _l("E-mail"),
    "consent_given_on": _l("Consent given on"),
    "consent_form": _l("Form of consent"),
    "consent_scope": _l("What the consent covers"),
    "consent_withdrawn_on": _l("Consent withdrawn on"),
    "consent_given_at": _l("Consent given at"),
    "consent_token_id": _l("Consent link"),
    "consent_text_version": _l("Version of the consent text"),
    "consent_text_hash": _l("Checksum of the consent text"),
    "consent_language": _l("Language of the consent text"),
    "consent_ip": _l("Address the consent came from"),
    "consent_withdrawal_document_id": _l("Signed withdrawal of consent"),
    "erased_at": _l("Personal data destroyed"),
    "region_id": _l("Region"),
    "candidate_id": _l("Candidate"),
    "association_id": _l("Nominating association"),
    "justification": _l("Justification"),
    "nominating_body": _l("Deciding body and decision"),
    "name": _l("Name"),
    # An association's name as Tizim compares it (domain.name_key); it changes with the name.
    "name_key": lazy_pgettext("association", "Name"),
    "kind": _l("Kind"),
    "bin": _l("BIN"),
    "level": _l("Level"),
    "active": _l("Active"),
    "role": _l("Role"),
    "language": _l("Language"),
    "password": _l("Password"),
    "status": _l("Status"),
    "ended_on": _l("End date"),
    "end_ground": _l("Ground"),
    "end_document_id": _l("Basis document"),
    "end_comment": _l("Comment"),
    "session_quorum": _l("Quorum"),
    "session_majority": _l("Majority"),
    "expected_days": _l("Expected days in a state"),
    "user_id": _l("Account"),
    "created_by_id": _l("Entered by"),
    "document_id": _l("Document"),
    "number": _l("Number"),
    "order_date": _l("Date of the order"),
    "meeting_date": _l("Date of the meeting"),
    "members_total": _l("Members of the body"),
    "present": _l("Members present"),
    "members_present": _l("Members present"),
    "protocol_document_id": _l("Protocol"),
    "recorded_at": _l("Recorded"),
    "recorded_by_id": _l("Recorded by"),
    "title": _l("Title"),
    "member_number": _l("Member number"),
    "nomination_id": _l("Nomination"),
    "order_id": _l("Chairman's order"),
    "started_on": _l("Member since"),
    "reference_code": _l("Reference code"),
    "replaces_membership_id": _l("Member being replaced"),
    "route": _l("Route"),
    "centre_en": _l("Centre"),
    "iso_code": _l("Code"),
    "name_en": _l("Name in English"),
    "name_kk": _l("Name in Kazakh"),
    "name_ru": _l("Name in Russian"),
    "sort_order": _l("Order in lists"),
    "closed_at": _l("Closed"),
    # TRANSLATORS: the wording of an e-mail: the step of the process it tells of
    "action": _l("Step"),
    "subject": _l("Subject"),
    "body": _l("Text"),
    "updated_by_id": _l("Changed by"),
    "held_on": _l("Date"),
    "majority": _l("Majority"),
    "quorum": _l("Quorum"),
    "place": _l("Place"),
    "rule_override_reason": _l("Reason for a rule other than the region's"),
    "no_quorum": _l("Held without quorum"),
    "cancel_reason": _l("Reason for cancelling"),
    "cancelled_at": _l("Cancelled"),
}

ENTITY_TITLES = {
    ("candidate", "create"): _l("The candidate's record was created"),
    ("candidate", "update"): _l("The candidate's record was changed"),
    ("candidate", "consent_withdrawn"): _l("The candidate withdrew consent to personal data "
                                           "processing"),
    ("candidate", "consent_requested"): _l("The candidate was asked for consent to personal "
                                           "data processing by e-mail"),
    ("candidate", "consent_given"): _l("The candidate gave consent to personal data "
                                       "processing electronically, through the link sent by "
                                       "e-mail"),
    ("candidate", "erase"): _l("The person's data were destroyed: their purpose ended"),
    ("nomination", "update"): _l("The nomination's data were changed"),
    ("nomination", "erase"): _l("The personal data in this nomination were destroyed: their "
                                "purpose ended"),
    ("membership", "end"): _l("The membership ended"),
    ("membership", "update"): _l("The membership was changed"),
    ("membership", "imported"): _l("The membership was brought in from the existing register"),
    ("association", "create"): _l("The association was added"),
    ("association", "update"): _l("The association was changed"),
    ("association", "deactivate"): _l("The association was deactivated"),
    ("association", "reactivate"): _l("The association is active again"),
    ("user", "create"): _l("The account was created"),
    ("user", "update"): _l("The account was changed"),
    ("user", "api_token_created"): _l("A personal API token was made"),
    ("user", "api_token_revoked"): _l("A personal API token was revoked"),
    ("user", "deactivate"): _l("The account was deactivated"),
    ("user", "reactivate"): _l("The account is active again"),
    ("user", "invitation_sent"): _l("An invitation was sent"),
    ("user", "password_link_sent"): _l("A link to set a new password was sent"),
    ("region", "update"): _l("The region's rules were changed"),
    ("email_delivery", "resend"): _l("An e-mail that had not gone out was queued to be sent "
                                     "again"),
    ("email_wording", "create"): _l("The wording of an e-mail was written"),
    ("email_wording", "update"): _l("The wording of an e-mail was changed"),
    ("email_wording", "delete"): _l("The wording of an e-mail went back to the shipped "
                                    "wording"),
    ("session", "create"): _l("The session was planned"),
    ("session", "update"): _l("The session was changed"),
    ("session", "edit"): _l("The session's details were changed"),
    ("session", "reschedule"): _l("The session was rescheduled"),
    ("session", "cancel"): _l("The session was cancelled"),
    ("session", "no_quorum"): _l("The session was held without quorum"),
    ("council_meeting", "create"): _l("The Council meeting was planned"),
    ("council_meeting", "update"): _l("The Council meeting was changed"),
    ("order", "create"): _l("The Chairman's order was recorded"),
    ("order", "update"): _l("The Chairman's order was changed"),
    ("council_meeting", "quota_override"): _l("A seat quota's ceiling was exceeded by the "
                                              "officer's decision"),
    ("order", "quota_override"): _l("A seat quota's ceiling was exceeded by the officer's "
                                    "decision"),
}
# What an event is about (the audit trail's "what" filter), and through what it came.
ENTITY_TYPE_LABELS = {
    "candidate": _l("Candidates"),
    "nomination": _l("Nominations"),
    "membership": _l("Memberships"),
    "association": _l("Associations"),
    "user": _l("Accounts"),
    "region": _l("Regions"),
    "session": _l("Regional sessions"),
    "council_meeting": _l("Council meetings"),
    "order": _l("Chairman's orders"),
    "email_delivery": _l("E-mails sent"),
    "email_wording": _l("Wording of e-mails"),
}
VIA_LABELS = {"web": _l("web"), "api": _l("API"), "cli": _l("command line"),
              "system": _l("system")}
# Actions outside the pipeline's table, by name.
OTHER_ACTIONS = {
    "update": _l("Changed"),
    "delete": _l("Deleted"),
    "deactivate": _l("Deactivated"),
    "reactivate": _l("Reactivated"),
    "invitation_sent": _l("Invitation sent"),
    "password_link_sent": _l("Password link sent"),
    "end": _l("Ended"),
    "erase": _l("Personal data destroyed"),
    "consent_withdrawn": _l("Consent withdrawn"),
    "resend": _l("Sent again"),
    "edit": _l("Details changed"),
    "reschedule": _l("Rescheduled"),
    "cancel": _l("Cancelled"),
    "no_quorum": _l("Held without quorum"),
    "quota_override": _l("Quota ceiling exceeded"),
}
GENERIC_TITLES = {
    "create": _l("Created"),
    "update": _l("Changed"),
    "delete": _l("Deleted"),
}


@dataclass
class Description:
    title: str
    lines: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def _date(value) -> str:
    if not value:
        return "—"
    return format_date(date.fromisoformat(value) if isinstance(value, str) else value, "long")


def _recusal_lines(data) -> list[str]:
    """A decision's recusals: how many, and why (names stay with the agenda item)."""
    if not data.get("recused"):
        return []
    reason = RECUSAL_REASON_LABELS.get(data.get("recusal_reason"), data.get("recusal_reason"))
    return [gettext("Recused from this item: %(n)s (%(reason)s); not counted in its quorum or "
                    "majority.", n=data["recused"], reason=reason or "—")]
def _quotas(data: dict) -> str:
    """Each quota an override went past, by its name in the body served, seats of ceiling."""
    names = {q.key: str(q.name) for q in bodies.current().quotas}
    return ", ".join(f"{names.get(key, key)} ({after}/{ceiling})"
                     for key, (after, ceiling) in (data.get("standing") or {}).items())


def describe(event: AuditEvent) -> Description:
    """The event in the current locale: a title, lines of detail, the return reasons."""
    data = event.data or {}
    if event.entity_type == "nomination" and event.to_status is not None:
        return _transition(event, data)
    title = ENTITY_TITLES.get((event.entity_type, event.action)) or GENERIC_TITLES.get(
        event.action, event.action)
    lines = []
    if event.changes:
        names = [str(FIELD_LABELS.get(name, name)) for name in event.changes]
        lines.append(gettext("What changed: %(fields)s.", fields=", ".join(names)))
    if event.entity_type == "membership" and event.action == "end":
        ground = data.get("ground")
        label = END_GROUND_LABELS[EndGround(ground)] if ground in set(EndGround) else ground
        lines = [gettext("Ground: %(ground)s; ended on %(date)s.", ground=label,
                         date=_date(data.get("ended_on")))]
        if data.get("order_number"):
            lines.append(gettext("Order No. %(number)s.", number=data["order_number"]))
    if event.entity_type == "session" and event.action == "reschedule":
        lines = [gettext("From %(before)s to %(after)s.", before=_date(data.get("from")),
                         after=_date(data.get("to")))]
    elif event.entity_type == "session" and event.action == "cancel":
        lines = [gettext("Nominations taken off its agenda: %(n)s.", n=data.get("returned", 0))]
    elif event.entity_type == "session" and event.action == "no_quorum":
        lines = [gettext("%(present)s of %(total)s members present, at least %(needed)s "
                         "needed; every item is deferred.", present=data.get("present", "—"),
                         total=data.get("members_total", "—"), needed=data.get("needed", "—"))]
    if event.action == "quota_override":
        lines.append(gettext("Quotas past their ceiling: %(quotas)s.", quotas=_quotas(data)))
    return Description(str(title), lines)


def _transition(event: AuditEvent, data: dict) -> Description:
    target = STATE_LABELS[State(event.to_status)]
    if event.from_status:
        title = f"{STATE_LABELS[State(event.from_status)]} → {target}"
    elif event.action == IMPORTED:
        title = gettext("Brought in from the register kept before Tizim: %(state)s",
                        state=target)
    else:
        title = gettext("Entered: %(state)s", state=target)
    lines: list[str] = []
    action = event.action
    if action == "unschedule" and data.get("cancelled"):
        lines.append(gettext(
            "Regional session %(number)s of %(date)s was cancelled; the nomination waits for "
            "a session again.", number=data["session_number"], date=_date(data.get("held_on"))))
    elif action in ("schedule", "unschedule"):
        lines.append(gettext(
            "Agenda of regional session %(number)s of %(date)s.", number=data["session_number"],
            date=_date(data.get("held_on"))) if action == "schedule" else gettext(
            "Taken off the agenda of regional session %(number)s of %(date)s.",
            number=data["session_number"], date=_date(data.get("held_on"))))
    elif action in ("support", "decline_regionally"):
        lines.append(gettext(
            "Regional session %(number)s of %(date)s: %(present)s of %(total)s members present; "
            "%(yes)s for, %(no)s against, %(abstain)s abstained.",
            number=data["session_number"], date=_date(data.get("held_on")),
            present=data["members_present"], total=data["members_total"],
            yes=data["votes_for"], no=data["votes_against"], abstain=data["votes_abstain"]))
        lines.extend(_recusal_lines(data))
    elif action == "defer":
        lines.append(gettext(
            "Regional session %(number)s of %(date)s had no quorum; the decision is deferred.",
            number=data["session_number"], date=_date(data.get("held_on")))
            if data.get("no_quorum") else gettext(
            "Regional session %(number)s of %(date)s deferred the decision.",
            number=data["session_number"], date=_date(data.get("held_on"))))
        if data.get("reason"):
            lines.append(data["reason"])
    elif action == "put_on_council_agenda":
        lines.append(gettext("Agenda of the Council meeting of %(date)s.",
                             date=_date(data.get("meeting_date"))))
    elif action == "take_off_council_agenda":
        lines.append(gettext("The Council meeting of %(date)s deferred the decision.",
                             date=_date(data.get("meeting_date"))) if data.get("deferred")
                     else gettext("Taken off the agenda of the Council meeting of %(date)s.",
                                  date=_date(data.get("meeting_date"))))
    elif action in ("recommend", "decline_by_council"):
        lines.append(gettext(
            "Council meeting of %(date)s: %(present)s of %(total)s members present; "
            "%(yes)s for, %(no)s against, %(abstain)s abstained.",
            date=_date(data.get("meeting_date")), present=data["present"],
            total=data["members_total"], yes=data["votes_for"], no=data["votes_against"],
            abstain=data["votes_abstained"]))
        lines.extend(_recusal_lines(data))
    elif action == "withdraw_consent":
        lines.append(gettext("The candidate withdrew consent to personal data processing on "
                             "%(date)s; the signed withdrawal is on file.",
                             date=_date(data.get("withdrawn_on"))))
    elif action == IMPORTED:
        lines.append(gettext("Member since %(date)s; basis: %(basis)s.",
                             date=_date(data.get("started_on")), basis=data.get("basis") or "—"))
    elif action in ("approve", "reject"):
        lines.append(gettext("Chairman's order No. %(number)s of %(date)s.",
                             number=data["order_number"], date=_date(data.get("order_date"))))
    if data.get("quota_override"):
        lines.append(gettext("A seat quota went past its ceiling; the officer's reason: "
                             "%(reason)s", reason=data["quota_override"]))
    reasons = [str(RETURN_REASON_LABELS.get(r, r)) for r in data.get("reasons", ())]
    return Description(title, lines, reasons)


def action_label(action: str) -> str:
    """The name of an action as a person reads it (``create`` included)."""
    if action == "create":
        return gettext("Entered")
    if action == IMPORTED:
        return gettext("Imported")
    transition = BY_ACTION.get(action)
    if transition is not None:
        return str(transition.label)
    return str(OTHER_ACTIONS.get(action, action))
