"""A fake Slack (Web API server + a driver that sends signed requests) for tests and the demo."""

from bot.fakeslack.server import FakeSlack, FakeUser

__all__ = ["FakeSlack", "FakeUser"]
