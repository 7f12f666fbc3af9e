"""The home pages' charts (issue 12 item 8): entries per month by stage, time in each stage
(median and 90th percentile), the share of each route, from the audit trail's state changes,
scoped, in a bounded number of queries, rendered with their tables in kk and ru."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from tests import factories as f
from tests.charts import chart_specs
from workflow.domain import Role, Route, State
from workflow.extensions import db
from workflow.models import AuditEvent
from workflow.secretariat import figures

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


def history(nomination, *steps: tuple[str, datetime]) -> None:
    """Rewrite a nomination's status events as ``steps`` (to_status, when), oldest first.

    The test needs a history spread over months; the pipeline writes ``now``. The events stay
    the pipeline's own (same rows, same order), only their times and states are set here.
    """
    events = list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.nomination_id == nomination.id,
                                 AuditEvent.to_status.is_not(None)).order_by(AuditEvent.id)))
    assert len(events) >= len(steps)
    for e in events[len(steps):]:
        db.session.delete(e)
    previous = None
    for e, (state, at) in zip(events, steps, strict=False):
        e.from_status, e.to_status, e.created_at = previous, state, at
        e.action = "create" if previous is None else "step"
        previous = state
    db.session.flush()


def days_ago(n: float) -> datetime:
    return NOW - timedelta(days=n)


def test_month_bounds_are_the_assemblys_months():
    tz = ZoneInfo("Asia/Almaty")
    bounds = figures.month_bounds(datetime(2026, 1, 31, 20, 0, tzinfo=UTC), tz)  # 1 Feb there
    assert len(bounds) == 13
    assert bounds[0].date().isoformat() == "2025-03-01"
    assert bounds[-2].date().isoformat() == "2026-02-01"
    assert bounds[-1].date().isoformat() == "2026-03-01"


@pytest.mark.parametrize(("values", "p", "expected"), [
    ([], 0.5, None),
    ([4.0], 0.5, 4.0), ([4.0], 0.9, 4.0),  # one stay: the median and p90 are that stay
    ([1.0, 3.0], 0.5, 2.0), ([1.0, 3.0], 0.9, 2.8),
    ([float(d) for d in range(1, 11)], 0.5, 5.5),
    ([float(d) for d in range(1, 11)], 0.9, 9.1),
    ([float(d) for d in range(1, 12)], 0.9, 10.0),  # exactly on a value
    ([2.0, 2.0, 2.0, 10.0], 0.5, 2.0), ([2.0, 2.0, 2.0, 10.0], 0.9, 7.6),
])
def test_quantiles_interpolate_like_percentile_cont(values, p, expected):
    histogram: dict[float, int] = {}
    for v in values:
        histogram[v] = histogram.get(v, 0) + 1
    got = figures.quantile(sorted(histogram.items()), p)
    assert got == pytest.approx(expected) if expected is not None else got is None


def test_figures_from_a_small_constructed_history(app):
    regional = [f.nomination(State.FORWARDED) for _ in range(3)]
    council = f.nomination(State.UNDER_REVIEW, route=Route.COUNCIL)
    old = f.nomination(State.SUBMITTED)
    # Submitted stays of 2, 4 and 10 days; forwarded ones still running (not counted).
    for nom, stay in zip(regional, (2, 4, 10), strict=True):
        history(nom, ("draft", days_ago(60)), ("submitted", days_ago(50)),
                ("on_agenda", days_ago(50 - stay)), ("supported", days_ago(30)),
                ("forwarded", days_ago(20)))
    history(council, ("under_review", days_ago(3)))
    # Entered more than twelve months ago and left 'draft' then: in no figure.
    history(old, ("draft", days_ago(500)), ("submitted", days_ago(420)))
    db.session.commit()

    out = figures.figures(f.user(Role.SECRETARIAT), now=NOW)
    assert [m.isoformat() for m in out.months][-3:] == ["2026-09-01", "2026-10-01", "2026-11-01"]
    # 50 days before 15 Nov is 26 Sep; 20 days before is 26 Oct; 3 days before is 12 Nov.
    assert out.entries[State.SUBMITTED][-3:] == [3, 0, 0]
    assert out.entries[State.FORWARDED][-3:] == [0, 3, 0]
    assert out.entries[State.UNDER_REVIEW][-3:] == [0, 0, 1]
    assert sum(out.entries[State.SUBMITTED]) == 3  # the old one's entry is outside the year

    submitted = out.stays[State.SUBMITTED]
    assert (submitted.count, submitted.median, submitted.p90) == (3, 4.0, 8.8)
    assert out.stays[State.DRAFT] == figures.Stay(3, 10.0, 10.0)
    assert out.stays[State.FORWARDED].count == 0 and out.stays[State.FORWARDED].median is None
    assert out.routes == {Route.REGIONAL: 3, Route.ASSOCIATION: 0, Route.COUNCIL: 1,
                          Route.ROTATION: 0}


def test_the_coordinator_sees_their_regions_figures_only(app):
    own = f.nomination(State.SUBMITTED, region_code="KZ-75")
    other = f.nomination(State.SUBMITTED, region_code="KZ-71")
    history(own, ("draft", days_ago(10)), ("submitted", days_ago(8)))
    history(other, ("draft", days_ago(10)), ("submitted", days_ago(5)))
    db.session.commit()

    mine = figures.figures(f.user(Role.COORDINATOR, "KZ-75"), now=NOW)
    assert mine.routes[Route.REGIONAL] == 1
    assert mine.stays[State.DRAFT] == figures.Stay(1, 2.0, 2.0)
    assert sum(mine.entries[State.SUBMITTED]) == 1
    national = figures.figures(f.user(Role.SECRETARIAT), now=NOW)
    assert national.routes[Route.REGIONAL] == 2
    assert national.stays[State.DRAFT] == figures.Stay(2, 3.5, 4.7)


def count_statements(run) -> int:
    seen = []

    def record(*args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return len(seen)


def test_the_figures_take_the_same_queries_for_few_and_many(app):
    officer = f.user(Role.SECRETARIAT)
    f.nomination(State.FORWARDED)
    db.session.commit()
    _ = officer.role, officer.region_id  # loaded before counting: the request has its user
    few = count_statements(lambda: figures.figures(officer))
    for state in (State.FORWARDED, State.SUBMITTED, State.RETURNED):
        for _ in range(3):
            f.nomination(state)
    db.session.commit()
    _ = officer.role, officer.region_id
    assert count_statements(lambda: figures.figures(officer)) == few == 3


@pytest.mark.parametrize("lang", ["kk", "ru"])
@pytest.mark.parametrize("role", [Role.SECRETARIAT, Role.COORDINATOR])
def test_the_home_pages_draw_the_charts_with_their_tables(app, client, auth, lang, role):
    f.nomination(State.FORWARDED)
    f.nomination(State.UNDER_REVIEW, route=Route.COUNCIL)
    auth.login(f.user(role, "KZ-75", language=lang))
    page = client.get("/").get_data(as_text=True)
    specs = chart_specs(page)
    assert set(specs) == {"chart-months", "chart-stays", "chart-routes"}
    assert all(spec["labels"] and spec["datasets"] for spec in specs.values())
    assert page.count("<table class=\"table table-sm table-striped small mb-0\">") == 3
    assert "vendor/chart.js/chart.umd.min.js" in page and "charts.js" in page
    from flask_babel import force_locale

    from workflow.domain import ROUTE_LABELS, STATE_LABELS

    with force_locale(lang):
        assert str(STATE_LABELS[State.FORWARDED]) in page
        assert str(ROUTE_LABELS[Route.COUNCIL]) in page
