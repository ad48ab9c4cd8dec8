"""A 429 storm over the whole flow, including a post whose sender died after Slack took it.
(test_reliability covers a short burst of 429s on posts and updates; this one refuses every
call the outbox makes for a minute and a half, and checks each Retry-After to the second.)"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import pytest

from bot.bootstrap import MESSAGE_KINDS
from bot.core.filestore import store_for
from bot.slack.calls import SlackCaller
from bot.slack.dispatcher import OutboxDispatcher
from storage.states import SupervisionState
from tests.e2e.outbox_checks import all_sent, row_with_text, seller_notices, state_of
from tests.e2e.test_reliability import submit
from tests.factories import CUSTOMER, SELLER

RETRY_AFTER = 20
STORM = timedelta(seconds=90)
STORMED = (
    "chat.postMessage",
    "chat.update",
    "views.publish",
    "files.getUploadURLExternal",
    "files.completeUploadExternal",
    "conversations.open",
    "conversations.history",
)


class Died(BaseException):
    """The process died (nothing in the dispatcher catches it)."""


class DiesAfterPosting(SlackCaller):
    """Slack posts the message; the process dies before it hears back."""

    def call(self, method, payload):
        answer = super().call(method, payload)
        if method == "chat.postMessage":
            raise Died
        return answer


def storm(box) -> list[tuple[datetime, str, bool]]:
    """Slack answers 429 (Retry-After: 20) to every call of STORMED until STORM has passed on
    the bot's clock. Returns the log of those calls: when, in which rate-limit scope, refused."""
    calls: list[tuple[datetime, str, bool]] = []
    ends = box.clock.now() + STORM

    def refuse(method):
        def during_the_storm(args) -> bool:
            scope = f"{method} {args.get('channel')}" if method == "chat.postMessage" else method
            calls.append((box.clock.now(), scope, box.clock.now() < ends))
            return box.clock.now() < ends

        return during_the_storm

    for method in STORMED:
        box.slack.fail(
            method,
            "ratelimited",
            status=429,
            retry_after=RETRY_AFTER,
            times=10**6,
            when=refuse(method),
        )
    return calls


def test_a_429_storm_is_waited_out_scope_by_scope_and_every_message_arrives_once(
    box, customer, session
):
    submit(box, session, settle=False)
    dead = OutboxDispatcher(
        session_factory=box.session_factory,
        client=box.services.client,
        clock=box.clock,
        channel_interval=0,
        files=store_for(box.settings),
        caller=DiesAfterPosting(box.services.client, store_for(box.settings)),
        kinds=MESSAGE_KINDS,
    )
    with pytest.raises(Died):
        dead.dispatch_due()
    assert len(customer.dms()) == 1  # the delivery is in Slack; its ts is not in the database

    calls = storm(box)
    customer.clicks("Accept")  # during the storm: its messages queue up behind it
    for _ in range(60):
        if all_sent(session):
            break
        box.clock.advance(seconds=5)
        box.settle()

    assert all_sent(session)
    messages = customer.dms()
    assert len(messages) == 2 and len(messages[0].history) == 1  # delivery (updated), files
    assert row_with_text(session, "was delivered: please accept").result_ts == messages[0].ts
    assert state_of(session) is SupervisionState.COMPLETED and len(seller_notices(box)) == 1
    by_scope: dict[str, list[tuple[datetime, bool]]] = defaultdict(list)
    for when, scope, refused in calls:
        by_scope[scope].append((when, refused))
    refused = {scope for scope, seen in by_scope.items() if any(no for _, no in seen)}
    # the look for the dead sender's post was refused too, and then it was found, not re-sent
    assert {"conversations.open", "views.publish", f"chat.postMessage {SELLER}"} <= refused
    assert "conversations.history" in by_scope and f"chat.postMessage {CUSTOMER}" not in by_scope
    for scope, seen in by_scope.items():
        for (when, no), (then, _) in zip(seen, seen[1:], strict=False):
            if no:  # nothing in that scope before its Retry-After ran out
                assert then - when >= timedelta(seconds=RETRY_AFTER), (scope, when, then)
