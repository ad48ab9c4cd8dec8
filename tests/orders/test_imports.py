"""Order and product files: every row checked first, then an upsert that respects supervision."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial

import pytest
from sqlmodel import select

from bot.orders.imports.files import read_records
from bot.orders.imports.orders import import_orders
from bot.orders.imports.products import import_products, read_products, validate_products
from bot.orders.imports.validation import validate_orders
from bot.orders.queries import get_order, sellers_of, stored_order_nos
from storage.models import AuditEvent, Product, SlackUser
from storage.states import OrderStatus, SupervisionState
from tests.conftest import NOW
from tests.factories import make_order, make_product

HEADER = (
    "order_no,product_code,amount,currency,status,placed_at,duration,sellers,"
    "customer_user_id,customer_email,customer_name,customer_channel,renewal_of"
)
PRODUCTS = {"SECUREVPN": 1}


def line(
    order_no="12345",
    *,
    product="SECUREVPN",
    amount="1200.00",
    currency="EUR",
    status="Processing",
    placed_at="2026-01-01T09:00:00Z",
    duration="1 month",
    sellers="USELLER",
    user="UCUSTOMER",
    email="admin@buyer.example",
    name="Alex Buyer",
    channel="",
    renewal_of="",
) -> str:
    return ",".join(
        [
            order_no,
            product,
            amount,
            currency,
            status,
            placed_at,
            duration,
            sellers,
            user,
            email,
            name,
            channel,
            renewal_of,
        ]
    )


def check(tmp_path, *lines: str, products=PRODUCTS, name="orders.csv", now=NOW, stored=None):
    """Check `lines` as of `now`; `stored` is the database's order numbers (none unless given)."""
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    records, _ = read_records(path)
    if stored is None:
        return validate_orders(records, product_ids=products, now=now)
    return validate_orders(records, product_ids=products, now=now, known_orders=stored)


def load(session, tmp_path, *lines: str, now=NOW):
    """Import `lines` the way the CLI does: check all, write, commit."""
    products = dict(session.exec(select(Product.code, Product.id)).all())
    checked = check(
        tmp_path, *lines, products=products, now=now, stored=partial(stored_order_nos, session)
    )
    assert checked.errors == []
    report = import_orders(session, checked.rows, now=now)
    session.commit()
    return report


def events(session, order_no: str) -> list[AuditEvent]:
    order = get_order(session, order_no)
    query = select(AuditEvent).where(AuditEvent.order_id == order.id).order_by(AuditEvent.id)
    return list(session.exec(query))


# --- checking rows (pure) ---


def test_bad_rows_are_reported_by_spreadsheet_row_and_field(tmp_path):
    checked = check(
        tmp_path,
        line("1"),
        line("2", amount="12.5x", currency="euro"),
        line("3", product="NOPE", placed_at="yesterday"),
        line("4", duration="fortnight", sellers="bob", user="", email="", status="shipped"),
        line("1"),
    )

    problems = {(e.row, e.field) for e in checked.errors}
    assert problems == {
        (3, "amount"),
        (3, "currency"),
        (4, "product_code"),
        (4, "placed_at"),
        (5, "duration"),
        (5, "sellers"),
        (5, "customer"),
        (5, "status"),
        (6, "order_no"),
    }
    assert [row.order_no for row in checked.rows] == ["1"]
    assert "row 6 (order 1): order_no: appears again (first at row 2)" in map(str, checked.errors)


@pytest.mark.parametrize(
    ("typed", "status"),
    [
        ("Processing", OrderStatus.PROCESSING),
        ("PAID", OrderStatus.PROCESSING),
        ("pending payment", OrderStatus.PENDING_PAYMENT),
        ("Unpaid", OrderStatus.PENDING_PAYMENT),
        ("cancelled", OrderStatus.CANCELED),
        ("Completed", OrderStatus.COMPLETED),
    ],
)
def test_status_in_any_case_and_usual_synonyms(tmp_path, typed, status):
    (row,) = check(tmp_path, line(status=typed)).rows
    assert row.status is status


@pytest.mark.parametrize(
    ("typed", "iso"),
    [
        ("1 month", "P1M"),
        ("P1M", "P1M"),
        ("1 year", "P1Y"),
        ("30 days", "P30D"),
        ("12 months", "P1Y"),
        ("p6m", "P6M"),
    ],
)
def test_durations_are_stored_as_iso_8601(tmp_path, typed, iso):
    (row,) = check(tmp_path, line(duration=typed)).rows
    assert row.duration == iso


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("1200", "1200.00"),
        ("1,200.5", "1200.50"),
        ("0", "0.00"),
        ("1.200,50", None),
        ("12.345", None),
        ("-1", None),
        ("1e30", None),
        ("abc", None),
    ],
)
def test_amounts_are_exact_or_refused(tmp_path, typed, amount):
    checked = check(tmp_path, line(amount=f'"{typed}"'))
    assert [str(row.amount) for row in checked.rows] == ([amount] if amount else [])
    assert [e.field for e in checked.errors] == ([] if amount else ["amount"])


