"""The supervision state machine, table-driven."""

import pytest

from bot.core.errors import InvalidTransition
from bot.orders.states import Transition as T
from bot.orders.states import parse_status, target_state
from storage.models import Order
from storage.states import OrderStatus
from storage.states import SupervisionState as S


@pytest.mark.parametrize(
    ("transition", "current", "expected"),
    [
        (T.SUBMIT, S.AWAITING_DELIVERY, S.AWAITING_ACCEPTANCE),
        (T.ACCEPT, S.AWAITING_ACCEPTANCE, S.COMPLETED),
        (T.REQUEST_CHANGES, S.AWAITING_ACCEPTANCE, S.AWAITING_DELIVERY),
        (T.OPS_COMPLETE, S.AWAITING_DELIVERY, S.COMPLETED),
        (T.OPS_COMPLETE, S.AWAITING_ACCEPTANCE, S.COMPLETED),
        (T.OPS_RETURN, S.AWAITING_ACCEPTANCE, S.AWAITING_DELIVERY),
    ],
)
def test_legal_moves(transition, current, expected):
    assert target_state(transition, current) is expected


@pytest.mark.parametrize(
    ("transition", "current"),
    [
        (T.SUBMIT, S.AWAITING_ACCEPTANCE),
        (T.ACCEPT, S.AWAITING_DELIVERY),
        (T.ACCEPT, S.COMPLETED),
        (T.REQUEST_CHANGES, S.COMPLETED),
        (T.SUBMIT, S.NOT_SUPERVISED),
        (T.SUBMIT, S.NOT_DELIVERABLE),
        (T.OPS_COMPLETE, S.COMPLETED),
    ],
)
def test_illegal_moves_raise(transition, current):
    with pytest.raises(InvalidTransition):
        target_state(transition, current)


@pytest.mark.parametrize(
    ("state", "imported", "shown"),
    [
        (S.AWAITING_DELIVERY, OrderStatus.PROCESSING, OrderStatus.PROCESSING),
        (S.AWAITING_ACCEPTANCE, OrderStatus.PROCESSING, OrderStatus.PROCESSING),
        (S.COMPLETED, OrderStatus.PROCESSING, OrderStatus.COMPLETED),
        (S.NOT_DELIVERABLE, OrderStatus.PENDING_PAYMENT, OrderStatus.PENDING_PAYMENT),
        (S.NOT_DELIVERABLE, OrderStatus.CANCELED, OrderStatus.CANCELED),
        (S.NOT_SUPERVISED, OrderStatus.PROCESSING, OrderStatus.PROCESSING),
    ],
)
def test_status_users_see(state, imported, shown):
    assert Order(state=state, imported_status=imported).status is shown


@pytest.mark.parametrize(
    ("typed", "status"),
    [
        ("paid", OrderStatus.PROCESSING),
        ("PROCESSING", OrderStatus.PROCESSING),
        ("Pending payment", OrderStatus.PENDING_PAYMENT),
        ("pending_payment", OrderStatus.PENDING_PAYMENT),
        ("Cancelled", OrderStatus.CANCELED),
        ("completed", OrderStatus.COMPLETED),
    ],
)
def test_status_synonyms(typed, status):
    assert parse_status(typed) is status


def test_unknown_status_says_what_is_allowed():
    with pytest.raises(ValueError, match="Pending payment, Processing, Completed, Canceled"):
        parse_status("shipped")
