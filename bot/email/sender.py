"""What the outbox dispatcher calls to send an EMAIL row, and the "Open in browser" button of
the customer's Slack DM (both need the settings and the clock, so bot.bootstrap builds them)."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.core.clock import Clock
from bot.core.ids import ActionId, BlockId
from bot.core.settings import Settings
from bot.email import smtp
from bot.email.compose import compose
from bot.email.links import Links
from bot.slack.outbox import PermanentFailure, Preparer
from storage.engine import SessionFactory


class EmailSender:
    def __init__(self, settings: Settings, session_factory: SessionFactory, clock: Clock):
        self.config = smtp.SmtpConfig.parse(settings.smtp_url) if settings.smtp_url else None
        self.links = Links.from_settings(settings)
        self.mail_from = settings.mail_from
        self.session_factory = session_factory
        self.clock = clock

    def __call__(self, payload: dict[str, Any]) -> tuple[str | None, str | None]:
        if self.config is None:
            raise PermanentFailure("no_smtp_url")
        with self.session_factory() as session:
            message = compose(
                session, payload, links=self.links, now=self.clock.now(), sender=self.mail_from
            )
            session.rollback()
        smtp.send(self.config, message)
        return "email", None


def with_browser_link(prepare: Preparer, settings: Settings, clock: Clock) -> Preparer:
    """The customer's delivery DM gains "Open in browser" (the accept page, for reading proof on
    a big screen), signed when it is sent; nothing changes without PUBLIC_URL."""
    links = Links.from_settings(settings)

    def prepared(client: WebClient, payload: dict[str, Any], meta: dict[str, Any]) -> dict:
        payload = prepare(client, payload, meta)
        if links is None or "order_no" not in meta:
            return payload
        url = links.url(meta["order_no"], meta["delivery_id"], meta["round"], now=clock.now())
        button = {
            "type": "button",
            "action_id": ActionId.OPEN_IN_BROWSER,
            "text": {"type": "plain_text", "text": "Open in browser"},
            "url": url,
        }
        blocks = [
            {**block, "elements": [*block["elements"], button]}
            if block.get("block_id") == BlockId.CUSTOMER_ACTIONS
            else block
            for block in payload.get("blocks") or []
        ]
        return {**payload, "blocks": blocks}

    return prepared
