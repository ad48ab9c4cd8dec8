"""kill -9 of real bot processes: a `deliverybot worker` with a chat.postMessage in flight, and
`deliverybot serve` in the middle of a request. Whatever Slack had done when the process died,
after a restart every message is in Slack exactly once and the database says so.

The fake Slack holds the call the test wants in flight (`slack.hold`), the test SIGKILLs the
process, and the restart runs with its clock three minutes ahead: the dead process's leases
(60 s on an outbox row, 120 s on SQLite's scheduler lease) have run out by then.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from bot.core.audit import events_for
from bot.core.clock import ManualClock
from bot.demo.sandbox import SIGNING_SECRET
from bot.fakeslack.driver import SlackDriver
from bot.orders.customers import CUSTOMER_DELIVERY
from bot.orders.queries import get_order
from storage.models import OutboxStatus
from storage.states import SupervisionState
from tests.e2e import bot_processes as bot
from tests.e2e.outbox_checks import all_sent, row_with_text, rows, seller_notices, state_of
from tests.e2e.test_reliability import submit
from tests.factories import CUSTOMER, SELLER

LATER = 180  # seconds: past every lease the killed process held


@pytest.fixture(autouse=True)
def no_process_left_behind():
    yield
    bot.kill_leftovers()


@pytest.fixture
def clock() -> ManualClock:
    """The system's time: the processes under test run on it."""
    return ManualClock(datetime.now(UTC).replace(microsecond=0))


@pytest.mark.parametrize("recorded", [True, False], ids=["slack-had-posted", "slack-had-not"])
def test_a_worker_killed_mid_post_leaves_the_post_in_slack_exactly_once(
    box, customer, session, tmp_path, recorded
):
    submit(box, session)
    box.driver.settle = lambda: None  # from here only the worker processes send
    customer.clicks("Accept")  # queues the seller's "accepted" notice, among others
    notice = box.slack.hold(
        "chat.postMessage",
        recorded=recorded,
        when=lambda args: "accepted your delivery" in args.get("text", ""),
    )

    first = bot.start(box, tmp_path, "worker", "--once")
    notice.wait_reached()
    bot.kill(first)
    notice.release(take_effect=recorded)  # not recorded: the post never reached Slack
    assert len(seller_notices(box)) == (1 if recorded else 0)

    second = bot.run(box, tmp_path, "worker", "--once", ahead=LATER)
    assert second.returncode == 0, bot.output(second)

    [posted] = seller_notices(box)
    sent = row_with_text(session, "accepted your delivery")
    assert (sent.status, sent.result_ts) == (OutboxStatus.SENT, posted.ts)
    assert posted.metadata["event_payload"] == {"outbox_id": sent.id}
    assert [c.args["channel"] for c in box.slack.calls_to("conversations.history")] == [
        f"D{SELLER}"  # looked for it once, in the seller's DM, before anything was re-sent
    ]
    assert all_sent(session)


def test_serve_killed_mid_request_loses_nothing_and_sends_each_message_once(box, session, tmp_path):
    """serve dies while an Accept click is in hand (waiting on users.info, before its
    transaction) and while its outbox waits for Slack's answer to the customer's delivery
    message, which Slack has posted. The restarted serve records that message instead of
    posting it again, sends what was still queued, and the customer's repeated click
    completes the order once."""
    box.driver.settle = lambda: None  # nothing is sent by the test's own process
    submit(box, session, settle=False)  # the delivery to the customer, queued
    delivery = box.slack.hold(
        "chat.postMessage", recorded=True, when=lambda args: args.get("channel") == CUSTOMER
    )
    first, url = bot.serve(box, tmp_path)
    delivery.wait_reached()  # the customer sees it; serve has not heard back
    who_clicked = box.slack.hold("users.info", when=lambda args: args.get("user") == CUSTOMER)
    answers: list = []
    click = threading.Thread(target=lambda: answers.append(_click_accept(box, url)))
    click.start()
    who_clicked.wait_reached()

    bot.kill(first)
    delivery.release()
    who_clicked.release()
    click.join(timeout=30)
    assert answers == ["no answer"]  # Slack would show the customer an error
    assert state_of(session) is SupervisionState.AWAITING_ACCEPTANCE  # nothing half-done

    second, url = bot.serve(box, tmp_path, ahead=LATER)
    try:
        bot.wait_for(lambda: all_sent(session), what="the queued messages to go out")
        assert _click_accept(box, url) == 200  # the customer clicks again
        bot.wait_for(lambda: len(seller_notices(box)) == 1, what="the seller's notice")
        bot.wait_for(lambda: all_sent(session), what="the acceptance's messages to go out")
    finally:
        bot.stop(second)

    session.expire_all()
    order = get_order(session, "12345")
    kinds = [event.kind for event in events_for(session, order.id)]
    session.commit()
    messages = box.slack.dms(CUSTOMER)
    assert (order.state, kinds.count("accept")) == (SupervisionState.COMPLETED, 1)
    assert len(messages) == 2  # the delivery, once (updated in place), and its proof file
    assert len(messages[0].history) == 1 and len(seller_notices(box)) == 1
    [delivered] = [r for r in rows(session) if r.meta.get("purpose") == CUSTOMER_DELIVERY]
    assert delivered.result_ts == messages[0].ts
    assert len(box.slack.calls_to("conversations.history")) == 1  # looked for before re-sending


def _click_accept(box, url: str) -> int | str:
    driver = SlackDriver(app_url=url, signing_secret=SIGNING_SECRET, slack=box.slack)
    try:
        return driver.person(CUSTOMER).clicks("Accept").status_code
    except Exception:  # the connection died with the process
        return "no answer"
    finally:
        driver.http.close()
