"""A seller chatting in the DM does not set an enabling time by accident."""

from tests.e2e.test_delivery_conversation import draft_of, shown
from tests.factories import make_order


def test_a_chat_reply_is_not_taken_for_a_date(box, seller, session):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")

    seller.says("ok")

    assert "I couldn't read “ok” as a date" in seller.last_dm().text
    assert draft_of(session).enabling_decided is False
    assert "_Not answered yet._" in shown(seller)
