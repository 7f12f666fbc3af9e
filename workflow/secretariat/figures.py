"""The home pages' figures over the last twelve months, from the audit trail's state changes.

Every status change is an ``AuditEvent`` with ``from_status``, ``to_status`` and its time, so:

- **entries per month by stage**: the events that put a nomination into a stage, counted by
  the month (in the Assembly's time zone) they happened in;
- **time in each stage**: a stay runs from the event that entered a state to the nomination's
  next state change (``LEAD`` over its events); stays that ended in the twelve months give the
  median and the 90th percentile, in days, per state (stays still running are not counted);
- **the routes**: the nominations that entered the pipeline (their ``create`` event) in the
  twelve months, by route.

Three aggregate queries, whatever the number of nominations, on SQLite and PostgreSQL alike:
the months are buckets whose bounds are computed here, and the durations come back as a
histogram of whole hours from which the percentiles are read (no per-row transfer, no
database-specific percentile function). Scope: ``permissions.scoped`` on ``Nomination``
(a coordinator's region; the Secretariat every region).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from math import floor
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import case, func, select

from workflow import pipeline
from workflow.database import is_postgres
from workflow.domain import Route, State
from workflow.extensions import db
from workflow.models import AuditEvent, Nomination, utcnow
from workflow.permissions import scoped

MONTHS = 12
# The stages whose entries each month shows: the main line and the return.
STAGES = (State.SUBMITTED, State.SUPPORTED, State.FORWARDED, State.RETURNED, State.UNDER_REVIEW,
          State.COUNCIL_AGENDA, State.RECOMMENDED, State.APPROVED, State.MEMBER)
# The states a nomination stays in and leaves (the final ones are never left).
TIMED = tuple(s for s in State if s not in pipeline.FINAL_STATES)


@dataclass(frozen=True)
class Stay:
    count: int  # stays that ended in the period
    median: float | None  # days
    p90: float | None  # days


@dataclass
class Figures:
    months: list[date]  # the first day of each month, oldest first
    entries: dict[State, list[int]] = field(default_factory=dict)  # per stage, per month
    stays: dict[State, Stay] = field(default_factory=dict)
    routes: dict[Route, int] = field(default_factory=dict)

    @property
    def nominations(self) -> int:
        return sum(self.routes.values())


def month_bounds(now: datetime, tz: ZoneInfo, months: int = MONTHS) -> list[datetime]:
    """The starts of the last ``months`` months (this one included) where the Assembly sits,
    and the start of the next: ``months + 1`` aware datetimes."""
    local = now.astimezone(tz)
    year, month = local.year, local.month
    starts = []
    for back in range(months - 1, -2, -1):
        y, m = divmod((year * 12 + month - 1) - back, 12)
        starts.append(datetime(y, m + 1, 1, tzinfo=tz))
    return starts


def quantile(histogram: list[tuple[float, int]], p: float) -> float | None:
    """The ``p`` quantile (0..1) of the values a sorted histogram (value, count) holds, linearly
    interpolated between neighbours as PostgreSQL's ``percentile_cont`` does."""
    n = sum(c for _, c in histogram)
    if n == 0:
        return None
    position = p * (n - 1)
    low, high = floor(position), floor(position) + (position > floor(position))

    def at(index: int) -> float:
        seen = 0
        for value, count in histogram:
            seen += count
            if index < seen:
                return value
        return histogram[-1][0]

    a, b = at(low), at(min(high, n - 1))
    return a + (b - a) * (position - low)


def _transitions(user, *columns):
    return scoped(
        select(*columns).select_from(AuditEvent)
        .join(Nomination, AuditEvent.nomination_id == Nomination.id),
        user, Nomination,
    ).where(AuditEvent.entity_type == "nomination", AuditEvent.to_status.is_not(None))


def _days(later, earlier):
    """Days between two timestamps, as a number, on either database."""
    if is_postgres():
        return func.extract("epoch", later - earlier) / 86400.0
    return func.julianday(later) - func.julianday(earlier)


def figures(user, *, now: datetime | None = None) -> Figures:
    """The last twelve months' figures of the nominations ``user`` may see."""
    tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    bounds = month_bounds(now or utcnow(), tz)
    start, end = bounds[0], bounds[-1]
    out = Figures(months=[b.date() for b in bounds[:-1]])

    # Entries into each stage, by month: the month is the first bound the event is before.
    month = case(*[(AuditEvent.created_at < b, i) for i, b in enumerate(bounds[1:-1])],
                 else_=len(bounds) - 2)
    entries = (_transitions(user, month.label("month"), AuditEvent.to_status.label("state"))
               .where(AuditEvent.to_status.in_([s.value for s in STAGES]),
                      AuditEvent.action != pipeline.IMPORTED,
                      AuditEvent.created_at >= start, AuditEvent.created_at < end)
               .subquery())
    out.entries = {s: [0] * MONTHS for s in STAGES}
    for index, state, n in db.session.execute(
            select(entries.c.month, entries.c.state, func.count())
            .group_by(entries.c.month, entries.c.state)):
        out.entries[State(state)][int(index)] = n

    # Stays: each state change until the nomination's next one.
    left = func.lead(AuditEvent.created_at, type_=AuditEvent.created_at.type).over(
        partition_by=AuditEvent.nomination_id, order_by=(AuditEvent.created_at, AuditEvent.id))
    stays = _transitions(user, AuditEvent.to_status.label("state"),
                         AuditEvent.created_at.label("entered"), left.label("left")).subquery()
    hours = (select(stays.c.state,
                    func.round(_days(stays.c.left, stays.c.entered) * 24).label("hours"))
             .where(stays.c.left.is_not(None), stays.c.left >= start, stays.c.left < end,
                    stays.c.state.in_([s.value for s in TIMED]))
             .subquery())
    histograms: dict[State, list[tuple[float, int]]] = {s: [] for s in TIMED}
    for state, h, n in db.session.execute(
            select(hours.c.state, hours.c.hours, func.count())
            .group_by(hours.c.state, hours.c.hours).order_by(hours.c.state, hours.c.hours)):
        histograms[State(state)].append((max(float(h), 0.0) / 24, n))
    out.stays = {s: Stay(sum(c for _, c in hist), _round(quantile(hist, 0.5)),
                         _round(quantile(hist, 0.9))) for s, hist in histograms.items()}

    # Routes of the nominations that entered the pipeline in the period.
    created = dict(db.session.execute(
        _transitions(user, Nomination.route, func.count())
        .where(AuditEvent.action == "create", AuditEvent.created_at >= start,
               AuditEvent.created_at < end)
        .group_by(Nomination.route)).all())
    out.routes = {r: created.get(r.value, 0) for r in Route}
    return out


def _round(days: float | None) -> float | None:
    return None if days is None else round(days, 1)
