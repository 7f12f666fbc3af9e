"""The composition of the body: its members by region, route, declared ethnicity, sex and age
band, and the seats of each quota against its ceiling — as a page (with charts) and a file.

Counted over the active memberships ``user`` may see (``permissions.scoped``): the Secretariat
sees the whole body; a coordinator, the members of their region (the quotas then count that
region's members only, so nothing of another region is told).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from workflow import bodies, quotas
from workflow.domain import SEX_LABELS, MembershipStatus, Role
from workflow.extensions import db
from workflow.models import Association, Candidate, Membership, Nomination, Region
from workflow.permissions import scoped
from workflow.register.services import AGE_BAND_LABELS, AGE_BANDS

# A declared ethnicity held by fewer members than this is shown with the others in the chart
# (the table under it and the export keep every one).
CHART_ETHNICITIES = 12


@dataclass(frozen=True)
class QuotaRow:
    quota: bodies.Quota
    members: int

    @property
    def ceiling(self) -> int | None:
        return self.quota.ceiling

    @property
    def over(self) -> bool:
        return self.ceiling is not None and self.members > self.ceiling


@dataclass
class Composition:
    total: int
    national: bool  # the whole body (the Secretariat) or one region's members
    regions: list[tuple[str, int]]
    routes: list[tuple[str, int]]
    ethnicities: list[tuple[str, int]]
    sexes: list[tuple[str, int]]
    age_bands: list[tuple[str, int]]
    quotas: list[QuotaRow]


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def age_band(born: date, today: date) -> str:
    age = age_on(born, today)
    return next(key for key, (low, high) in AGE_BANDS.items() if low <= age <= high)


def composition(user, *, today: date | None = None) -> Composition:
    """The body's members ``user`` may see, counted every way the page shows."""
    today = today or date.today()
    body = bodies.current()
    stmt = (scoped(select(Membership.id, Membership.region_id, Region.iso_code, Candidate.sex,
                          Candidate.birth_date, Candidate.ethnicity, Nomination.route,
                          Nomination.replaces_membership_id, Association.kind,
                          Association.level), user, Membership)
            .join(Candidate, Candidate.id == Membership.candidate_id)
            .join(Nomination, Nomination.id == Membership.nomination_id)
            .join(Region, Region.id == Membership.region_id)
            .outerjoin(Association, Association.id == Nomination.association_id)
            .where(Membership.status == MembershipStatus.ACTIVE))
    rows = list(db.session.execute(stmt))
    by_region = Counter(r.region_id for r in rows)
    regions = [(region.name, by_region[region.id])
               for region in db.session.scalars(select(Region).order_by(Region.sort_order))
               if user.role != Role.COORDINATOR or region.id == user.region_id]
    by_route = Counter(r.route for r in rows)
    routes = [(bodies.route_label(route), by_route[route]) for route in body.routes]
    ethnicities = sorted(Counter((r.ethnicity or "—").strip() for r in rows).items(),
                         key=lambda item: (-item[1], item[0]))
    by_sex = Counter(r.sex for r in rows)
    by_band = Counter(age_band(r.birth_date, today) for r in rows)
    chain = quotas.membership_routes()
    seats = quotas.seats_from_rows([(r.id, r.route, r.replaces_membership_id, r.iso_code, r.kind, r.level)
                           for r in rows], "membership", chain)
    quota_rows = [QuotaRow(q, sum(1 for s in seats if quotas.counts(q, s, body)))
                  for q in body.quotas]
    return Composition(
        total=len(rows), national=user.role != Role.COORDINATOR, regions=regions,
        routes=routes, ethnicities=ethnicities,
        sexes=[(str(label), by_sex[sex]) for sex, label in SEX_LABELS.items()],
        age_bands=[(str(label), by_band[band]) for band, label in AGE_BAND_LABELS.items()],
        quotas=quota_rows)


def chart(label: str, pairs: list[tuple[str, int]], kind: str = "bar") -> dict:
    """A chart's spec (templates/macros/charts.html) from (label, count) pairs."""
    return {"type": kind, "integer": True, "labels": [name for name, _n in pairs],
            "datasets": [{"label": label, "data": [n for _name, n in pairs]}]}


def ethnicity_chart(c: Composition) -> dict:
    shown = c.ethnicities[:CHART_ETHNICITIES]
    rest = sum(n for _name, n in c.ethnicities[CHART_ETHNICITIES:])
    return chart(_("Members"), shown + ([(_("Others"), rest)] if rest else []))


def quota_chart(c: Composition) -> dict:
    return {"type": "bar", "integer": True, "labels": [str(q.quota.name) for q in c.quotas],
            "datasets": [{"label": _("Members"), "data": [q.members for q in c.quotas]},
                         {"label": _("Ceiling"), "data": [q.ceiling for q in c.quotas]}]}


def table(c: Composition) -> tuple[list[str], list[list]]:
    """The composition as one table for CSV and XLSX: what is counted, the group, the count,
    the ceiling (quotas only)."""
    header = [_("Counted by"), _("Group"), _("Members"), _("Ceiling")]
    rows: list[list] = []
    sections = ((_("Region"), c.regions), (_("Route"), c.routes),
                (_("Ethnicity"), c.ethnicities), (_("Sex"), c.sexes),
                (_("Age"), c.age_bands))
    for section, pairs in sections:
        rows.extend([str(section), name, n, ""] for name, n in pairs)
    rows.extend([_("Quota"), str(q.quota.name), q.members,
                 "" if q.ceiling is None else q.ceiling] for q in c.quotas)
    rows.append([_("Total"), "", c.total, bodies.current().members or ""])
    return header, rows