def test_naive_placement_is_utc_and_offsets_are_converted(tmp_path):
    naive, offset = check(
        tmp_path,
        line("1", placed_at="2026-01-05 09:00"),
        line("2", placed_at="2026-01-05T09:00+02:00"),
    ).rows
    assert naive.placed_at == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert offset.placed_at == datetime(2026, 1, 5, 7, 0, tzinfo=UTC)


def test_a_placement_in_the_future_is_refused_beyond_a_little_clock_skew(tmp_path):
    checked = check(
        tmp_path,
        line("1", placed_at="2099-01-01T00:00:00Z"),
        line("2", placed_at="2026-02-02T10:09:00Z"),  # NOW + 9 minutes: a clock running fast
        line("3", placed_at="2026-02-02T12:11:00+02:00"),  # NOW + 11 minutes
        now=NOW,
    )

    assert [(e.row, e.field) for e in checked.errors] == [(2, "placed_at"), (4, "placed_at")]
    assert str(checked.errors[0]).startswith("row 2 (order 1): placed_at: in the future")
    assert [row.order_no for row in checked.rows] == ["2"]


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("12345", None),
        ("ORD-2026-001", None),
        ("a.1/2_B", None),
        ("550e8400-e29b-41d4-a716-446655440000", None),
        ("-5", "letters, digits"),
        ("=1+1", "letters, digits"),
        ("#12", "letters, digits"),
        ("12345|F1", "letters, digits"),
        ("1" * 40, "longer than 36 characters"),
        ("12 345", "contains a space"),
        ("12\u00a0345", "contains a space"),
    ],
)
def test_order_numbers_are_plain_and_short(tmp_path, typed, problem):
    checked = check(tmp_path, line(f'"{typed}"'), line("2", renewal_of=f'"{typed}"'))

    errors = [(e.row, e.field) for e in checked.errors]
    if problem is None:
        assert errors == [] and checked.rows[0].order_no == typed
        return
    assert errors == [(2, "order_no"), (3, "renewal_of")]
    assert all(problem in e.message for e in checked.errors)


def test_a_renewal_of_an_order_in_neither_the_file_nor_the_database_is_refused(session, tmp_path):
    make_order(session, "100")
    session.commit()

    checked = check(
        tmp_path,
        line("201", renewal_of="200"),  # 200 comes later in the file
        line("200"),
        line("202", renewal_of="100"),  # in the database
        line("203", renewal_of="999"),
        line("204", renewal_of="300"),
        line("300", amount="ten"),  # in the file, but not valid
        stored=partial(stored_order_nos, session),
    )

    assert [str(e) for e in checked.errors if e.field == "renewal_of"] == [
        "row 5 (order 203): renewal_of: there is no order 999, in this file or already imported",
        "row 6 (order 204): renewal_of: order 300's own row is invalid (fix it first)",
    ]
    assert [row.order_no for row in checked.rows] == ["201", "200", "202"]


def test_several_sellers_and_a_customer_in_one_column(tmp_path):
    path = tmp_path / "orders.json"
    path.write_text(
        json.dumps(
            [
                {
                    "order_no": 7,
                    "product": "SECUREVPN",
                    "amount": 99.5,
                    "currency": "usd",
                    "status": "paid",
                    "placed_at": "2026-01-05",
                    "duration": "P1Y",
                    "sellers": "USELLER; Tea@ISV.example UTEAMMATE",
                    "customer": "UCUSTOMER;Alex Buyer",
                }
            ]
        )
    )
    records, _ = read_records(path)
    (row,) = validate_orders(records, product_ids=PRODUCTS, now=NOW).rows
    assert row.sellers == ("USELLER", "tea@isv.example", "UTEAMMATE")
    assert (row.customer_user_id, row.customer_name) == ("UCUSTOMER", "Alex Buyer")
    assert (row.order_no, row.amount, row.currency) == ("7", Decimal("99.50"), "USD")


# --- writing ---


