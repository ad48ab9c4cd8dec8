"""One calendar for the validity: the customer's. A seller in Tokyo previews, a customer in New
York reads and accepts, and all of them see the same instants that are stored."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.dates import format_local
from bot.core.ids import ActionId
from tests.e2e.test_acceptance import reload, shown
from tests.e2e.test_delivery_conversation import TEMPLATE_VALUES, step
from tests.factories import SELLER, make_order

TOKYO, NEW_YORK = "Asia/Tokyo", "America/New_York"


def test_a_tokyo_seller_and_a_new_york_customer_see_the_validity_that_is_stored(
    box, seller, customer, session
):
    box.slack.users[SELLER].tz = TOKYO
    make_order(session, "12345", placed_at=datetime(2026, 1, 1, 9, 0, tzinfo=UTC))
    session.commit()
    box.clock.set(datetime(2026, 2, 1, 15, 0, tzinfo=UTC))
    seller.runs("/deliver 12345")

    seller.picks(
        ActionId.ENABLING_DATE,
        step(seller, "Actual service enabling time"),
        selected_date="2026-01-31",
    )
    # 31 Jan 00:00 in Tokyo is 30 Jan 10:00 in New York: a month on the customer's calendar
    # ends 28 Feb 10:00 New York time, which is 1 Mar in Tokyo
    start, end = datetime(2026, 1, 30, 15, 0, tzinfo=UTC), datetime(2026, 2, 28, 15, 0, tzinfo=UTC)
    preview = f"valid {format_local(start, TOKYO, with_time=False)} – 1 Mar 2026"
    assert preview in shown(step(seller, "Actual service enabling time"))
    seller.drops_file("SOW-signed.pdf", b"%PDF sow")
    seller.drops_file("acceptance_report.pdf", b"%PDF acceptance")
    seller.clicks("Fill in the template")
    seller.submits(TEMPLATE_VALUES)
    assert preview in shown(seller.last_dm())  # the review step
    seller.clicks("Deliver")

    delivered = customer.dms()[0]
    assert "Your licence is valid 30 Jan 2026 – 28 Feb 2026" in shown(delivered)
    assert format_local(end, NEW_YORK, with_time=False) == "28 Feb 2026"
    customer.clicks("Accept", message=delivered)

    order = reload(session)
    assert (order.validity_start, order.validity_end) == (start, end)
