"""Indexes that keep the nomination lists fast at 100,000 rows (see bench/list_nominations.py).

Each list order is (sort key, id), read with keyset pagination; each index below serves one
order, within a region (coordinators) or nationally (the Secretariat).
"""

from sqlalchemy import DDL, Index, event

from workflow.models.core import Candidate, Nomination

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
# cursor): a nomination's and its candidate's columns, read instead of the whole records
# (nominations.services.ROW_COLUMNS).
LIST_ROW_NOMINATION = (
    Nomination.id, Nomination.reference_code, Nomination._status, Nomination.route,
    Nomination.region_id, Nomination.association_id, Nomination.candidate_id,
    Nomination.nominating_body, Nomination.created_at, Nomination.updated_at,
    Nomination.status_changed_at, Nomination.version)
LIST_ROW_CANDIDATE = (Candidate.id, Candidate.surname, Candidate.given_name,
                      Candidate.patronymic, Candidate.iin, Candidate.erased_at)

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