def test_import_creates_orders_in_their_supervision_states_with_an_audit_event(session, tmp_path):
    make_product(session)
    report = load(
        session,
        tmp_path,
        line("1", status="Processing"),
        line("2", status="Pending payment"),
        line("3", status="Canceled"),
        line("4", status="Completed"),
    )

    assert report.created == ["1", "2", "3", "4"]
    states = {no: get_order(session, no).state for no in "1234"}
    assert states == {
        "1": SupervisionState.AWAITING_DELIVERY,
        "2": SupervisionState.NOT_DELIVERABLE,
        "3": SupervisionState.NOT_DELIVERABLE,
        "4": SupervisionState.COMPLETED,
    }
    (event,) = events(session, "1")
    assert (event.kind, event.actor, event.detail["state"]) == (
        "imported",
        "cli",
        "awaiting_delivery",
    )
    assert sellers_of(session, get_order(session, "1").id) == ["USELLER"]


def test_reimporting_the_same_file_changes_nothing(session, tmp_path):
    make_product(session)
    load(session, tmp_path, line("1"), line("2", sellers="USELLER;UTEAMMATE"))

    report = load(session, tmp_path, line("1"), line("2", sellers="USELLER;UTEAMMATE"))

    assert (report.created, report.updated, report.unchanged) == ([], [], ["1", "2"])
    assert len(events(session, "2")) == 1
    assert sellers_of(session, get_order(session, "2").id) == ["USELLER", "UTEAMMATE"]


def test_reimport_updates_descriptive_fields_but_keeps_supervision_progress(session, tmp_path):
    product = make_product(session)
    make_order(
        session,
        "1",
        product=product,
        sellers=("USELLER",),
        round=1,
        state=SupervisionState.AWAITING_ACCEPTANCE,
    )
    session.commit()

    report = load(
        session, tmp_path, line("1", amount="1500", sellers="UTEAMMATE", status="Completed")
    )

    order = get_order(session, "1")
    session.refresh(order)
    assert report.updated == ["1"]
    assert order.state is SupervisionState.AWAITING_ACCEPTANCE
    assert (order.amount, order.imported_status) == (Decimal("1500.00"), OrderStatus.COMPLETED)
    assert sellers_of(session, order.id) == ["UTEAMMATE"]
    (event,) = events(session, "1")
    assert event.kind == "import_updated"
    assert event.detail["changes"]["amount"] == ["1200.00", "1500.00"]
    assert event.detail["changes"]["sellers"] == [["USELLER"], ["UTEAMMATE"]]


def test_cancelling_an_order_awaiting_delivery_makes_it_not_deliverable(session, tmp_path):
    make_product(session)
    load(session, tmp_path, line("1"))

    report = load(session, tmp_path, line("1", status="refunded"))

    assert get_order(session, "1").state is SupervisionState.NOT_DELIVERABLE
    assert report.state_changes == [("1", "awaiting_delivery", "not_deliverable")]
    event = events(session, "1")[-1]
    assert (event.kind, event.detail["from"], event.detail["to"]) == (
        "import_updated",
        "awaiting_delivery",
        "not_deliverable",
    )


def test_a_paid_order_becomes_deliverable(session, tmp_path):
    make_product(session)
    load(session, tmp_path, line("1", status="Pending payment"))

    load(session, tmp_path, line("1", status="paid"), now=NOW.replace(hour=12))

    order = get_order(session, "1")
    assert order.state is SupervisionState.AWAITING_DELIVERY
    assert order.state_changed_at == NOW.replace(hour=12)


def test_renewal_of_a_completed_order_continues_its_validity_unsupervised(session, tmp_path):
    product = make_product(session)
    make_order(
        session,
        "100",
        product=product,
        state=SupervisionState.COMPLETED,
        status=OrderStatus.COMPLETED,
        validity_start=datetime(2026, 1, 1, tzinfo=UTC),
        validity_end=datetime(2026, 1, 31, 12, 0, tzinfo=UTC),
    )
    session.commit()

    load(
        session,
        tmp_path,
        line("101", renewal_of="100", duration="1 month"),
        line("102", renewal_of="101", duration="1 year"),
    )

    renewal = get_order(session, "101")
    assert renewal.state is SupervisionState.NOT_SUPERVISED
    assert renewal.validity_start == datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
    assert renewal.validity_end == datetime(2026, 2, 28, 12, 0, tzinfo=UTC)
    again = get_order(session, "102")
    assert again.state is SupervisionState.NOT_SUPERVISED
    assert again.validity_end == datetime(2027, 2, 28, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("customer", "end"),
    [
        # renewed order ends 31 Jan 00:00 in Tokyo: one month later is 28 Feb 00:00 in Tokyo
        (dict(user="UTOKYO"), datetime(2026, 2, 27, 15, 0, tzinfo=UTC)),
        (dict(user="", email="Buyer@Tokyo.example"), datetime(2026, 2, 27, 15, 0, tzinfo=UTC)),
        # a customer nobody knows yet: counted on UTC, where the renewed order ended 30 Jan
        (dict(user="UNKNOWN"), datetime(2026, 2, 28, 15, 0, tzinfo=UTC)),
    ],
)
def test_a_renewal_counts_its_month_on_the_customers_calendar(session, tmp_path, customer, end):
    session.add(
        SlackUser(user_id="UTOKYO", email="buyer@tokyo.example", tz="Asia/Tokyo", fetched_at=NOW)
    )
    product = make_product(session)
    make_order(
        session,
        "400",
        product=product,
        state=SupervisionState.COMPLETED,
        status=OrderStatus.COMPLETED,
        validity_start=datetime(2025, 12, 30, 15, 0, tzinfo=UTC),
        validity_end=datetime(2026, 1, 30, 15, 0, tzinfo=UTC),  # 31 Jan 00:00 in Tokyo
    )
    session.commit()

    load(session, tmp_path, line("401", renewal_of="400", duration="1 month", **customer))

    renewal = get_order(session, "401")
    assert renewal.validity_start == datetime(2026, 1, 30, 15, 0, tzinfo=UTC)
    assert renewal.validity_end == end


