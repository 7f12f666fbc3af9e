"""perf: a trigram index for the list's surname search (pg_trgm); newest first within filters

Revision ID: 0009_perf
Revises: 0008_api
Create Date: 2026-11-29 12:00:00

On PostgreSQL the index is GIN with gin_trgm_ops, and the pg_trgm extension is created (a
trusted extension: the database's owner may). On SQLite, which has neither, the same name is a
plain index on the surname, so the schema matches the models on both. Two b-tree indexes
give the list's filters their newest-first order (an association's nominations, a region's in
one state), so a page reads about fifty index entries however many rows match.
"""
from alembic import op


revision = "0009_perf"
down_revision = "0008_api"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_nominations_association_created", "nominations",
                    ["association_id", "created_at", "id"])
    op.create_index("ix_nominations_region_status_created", "nominations",
                    ["region_id", "status", "created_at", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index("ix_candidates_surname_trgm", "candidates", ["surname"],
                        postgresql_using="gin", postgresql_ops={"surname": "gin_trgm_ops"})
    else:
        op.create_index("ix_candidates_surname_trgm", "candidates", ["surname"])


def downgrade():
    op.drop_index("ix_candidates_surname_trgm", table_name="candidates")
    op.drop_index("ix_nominations_region_status_created", table_name="nominations")
    op.drop_index("ix_nominations_association_created", table_name="nominations")
    # The extension stays: other databases' objects may use it, and it holds no data.
