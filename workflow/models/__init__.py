"""The domain model, the kernel every capability builds on: import models from here.

One module per part of the record; every table is defined here, so any layer may read any
model without importing a capability above it (docs/architecture.md, "Layers").
"""

from workflow.models.account import AccountToken, TokenPurpose
from workflow.models.api import ApiToken, IdempotentRequest
from workflow.models.core import (
    REFERENCE_ALPHABET,
    Association,
    AuditChain,
    AuditEvent,
    Candidate,
    Counter,
    Document,
    LocalizedName,
    Membership,
    Nomination,
    Region,
    RowScope,
    StatusWithoutAuditEvent,
    User,
    UTCDateTime,
    new_reference_code,
    utcnow,
)
from workflow.models.council import CouncilAgendaItem, CouncilMeeting
from workflow.models.issuing import IssuingBatch, IssuingItem, ItemStatus
from workflow.models.lists import LIST_INDEXES, LIST_ROW, ListRow, list_rows
from workflow.models.notifications import (
    DeliveryStatus,
    EmailDelivery,
    EmailWording,
    Notification,
    NotificationPreference,
)
from workflow.models.orders import ChairmanOrder, ChairmanOrderItem, OrderDecision
from workflow.models.papers import IssuedPaper, PaperKind, PaperStatus
from workflow.models.sessions import (
    OUTCOME_LABELS,
    SESSION_STATUS_LABELS,
    Outcome,
    RegionalSession,
    SessionItem,
    SessionStatus,
)

__all__ = [
    "LIST_INDEXES", "LIST_ROW", "ListRow", "list_rows", "OUTCOME_LABELS",
    "REFERENCE_ALPHABET", "SESSION_STATUS_LABELS",
    "AccountToken", "Association", "AuditChain", "AuditEvent", "Candidate", "ChairmanOrder",
    "ChairmanOrderItem", "CouncilAgendaItem", "CouncilMeeting", "Counter", "DeliveryStatus",
    "Document", "EmailDelivery", "IssuingBatch", "IssuingItem", "ItemStatus", "LocalizedName",
    "Membership", "Nomination", "Notification", "NotificationPreference", "OrderDecision",
    "Outcome", "Region", "RegionalSession", "RowScope", "SessionItem", "SessionStatus",
    "StatusWithoutAuditEvent", "TokenPurpose", "User", "UTCDateTime", "new_reference_code",
    "utcnow",
]
__all__ += ["IssuedPaper", "PaperKind", "PaperStatus"]  # the papers (issue 13)
from workflow.models.privacy import DestructionGround, DestructionRecord  # noqa: E402

__all__ += ["DestructionGround", "DestructionRecord"]  # personal data destroyed (issue 17)
__all__ += ["ApiToken", "IdempotentRequest"]  # the JSON API (issue 15)
__all__ += ["EmailWording"]  # the administrator's wording of e-mails (issue 12)
