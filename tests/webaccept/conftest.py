"""A real SMTP server (aiosmtpd) that keeps what it receives, and a sandbox whose bot sends
e-mail to it. The sandbox's web app serves the accept page at the sandbox's URL (PUBLIC_URL)."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import time
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from bot.demo.sandbox import Sandbox
from tests.factories import CUSTOMER, OPS, SELLER, TEAMMATE


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def wait_for(self, count: int, seconds: float = 5) -> None:
        deadline = time.monotonic() + seconds
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return part.get_content()


def link_in(message: EmailMessage) -> str:
    found = re.search(r"(http://\S+/accept/\S+)", text_of(message))
    assert found, text_of(message)
    return found.group(1)


@pytest.fixture(scope="session")
def smtp_server():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def inbox(smtp_server) -> Inbox:
    smtp_server[0].messages.clear()
    return smtp_server[0]


@pytest.fixture
def mailbox_box(database_url, engine, clock, tmp_path, loopback, smtp_server):
    """The sandbox, sending e-mail to the test SMTP server."""
    port = smtp_server[1]
    with Sandbox(
        database_url,
        clock=clock,
        files_dir=tmp_path / "files",
        engine=engine,
        server=loopback,
        SMTP_URL=f"smtp://127.0.0.1:{port}",
        MAIL_FROM="deliverybot@isv.example",
    ) as sandbox:
        slack = sandbox.slack
        slack.add_user(SELLER, "sam", email="sam@isv.example", tz="Europe/Paris")
        slack.add_user(TEAMMATE, "tea", email="tea@isv.example", tz="Asia/Tokyo")
        slack.add_user(CUSTOMER, "alex", email="admin@buyer.example", tz="America/New_York")
        slack.add_user(OPS, "olga", email="olga@market.example", tz="UTC")
        slack.add_channel("COPS", [OPS])
        yield sandbox
        assert slack.rejected == [], f"Slack would refuse: {slack.rejected}"
