"""The domain's fixed vocabularies: roles, routes, states, grounds. Labels live in the catalogs."""

from dataclasses import dataclass
from enum import StrEnum

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString


def body_text(message: str, **variables) -> LazyString:
    """A lazy text that names the body Tizim serves (``TIZIM_BODY``): ``%(body)s`` is its name
    after "a member of", ``%(body_short)s`` its short name (``workflow.bodies.Body.words``),
    both in the language the text is read in; ``variables`` fill in the rest. Extracted like
    ``_l`` (``make i18n``)."""
    return LazyString(lambda: gettext(
        message, **current_app.config["BODY_CONFIG"].words(), **variables))


class Role(StrEnum):
    COORDINATOR = "coordinator"
    SECRETARIAT = "secretariat"
    MEMBER = "member"
    ADMIN = "admin"
    # Not a login role: the actor of work the system does itself (issuing memberships).
    SYSTEM = "system"


LOGIN_ROLES = (Role.COORDINATOR, Role.SECRETARIAT, Role.MEMBER, Role.ADMIN)


@dataclass(frozen=True)
class SystemActor:
    """Tizim itself, as the actor of work done by tasks (issuing memberships)."""

    id: None = None
    role: str = Role.SYSTEM
    region_id: None = None


SYSTEM = SystemActor()

ROLE_LABELS = {
    Role.COORDINATOR: _l("Regional coordinator"),
    Role.SECRETARIAT: _l("Secretariat officer"),
    Role.MEMBER: _l("Member"),
    Role.ADMIN: _l("Administrator"),
    Role.SYSTEM: _l("System"),
}


class Route(StrEnum):
    """Routes of nomination, Law No. 70-IV Art. 15.2."""

    REGIONAL = "regional"
    ASSOCIATION = "association"
    COUNCIL = "council"
    ROTATION = "rotation"


ROUTE_LABELS = {
    Route.REGIONAL: _l("Regional assembly session"),
    Route.ASSOCIATION: _l("Supreme body of an association"),
    Route.COUNCIL: _l("Council of the Assembly"),
    Route.ROTATION: _l("Rotation"),
}


