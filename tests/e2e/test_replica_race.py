"""Two `deliverybot serve` processes and a `deliverybot worker` on one PostgreSQL database, as a
marketplace runs them behind a load balancer: the customer clicks Accept on both replicas,
operations click "Complete the order" on the open appeal on both, and a stranger clicks Accept,
all at the same instant. The order completes exactly once, everyone hears about it once, the
stranger is refused without changing anything, and no message reaches Slack twice."""

from __future__ import annotations

import copy
import threading
from collections import Counter
from datetime import UTC, datetime

import pytest

from bot.core.audit import events_for
from bot.core.clock import ManualClock
from bot.demo.sandbox import SIGNING_SECRET
from bot.fakeslack.driver import SlackDriver
from bot.orders.queries import get_order
from bot.supervision import appeals
from bot.supervision.appeal_terms import AppealForm
from storage.states import SupervisionState
from tests.e2e import bot_processes as bot
from tests.e2e.outbox_checks import all_sent
from tests.e2e.test_reliability import submit
from tests.factories import CUSTOMER, OPS, SELLER, STRANGER

COMPLETIONS = ("accept", "ops_complete")


@pytest.fixture(autouse=True)
def postgresql_only(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("replicas share a PostgreSQL database (SQLite is one process's file)")
    yield
    bot.kill_leftovers()


@pytest.fixture
def clock() -> ManualClock:
    """The system's time: the processes under test run on it."""
    return ManualClock(datetime.now(UTC).replace(microsecond=0))


def open_appeal(box, session) -> None:
    order = get_order(session, "12345")
    appeals.open_appeal(
        session,
        order=order,
        by=SELLER,
        role="seller",
        form=AppealForm(reason_kind="unreachable", details="No answer.", letter="We delivered."),
        now=box.clock.now(),
        settings=box.settings,
    )
    session.commit()
    box.settle()


def test_clicks_on_two_replicas_complete_the_order_once(box, session, tmp_path):
    submit(box, session)
    open_appeal(box, session)
    delivery = copy.deepcopy(box.slack.dms(CUSTOMER)[0])
    case = copy.deepcopy(box.slack.messages_in(box.ops_channel)[0])
    box.driver.settle = lambda: None  # from here only the bot's processes send
    first, first_url = bot.serve(box, tmp_path)
    second, second_url = bot.serve(box, tmp_path)
    worker = bot.start(box, tmp_path, "worker")
    drivers = [
        SlackDriver(app_url=url, signing_secret=SIGNING_SECRET, slack=box.slack)
        for url in (first_url, second_url)
    ]
    clicks = [
        (drivers[0], CUSTOMER, "Accept", delivery),
        (drivers[1], CUSTOMER, "Accept", delivery),
        (drivers[0], OPS, "Complete the order", case),
        (drivers[1], OPS, "Complete the order", case),
        (drivers[1], STRANGER, "Accept", delivery),
    ]
    start = threading.Barrier(len(clicks))
    answers: list[int] = []

    def click(driver, user, label, message):
        start.wait()
        answers.append(driver.person(user).clicks(label, message=message).status_code)

    threads = [threading.Thread(target=click, args=args) for args in clicks]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        bot.wait_for(lambda: _completed(session), what="the order to complete")
        bot.wait_for(lambda: all_sent(session), what="every message to go out")
    finally:
        for process in (first, second, worker):
            bot.stop(process)
        for driver in drivers:
            driver.http.close()

    assert answers == [200] * len(clicks)
    order = get_order(session, "12345")
    kinds = [event.kind for event in events_for(session, order.id)]
    session.commit()
    assert sum(kinds.count(kind) for kind in COMPLETIONS) == 1, kinds
    assert order.validity_start is not None and order.validity_end is not None
    told = [m for m in box.slack.dms(SELLER) if _says_completed(m.text)]
    assert len(told) == 1, [m.text for m in box.slack.dms(SELLER)]
    refusal = [r["text"] for r in drivers[1].person(STRANGER).responses()]
    assert refusal and "Alex" not in refusal[-1]
    assert not any(b["type"] == "actions" for b in box.slack.messages_in(box.ops_channel)[0].blocks)
    posted = Counter(
        m.metadata["event_payload"]["outbox_id"] for m in box.slack.messages if m.metadata
    )
    assert posted and max(posted.values()) == 1  # no outbox message reached Slack twice


def _completed(session) -> bool:
    session.expire_all()
    state = get_order(session, "12345").state
    session.commit()
    return state is SupervisionState.COMPLETED


def _says_completed(text: str) -> bool:
    return "accepted your delivery" in text or "Appeal on order 12345 decided" in text
