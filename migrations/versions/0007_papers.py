"""papers: the registry of issued documents, and the reason a session deferred an item

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "papers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=14), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("facts_digest", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("storage_key", sa.String(length=100), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("seal_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("sealed_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("superseded_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["issued_by_id"], ["users.id"],
                                name=op.f("fk_papers_issued_by_id_users")),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"],
                                name=op.f("fk_papers_region_id_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_papers")),
        sa.UniqueConstraint("code", name=op.f("uq_papers_code")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_papers_storage_key")),
        sa.UniqueConstraint("kind", "subject_id", "language", "facts_digest",
                            name="uq_papers_facts"),
    )
    with op.batch_alter_table("papers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_papers_region_id"), ["region_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_papers_sha256"), ["sha256"], unique=False)
        batch_op.create_index("ix_papers_subject", ["kind", "subject_id"], unique=False)
        batch_op.create_index("ix_papers_status_updated", ["status", "updated_at"],
                              unique=False)
    with op.batch_alter_table("session_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deferral_reason", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("session_items", schema=None) as batch_op:
        batch_op.drop_column("deferral_reason")
    with op.batch_alter_table("papers", schema=None) as batch_op:
        batch_op.drop_index("ix_papers_status_updated")
        batch_op.drop_index("ix_papers_subject")
        batch_op.drop_index(batch_op.f("ix_papers_sha256"))
        batch_op.drop_index(batch_op.f("ix_papers_region_id"))
    op.drop_table("papers")
