"""Socket Mode with the HTTP front's envelope check: a payload Bolt cannot route is
acknowledged (Slack would otherwise send it again) with one warning line, never handed to Bolt,
which would raise on it."""

from __future__ import annotations

import logging

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.builtin.client import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.slack.inbound.requests import Malformed, check_envelope

log = logging.getLogger("deliverybot")


class CheckedSocketModeHandler(SocketModeHandler):
    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        try:
            check_envelope(req.payload)
        except Malformed as error:
            log.warning(
                "Ignored a malformed %s envelope from Slack, nothing changed: %s", req.type, error
            )
            client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            return
        super().handle(client, req)
