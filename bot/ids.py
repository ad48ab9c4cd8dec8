"""Every action, callback and block id in one place: views, handlers and tests use these."""

from enum import StrEnum


class ActionId(StrEnum):
    DELIVER = "deliver_order"
    SHOW_ORDER = "show_order"
    FIND_ORDER = "find_order"


class CallbackId(StrEnum):
    FIND_ORDER = "find_order_modal"


class BlockId(StrEnum):
    FIND_ORDER_INPUT = "find_order_input"


COMMAND = "/deliver"
