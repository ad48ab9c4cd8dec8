"""Proof files too slow to fetch while Slack waits for our answer are fetched by the worker;
the seller's files and review messages follow, and Deliver waits for them."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest

from bot.bootstrap import build_scheduler
from bot.fakeslack.render import render_blocks
from bot.slack import downloads
from storage.models import DeliveryState
from tests.e2e.test_delivery_conversation import (
    TEMPLATE_VALUES,
    audit_kinds,
    draft_of,
    proof_files,
    shown,
    the_delivery,
)
from tests.factories import make_order

SLOW = (
    1.0  # seconds Slack takes to serve a file: longer than the quick try, shorter than the worker's
)


@pytest.fixture
def quick(monkeypatch):
    monkeypatch.setattr(downloads, "TIMEOUT_SECONDS", 0.2)


def worker_pass(box, **settings) -> dict[str, int]:
    """One pass of the worker (with these settings), then what it sent is delivered."""
    services = box.services
    if settings:
        services = dataclasses.replace(services, settings=box.settings.model_copy(update=settings))
    result = build_scheduler(services, holder="t").run_due()
    box.settle()
    return result.kinds


def ready_but_for_files(box, seller, session):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")
    seller.says("jan 1")
    seller.clicks("Fill in the template")
    seller.submits(TEMPLATE_VALUES)


def test_a_file_being_fetched_holds_up_no_one_else(box, seller, session):
    """The quick try's wait on Slack's file host lets other requests be answered meanwhile."""
    ready_but_for_files(box, seller, session)
    box.slack.download_delay = 1.5  # within the quick try's 2 s
    dropping = threading.Thread(target=lambda: seller.drops_file("sow.pdf", b"%PDF sow"))
    dropping.start()
    deadline = time.monotonic() + 5
    while not box.slack.downloads and time.monotonic() < deadline:
        time.sleep(0.01)

    started = time.monotonic()
    listed = seller.runs("/deliver").json()
    took = time.monotonic() - started
    dropping.join(timeout=10)

    assert box.slack.downloads  # the fetch was under way
    assert "Orders waiting for delivery" in render_blocks(listed["blocks"])
    assert took < 1.0
    assert all(f.sha256 for f in proof_files(session))  # and the quick try got the file


def test_a_slow_file_is_fetched_by_the_worker_and_deliver_waits_for_it(box, seller, session, quick):
    ready_but_for_files(box, seller, session)
    box.slack.download_delay = SLOW
    started = time.monotonic()
    seller.drops_file("sow.pdf", b"%PDF sow")
    assert time.monotonic() - started < 0.9  # both events answered without waiting for Slack
    box.slack.download_delay = 0
    seller.drops_file("acceptance.pdf", b"%PDF acc")

    assert [f.sha256 is None for f in proof_files(session)] == [True, False]
    assert "sow.pdf* (1 KB) _(fetching…)_" in shown(seller)
    assert "I'm still fetching sow.pdf from Slack; I'll update the delivery message" in shown(
        seller
    )
    fetched = len(box.slack.downloads)

    seller.clicks("Deliver")

    said = seller.responses()[-1]["text"]
    assert "can't be delivered yet" in said and "still fetching sow.pdf from Slack" in said
    assert "Still missing" not in said  # nothing else is
    assert draft_of(session).state is DeliveryState.DRAFT
    assert len(box.slack.downloads) == fetched  # Deliver does not download

    box.slack.download_delay = SLOW  # still slow, but the worker waits long enough
    messages = len(seller.dms())
    assert worker_pass(box).get("proof_download") == 1

    assert all(f.sha256 for f in proof_files(session))
    assert len(seller.dms()) == messages  # the delivery message was updated in place
    assert "fetching" not in render_blocks(the_delivery(seller).blocks)

    seller.clicks("Deliver")

    assert "Delivered. Order 12345" in shown(seller)
    assert draft_of(session).state is DeliveryState.SUBMITTED


@pytest.mark.parametrize(
    "breaks, why",
    [
        (lambda slack, file_id: setattr(slack, "files_read_granted", False), "files:read"),
        (lambda slack, file_id: slack.file_contents.pop(file_id), "Slack answered 404"),
        (lambda slack, file_id: slack.files.pop(file_id), "was deleted from Slack"),
    ],
    ids=["sign-in page", "not found", "deleted"],
)
def test_a_file_the_worker_cannot_fetch_is_reported_to_the_seller(
    box, seller, session, quick, breaks, why
):
    ready_but_for_files(box, seller, session)
    box.slack.download_delay = SLOW
    info = seller.drops_file("sow.pdf", b"%PDF sow")
    box.slack.download_delay = 0
    breaks(box.slack, info["id"])

    worker_pass(box)

    told = seller.last_dm().text
    assert "I could not fetch *sow.pdf* from Slack" in told and why in told
    assert "Drop it here again" in told
    files = render_blocks(the_delivery(seller).blocks)
    assert "Could not fetch from Slack" in files and why in files
    assert proof_files(session)[0].removed
    assert "file_refused" in audit_kinds(session)
    seller.clicks("Deliver")
    said = seller.responses()[-1]["text"]
    assert "statement of work" in said and "still fetching" not in said


def test_a_file_slack_keeps_failing_to_serve_is_retried_then_reported(
    box, seller, session, clock, quick
):
    ready_but_for_files(box, seller, session)
    box.slack.download_delay = SLOW  # slower than the worker's timeout below, every time
    seller.drops_file("sow.pdf", b"%PDF sow")
    slow_worker = {"download_timeout_seconds": 0.2}

    worker_pass(box, **slow_worker)
    worker_pass(box, **slow_worker)  # the next try waits for its backoff
    assert len(box.slack.downloads) == 2  # the quick try and the worker's first
    for _ in range(4):
        clock.advance(minutes=30)
        worker_pass(box, **slow_worker)
    assert not proof_files(session)[0].removed  # five tries so far: still trying
    assert "could not fetch" not in shown(seller)
    clock.advance(minutes=30)
    worker_pass(box, **slow_worker)

    assert len(box.slack.downloads) == 7
    row = proof_files(session)[0]
    assert (
        row.removed and "Slack kept failing to serve it, 6 tries over 16 minutes" in row.fetch_error
    )
    told = seller.last_dm().text
    assert "I could not fetch *sow.pdf* from Slack" in told and "6 tries" in told
    assert "Drop it here again" in told
