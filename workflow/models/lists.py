"""Indexes that keep the nomination lists fast at 100,000 rows (see bench/list_nominations.py).

Each list order is (sort key, id), read with keyset pagination; each index below serves one
order, within a region (coordinators) or nationally (the Secretariat).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DDL, Index, event

from workflow.domain import State
from workflow.models.core import (
    Association,
    Candidate,
    LocalizedName,
    Nomination,
    PersonName,
    Region,
)

LIST_INDEXES = (
    Index("ix_nominations_region_created", Nomination.region_id, Nomination.created_at,
          Nomination.id),
    Index("ix_nominations_created_id", Nomination.created_at, Nomination.id),
    Index("ix_nominations_status_id", Nomination.__table__.c.status, Nomination.id),
    Index("ix_nominations_status_created", Nomination.__table__.c.status, Nomination.created_at,
          Nomination.id),
    # Newest first within a filter (issue 14: at a million rows the filter alone read every
    # matching row and sorted them): an association's, a region's in one state.
    Index("ix_nominations_association_created", Nomination.association_id,
          Nomination.created_at, Nomination.id),
    Index("ix_nominations_region_status_created", Nomination.region_id,
          Nomination.__table__.c.status, Nomination.created_at, Nomination.id),
    Index("ix_candidates_surname_id", Candidate.surname, Candidate.id),
    # The list's surname search (a case-insensitive prefix, ILIKE on PostgreSQL) through a
    # trigram index: it finds the few rows of a rare surname without reading the others.
    # On SQLite the same name is a plain index (the search there uses the ranges above).
    Index("ix_candidates_surname_trgm", Candidate.surname, postgresql_using="gin",
          postgresql_ops={"surname": "gin_trgm_ops"}),
)

# What a row of a list shows (the list page, a queue, the API's list items, the next-page
# cursor): some twenty columns of a nomination, its candidate, region and association, read
# as plain rows in one statement (nominations.services.row_statement) and made into the small
# objects below. A nomination and its candidate have some fifty columns, and reading them all
# was a fifth of a list page's time; making ORM objects of the twenty that are left, another
# fifth (issue 14).
LIST_ROW = (
    Nomination.id, Nomination.reference_code, Nomination._status, Nomination.route,
    Nomination.region_id, Nomination.association_id, Nomination.candidate_id,
    Nomination.nominating_body, Nomination.created_at, Nomination.updated_at,
    Nomination.status_changed_at, Nomination.version,
    Candidate.surname, Candidate.given_name, Candidate.patronymic, Candidate.iin,
    Candidate.erased_at,
    Region.iso_code, Region.name_kk, Region.name_ru, Region.name_en, Region.expected_days,
    Association.name,
)


@dataclass(slots=True)
class RowCandidate(PersonName):
    id: int
    surname: str
    given_name: str
    patronymic: str | None
    iin: str
    erased_at: datetime | None


@dataclass(slots=True)
class RowRegion(LocalizedName):
    id: int
    iso_code: str
    name_kk: str
    name_ru: str
    name_en: str
    expected_days: int | None


@dataclass(slots=True)
class RowAssociation:
    id: int
    name: str


@dataclass(slots=True)
class ListRow:
    """A nomination as a list row shows it: the attributes of a ``Nomination`` it needs, with
    the same names, so a template or a serializer reads either."""

    id: int
    reference_code: str
    status: State
    route: str
    region_id: int
    association_id: int | None
    candidate_id: int
    nominating_body: str | None
    created_at: datetime
    updated_at: datetime
    status_changed_at: datetime
    version: int
    candidate: RowCandidate
    region: RowRegion
    association: RowAssociation | None


def list_rows(rows: Iterable) -> list[ListRow]:
    """``ListRow``s of the rows of a ``LIST_ROW`` select, in their order; a page's rows share
    one object per region and per association."""
    regions: dict[int, RowRegion] = {}
    associations: dict[int, RowAssociation] = {}
    made = []
    for (id_, code, status, route, region_id, association_id, candidate_id, body, created,
         updated, changed, version, surname, given_name, patronymic, iin, erased, iso_code,
         name_kk, name_ru, name_en, expected_days, association_name) in rows:
        region = regions.get(region_id)
        if region is None:
            region = regions[region_id] = RowRegion(region_id, iso_code, name_kk, name_ru,
                                                    name_en, expected_days)
        association = None
        if association_id is not None:
            association = associations.get(association_id)
            if association is None:
                association = associations[association_id] = RowAssociation(
                    association_id, association_name)
        made.append(ListRow(
            id_, code, State(status), route, region_id, association_id, candidate_id, body,
            created, updated, changed, version,
            RowCandidate(candidate_id, surname, given_name, patronymic, iin, erased),
            region, association))
    return made


# The trigram operators come with PostgreSQL's pg_trgm extension (a trusted one: the database's
# owner may create it); the migration creates it too.
event.listen(Candidate.__table__, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))

# An association's nominations are all in its region: without statistics saying so PostgreSQL
# takes the two conditions as independent, expects a twentieth of the association's rows in
# the region, and reads and sorts them all instead of walking ix_nominations_association_created
# (migration 0016_plan_statistics says more).
event.listen(Nomination.__table__, "after_create",
             DDL("CREATE STATISTICS IF NOT EXISTS st_nominations_region_association "
                 "(dependencies) ON region_id, association_id FROM nominations")
             .execute_if(dialect="postgresql"))
