"""how the customer is contacted: orders.contact and product.contact ("email" or NULL)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL keeps today's behaviour: Slack first, e-mail only when Slack cannot reach them
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_column('contact')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('contact')
