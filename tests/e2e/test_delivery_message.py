"""The seller's delivery message stays true to the draft whatever Slack does on the way: one
that failed for good is posted afresh, an older update retried late never hides a newer one,
and a draft from before there was one message moves to one at its next change."""

from __future__ import annotations

from sqlmodel import select

from bot.fakeslack.render import render_blocks
from storage.models import Delivery, Order, OutboxMessage, OutboxStatus
from tests.e2e.test_delivery_conversation import TEMPLATE_VALUES, deliver_everything, the_delivery
from tests.factories import make_order


def reload(session, model):
    session.expire_all()
    found = session.exec(select(model)).first()
    session.commit()
    return found


def test_a_message_that_failed_for_good_is_posted_afresh_at_the_next_change(box, seller, session):
    make_order(session, "12345")
    session.commit()
    box.slack.fail(
        "chat.postMessage",
        "invalid_blocks",
        when=lambda args: "Review and deliver" in str(args.get("blocks")),
    )
    seller.runs("/deliver 12345")
    assert seller.dms() == []

    seller.says("jan 1")  # the message would be updated: it is posted instead
    seller.drops_file("SOW-signed.pdf", b"%PDF sow")
    seller.drops_file("acceptance_report.pdf", b"%PDF acceptance")
    seller.clicks("Fill in the template")
    seller.submits(TEMPLATE_VALUES)

    message = the_delivery(seller)  # exactly one
    assert "Licence key delivered: KEY-123" in render_blocks(message.blocks)
    seller.clicks("Deliver", message)

    assert reload(session, Order).state.value == "awaiting_acceptance"
    message = box.slack.find_message(message.channel, message.ts)
    assert "Delivered. Order 12345" in render_blocks(message.blocks)
    failed = session.exec(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED))
    assert [row.last_error for row in failed] == ["invalid_blocks"]  # nothing failed after it
    session.commit()


def test_an_older_update_retried_late_does_not_hide_a_newer_answer(box, seller, session, clock):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")
    box.slack.fail("chat.update", "internal_error", status=500, times=1)
    seller.says("2026-01-20")  # the first update of the message fails for now
    seller.says("2026-01-25")  # the newer one goes out at once

    clock.advance(seconds=30)
    box.settle()  # the older one's retry is due

    assert reload(session, Delivery).enabling_time.isoformat() == "2026-01-24T23:00:00+00:00"
    shown = render_blocks(the_delivery(seller).blocks)
    assert "25 Jan 2026" in shown and "20 Jan 2026" not in shown


def test_a_draft_from_before_the_one_message_moves_to_it_when_resumed(box, seller, session):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")
    [old] = seller.dms()
    draft = reload(session, Delivery)
    sent = draft.messages["message"]
    # as such a draft recorded it: a key per step message (this one reached Slack, the
    # others never did)
    draft.messages = {
        "generation": 0,
        "required_kinds": ["sow", "acceptance"],
        "order": sent,
        **{step: f"delivery:{draft.id}:g0:{step}" for step in ("enabling", "files", "review")},
    }
    session.add(draft)
    session.commit()

    reply = seller.runs("/deliver 12345").json()

    assert "Picking up where you left off" in render_blocks(reply["blocks"])
    retired = box.slack.find_message(old.channel, old.ts)
    assert "this delivery now continues in one message, below" in render_blocks(retired.blocks)
    assert "[" not in render_blocks(retired.blocks)  # no buttons left on it
    message = the_delivery(seller)
    assert message.ts != old.ts
    draft = reload(session, Delivery)
    assert set(draft.messages) == {"generation", "required_kinds", "message"}
    assert draft.messages["generation"] == 1

    deliver_everything(seller)
    seller.clicks("Deliver", the_delivery(seller))

    assert "Delivered. Order 12345" in render_blocks(the_delivery(seller).blocks)
    assert the_delivery(seller).ts == message.ts
    assert reload(session, Order).state.value == "awaiting_acceptance"
