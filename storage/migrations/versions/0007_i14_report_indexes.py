"""the report's index: reminders and escalations by order (a partial index on auditevent)

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-12 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0005'
branch_labels = None
depends_on = None

COUNTED = "kind IN ('reminder_sent', 'escalated')"


def upgrade() -> None:
    # the report counts them per order reading this index alone, in order_id order
    op.create_index(
        'ix_auditevent_report_counts',
        'auditevent',
        ['order_id', 'kind'],
        unique=False,
        sqlite_where=sa.text(COUNTED),
        postgresql_where=sa.text(COUNTED),
    )


def downgrade() -> None:
    op.drop_index('ix_auditevent_report_counts', table_name='auditevent')