class State(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ON_AGENDA = "on_agenda"
    SUPPORTED = "supported"
    DECLINED_REGIONALLY = "declined_regionally"
    FORWARDED = "forwarded"
    RETURNED = "returned"
    UNDER_REVIEW = "under_review"
    COUNCIL_AGENDA = "council_agenda"
    RECOMMENDED = "recommended"
    COUNCIL_DECLINED = "council_declined"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    MEMBER = "member"


STATE_LABELS = {
    State.DRAFT: _l("Draft"),
    State.SUBMITTED: _l("Submitted"),
    State.ON_AGENDA: _l("On a session agenda"),
    State.SUPPORTED: _l("Supported by the regional session"),
    State.DECLINED_REGIONALLY: _l("Not supported by the regional session"),
    State.FORWARDED: _l("Forwarded to the Secretariat"),
    State.RETURNED: _l("Returned for correction"),
    State.UNDER_REVIEW: _l("Under review"),
    State.COUNCIL_AGENDA: _l("On the Council agenda"),
    State.RECOMMENDED: _l("Recommended to the Chairman"),
    State.COUNCIL_DECLINED: _l("Declined by the Council"),
    State.APPROVED: _l("Approved by the Chairman"),
    State.REJECTED: _l("Rejected by the Chairman"),
    State.WITHDRAWN: _l("Withdrawn"),
    State.MEMBER: body_text("Member of %(body_short)s"),
}


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


SEX_LABELS = {Sex.MALE: _l("Male"), Sex.FEMALE: _l("Female")}


class AssociationLevel(StrEnum):
    REPUBLICAN = "republican"
    REGIONAL = "regional"


ASSOCIATION_LEVEL_LABELS = {
    AssociationLevel.REPUBLICAN: _l("Republican"),
    AssociationLevel.REGIONAL: _l("Regional"),
}


class AssociationKind(StrEnum):
    ETHNO_CULTURAL = "ethno_cultural"
    OTHER = "other"


ASSOCIATION_KIND_LABELS = {
    AssociationKind.ETHNO_CULTURAL: _l("Ethno-cultural association"),
    AssociationKind.OTHER: _l("Other public association"),
}


class ConsentForm(StrEnum):
    """How consent to personal data processing was given (Law No. 94-V Art. 8)."""

    WRITTEN = "written"
    ELECTRONIC = "electronic"


CONSENT_FORM_LABELS = {
    ConsentForm.WRITTEN: _l("In writing, signed"),
    ConsentForm.ELECTRONIC: _l("Electronic, signed with an EDS"),
}


class MembershipStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


MEMBERSHIP_STATUS_LABELS = {MembershipStatus.ACTIVE: _l("Active"),
                            MembershipStatus.ENDED: _l("Ended")}


class EndGround(StrEnum):
    """Grounds for leaving the Assembly, Law No. 70-IV Art. 17: a fixed list."""

    OWN_INITIATIVE = "own_initiative"
    CITIZENSHIP_LOST = "citizenship_lost"
    LEFT_COUNTRY = "left_country"
    POST_CHANGED = "post_changed"
    DEATH = "death"
    COURT_INCOMPETENT = "court_incompetent"
    COURT_DEAD_OR_MISSING = "court_dead_or_missing"
    ROTATION = "rotation"
    RECALLED = "recalled"
    HEALTH = "health"
    IMPROPER_PERFORMANCE = "improper_performance"
    DISCREDITING_OFFENCE = "discrediting_offence"
    CONVICTION = "conviction"
    MOVED_REGION = "moved_region"
    OTHER = "other"


END_GROUND_LABELS = {
    EndGround.OWN_INITIATIVE: _l("On the member's own initiative"),
    EndGround.CITIZENSHIP_LOST: _l("Loss of citizenship of the Republic of Kazakhstan"),
    EndGround.LEFT_COUNTRY: _l("Departure abroad for permanent residence"),
    EndGround.POST_CHANGED: _l("Change of the post by virtue of which the member sat"),
    EndGround.DEATH: _l("Death"),
    EndGround.COURT_INCOMPETENT: _l("Declared legally incompetent by a court"),
    EndGround.COURT_DEAD_OR_MISSING: _l("Declared dead or missing by a court"),
    EndGround.ROTATION: _l("Rotation"),
    EndGround.RECALLED: _l("Recalled by the nominating association"),
    EndGround.HEALTH: _l("State of health (at the Chairman's discretion)"),
    EndGround.IMPROPER_PERFORMANCE: _l("Improper performance of duties (at the Chairman's discretion)"),
    EndGround.DISCREDITING_OFFENCE: _l("An offence discrediting the title (at the Chairman's discretion)"),
    EndGround.CONVICTION: _l("A conviction that has entered into force (at the Chairman's discretion)"),
    EndGround.MOVED_REGION: _l("Moving to another region (regional members)"),
    EndGround.OTHER: _l("Other grounds (at the Chairman's discretion)"),
}


class DocumentKind(StrEnum):
    DECISION = "decision"  # the association's or body's decision / protocol
    CONSENT = "consent"  # written consent to personal data processing
    CV = "cv"
    PROTOCOL = "protocol"  # a session's or meeting's protocol
    ORDER = "order"  # the Chairman's order
    WITHDRAWAL = "withdrawal"  # the candidate's signed withdrawal of consent (Law No. 94-V)
    OTHER = "other"


DOCUMENT_KIND_LABELS = {
    DocumentKind.DECISION: _l("Decision or protocol of the nominating body"),
    DocumentKind.CONSENT: _l("Consent to personal data processing"),
    DocumentKind.CV: _l("Curriculum vitae"),
    DocumentKind.PROTOCOL: _l("Protocol"),
    DocumentKind.ORDER: _l("Order"),
    DocumentKind.WITHDRAWAL: _l("Withdrawal of consent to personal data processing"),
    DocumentKind.OTHER: _l("Other document"),
}

# Why the Secretariat returns a nomination: fixed codes, kept in the `return` event's data.
RETURN_REASON_LABELS = {
    "iin": _l("IIN, date of birth or sex do not agree"),
    "personal_data": _l("Name or other personal details"),
    "citizenship": _l("Citizenship"),
    "consent": _l("Consent to personal data processing"),
    "decision_document": _l("Decision or protocol of the nominating body"),
    "consent_document": _l("Signed consent document"),
    "cv_document": _l("Curriculum vitae"),
    "justification": _l("Justification of the nomination"),
    "association": _l("Nominating association"),
    "other": _l("Other (see the comment)"),
}

# Why a participant of a session or a Council meeting is recused from one item (a conflict of
# interest): fixed codes, kept with the agenda item and in its decision's data.
RECUSAL_REASON_LABELS = {
    "candidate": _l("The candidate themself"),
    "relative": _l("A relative of the candidate"),
    "association_head": _l("Head of the nominating association"),
    "other": _l("Other conflict of interest"),
}

LANGUAGE_LABELS = {"kk": "Қазақша", "ru": "Русский", "en": "English"}


# Quotation marks of every kind people type around a name («…», "…", “…”, „…“, '…').
_QUOTES = str.maketrans("", "", "«»\"“”„‟'‘’‚`")


def name_key(name: str) -> str:
    """An association's name as Tizim compares it for duplicates: without quotation marks,
    case, ё/е differences or runs of spaces and dashes. «Возрождение» and "возрождение " are the
    same association; the name itself is kept as typed."""
    text = (name or "").translate(_QUOTES).casefold().replace("ё", "е")
    text = text.replace("–", "-").replace("—", "-")
    return " ".join(text.replace(" - ", "-").split())
