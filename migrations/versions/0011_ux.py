"""ux: an association's normalised name, unique within its region

Revision ID: 0011_ux
Revises: 0010_law
Create Date: 2026-11-29 12:00:00

Existing rows get their key; where the same association was already added twice, the later
rows' keys carry their id, so the constraint can be made and nothing is deleted: the list still
shows both until the Secretariat deactivates the extra one. New duplicates are refused.
"""
from alembic import op
import sqlalchemy as sa


revision = "0011_ux"
down_revision = "0010_law"
branch_labels = None
depends_on = None

_QUOTES = str.maketrans("", "", "«»\"“”„‟'‘’‚`")


def name_key(name):
    """A copy of workflow.domain.name_key as it was when this migration was written."""
    text = (name or "").translate(_QUOTES).casefold().replace("ё", "е")
    text = text.replace("–", "-").replace("—", "-")
    return " ".join(text.replace(" - ", "-").split())


def upgrade():
    # Plain ADD COLUMN and CREATE UNIQUE INDEX: SQLite does both in place, so no batch copy of a
    # table other tables refer to (which SQLite refuses with foreign keys on, data present).
    op.add_column("associations", sa.Column("name_key", sa.String(length=300), nullable=True))
    associations = sa.table("associations", sa.column("id", sa.Integer),
                            sa.column("name", sa.String), sa.column("region_id", sa.Integer),
                            sa.column("name_key", sa.String))
    conn = op.get_bind()
    seen = set()
    for row in conn.execute(sa.select(associations.c.id, associations.c.name,
                                      associations.c.region_id).order_by(associations.c.id)):
        key = name_key(row.name)
        if (row.region_id, key) in seen:
            key = f"{key} #{row.id}"
        seen.add((row.region_id, key))
        conn.execute(associations.update().where(associations.c.id == row.id)
                     .values(name_key=key[:300]))
    op.create_index("uq_associations_region_name_key", "associations",
                    ["region_id", "name_key"], unique=True)


def downgrade():
    op.drop_index("uq_associations_region_name_key", table_name="associations")
    op.drop_column("associations", "name_key")
