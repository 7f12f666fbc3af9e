"""perf: the planner learns that an association's nominations are all in its region

PostgreSQL takes ``region_id = …`` and ``association_id = …`` as independent conditions: it
expects a twentieth of an association's nominations to be in the association's region. For a
coordinator's list filtered by an association it therefore read and sorted every nomination of
the association (at 1,000,000 nominations 948 rows, 58 ms from disk) instead of walking
``ix_nominations_association_created`` newest first (51 rows, 0.8 ms). Functional-dependency
statistics on the two columns tell it; PostgreSQL only (SQLite has no planner statistics).

Revision ID: 0016_plan_statistics
Revises: 0015_mail
Create Date: 2026-11-29 20:45:00

"""
from alembic import op

revision = "0016_plan_statistics"
down_revision = "0015_mail"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE STATISTICS IF NOT EXISTS st_nominations_region_association "
                   "(dependencies) ON region_id, association_id FROM nominations")
        op.execute("ANALYZE nominations")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS st_nominations_region_association")