def test_renewal_of_an_order_completed_earlier_in_the_file(session, tmp_path):
    make_product(session)
    load(
        session,
        tmp_path,
        line("201", renewal_of="200"),  # 200 comes later: this one is supervised
        line("200", status="Completed"),
        line("202", renewal_of="200"),
    )

    states = {no: get_order(session, no).state for no in ("201", "202")}
    assert states == {
        "201": SupervisionState.AWAITING_DELIVERY,
        "202": SupervisionState.NOT_SUPERVISED,
    }
    assert get_order(session, "202").validity_end is None  # the renewed order's end is unknown


def test_renewal_of_an_order_still_in_supervision_is_supervised(session, tmp_path):
    product = make_product(session)
    make_order(session, "300", product=product, state=SupervisionState.AWAITING_ACCEPTANCE)
    session.commit()

    load(session, tmp_path, line("301", renewal_of="300"))

    assert get_order(session, "301").state is SupervisionState.AWAITING_DELIVERY


# --- products ---


PRODUCT = {
    "code": "SECUREVPN",
    "name": "SecureVPN Enterprise",
    "delivery_template": [
        {"id": "licence_key", "label": "Licence key delivered", "kind": "text"},
        {
            "id": "checks",
            "label": "Checks",
            "kind": "checklist",
            "options": ["Installed"],
            "required": False,
        },
    ],
    "required_proof_kinds": ["sow"],
}


def test_products_upsert_by_code_and_audit_template_changes(session, tmp_path):
    path = tmp_path / "products.yaml"
    path.write_text(json.dumps([PRODUCT]))  # YAML is a superset of JSON

    rows, errors = validate_products(read_products(path))
    first = import_products(session, rows, now=NOW)
    again = import_products(session, rows, now=NOW)
    renamed = dict(PRODUCT, name="SecureVPN Enterprise 2", delivery_days=5)
    changed = import_products(session, validate_products([renamed])[0], now=NOW)
    session.commit()

    assert errors == []
    assert (first.created, again.unchanged, changed.updated) == (["SECUREVPN"],) * 3
    product = session.exec(select(Product)).one()
    session.refresh(product)
    assert (product.name, product.delivery_days) == ("SecureVPN Enterprise 2", 5)
    assert product.delivery_template[0]["required"] is True  # required by default
    kinds = [e.kind for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert kinds == ["product_imported", "product_updated"]


def test_product_errors_name_the_product_and_the_field():
    bad = dict(
        PRODUCT,
        required_proof_kinds=["selfie"],
        delivery_template=[
            {"id": "k", "label": "Key", "kind": "colour"},
            {"id": "k", "label": "", "kind": "checklist"},
        ],
    )

    rows, errors = validate_products([bad, {"name": "No code"}])

    assert rows == []
    assert errors == [
        "product 1 (SECUREVPN): delivery_template[1].kind: 'colour' is not one of text, checklist, date, number",
        "product 1 (SECUREVPN): delivery_template[2].id: 'k' is used twice",
        "product 1 (SECUREVPN): delivery_template[2].label: missing",
        "product 1 (SECUREVPN): delivery_template[2].options: a checklist needs a list of option labels",
        "product 1 (SECUREVPN): required_proof_kinds: use a list of: sow, acceptance, validity_screenshot, deployment_proof, other",
        "product 2: code: missing",
        "product 2: delivery_template: expected a non-empty list of fields",
    ]


def test_a_nested_proof_kind_is_an_error_not_a_crash():
    rows, errors = validate_products([dict(PRODUCT, required_proof_kinds=[["sow"]])])

    assert rows == []
    assert errors == [
        "product 1 (SECUREVPN): required_proof_kinds: use a list of: sow, acceptance, "
        "validity_screenshot, deployment_proof, other"
    ]
