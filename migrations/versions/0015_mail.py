"""know what was sent: deliveries name their nomination and event; the e-mails' wording

``email_deliveries`` gets ``nomination_id`` (indexed: the nomination page lists its messages
in one read) and ``event_id`` (the transition, said in words); existing rows take both from
their ``context``. ``email_wordings`` keeps the administrator's wording of each transition's
e-mail per language; no row means the shipped templates.

Revision ID: 0015_mail
Revises: 0014_sessions
Create Date: 2026-11-29 14:50:00

"""
import json

import sqlalchemy as sa
from alembic import op

revision = "0015_mail"
down_revision = "0014_sessions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "email_wordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"],
                                name=op.f("fk_email_wordings_updated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_wordings")),
        sa.UniqueConstraint("kind", "action", "language",
                            name=op.f("uq_email_wordings_kind")),
    )
    with op.batch_alter_table("email_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nomination_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("event_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_email_deliveries_nomination_id"),
                              ["nomination_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_email_deliveries_nomination_id_nominations"),
                                    "nominations", ["nomination_id"], ["id"])
        batch_op.create_foreign_key(batch_op.f("fk_email_deliveries_event_id_audit_events"),
                                    "audit_events", ["event_id"], ["id"])
    # The context is JSON on both backends but read differently: fill the columns in Python.
    bind = op.get_bind()
    deliveries = sa.table("email_deliveries", sa.column("id", sa.Integer),
                          sa.column("context", sa.Text), sa.column("nomination_id", sa.Integer),
                          sa.column("event_id", sa.Integer))
    rows = bind.execute(sa.text("SELECT id, context FROM email_deliveries")).all()
    for row_id, context in rows:
        data = json.loads(context) if isinstance(context, str) else (context or {})
        if data.get("nomination_id") or data.get("event_id"):
            bind.execute(deliveries.update().where(deliveries.c.id == row_id).values(
                nomination_id=data.get("nomination_id"), event_id=data.get("event_id")))


def downgrade():
    with op.batch_alter_table("email_deliveries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_email_deliveries_event_id_audit_events"),
                                 type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_email_deliveries_nomination_id_nominations"),
                                 type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_email_deliveries_nomination_id"))
        batch_op.drop_column("event_id")
        batch_op.drop_column("nomination_id")
    op.drop_table("email_wordings")
