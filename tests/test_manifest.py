"""manifest.yml creates an app that can reach every surface the code listens on."""

from pathlib import Path

import yaml

from bot.core.ids import COMMAND

MANIFEST = yaml.safe_load((Path(__file__).parents[1] / "manifest.yml").read_text())


def test_the_slash_command_is_the_one_the_code_handles():
    commands = [c["command"] for c in MANIFEST["features"]["slash_commands"]]
    assert commands == [COMMAND]


def test_every_request_url_points_at_the_single_slack_endpoint():
    settings = MANIFEST["settings"]
    urls = [c["url"] for c in MANIFEST["features"]["slash_commands"]]
    urls += [
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
    ]
    assert all(url.endswith("/slack/events") for url in urls)
    assert settings["interactivity"]["is_enabled"] is True


def test_file_drops_in_the_dm_reach_the_bot():
    app_home = MANIFEST["features"]["app_home"]
    assert app_home["messages_tab_enabled"] and not app_home["messages_tab_read_only_enabled"]
    assert app_home["home_tab_enabled"]
    events = set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
    assert {"message.im", "file_shared", "app_home_opened"} <= events
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    assert {"im:history", "files:read", "files:write", "chat:write", "commands"} <= scopes
    assert {"users:read", "users:read.email"} <= scopes  # time zones, lookupByEmail


def test_the_bot_can_read_back_its_posts_wherever_it_posts():
    """A post whose send was interrupted is looked for in the conversation (conversations.history
    and conversations.replies) before it is sent again: DMs, channels, private channels, group DMs."""
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    assert {"im:history", "channels:history", "groups:history", "mpim:history"} <= scopes
