"""The Evidence pack button on an appeal in the operations channel."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot.core.errors import DeliverybotError
from bot.core.filestore import store_for
from bot.core.ids import ActionId
from bot.evidence.share import share_pack
from bot.slack.services import Services
from bot.supervision.decisions import is_ops_staff


def handle_evidence_pack(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    context: BoltContext,
) -> None:
    """Only operations staff get the pack (it holds both sides' details); it goes to the
    case's thread, where they decide."""
    ack()
    services: Services = context["services"]
    user = body["user"]["id"]
    say = lambda text: respond(text=text, response_type="ephemeral", replace_original=False)  # noqa: E731
    if not is_ops_staff(services.client, services.settings, user):
        return say(":lock: Only the operations team can take an order's evidence pack.")
    try:
        with services.session_factory() as session:
            name = share_pack(
                session,
                appeal_id=int(action["value"]),
                user=user,
                now=services.clock.now(),
                store=store_for(services.settings),
                key_text=services.settings.evidence_key,
                ops_channel=services.settings.ops_channel,
            )
            session.commit()
    except DeliverybotError as error:
        return say(f":warning: {error}")
    services.notify_outbox()
    say(f":package: {name} is on its way to this appeal's thread.")


def register(app: App) -> None:
    app.action(ActionId.EVIDENCE_PACK)(handle_evidence_pack)
