"""Slack's retries of an event that is still being handled, or whose handler died, or whose
handling could not be recorded: the work runs once, and a lost event is taken over."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.exc import OperationalError

from bot.demo.sandbox import SIGNING_SECRET
from bot.fakeslack.driver import SlackDriver
from bot.home import page
from bot.slack.inbound import turns
from storage.models import ProcessedEvent
from tests.factories import SELLER

HOME = {"type": "app_home_opened", "user": SELLER, "channel": f"D{SELLER}", "tab": "home"}


@pytest.fixture
def slow_home(monkeypatch):
    """The Home's first request waits until the test lets it go; later ones do not."""
    entered, release, calls = threading.Event(), threading.Event(), []
    render = page.publish_for_user

    def held(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            entered.set()
            with turns.waiting():  # slow as a wait on Slack is: others are answered
                assert release.wait(timeout=30), "the test never let the first rendering go"
        return render(*args, **kwargs)

    monkeypatch.setattr(page, "publish_for_user", held)
    yield entered, release, calls
    release.set()  # whatever the test asserted, the held listener finishes


def in_background(box, event_id: str):
    """Send the event from another thread (its own HTTP client); the thread and its answers."""
    driver = SlackDriver(app_url=box.url, signing_secret=SIGNING_SECRET, slack=box.slack)
    answers = []
    thread = threading.Thread(target=lambda: answers.append(driver.event(HOME, event_id=event_id)))
    thread.start()
    return thread, answers


def test_a_retry_of_an_event_still_being_handled_does_not_run_it_again(box, seller, slow_home):
    entered, release, calls = slow_home
    thread, answers = in_background(box, "EvSLOW")
    assert entered.wait(timeout=10)

    retry = box.driver.event(HOME, event_id="EvSLOW", retry_num=1)

    assert retry.status_code == 409  # not acked: Slack tries again later, when it is done
    assert len(calls) == 1
    release.set()
    thread.join(timeout=30)
    assert answers[0].status_code == 200
    box.settle()
    assert box.driver.event(HOME, event_id="EvSLOW", retry_num=2).status_code == 200
    assert len(calls) == 1
    assert len(box.slack.calls_to("views.publish")) == 1


def test_an_event_whose_listener_never_finished_is_taken_over_by_a_later_retry(
    box, seller, clock, slow_home
):
    """The first delivery's listener hangs (as if its process had died in the middle): the
    claim is not marked handled, so Slack's 5-minute retry handles the event."""
    entered, release, calls = slow_home
    thread, _ = in_background(box, "EvHUNG")
    assert entered.wait(timeout=10)

    clock.advance(minutes=6)
    retry = box.driver.event(HOME, event_id="EvHUNG", retry_num=3)

    assert retry.status_code == 200
    assert len(calls) == 2
    assert len(box.slack.calls_to("views.publish")) == 1
    release.set()
    thread.join(timeout=30)


def test_an_event_whose_handling_cannot_be_recorded_is_acked_and_not_run_again(
    box, seller, engine, session, caplog
):
    def refuse_marking(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE PROCESSEDEVENT SET HANDLED_AT"):
            raise OperationalError(statement, parameters, Exception("disk I/O error"))

    sqlalchemy_event.listen(engine, "before_cursor_execute", refuse_marking)
    try:
        first = box.driver.event(HOME, event_id="EvMARK")
        again = box.driver.event(HOME, event_id="EvMARK")
    finally:
        sqlalchemy_event.remove(engine, "before_cursor_execute", refuse_marking)

    assert first.status_code == 200  # handled: Slack must not retry it
    assert again.status_code == 409  # in hand, as far as anyone can tell
    assert len(box.slack.calls_to("views.publish")) == 1
    claim = session.get(ProcessedEvent, "EvMARK")
    assert claim is not None and claim.handled_at is None  # kept: never released to a retry
    assert "could not be marked" in caplog.text
