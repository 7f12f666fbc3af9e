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
    """The national pipeline at a glance: funnel, regions, ages and the work queues."""
    from workflow.council.services import meetings
    from workflow.domain import State
    from workflow.secretariat import services

    return {"STATES": State, "overview": services.overview(), "queue_labels": services.QUEUE_LABELS,
            "is_overdue": services.is_overdue, "age_days": services.age_days,
            "planned_meetings": meetings(planned_only=True, limit=3)}


def member(user) -> dict:
    """The member's own membership, its basis and the nomination's history."""
    from workflow.members import services as members

    membership = members.own_membership(user)
    if membership is None:
        return {"membership": None}
    return {"membership": membership, "basis": members.basis(membership),
            "events": members.history(membership)}


def admin(user) -> dict:
    return {}


BY_ROLE = {"coordinator": coordinator, "secretariat": secretariat, "member": member,
           "admin": admin}
