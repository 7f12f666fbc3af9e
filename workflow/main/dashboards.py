"""What each role's home page shows. One function per role; the view picks by role."""

from __future__ import annotations

from workflow.domain import State
from workflow.nominations import services as nominations
from workflow.sessions import services as sessions


def coordinator(user) -> dict:
    """The region's pipeline at a glance, what needs the coordinator now, the next sessions."""
    returned = nominations.needing_attention(user, State.RETURNED)
    return {
        "counts": nominations.count_by_state(user),
        "drafts": nominations.needing_attention(user, State.DRAFT),
        "returned": returned,
        "reasons": nominations.returns_of(returned),
        "supported": nominations.needing_attention(user, State.SUPPORTED),
        "sessions": sessions.upcoming(user),
    }


def secretariat(user) -> dict:
    """The national pipeline at a glance."""
    return {"counts": nominations.count_by_state(user)}


def member(user) -> dict:
    return {}


def admin(user) -> dict:
    return {}


BY_ROLE = {"coordinator": coordinator, "secretariat": secretariat, "member": member,
           "admin": admin}
