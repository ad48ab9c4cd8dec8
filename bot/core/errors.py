"""Typed domain errors. Each carries a message a user can act on."""

from __future__ import annotations

from typing import Any


class DeliverybotError(Exception):
    """Base class: `str(error)` is safe to show the person who caused it."""


class OrderNotFound(DeliverybotError):
    def __init__(self, order_no: str, suggestion: str | None = None):
        self.order_no = order_no
        self.suggestion = suggestion
        hint = f" Did you mean *{suggestion}*?" if suggestion else ""
        super().__init__(
            f"I can't find order {order_no}.{hint} Type `/deliver` to see the orders waiting for you."
        )


class NotYourOrder(DeliverybotError):
    def __init__(self, order_no: str, role: str = "seller"):
        self.order_no = order_no
        self.role = role
        super().__init__(
            f"Order {order_no} isn't one of yours, so I can't show or change it. "
            "Ask one of its sellers if you think it should be."
        )


class NotSupervised(DeliverybotError):
    def __init__(self, order_no: str, renewal_of: str | None):
        self.order_no = order_no
        super().__init__(
            f"Supervision does not apply to order {order_no}: it renews order {renewal_of}, "
            "which already completed supervision. Nothing to deliver here."
            if renewal_of
            else f"Supervision does not apply to order {order_no}."
        )


class InvalidTransition(DeliverybotError):
    def __init__(self, transition: Any, current: Any):
        self.transition = transition
        self.current = current
        super().__init__(f"Cannot {transition} an order that is {current}.")


class StaleState(DeliverybotError):
    """A compare-and-set lost: someone else changed the order first."""

    def __init__(self, order_no: str, expected: Any, actual: Any):
        self.order_no = order_no
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"Order {order_no} changed while you were acting on it (it is now {actual}). "
            "Nothing was changed by your click."
        )


class InvalidInput(DeliverybotError):
    """Bad user input: the message says what was wrong and what to type instead."""


class NotTheCustomer(DeliverybotError):
    """Someone else clicked the customer's button. The refusal names no one: whoever clicked
    learns nothing about the customer."""

    def __init__(self, order_no: str, action: str = "accept"):
        self.order_no = order_no
        super().__init__(
            f"Only the customer of order {order_no} can {action} it, and as far as I can tell "
            "that's not you. Nothing was changed. If you did place this order, ask its seller "
            "to correct the customer details on it."
        )


class AlreadySettled(DeliverybotError):
    """A click on a delivery that is no longer waiting for the customer: says where it stands."""

    def __init__(self, order_no: str, where: str):
        self.order_no = order_no
        super().__init__(f"{where} Nothing was changed by your click.")
