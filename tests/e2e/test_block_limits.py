"""Against a fake Slack that refuses what real Slack refuses: a product with many required
fields can still be delivered."""

from __future__ import annotations

from sqlmodel import select

from storage.models import Order
from tests.e2e.test_delivery_conversation import TEMPLATE_VALUES, shown
from tests.factories import make_order, make_product

EXTRA = [
    "Tenant / organisation id where it is enabled",
    "Support contract reference for this licence",
    "Name of the customer contact who was trained",
    "Admin console URL handed over to the customer",
]
TEMPLATE = [
    {"id": "licence_key", "label": "Licence key delivered", "kind": "text", "required": True},
    {"id": "seats", "label": "Number of seats", "kind": "number", "required": True},
] + [
    {"id": f"f{i}", "label": label, "kind": "text", "required": True}
    for i, label in enumerate(EXTRA)
]
EXTRA_VALUES = {
    f"template_field:f{i}": {"value": {"type": "plain_text_input", "value": "x"}}
    for i in range(len(EXTRA))
}


def order_state(session) -> str:
    session.expire_all()
    state = session.exec(select(Order.state)).one()
    session.commit()
    return state.value


def test_a_product_with_many_required_fields_can_be_delivered(box, seller, session):
    make_order(
        session, "12345", product=make_product(session, code="BIG", delivery_template=TEMPLATE)
    )
    session.commit()

    seller.runs("/deliver 12345")
    assert "Still required" in shown(seller) and "[Deliver]" in shown(seller)
    seller.says("jan 1")
    seller.drops_file("SOW-signed.pdf", b"%PDF sow")
    seller.drops_file("acceptance_report.pdf", b"%PDF acceptance")
    seller.clicks("Fill in the template")
    seller.submits(TEMPLATE_VALUES | EXTRA_VALUES)
    seller.clicks("Deliver")

    assert box.slack.rejected == []
    assert "Delivered. Order 12345 is now with the customer" in shown(seller)
    assert order_state(session) == "awaiting_acceptance"
