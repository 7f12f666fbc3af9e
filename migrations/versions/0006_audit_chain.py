"""audit trail for every change, hash-chained; documents carry their region

Every change to the record becomes an audit event (entity type and id, the fields changed,
through what), chained by SHA-256 with its head in ``audit_chain``. Events written before
this revision are sealed into the chain here, in the order they were written. A nomination's
documents take the nomination's region, which the one scope function reads.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 08:03:41.773119

"""
import hashlib
import json
from datetime import datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
# The chain's content as defined at this revision (workflow.audit.content keeps it so).
CHAINED = ("seq", "entity_type", "entity_id", "nomination_id", "actor_id", "actor_role", "via",
           "action", "from_status", "to_status", "comment", "data", "changes", "created_at")


def _link(prev_hash, row):
    values = {}
    for name in CHAINED:
        value = row[name]
        if isinstance(value, datetime):
            value = value.replace(tzinfo=None).isoformat(timespec="microseconds")
        values[name] = value
    content = json.dumps(values, sort_keys=True, ensure_ascii=False,
                         separators=(",", ":")).encode()
    return hashlib.sha256(prev_hash.encode() + b"\n" + content).hexdigest()


def upgrade():
    op.create_table('audit_chain',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('entity_type', sa.String(length=24), nullable=False,
                                      server_default='nomination'))
        batch_op.add_column(sa.Column('entity_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('via', sa.String(length=8), nullable=False,
                                      server_default='web'))
        batch_op.add_column(sa.Column('changes', sa.JSON(), nullable=False,
                                      server_default='[]'))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
        batch_op.alter_column('nomination_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.alter_column('to_status',
               existing_type=sa.VARCHAR(length=24),
               nullable=True)
        batch_op.create_index('ix_audit_events_entity', ['entity_type', 'entity_id', 'id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_seq'), ['seq'])

    events = sa.table(
        'audit_events', sa.column('id', sa.Integer), sa.column('seq', sa.Integer),
        sa.column('entity_type', sa.String), sa.column('entity_id', sa.Integer),
        sa.column('nomination_id', sa.Integer), sa.column('actor_id', sa.Integer),
        sa.column('actor_role', sa.String), sa.column('via', sa.String),
        sa.column('action', sa.String), sa.column('from_status', sa.String),
        sa.column('to_status', sa.String), sa.column('comment', sa.Text),
        sa.column('data', sa.JSON), sa.column('changes', sa.JSON),
        sa.column('created_at', sa.DateTime), sa.column('prev_hash', sa.String),
        sa.column('hash', sa.String))
    connection = op.get_bind()
    connection.execute(events.update().values(entity_id=events.c.nomination_id,
                                              via=sa.case((events.c.actor_role == 'system',
                                                           'system'), else_='web')))
    prev, seq = GENESIS, 0
    for row in connection.execute(sa.select(events).order_by(events.c.id)).mappings().all():
        seq += 1
        row = dict(row, seq=seq, changes=row["changes"] or [], data=row["data"] or {})
        digest = _link(prev, row)
        connection.execute(events.update().where(events.c.id == row["id"]).values(
            seq=seq, prev_hash=prev, hash=digest))
        prev = digest
    chain = sa.table('audit_chain', sa.column('id', sa.Integer), sa.column('seq', sa.Integer),
                     sa.column('last_hash', sa.String))
    connection.execute(chain.insert().values(id=1, seq=seq, last_hash=prev))

    documents = sa.table('documents', sa.column('nomination_id', sa.Integer),
                         sa.column('region_id', sa.Integer))
    nominations = sa.table('nominations', sa.column('id', sa.Integer),
                           sa.column('region_id', sa.Integer))
    connection.execute(documents.update().where(
        documents.c.nomination_id.is_not(None), documents.c.region_id.is_(None)).values(
        region_id=sa.select(nominations.c.region_id)
        .where(nominations.c.id == documents.c.nomination_id).scalar_subquery()))

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('entity_type', server_default=None)
        batch_op.alter_column('via', server_default=None)
        batch_op.alter_column('changes', server_default=None)


def downgrade():
    events = sa.table('audit_events', sa.column('nomination_id', sa.Integer),
                      sa.column('to_status', sa.String))
    # Only the transitions had a place in the earlier schema.
    op.get_bind().execute(events.delete().where(sa.or_(events.c.nomination_id.is_(None),
                                                       events.c.to_status.is_(None))))
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_events_seq'), type_='unique')
        batch_op.drop_index('ix_audit_events_entity')
        batch_op.alter_column('to_status',
               existing_type=sa.VARCHAR(length=24),
               nullable=False)
        batch_op.alter_column('nomination_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('changes')
        batch_op.drop_column('via')
        batch_op.drop_column('entity_id')
        batch_op.drop_column('entity_type')
        batch_op.drop_column('seq')

    op.drop_table('audit_chain')
