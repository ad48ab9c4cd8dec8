"""Errors of the delivery conversation; `str()` is what the seller reads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.errors import DeliverybotError

if TYPE_CHECKING:
    from bot.orders.queries import OrderCard


class HeldByTeammate(DeliverybotError):
    """Someone else on the order is already delivering it."""

    def __init__(self, order_no: str, holder: str, delivery_id: int):
        self.order_no = order_no
        self.holder = holder
        self.delivery_id = delivery_id
        super().__init__(
            f"<@{holder}> is already delivering order {order_no}. "
            "You can take the delivery over: they will be told, and the draft comes with it."
        )


class NotDeliverable(DeliverybotError):
    """The order is not waiting for a delivery: the message says where it stands."""

    def __init__(self, message: str, card: OrderCard | None = None):
        self.card = card  # the order, for its seller to look at
        super().__init__(message)


class DraftClosed(DeliverybotError):
    """A click on a draft that was submitted, cancelled or taken over."""


class MissingItems(DeliverybotError):
    """Deliver before the template's requirements are met or the files are all fetched."""

    def __init__(self, order_no: str, missing: list[str], fetching: list[str]):
        self.missing = missing
        self.fetching = fetching
        parts = [f"Order {order_no} can't be delivered yet."]
        if missing:
            parts.append(f"Still missing: {', '.join(missing)}.")
        if fetching:
            parts.append(still_fetching(fetching) + " Then click Deliver again.")
        super().__init__(" ".join(parts))


def still_fetching(names: list[str]) -> str:
    return (
        f"I'm still fetching {', '.join(names)} from Slack; "
        "I'll update the delivery message when it's ready."
    )
