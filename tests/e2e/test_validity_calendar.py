"""One calendar for the validity: the customer's. A seller in Tokyo previews, a customer in New
York reads and accepts, and all of them see the same instants that are stored."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from bot.core.dates import format_local
from bot.core.ids import ActionId
from storage.models import SlackUser
from storage.states import SupervisionState
from tests.e2e.test_acceptance import reload, shown
from tests.e2e.test_delivery_conversation import TEMPLATE_VALUES, the_delivery
from tests.factories import CUSTOMER, SELLER, make_order

TOKYO, NEW_YORK = "Asia/Tokyo", "America/New_York"


def test_a_tokyo_seller_and_a_new_york_customer_see_the_validity_that_is_stored(
    box, seller, customer, session
):
    box.slack.users[SELLER].tz = TOKYO
    make_order(session, "12345", placed_at=datetime(2026, 1, 1, 9, 0, tzinfo=UTC))
    session.commit()
    box.clock.set(datetime(2026, 2, 1, 15, 0, tzinfo=UTC))
    seller.runs("/deliver 12345")

    seller.picks(ActionId.ENABLING_DATE, the_delivery(seller), selected_date="2026-01-31")
    # 31 Jan 00:00 in Tokyo is 30 Jan 10:00 in New York: a month on the customer's calendar
    # ends 28 Feb 10:00 New York time, which is 1 Mar in Tokyo
    start, end = datetime(2026, 1, 30, 15, 0, tzinfo=UTC), datetime(2026, 2, 28, 15, 0, tzinfo=UTC)
    preview = f"valid {format_local(start, TOKYO, with_time=False)} – 1 Mar 2026"
    assert preview in shown(the_delivery(seller))
    seller.drops_file("SOW-signed.pdf", b"%PDF sow")
    seller.drops_file("acceptance_report.pdf", b"%PDF acceptance")
    seller.clicks("Fill in the template")
    seller.submits(TEMPLATE_VALUES)
    assert preview in shown(the_delivery(seller))  # all done: the summary Deliver follows
    seller.clicks("Deliver")

    delivered = customer.dms()[0]
    assert "Your licence is valid 30 Jan 2026 – 28 Feb 2026" in shown(delivered)
    assert format_local(end, NEW_YORK, with_time=False) == "28 Feb 2026"
    customer.clicks("Accept", message=delivered)

    order = reload(session)
    assert (order.validity_start, order.validity_end) == (start, end)


def deliver_with_enabling_date(box, seller, session, date: str) -> None:
    make_order(session, "12345", placed_at=datetime(2026, 1, 1, 9, 0, tzinfo=UTC))
    session.commit()
    seller.runs("/deliver 12345")
    seller.picks(ActionId.ENABLING_DATE, the_delivery(seller), selected_date=date)
    seller.drops_file("SOW-signed.pdf", b"%PDF sow")
    seller.drops_file("acceptance_report.pdf", b"%PDF acceptance")
    seller.clicks("Fill in the template")
    seller.submits(TEMPLATE_VALUES)
    seller.clicks("Deliver")


def test_a_customer_who_moves_after_the_delivery_gets_the_validity_its_message_showed(
    box, seller, customer, session
):
    """Enabled 31 Jan 00:00 in Paris (30 Jan 18:00 in New York): a month on the New York
    calendar ends 28 Feb 18:00 there. The customer moves to Tokyo before accepting (their
    profile is refreshed at the click): the validity stays the one the delivery showed, not
    a month on the Tokyo calendar (27 Feb 23:00 UTC)."""
    box.clock.set(datetime(2026, 2, 1, 15, 0, tzinfo=UTC))
    deliver_with_enabling_date(box, seller, session, "2026-01-31")
    delivered = customer.dms()[0]
    assert "Your licence is valid 30 Jan 2026 – 28 Feb 2026" in shown(delivered)

    box.slack.users[CUSTOMER].tz = TOKYO
    box.clock.set(datetime(2026, 2, 2, 15, 0, tzinfo=UTC))  # the cached profile is stale
    customer.clicks("Accept", message=delivered)

    order = reload(session)
    assert order.state is SupervisionState.COMPLETED
    start, end = datetime(2026, 1, 30, 23, 0, tzinfo=UTC), datetime(2026, 2, 28, 23, 0, tzinfo=UTC)
    assert (order.validity_start, order.validity_end) == (start, end)
    assert session.exec(select(SlackUser.tz).where(SlackUser.user_id == CUSTOMER)).one() == TOKYO
    session.commit()


def test_a_start_is_acked_without_asking_slack_about_the_customer(box, seller, session):
    """A customer never seen is looked up by the outbox before it builds the delivery message
    (whose preview is counted on their calendar), not while the seller waits for the reply."""
    make_order(session, "12345")
    session.commit()
    box.driver.settle = lambda: None  # the outbox sends nothing until the test says so

    reply = seller.runs("/deliver 12345")

    def customer_lookups() -> int:
        return sum(call.args.get("user") == CUSTOMER for call in box.slack.calls_to("users.info"))

    assert "continue in our DM" in reply.text
    assert customer_lookups() == 0
    box.settle()
    assert customer_lookups() == 1
    assert session.get(SlackUser, CUSTOMER).tz == box.slack.users[CUSTOMER].tz
