"""The baseline app of the benchmarks: Bolt's AsyncApp with its async Starlette handler,
acking `/deliver` at once (`uvicorn bench.bare_app:app`, or `build(...)` in process)."""

from __future__ import annotations

import os

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.routing import Route


def build(token: str, api_url: str, signing_secret: str) -> Starlette:
    client = AsyncWebClient(token=token, base_url=api_url.rstrip("/") + "/")
    bolt = AsyncApp(client=client, signing_secret=signing_secret)

    @bolt.command("/deliver")
    async def deliver(ack, command):
        await ack(text=f"Orders for {command['user_id']}", response_type="ephemeral")

    handler = AsyncSlackRequestHandler(bolt)

    async def endpoint(request):
        return await handler.handle(request)

    return Starlette(routes=[Route("/slack/events", endpoint, methods=["POST"])])


def __getattr__(name: str) -> Starlette:  # `uvicorn bench.bare_app:app`, from the environment
    if name != "app":
        raise AttributeError(name)
    return build(
        os.environ["SLACK_BOT_TOKEN"],
        os.environ["SLACK_API_URL"],
        os.environ["SLACK_SIGNING_SECRET"],
    )
