"""Thin Slack listeners, one module per surface; each exposes register(app)."""

from slack_bolt import App

from handlers import actions, commands, errors


def register_all(app: App) -> None:
    for module in (commands, actions, errors):
        module.register(app)
