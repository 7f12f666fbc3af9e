"""What each role's home page shows. One function per role; the view picks by role."""

from __future__ import annotations

from flask_babel import format_date, format_percent
from flask_babel import gettext as _

from workflow.domain import ROUTE_LABELS, STATE_LABELS, State
from workflow.nominations import services as nominations
from workflow.secretariat import figures as year_figures
from workflow.sessions import services as sessions


def charts(user) -> dict:
    """The last twelve months as three charts (``macros/charts.html``), words in the locale."""
    fig = year_figures.figures(user)
    total = fig.nominations
    return {
        "months": {
            "type": "line",
            "labels": [format_date(m, "LLL yyyy") for m in fig.months],
            "datasets": [{"label": str(STATE_LABELS[s]), "data": fig.entries[s]}
                         for s in year_figures.STAGES],
        },
        "stays": {
            "type": "bar", "unit": _("days"),
            "labels": [str(STATE_LABELS[s]) for s in year_figures.TIMED],
            "datasets": [
                {"label": _("Median"), "data": [fig.stays[s].median for s in year_figures.TIMED]},
                {"label": _("90th percentile"),
                 "data": [fig.stays[s].p90 for s in year_figures.TIMED]},
            ],
        },
        "routes": {
            "type": "doughnut",
            # TRANSLATORS: a route of nomination, then its share of the nominations in per cent
            "labels": [_("%(route)s, %(share)s of all", route=ROUTE_LABELS[r],
                         share=format_percent(n / total if total else 0))
                       for r, n in fig.routes.items()],
            "datasets": [{"label": _("Nominations"), "data": list(fig.routes.values())}],
        },
    }


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
        "charts": charts(user),
    }


def secretariat(user) -> dict:
    """The national pipeline at a glance: funnel, regions, ages and the work queues."""
    from workflow.council.services import meetings
    from workflow.domain import State
    from workflow.secretariat import services

    return {"STATES": State, "overview": services.overview(user), "queue_labels": services.QUEUE_LABELS,
            "is_overdue": services.is_overdue, "age_days": services.age_days,
            "planned_meetings": meetings(user, planned_only=True, limit=3),
            "charts": charts(user)}


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
