"""personal data for as long as the purpose lasts: consent withdrawn, erasure, destruction records

A candidate's withdrawal of consent (date and signed document) and the moment their data were
destroyed; the audit events' comment salt and digest, through which the chain covers a comment
so that erasing it keeps the chain verifiable; the destruction records. Events sealed before
this revision have neither: their comments stay as they are (docs/privacy.md).

Revision ID: 0010_law
Revises: 0007
Create Date: 2026-11-29 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0010_law"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent_withdrawn_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("consent_withdrawal_document_id", sa.Integer(),
                                      nullable=True))
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_candidates_erased_at"), ["erased_at"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_candidates_consent_withdrawal_document_id_documents"), "documents",
            ["consent_withdrawal_document_id"], ["id"])
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("comment_salt", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("comment_digest", sa.String(length=64), nullable=True))
    op.create_table(
        "destruction_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("ground", sa.String(length=24), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("destroyed", sa.JSON(), nullable=False),
        sa.Column("destroyed_at", sa.DateTime(), nullable=False),
        sa.Column("destroyed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["candidate_id"], ["candidates.id"],
                                name=op.f("fk_destruction_records_candidate_id_candidates")),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"],
                                name=op.f("fk_destruction_records_region_id_regions")),
        sa.ForeignKeyConstraint(["destroyed_by_id"], ["users.id"],
                                name=op.f("fk_destruction_records_destroyed_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_destruction_records")),
    )
    with op.batch_alter_table("destruction_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_destruction_records_candidate_id"), ["candidate_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_destruction_records_destroyed_at"),
                              ["destroyed_at"], unique=False)


def downgrade():
    with op.batch_alter_table("destruction_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_destruction_records_destroyed_at"))
        batch_op.drop_index(batch_op.f("ix_destruction_records_candidate_id"))
    op.drop_table("destruction_records")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("comment_digest")
        batch_op.drop_column("comment_salt")
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_candidates_consent_withdrawal_document_id_documents"),
            type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_candidates_erased_at"))
        batch_op.drop_column("erased_at")
        batch_op.drop_column("consent_withdrawal_document_id")
        batch_op.drop_column("consent_withdrawn_on")
