"""the nominee's own consent, given electronically through a single-use link

The one-time links (account_tokens) may name a person instead of an account (a consent link)
and keep the address they were sent to; the candidate keeps the nominee's language and, for a
consent given through a link, the moment, the link, the text's version and sha256, its
language and the request's address (docs/privacy.md).

Revision ID: 0013_consent
Revises: 0009_perf
Create Date: 2026-11-29 12:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0013_consent"
down_revision = "0009_perf"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("account_tokens", schema=None) as batch_op:
        batch_op.alter_column("user_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("candidate_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sent_to", sa.String(length=254), nullable=True))
        batch_op.create_index(batch_op.f("ix_account_tokens_candidate_id"), ["candidate_id"],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_account_tokens_candidate_id_candidates"),
                                    "candidates", ["candidate_id"], ["id"])
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent_given_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("consent_token_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("consent_text_version", sa.String(length=16),
                                      nullable=True))
        batch_op.add_column(sa.Column("consent_text_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("consent_language", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("consent_ip", sa.String(length=45), nullable=True))
        batch_op.add_column(sa.Column("language", sa.String(length=2), nullable=False,
                                      server_default="kk"))


def downgrade():
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        for name in ("language", "consent_ip", "consent_language", "consent_text_hash",
                     "consent_text_version", "consent_token_id", "consent_given_at"):
            batch_op.drop_column(name)
    op.execute("DELETE FROM account_tokens WHERE user_id IS NULL")
    with op.batch_alter_table("account_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_account_tokens_candidate_id_candidates"),
                                 type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_account_tokens_candidate_id"))
        batch_op.drop_column("sent_to")
        batch_op.drop_column("candidate_id")
        batch_op.alter_column("user_id", existing_type=sa.Integer(), nullable=False)
