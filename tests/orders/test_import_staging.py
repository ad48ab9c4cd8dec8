"""A file staged in temporary tables and merged set-based: the same checks as a file read
whole, the same orders as a list imported, and still all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from bot.core.dates import zone
from bot.orders.imports import merge, renewals, staging
from bot.orders.imports.files import read_records, stream_records
from bot.orders.imports.validation import validate_orders
from bot.orders.queries import get_order, sellers_of
from bot.orders.validity import renewal_validity
from storage.models import AuditEvent, Order, Product
from storage.states import OrderStatus, SupervisionState
from tests.conftest import NOW
from tests.factories import make_order, make_product
from tests.orders.test_imports import HEADER, line


def write(tmp_path, *lines: str):
    path = tmp_path / "orders.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    return path


def stage(session, path):
    records, _ = stream_records(path)
    product = session.exec(select(Product).where(Product.code == "SECUREVPN")).first()
    products = {"SECUREVPN": (product or make_product(session, "SECUREVPN")).id}
    return staging.stage(session, records, product_ids=products, now=NOW)


def merged(session, *, now=NOW) -> merge.Totals:
    totals = merge.Totals()
    for part in merge.merge(session.connection(), now=now):
        totals.add(part)
    session.commit()
    return totals


def test_staged_checks_find_what_a_whole_file_check_finds(session, tmp_path):
    make_order(session, "900")
    path = write(
        tmp_path,
        line("1001"),
        line("1002", amount="lots"),
        line("1001"),  # again
        line("1003", renewal_of="1002"),  # renews an invalid row
        line("1004", renewal_of="9999"),  # renews nothing known
        line("1005", renewal_of="1001"),
        line("1006", renewal_of="1004"),  # renews an orphan, in turn
        line("1007", renewal_of="900"),  # renews a stored order
        line("1008", renewal_of="1009"),  # renews a later row
        line("1009"),
    )
    whole = validate_orders(
        read_records(path)[0],
        product_ids={"SECUREVPN": 1},
        now=NOW,
        known_orders=lambda numbers: numbers & {"900"},
    )

    found = stage(session, path)

    assert [str(e) for e in found.errors] == [str(e) for e in whole.errors]
    staged = session.execute(select(staging.ROWS.c.order_no).order_by(staging.ROWS.c.row_no))
    assert list(staged.scalars()) == [row.order_no for row in whole.rows]
    assert [row.order_no for row in whole.rows] == ["1001", "1005", "1007", "1008", "1009"]
    assert (found.records, found.rows, found.bad_rows) == (10, 5, 5)


def test_a_failure_in_a_later_range_writes_nothing(session, tmp_path, monkeypatch):
    monkeypatch.setattr(merge, "CHUNK", 3)
    calls = []
    real = merge.update_changed

    def fails_on_the_third_range(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(merge, "update_changed", fails_on_the_third_range)
    stage(session, write(tmp_path, *(line(f"{2000 + n}") for n in range(8))))

    with pytest.raises(RuntimeError):
        merged(session)
    session.rollback()

    assert len(calls) == 3
    assert session.exec(select(func.count()).select_from(Order)).one() == 0


@pytest.mark.parametrize("chunk", [1, 2, 1000])
def test_renewal_chains_continue_across_chunks(session, tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(renewals, "CHUNK", chunk)
    monkeypatch.setattr(merge, "CHUNK", chunk)
    end = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
    make_order(
        session,
        "100",
        state=SupervisionState.COMPLETED,
        status=OrderStatus.COMPLETED,
        validity_start=datetime(2026, 1, 1, tzinfo=UTC),
        validity_end=end,
    )
    stage(
        session,
        write(
            tmp_path,
            line("101", renewal_of="100"),
            line("102", renewal_of="101", duration="1 year"),
            line("103", renewal_of="104"),  # 104 comes later: supervised
            line("104", status="Completed"),
            line("105", renewal_of="104"),  # 104 completed by then: not supervised
        ),
    )

    totals = merged(session)

    first = renewal_validity(renewed_end=end, duration="P1M", tz=zone("UTC"))
    second = renewal_validity(renewed_end=first.end, duration="P1Y", tz=zone("UTC"))
    got = {no: get_order(session, no) for no in ("101", "102", "103", "104", "105")}
    assert (got["101"].validity_end, got["102"].validity_end) == (first.end, second.end)
    assert got["102"].validity_start == first.end
    assert {no: order.state for no, order in got.items()} == {
        "101": SupervisionState.NOT_SUPERVISED,
        "102": SupervisionState.NOT_SUPERVISED,
        "103": SupervisionState.AWAITING_DELIVERY,
        "104": SupervisionState.COMPLETED,
        "105": SupervisionState.NOT_SUPERVISED,
    }
    assert got["105"].validity_end is None  # 104's own end is unknown
    assert (totals.created, totals.updated, totals.unchanged) == (5, 0, 0)


def test_a_reimport_compares_each_orders_sellers_as_a_set(session, tmp_path):
    stage(
        session,
        write(
            tmp_path,
            line("1", sellers="USELLER;UTEAMMATE"),
            line("2"),
            line("3", sellers="UOTHER"),
        ),
    )
    merged(session)

    stage(
        session,
        write(
            tmp_path,
            line("1", sellers="UTEAMMATE;USELLER"),  # the same set
            line("2", sellers="UOTHER"),  # another order's seller, and its own is another's
            line("3", sellers="UOTHER"),
        ),
    )
    totals = merged(session, now=NOW.replace(hour=12))

    assert (totals.created, totals.updated, totals.unchanged) == (0, 1, 2)
    first, second = get_order(session, "1"), get_order(session, "2")
    assert first.id < second.id
    assert sellers_of(session, first.id) == ["USELLER", "UTEAMMATE"]
    assert sellers_of(session, second.id) == ["UOTHER"]
    kinds = session.exec(
        select(AuditEvent.kind).where(AuditEvent.order_id == second.id).order_by(col(AuditEvent.id))
    ).all()
    assert kinds == ["imported", "import_updated"]


@pytest.mark.parametrize("chunk", [2, 1000])
def test_each_new_order_gets_its_own_sellers_and_event_beside_stored_ones(
    session, tmp_path, monkeypatch, chunk
):
    monkeypatch.setattr(merge, "CHUNK", chunk)
    make_order(session, "2", sellers=("UKEEP",))
    stage(
        session,
        write(
            tmp_path,
            line("1", sellers="UANNA;UBEN"),
            line("2", sellers="UKEEP"),  # stored: updated, no "imported" event
            line("3", sellers="UCARA", status="Completed"),
            line("4", sellers="UDAN", renewal_of="3"),
            line("5", sellers="UEVA;UFAY;UGIL"),
        ),
    )

    totals = merged(session)

    assert (totals.created, totals.updated) == (4, 1)
    orders = {no: get_order(session, no) for no in "12345"}
    assert {no: sellers_of(session, order.id) for no, order in orders.items()} == {
        "1": ["UANNA", "UBEN"],
        "2": ["UKEEP"],
        "3": ["UCARA"],
        "4": ["UDAN"],
        "5": ["UEVA", "UFAY", "UGIL"],
    }
    imported = {
        no: session.exec(
            select(AuditEvent.detail).where(
                AuditEvent.order_id == order.id, AuditEvent.kind == "imported"
            )
        ).all()
        for no, order in orders.items()
    }
    assert imported == {
        "1": [{"status": "Processing", "state": "awaiting_delivery"}],
        "2": [],
        "3": [{"status": "Completed", "state": "completed"}],
        "4": [{"status": "Processing", "state": "not_supervised", "renewal_of": "3"}],
        "5": [{"status": "Processing", "state": "awaiting_delivery"}],
    }
    assert orders["1"].id < orders["3"].id < orders["4"].id < orders["5"].id  # file order
