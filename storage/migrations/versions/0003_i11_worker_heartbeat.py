"""worker heartbeat, and failed jobs

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 13:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # job_status gains 'failed': stored as text (native_enum=False, no CHECK), no change needed
    op.create_table('workerheartbeat',
    sa.Column('holder', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('seen_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('holder')
    )
    with op.batch_alter_table('workerheartbeat', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workerheartbeat_seen_at'), ['seen_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('workerheartbeat', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workerheartbeat_seen_at'))
    op.drop_table('workerheartbeat')
    # jobs that failed for good read as cancelled again under the older code
    op.execute("UPDATE scheduledjob SET status = 'cancelled' WHERE status = 'failed'")
