"""The seller's delivery conversation over signed HTTP, against the fake Slack."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from bot.fakeslack.render import render_blocks
from bot.ids import ActionId
from bot.states import SupervisionState
from storage.models import AuditEvent, Delivery, DeliveryState, Order, ProofFile
from tests.factories import make_order

TEMPLATE_VALUES = {
    "template_field:licence_key": {"value": {"type": "plain_text_input", "value": "KEY-123"}},
    "template_field:seats": {"value": {"type": "number_input", "value": "25"}},
    "template_field:checks": {
        "value": {"type": "checkboxes", "selected_options": [{"value": "Installed"}]}
    },
}


def shown(person) -> str:
    """Everything the bot's DM with `person` shows now, as text."""
    return "\n".join(render_blocks(m.blocks) for m in person.dms())


def step(person, heading: str):
    return next(m for m in person.dms() if heading in render_blocks(m.blocks))


def draft_of(session, order_no: str = "12345") -> Delivery | None:
    session.expire_all()
    order = session.exec(select(Order).where(Order.order_no == order_no)).one()
    return session.exec(
        select(Delivery).where(Delivery.order_id == order.id).order_by(Delivery.id.desc())
    ).first()


def deliver_everything(seller):
    seller.says("jan 1")
    seller.drops_file("SOW-signed.pdf", b"%PDF sow")
    seller.drops_file("acceptance_report.pdf", b"%PDF acceptance")
    seller.clicks("Fill in the template")
    seller.submits(TEMPLATE_VALUES)


def test_a_complete_delivery(box, seller, session):
    make_order(session, "12345")
    session.commit()

    reply = seller.runs("/deliver 12345").json()
    assert "in our DM" in render_blocks(reply["blocks"])
    assert "Delivering order 12345" in shown(seller)
    assert "Licence key delivered" in shown(seller)

    deliver_everything(seller)
    text = shown(seller)
    assert "1 Jan 2026" in text and "valid 1 Jan 2026 – 1 Feb 2026" in text
    assert "SOW-signed.pdf" in text and "acceptance_report.pdf" in text
    assert "KEY-123" in text and "Still required" not in text

    seller.clicks("Deliver")

    assert "Delivered. Order 12345 is now with the customer for acceptance." in shown(seller)
    order = session.exec(select(Order).where(Order.order_no == "12345")).one()
    session.refresh(order)
    assert order.state is SupervisionState.AWAITING_ACCEPTANCE
    assert order.round == 1
    assert order.enabling_time == datetime(2026, 1, 1, 9, 0, tzinfo=UTC)  # the placement
    delivery = draft_of(session)
    assert delivery.state is DeliveryState.SUBMITTED
    files = session.exec(select(ProofFile).where(ProofFile.delivery_id == delivery.id)).all()
    assert sorted(f.kind for f in files) == ["acceptance", "sow"]
    assert all(
        f.sha256 and (box.files_dir / f.sha256[:2] / f.sha256[2:4] / f.sha256).exists()
        for f in files
    )
    kinds = [
        e.kind for e in session.exec(select(AuditEvent).where(AuditEvent.order_id == order.id))
    ]
    assert "delivery_started" in kinds and "submit" in kinds and "delivery_submitted" in kinds
    assert "[Deliver]" not in shown(seller)  # the buttons are gone
