"""sessions as they really go: cancelled and held-without-quorum sessions, recusals per item

A planned regional session may be cancelled with its reason (its agenda goes back through the
pipeline); a session held without quorum is recorded as such; each agenda item of a regional
session and of a Council meeting keeps how many participants were recused from it, who and
why (issue 12 item 3, issue 17 item 3).

Revision ID: 0014_sessions
Revises: 0013_consent
Create Date: 2026-11-29 14:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0014_sessions"
down_revision = "0013_consent"
branch_labels = None
depends_on = None

RECUSAL_COLUMNS = ("recused", "recusal_names", "recusal_reason", "recusal_note")


def _recusal_columns():
    return (sa.Column("recused", sa.Integer(), nullable=True),
            sa.Column("recusal_names", sa.Text(), nullable=True),
            sa.Column("recusal_reason", sa.String(length=24), nullable=True),
            sa.Column("recusal_note", sa.Text(), nullable=True))


def upgrade():
    # Plain ADD COLUMN: SQLite adds each in place, no batch copy of tables others refer to.
    op.add_column("regional_sessions", sa.Column("no_quorum", sa.Boolean(), nullable=False,
                                                 server_default=sa.false()))
    op.add_column("regional_sessions", sa.Column("cancel_reason", sa.Text(), nullable=True))
    op.add_column("regional_sessions", sa.Column("cancelled_at", sa.DateTime(), nullable=True))
    for table in ("session_items", "council_agenda_items"):
        for column in _recusal_columns():
            op.add_column(table, column)


def downgrade():
    for table in ("council_agenda_items", "session_items"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in reversed(RECUSAL_COLUMNS):
                batch_op.drop_column(name)
    with op.batch_alter_table("regional_sessions", schema=None) as batch_op:
        batch_op.drop_column("cancelled_at")
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("no_quorum")
