"""The seller's step messages stay true to the draft whatever Slack does on the way: one that
failed for good is posted afresh, and an older update retried late never hides a newer one."""

from __future__ import annotations

from sqlmodel import select

from bot.fakeslack.render import render_blocks
from storage.models import Delivery, Order, OutboxMessage, OutboxStatus
from tests.e2e.test_delivery_conversation import TEMPLATE_VALUES, step
from tests.factories import make_order


def reload(session, model):
    session.expire_all()
    found = session.exec(select(model)).first()
    session.commit()
    return found


def test_a_step_message_that_failed_for_good_is_posted_afresh_at_the_next_change(
    box, seller, session
):
    make_order(session, "12345")
    session.commit()
    box.slack.fail(
        "chat.postMessage",
        "invalid_blocks",
        when=lambda args: "Review and deliver" in str(args.get("blocks")),
    )
    seller.runs("/deliver 12345")
    assert not any("Review and deliver" in render_blocks(m.blocks) for m in seller.dms())

    seller.says("jan 1")  # the review message would be updated: it is posted instead
    seller.drops_file("SOW-signed.pdf", b"%PDF sow")
    seller.drops_file("acceptance_report.pdf", b"%PDF acceptance")
    seller.clicks("Fill in the template")
    seller.submits(TEMPLATE_VALUES)

    reviews = [m for m in seller.dms() if "Review and deliver" in render_blocks(m.blocks)]
    assert len(reviews) == 1
    assert "Licence key delivered: KEY-123" in render_blocks(reviews[0].blocks)
    seller.clicks("Deliver", reviews[0])

    assert reload(session, Order).state.value == "awaiting_acceptance"
    review = box.slack.find_message(reviews[0].channel, reviews[0].ts)
    assert "Delivered. Order 12345" in render_blocks(review.blocks)
    failed = session.exec(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED))
    assert [row.last_error for row in failed] == ["invalid_blocks"]  # nothing failed after it
    session.commit()


def test_an_older_update_retried_late_does_not_hide_a_newer_answer(box, seller, session, clock):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")
    box.slack.fail("chat.update", "internal_error", status=500, times=1)
    seller.says("2026-01-20")  # the first update of the enabling step fails for now
    seller.says("2026-01-25")  # the newer one goes out at once

    clock.advance(seconds=30)
    box.settle()  # the older one's retry is due

    assert reload(session, Delivery).enabling_time.isoformat() == "2026-01-24T23:00:00+00:00"
    shown = render_blocks(step(seller, "Actual service enabling time").blocks)
    assert "25 Jan 2026" in shown and "20 Jan 2026" not in shown
