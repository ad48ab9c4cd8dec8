"""The customer's decision on a delivery: accept it, or ask for changes.

Each function is one transaction: it checks that the person is the order's customer (a
refusal is audited), that the delivery is the one waiting for them, then moves the order by
compare-and-set, so two clicks, two threads or two replicas complete an order once and notify
once. Anything that lost the race is told where the order stands.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.core.dates import slack_date
from bot.core.errors import AlreadySettled, InvalidInput, StaleState
from bot.home import page as home
from bot.orders import queries as orders
from bot.orders.customers import Clicker, customer_order
from bot.orders.states import Transition
from bot.orders.validity import Validity, validity_for
from bot.orders.workflow import change_state
from bot.supervision import appeals, reminders
from bot.supervision import notices as notifications
from bot.supervision.views.customer import period
from storage.models import Delivery, DeliveryState, Order
from storage.states import SupervisionState


def accept(
    session: Session, *, order_no: str, delivery_id: int, clicker: Clicker, now: datetime
) -> Order:
    """Complete the order with the validity fixed: from the stated enabling time, else now
    (on the customer's calendar as it was when the delivery was submitted, whoever clicked)."""
    order, delivery = waiting_delivery(session, order_no, delivery_id, clicker, "accept", now=now)
    validity = validity_for(
        session, order, delivery=delivery, accepted_at=now, enabling_time=delivery.enabling_time
    )
    values = {
        "accepted_at": now,
        "accepted_by": clicker.user_id,
        "validity_start": validity.start,
        "validity_end": validity.end,
    }
    _move(
        session,
        order,
        delivery,
        Transition.ACCEPT,
        DeliveryState.ACCEPTED,
        now=now,
        actor=clicker.user_id,
        values=values,
        validity_start=validity.start.isoformat(),
        validity_end=validity.end.isoformat(),
    )
    notifications.delivery_accepted(session, order=order, delivery=delivery, now=now)
    appeals.close_open_appeal(
        session, order=order, by=clicker.user_id, now=now, why="The customer accepted the delivery"
    )
    _after_decision(session, order, now=now, reason="accepted")
    session.commit()
    return order


def request_changes(
    session: Session,
    *,
    order_no: str,
    delivery_id: int,
    clicker: Clicker,
    reason: str,
    now: datetime,
) -> Order:
    """Send the order back to the seller with the customer's reason (a new round follows)."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("Please say what needs to change, so the seller can fix it.")
    order, delivery = waiting_delivery(
        session, order_no, delivery_id, clicker, "request_changes", now=now
    )
    _move(
        session,
        order,
        delivery,
        Transition.REQUEST_CHANGES,
        DeliveryState.CHANGES_REQUESTED,
        now=now,
        actor=clicker.user_id,
        values={"rejected_rounds": order.rejected_rounds + 1},
        reason=reason,
    )
    delivery.changes_reason = reason
    notifications.changes_requested(session, order=order, delivery=delivery, now=now)
    _after_decision(session, order, now=now, reason="changes_requested")
    session.commit()
    return order


def waiting_delivery(
    session: Session,
    order_no: str,
    delivery_id: int,
    clicker: Clicker,
    action: str,
    *,
    now: datetime,
) -> tuple[Order, Delivery]:
    """The order and its delivery if `clicker` is the customer and the delivery awaits them.

    Raises NotTheCustomer (after auditing the attempt) or AlreadySettled (saying where the
    order stands). Only the customer learns anything about the order's state.
    """
    order = customer_order(session, order_no, clicker, action=action, now=now)
    delivery = session.get(Delivery, delivery_id)
    where = where_it_stands(order, delivery)
    if where:
        raise AlreadySettled(order.order_no, where)
    assert delivery is not None  # where_it_stands refuses a missing delivery
    return order, delivery


def where_it_stands(order: Order, delivery: Delivery | None) -> str | None:
    """None when `delivery` is the one waiting for the customer; else what to tell them."""
    no = order.order_no
    if order.state is SupervisionState.COMPLETED:
        if order.accepted_at and order.validity_start and order.validity_end:
            validity = period(Validity(order.validity_start, order.validity_end), None)
            return (
                f"Order {no} was already accepted on {slack_date(order.accepted_at)}; "
                f"the licence is valid {validity}."
            )
        return f"Order {no} is already completed."
    if delivery is None or delivery.order_id != order.id:
        return f"That delivery is not part of order {no}."
    if delivery.round < order.round:
        return (
            f"This is an earlier delivery (round {delivery.round}) of order {no}. "
            f"The latest delivery is round {order.round}: use the buttons on its message."
        )
    if delivery.state is DeliveryState.CHANGES_REQUESTED:
        return f"You asked for changes to this delivery; order {no} is back with the seller."
    if order.state is SupervisionState.AWAITING_DELIVERY:
        return f"Order {no} is back with the seller for a new delivery."
    if (
        order.state is SupervisionState.AWAITING_ACCEPTANCE
        and delivery.state is DeliveryState.SUBMITTED
    ):
        return None
    return f"Order {no} is not waiting for your acceptance."


def _move(
    session: Session,
    order: Order,
    delivery: Delivery,
    transition: Transition,
    delivery_state: DeliveryState,
    *,
    now: datetime,
    **kw,
) -> None:
    """The order's compare-and-set (audited with the delivery and round), then the delivery's
    new state; a lost race says what the winner decided."""
    try:
        change_state(
            session, order, transition, now=now, delivery_id=delivery.id, round=delivery.round, **kw
        )
    except StaleState:  # someone else decided first: say what they decided
        current = orders.get_order(session, order.order_no)
        assert current is not None
        where = where_it_stands(current, session.get(Delivery, delivery.id))
        raise AlreadySettled(
            order.order_no, where or f"Order {order.order_no} just changed."
        ) from None
    delivery.state = delivery_state
    delivery.updated_at = now
    session.add(delivery)


def _after_decision(session: Session, order: Order, *, now: datetime, reason: str) -> None:
    reminders.cancel_for_order(session, order=order, now=now, reason=reason)
    home.republish_for_order(session, order=order, now=now)
