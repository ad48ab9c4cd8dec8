"""A large order file streamed in chunks: the same checks as a file read whole, and still
all or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.orders.imports import orders as order_imports
from bot.orders.imports import streaming
from bot.orders.imports.files import read_records, stream_records
from bot.orders.imports.validation import validate_orders
from storage.models import Order
from tests.conftest import NOW
from tests.factories import make_product
from tests.orders.test_imports import HEADER, PRODUCTS, line


def write(tmp_path, *lines: str):
    path = tmp_path / "orders.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    return path


def test_streamed_checks_find_what_a_whole_file_check_finds(tmp_path):
    path = write(
        tmp_path,
        line("1001"),
        line("1002", amount="lots"),
        line("1001"),  # again
        line("1003", renewal_of="1002"),  # renews an invalid row
        line("1004", renewal_of="9999"),  # renews nothing known
        line("1005", renewal_of="1001"),
        line("1006", renewal_of="1004"),  # renews an orphan, in turn
    )
    whole = validate_orders(read_records(path)[0], product_ids=PRODUCTS, now=NOW)
    records, _ = stream_records(path)

    with streaming.spooled_check(records, product_ids=PRODUCTS, now=NOW) as found:
        assert [str(e) for e in found.errors] == [str(e) for e in whole.errors]
        kept = [row.order_no for chunk in found.read() for row in chunk]
    assert kept == [row.order_no for row in whole.rows] == ["1001", "1005"]


def test_a_failure_in_a_later_chunk_writes_nothing(session, tmp_path, monkeypatch):
    product = make_product(session, "SECUREVPN")
    session.commit()
    monkeypatch.setattr(order_imports, "CHUNK", 3)
    monkeypatch.setattr(streaming, "CHUNK", 3)
    path = write(tmp_path, *(line(f"{2000 + n}") for n in range(8)))
    calls = []
    real = streaming.import_orders

    def fails_on_the_third_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(streaming, "import_orders", fails_on_the_third_chunk)
    records, _ = stream_records(path)
    with (
        streaming.spooled_check(records, product_ids={"SECUREVPN": product.id}, now=NOW) as found,
        pytest.raises(RuntimeError),
    ):
        streaming.import_spooled(session, found, now=NOW)
    session.rollback()

    assert found.chunks == 3 and len(calls) == 3
    assert session.exec(select(func.count()).select_from(Order)).one() == 0
