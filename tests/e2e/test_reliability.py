"""Never lost, never doubled: racing clicks, two app instances, a 429 storm, a crash between
commit and send, and Slack's event retries, over signed HTTP against the fake Slack."""

from __future__ import annotations

import copy
import threading
import time

import pytest
from sqlalchemy import text, update
from sqlmodel import select

from bot.app import create_app
from bot.bootstrap import MESSAGE_KINDS, build_services
from bot.core.audit import events_for
from bot.core.filestore import store_for
from bot.demo.sandbox import SIGNING_SECRET, LoopbackServer
from bot.fakeslack.driver import Person, SlackDriver
from bot.orders.queries import get_order
from bot.slack.dispatcher import OutboxDispatcher
from bot.web import create_web_app
from storage.engine import make_engine, make_session_factory
from storage.models import Delivery, DeliveryState, Order, ProcessedEvent
from storage.states import SupervisionState
from tests.factories import CUSTOMER, SELLER, make_order, make_submitted_delivery


def submit(box, session, *, settle: bool = True):
    order = make_order(session, "12345")
    make_submitted_delivery(
        session, order, now=box.clock.now(), files_dir=box.files_dir, files={"SOW.pdf": b"%PDF sow"}
    )
    session.commit()
    if settle:
        box.settle()


def outcome(box, session):
    """What happened, counted: completions audited, updates the customer's delivery message
    received, and the seller's notices."""
    session.expire_all()
    order = get_order(session, "12345")
    kinds = [event.kind for event in events_for(session, order.id)]
    session.commit()
    updates = box.slack.dms(CUSTOMER)[0].history  # earlier versions of the delivery message
    notices = [m for m in box.slack.dms(SELLER) if "accepted your delivery" in m.text]
    return order.state, kinds.count("accept"), len(updates), len(notices)


