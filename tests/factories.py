"""Test data as plain functions: make_product(session, ...), make_order(session, ...)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlmodel import Session

from storage.models import Delivery, DeliveryState, Order, OrderSeller, Product, ProofFile
from storage.states import OrderStatus, SupervisionState

SELLER = "USELLER"
TEAMMATE = "UTEAMMATE"
CUSTOMER = "UCUSTOMER"
STRANGER = "USTRANGER"
OPS = "UOPS"

DEFAULT_TEMPLATE = [
    {"id": "licence_key", "label": "Licence key delivered", "kind": "text", "required": True},
    {"id": "seats", "label": "Number of seats", "kind": "number", "required": True},
    {
        "id": "checks",
        "label": "Installation checks",
        "kind": "checklist",
        "options": ["Installed", "Activated", "Admin trained"],
        "required": False,
    },
]


def make_product(session: Session, code: str = "SECUREVPN", **kw: Any) -> Product:
    product = Product(
        code=code,
        name=kw.pop("name", "SecureVPN Enterprise"),
        delivery_template=kw.pop("delivery_template", DEFAULT_TEMPLATE),
        **kw,
    )
    session.add(product)
    session.flush()
    return product


def make_order(
    session: Session,
    order_no: str = "12345",
    *,
    product: Product | None = None,
    sellers: tuple[str, ...] = (SELLER, TEAMMATE),
    placed_at: datetime = datetime(2026, 1, 1, 9, 0, tzinfo=UTC),
    state: SupervisionState = SupervisionState.AWAITING_DELIVERY,
    status: OrderStatus = OrderStatus.PROCESSING,
    **kw: Any,
) -> Order:
    product = product or make_product(session, code=f"P-{order_no}")
    now = kw.pop("now", placed_at)
    order = Order(
        order_no=order_no,
        product_id=product.id,
        amount=kw.pop("amount", Decimal("1200.00")),
        currency=kw.pop("currency", "EUR"),
        imported_status=status,
        state=state,
        placed_at=placed_at,
        duration=kw.pop("duration", "P1M"),
        customer_user_id=kw.pop("customer_user_id", CUSTOMER),
        customer_email=kw.pop("customer_email", "admin@buyer.example"),
        customer_name=kw.pop("customer_name", "Alex Buyer"),
        state_changed_at=now,
        created_at=now,
        updated_at=now,
        **kw,
    )
    session.add(order)
    session.flush()
    for seller in sellers:
        session.add(OrderSeller(order_id=order.id, seller=seller))
    session.flush()
    return order


def make_submitted_delivery(
    session: Session,
    order: Order,
    *,
    now: datetime,
    enabling_time: datetime | None = None,
    files: dict[str, bytes] | None = None,
    files_dir: Path | None = None,
    holder: str = SELLER,
    answers: dict[str, Any] | None = None,
) -> Delivery:
    """A delivery submitted the way bot.delivery.submit_delivery does it: the Delivery row
    (files kept in the file store under `files_dir`), the SUBMIT transition, and the
    customer's notification queued in the same transaction. The caller commits."""
    from bot.core.filestore import LocalFileStore
    from bot.orders.states import Transition
    from bot.orders.workflow import change_state
    from bot.supervision import notices as notifications

    delivery = Delivery(
        order_id=order.id,
        round=order.round + 1,
        state=DeliveryState.SUBMITTED,
        holder=holder,
        step="submitted",
        enabling_time=enabling_time,
        enabling_decided=True,
        created_at=now,
        updated_at=now,
        submitted_at=now,
        template_answers=answers
        if answers is not None
        else {"licence_key": "VPN-1234-ABCD", "seats": 25, "checks": ["Installed", "Activated"]},
    )
    session.add(delivery)
    session.flush()
    store = LocalFileStore(files_dir) if files_dir else None
    for name, content in (files or {}).items():
        session.add(
            ProofFile(
                delivery_id=delivery.id,
                slack_file_id=f"F{name}",
                name=name,
                size=len(content),
                sha256=store.put(content),
                kind="sow",
                added_by=holder,
                added_at=now,
            )
        )
    change_state(
        session,
        order,
        Transition.SUBMIT,
        now=now,
        actor=holder,
        values={"round": order.round + 1, "enabling_time": enabling_time},
        delivery_id=delivery.id,
    )
    notifications.delivery_submitted(session, order=order, delivery=delivery, now=now)
    return delivery


def make_awaiting_acceptance(
    session: Session,
    order: Order,
    *,
    now: datetime,
    delivery_message: tuple[str, str] | None = ("DUCUSTOMER", "1769990000.000001"),
    files: tuple[str, ...] = (),
) -> Delivery:
    """An order left the way submission leaves it, without the parallel work's code: a
    submitted Delivery (with proof file rows), the SUBMIT transition, the customer's delivery
    message as an already-sent outbox row at `delivery_message` (channel, ts) (None: no
    message), and the reminders scheduled. The caller commits."""
    from bot.orders.states import Transition
    from bot.orders.workflow import change_state
    from bot.supervision import reminders
    from storage.models import OutboxMessage, OutboxStatus

    delivery = Delivery(
        order_id=order.id,
        round=order.round + 1,
        state=DeliveryState.SUBMITTED,
        holder=SELLER,
        step="submitted",
        enabling_decided=True,
        created_at=now,
        updated_at=now,
        submitted_at=now,
    )
    session.add(delivery)
    session.flush()
    for name in files:
        session.add(
            ProofFile(
                delivery_id=delivery.id,
                slack_file_id=f"F{name}",
                name=name,
                size=100,
                sha256="ab" * 32,
                kind="sow",
                added_by=SELLER,
                added_at=now,
            )
        )
    change_state(
        session,
        order,
        Transition.SUBMIT,
        now=now,
        actor=SELLER,
        values={"round": order.round + 1},
        delivery_id=delivery.id,
    )
    if delivery_message:
        channel, ts = delivery_message
        session.add(
            OutboxMessage(
                key=f"customer-delivery:{delivery.id}",
                method="chat.postMessage",
                payload={"channel": channel},
                status=OutboxStatus.SENT,
                due_at=now,
                created_at=now,
                sent_at=now,
                order_id=order.id,
                result_channel=channel,
                result_ts=ts,
            )
        )
    reminders.schedule_for_acceptance(session, order=order, now=now)
    return delivery
