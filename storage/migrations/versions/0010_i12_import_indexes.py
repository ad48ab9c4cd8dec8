"""three indexes that repeat the leading columns of wider ones: orders(state),
orderseller(order_id) and orderseller(seller); every imported order and seller paid for them

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-14 10:00:00.000000
"""
from alembic import op


revision = '0010'
down_revision = '0007'
branch_labels = None
depends_on = None

# index -> (table, columns); the wider index that serves its look-ups instead
REDUNDANT = {
    'ix_orders_state': ('orders', ['state']),  # ix_orders_state_placed, _accepted
    'ix_orderseller_order_id': ('orderseller', ['order_id']),  # unique (order_id, seller)
    'ix_orderseller_seller': ('orderseller', ['seller']),  # ix_orderseller_seller_order
}


def upgrade() -> None:
    for name, (table, _) in REDUNDANT.items():
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, (table, columns) in REDUNDANT.items():
        op.create_index(name, table, columns, unique=False)
