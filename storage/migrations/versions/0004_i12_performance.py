"""performance: indexes for every list and count, claim indexes ending in the primary key,
per-channel pacing shared through the database

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 13:30:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'outbox_channel',
        sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=330), nullable=False),
        sa.Column('next_send_at', storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('channel'),
    )
    op.create_index('ix_orders_state_placed', 'orders', ['state', 'placed_at', 'id'])
    op.create_index(
        'ix_orders_state_accepted', 'orders', ['state', 'accepted_at', 'state_changed_at']
    )
    op.create_index('ix_orderseller_seller_order', 'orderseller', ['seller', 'order_id'])
    op.drop_index('ix_outbox_due', table_name='outboxmessage')
    op.create_index('ix_outbox_due', 'outboxmessage', ['status', 'due_at', 'id'])
    op.create_index(
        'ix_outbox_channel_queue', 'outboxmessage', ['channel_key', 'status', 'id']
    )
    op.drop_index('ix_job_due', table_name='scheduledjob')
    op.create_index('ix_job_due', 'scheduledjob', ['status', 'due_at', 'id'])
    with op.batch_alter_table('scheduledjob', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_until', storage.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('scheduledjob', schema=None) as batch_op:
        batch_op.drop_column('claimed_until')
    op.drop_index('ix_job_due', table_name='scheduledjob')
    op.create_index('ix_job_due', 'scheduledjob', ['status', 'due_at'])
    op.drop_index('ix_outbox_channel_queue', table_name='outboxmessage')
    op.drop_index('ix_outbox_due', table_name='outboxmessage')
    op.create_index('ix_outbox_due', 'outboxmessage', ['status', 'due_at'])
    op.drop_index('ix_orderseller_seller_order', table_name='orderseller')
    op.drop_index('ix_orders_state_accepted', table_name='orders')
    op.drop_index('ix_orders_state_placed', table_name='orders')
    op.drop_table('outbox_channel')
