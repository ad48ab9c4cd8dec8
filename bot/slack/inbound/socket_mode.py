"""Socket Mode with the HTTP front's envelope check and metrics: a payload Bolt cannot route is
acknowledged (Slack would otherwise send it again) with one warning line, never handed to Bolt,
which would raise on it; every envelope is counted like an HTTP request."""

from __future__ import annotations

import logging
import time

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
from slack_sdk.socket_mode.builtin.client import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.core.telemetry import metrics
from bot.slack.inbound.requests import Malformed, check_envelope, outcome_of, surface_of

log = logging.getLogger("deliverybot")


class CheckedSocketModeHandler(SocketModeHandler):
    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        started, began = time.perf_counter(), time.time()
        try:
            body = check_envelope(req.payload)
        except Malformed as error:
            log.warning(
                "Ignored a malformed %s envelope from Slack, nothing changed: %s", req.type, error
            )
            client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            metrics.SLACK_REQUESTS.labels("unknown", "malformed").inc()
            return
        surface = surface_of(body)
        response = run_bolt_app(self.app, req)  # what SocketModeHandler.handle does, timed
        send_response(client, req, response, began)
        metrics.SLACK_REQUESTS.labels(surface, outcome_of(response.status)).inc()
        metrics.ACK_SECONDS.labels(surface).observe(time.perf_counter() - started)
