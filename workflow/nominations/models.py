"""Indexes that keep the nomination lists fast at 100,000 rows (see bench/list_nominations.py).

Each list order is (sort key, id), read with keyset pagination; each index below serves one
order, within a region (coordinators) or nationally (the Secretariat).
"""

from sqlalchemy import Index

from workflow.models import Candidate, Nomination

LIST_INDEXES = (
    Index("ix_nominations_region_created", Nomination.region_id, Nomination.created_at,
          Nomination.id),
    Index("ix_nominations_created_id", Nomination.created_at, Nomination.id),
    Index("ix_nominations_status_id", Nomination.__table__.c.status, Nomination.id),
    Index("ix_nominations_status_created", Nomination.__table__.c.status, Nomination.created_at,
          Nomination.id),
    Index("ix_candidates_surname_id", Candidate.surname, Candidate.id),
)
