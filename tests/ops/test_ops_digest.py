"""Nothing fails silently: a delivery that never reached its customer is told to the seller at
once and shows in the next morning's operations digest, with what to run."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.bootstrap import build_scheduler
from tests.e2e.test_acceptance import submit


def test_a_customer_never_reached_shows_in_the_ops_digest(box, seller, session, clock):
    scheduler = build_scheduler(box.services)
    scheduler.run_due()  # Monday 10:00 UTC: the digest is planned for Tuesday 08:00
    submit(box, session, customer_user_id="UGONE", customer_email=None, customer_channel=None)
    assert "couldn't reach the customer of order *12345*" in seller.last_dm().text
    session.commit()
    assert box.slack.messages_in("COPS") == []

    clock.set(datetime(2026, 2, 3, 8, 0, tzinfo=UTC))
    scheduler.run_due()
    box.settle()
    scheduler.release()

    digest = [m for m in box.slack.messages_in("COPS") if "Operations digest" in m.text]
    assert len(digest) == 1
    text = digest[0].text
    assert "order 12345: the delivery to the customer was not sent (channel_not_found)" in text
    assert "deliverybot outbox list --failed" in text
