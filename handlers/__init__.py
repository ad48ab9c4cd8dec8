"""Thin Slack listeners, one module per surface; each exposes register(app). They parse the
payload, call one domain function and render the result: no business rule lives here."""

from slack_bolt import App

from handlers import (
    acceptance,
    actions,
    appeals,
    commands,
    errors,
    events,
    files,
    home,
    views,
)


def register_all(app: App) -> None:
    for module in (
        events,
        commands,
        actions,
        files,
        views,
        home,
        acceptance,
        appeals,
        errors,
    ):
        module.register(app)
