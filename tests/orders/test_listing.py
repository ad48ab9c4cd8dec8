"""`orders list --csv` lines: safe to open in a spreadsheet."""

from __future__ import annotations

import pytest

from bot.orders.listing import csv_row


def order(**customer) -> dict:
    return {
        "order_no": "1",
        "amount": "10.00",
        "round": 0,
        "sellers": ["USELLER"],
        "customer": {"user_id": None, "email": None, "name": None, "channel": None} | customer,
    }


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Alex Buyer", "Alex Buyer"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_a_cell_a_spreadsheet_would_run_starts_with_a_quote(name, written):
    assert csv_row(order(name=name))["customer_name"] == written


def test_numbers_and_empty_cells_are_left_alone():
    row = csv_row(order())
    assert (row["round"], row["amount"], row["customer_email"]) == (0, "10.00", "")