def click_together(people: list[Person], message) -> None:
    start = threading.Barrier(len(people))

    def click(person: Person) -> None:
        start.wait()
        person.clicks("Accept", message=message)

    threads = [threading.Thread(target=click, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_racing_clicks_complete_once_and_notify_once(box, customer, session):
    submit(box, session)
    message = copy.deepcopy(customer.dms()[0])

    click_together([customer] * 6, message)

    assert outcome(box, session) == (SupervisionState.COMPLETED, 1, 1, 1)
    replies = [r["text"] for r in customer.responses()]
    assert len(replies) == 5 and all("already accepted" in text for text in replies)


@pytest.fixture
def second_instance(box, database_url):
    """Another replica of the bot: its own engine, Bolt app, web server and outbox dispatcher,
    on the same database and the same Slack."""
    engine = make_engine(database_url)
    services = build_services(
        box.settings,
        session_factory=make_session_factory(engine),
        clock=box.clock,
        channel_interval=0,
    )
    server = LoopbackServer().start()
    server.target = create_web_app(create_app(services), engine)
    driver = SlackDriver(
        app_url=server.url,
        signing_secret=SIGNING_SECRET,
        slack=box.slack,
        settle=services.dispatcher.drain,
    )
    yield driver
    driver.http.close()
    server.stop()
    engine.dispose()


def test_two_app_instances_on_postgresql_complete_once(
    box, customer, session, database_url, second_instance
):
    if not database_url.startswith("postgresql"):
        pytest.skip("two replicas share a PostgreSQL database (SQLite is covered with threads)")
    submit(box, session)
    message = copy.deepcopy(customer.dms()[0])
    elsewhere = second_instance.person(CUSTOMER)

    click_together([customer, elsewhere] * 3, message)

    assert outcome(box, session) == (SupervisionState.COMPLETED, 1, 1, 1)


def wait_out(box, *, rounds: int) -> None:
    for _ in range(rounds):
        box.clock.advance(seconds=20)
        box.settle()


def test_a_429_storm_delays_but_delivers_every_message_once(box, customer, session):
    box.slack.fail("chat.postMessage", "ratelimited", status=429, retry_after=20, times=3)
    box.slack.fail("chat.update", "ratelimited", status=429, retry_after=20, times=3)
    box.slack.fail("files.getUploadURLExternal", "ratelimited", status=429, retry_after=20)
    submit(box, session)
    assert customer.dms() == []

    wait_out(box, rounds=4)
    assert len(customer.dms()) == 2  # the delivery, then its proof file
    customer.clicks("Accept")
    wait_out(box, rounds=4)

    assert outcome(box, session) == (SupervisionState.COMPLETED, 1, 1, 1)
    assert len(customer.dms()) == 2


def test_a_crash_between_commit_and_send_loses_nothing(box, customer, session):
    box.driver.settle = lambda: None  # the bot dies after each commit, before its outbox sends
    submit(box, session, settle=False)
    assert customer.dms() == []

    restarted = OutboxDispatcher(
        session_factory=box.session_factory,
        client=box.services.client,
        clock=box.clock,
        channel_interval=0,
        files=store_for(box.settings),
        kinds=MESSAGE_KINDS,
    )
    restarted.drain()
    assert len(customer.dms()) == 2

    customer.clicks("Accept")
    assert outcome(box, session)[2:] == (0, 0)
    restarted.drain()
    box.settle()  # the old dispatcher, back too, finds nothing left to send

    assert outcome(box, session) == (SupervisionState.COMPLETED, 1, 1, 1)


def test_slack_event_retries_are_processed_once(box, seller):
    event = {"type": "app_home_opened", "user": SELLER, "channel": f"D{SELLER}", "tab": "home"}

    box.driver.event(event, event_id="Ev0001")
    box.driver.event(event, event_id="Ev0001", retry_num=1)
    box.driver.event(event, event_id="Ev0001", retry_num=2)

    assert len(box.slack.calls_to("views.publish")) == 1
    box.driver.event(event, event_id="Ev0002")
    assert len(box.slack.calls_to("views.publish")) == 2


def test_an_event_whose_process_died_mid_handling_is_taken_over_by_slacks_later_retry(
    box, seller, session, clock
):
    """The claim of an event is written before it is handled; if the process dies in between,
    the retries Slack sends within a minute are still dropped (the first may be in hand), and
    a later retry handles it."""
    event = {"type": "app_home_opened", "user": SELLER, "channel": f"D{SELLER}", "tab": "home"}
    session.add(ProcessedEvent(event_id="EvLOST", received_at=clock.now()))  # claimed, then died
    session.commit()

    clock.advance(seconds=30)
    box.driver.event(event, event_id="EvLOST", retry_num=1)
    assert box.slack.calls_to("views.publish") == []

    clock.advance(minutes=5)
    box.driver.event(event, event_id="EvLOST", retry_num=2)
    assert len(box.slack.calls_to("views.publish")) == 1

    clock.advance(minutes=30)
    box.driver.event(event, event_id="EvLOST", retry_num=3)  # handled now: never again
    assert len(box.slack.calls_to("views.publish")) == 1


def test_a_start_meeting_the_drafts_submission_starts_no_second_draft(
    box, seller, teammate, session, engine
):
    """A teammate's `/deliver 12345` while the seller's submission of its draft is committing
    (PostgreSQL: it waits for that commit) is told the order is with the customer, and no
    second draft is left on an order that is delivered."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's writers take turns: the start reads the order after the commit")
    order = make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")
    replies = []
    with engine.connect() as submission:  # the seller's Deliver, not committed yet
        submission.execute(
            update(Delivery).where(Delivery.order_id == order.id).values(state="submitted")
        )
        submission.execute(
            update(Order)
            .where(Order.id == order.id)
            .values(state=SupervisionState.AWAITING_ACCEPTANCE, round=1)
        )
        start = threading.Thread(target=lambda: replies.append(teammate.runs("/deliver 12345")))
        start.start()
        waiting = text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        with engine.connect() as watch:
            deadline = time.monotonic() + 10
            while not watch.execute(waiting).scalar() and time.monotonic() < deadline:
                time.sleep(0.02)
        submission.commit()
        start.join(timeout=10)

    assert "already delivered and with the customer" in replies[0].text
    session.expire_all()
    drafts = session.exec(select(Delivery).where(Delivery.order_id == order.id)).all()
    assert [d.state for d in drafts] == [DeliveryState.SUBMITTED]
